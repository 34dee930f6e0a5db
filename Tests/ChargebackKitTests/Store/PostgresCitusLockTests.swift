import Testing

@testable import ChargebackStore
@testable import ChargebackStorePostgres

/// On Citus a report's snapshot holds the writer lock in shared mode (docs/postgres.md §7).
///
/// A Citus snapshot is per shard. Citus is not a Debian package: the store's Citus switch is turned on by
/// hand here, on plain PostgreSQL, where the locks behave the same.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresCitusLockTests {
  @Test func aSnapshotOnCitusWaitsForAMergeAndAMergeForIt() throws {
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let url = try PostgresURL(db)
    try PostgresStore(url: url).close()  // creates the store
    let quick = StoreLock(wait: 1, notice: { _ in })
    let reader = try PostgresStore(url: url, access: .read, lock: quick)
    defer { try? reader.close() }
    let writer = try PostgresStore(url: url, lock: quick)
    defer { try? writer.close() }
    // The test server has no citus extension: snapshots take no lock.
    #expect(!reader.snapshotsTakeWriterLock)

    // A merge in progress: another connection holds the writer lock.
    let holder = try PostgresTestServer.connect(db)
    defer { holder.close() }
    let key = PostgresStore.writerKey(schema: url.schema)
    try holder.execute("SELECT pg_advisory_lock(1413694027, \(key)::int4)")
    let unlocked = try reader.snapshot { try reader.recordCount() }
    #expect(unlocked == 0)  // plain PostgreSQL reads at once
    reader.snapshotsTakeWriterLock = true
    #expect(throws: StoreLockedError.self) { try reader.snapshot { try reader.recordCount() } }
    try holder.execute("SELECT pg_advisory_unlock(1413694027, \(key)::int4)")

    // A snapshot in progress: a merge waits for it, another snapshot does not.
    let other = try PostgresStore(url: url, access: .read, lock: quick)
    defer { try? other.close() }
    other.snapshotsTakeWriterLock = true
    let alongside = try reader.snapshot {
      #expect(throws: StoreLockedError.self) { try writer.write {} }
      return try other.snapshot { try other.recordCount() }
    }
    #expect(alongside == 0)
    // Once the snapshot is over, the merge goes through.
    try writer.write {}
  }
}
