import Foundation
import Testing

@testable import ChargebackStore
@testable import ChargebackTestSupport

/// One store, several processes: writers take turns, wait a bounded time with a message, then exit
/// 75; a new store is set up once however many processes create it; a report reads one snapshot.
@Suite struct ConcurrencyTests {
  /// A wait long enough for the other process, short enough that a bug fails the test, not the run.
  private static let wait = ["CHARGEBACK_LOCK_WAIT": "120"]

  /// ``BedrockLogFiles/write(_:count:records:prefix:)``.
  private func writeFiles(_ dir: String, count: Int, records: Int, prefix: String = "c") throws -> [String] {
    try BedrockLogFiles.write(dir, count: count, records: records, prefix: prefix)
  }

  private func lines(_ out: String, containing text: String) -> Int {
    out.split(separator: "\n").filter { $0.contains(text) }.count
  }

  /// Two `chargeback ingest` processes started at once on overlapping sets of files, into one new
  /// store: both succeed, each file is loaded once, and the store equals one built by one process.
  @Test func twoIngestsAtOnceEqualOneIngest() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 8, records: 300)
    let single = dir + "/single.sqlite"
    let one = try TestSupport.runCLI(["ingest"] + files + ["--db", single])
    try #require(one.status == 0, "\(one.err)")

    let shared = dir + "/shared.sqlite"
    let a = try TestSupport.startCLI(["ingest"] + Array(files[0..<6]) + ["--db", shared], environment: Self.wait)
    let b = try TestSupport.startCLI(
      ["ingest"] + Array(files[2..<8].reversed()) + ["--db", shared], environment: Self.wait)
    let ra = try a.wait()
    let rb = try b.wait()
    #expect(ra.status == 0, "\(ra.err)")
    #expect(rb.status == 0, "\(rb.err)")
    for err in [ra.err, rb.err] {
      #expect(!err.contains("UNIQUE constraint"))
      #expect(!err.contains("database is locked"))
      #expect(!err.contains("SQLite error"))
    }
    // Every file loaded by exactly one of them; the other says it skipped it.
    #expect(lines(ra.out, containing: ": loaded (") + lines(rb.out, containing: ": loaded (") == files.count)
    #expect(TestSupport.alreadyIngested(ra.out) + TestSupport.alreadyIngested(rb.out) == 4)
    let state = try StoreState(shared)
    #expect(state == (try StoreState(single)))
    #expect(state.usage == 8 * 300)
  }

  /// Four processes creating the same new store at once: one store, set up once, the file in it once.
  @Test func processesCreatingOneNewStoreAtOnceEndWithOneGoodStore() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 1, records: 50)
    let db = dir + "/new.sqlite"
    let runs = try (0..<4).map { _ in
      try TestSupport.startCLI(["ingest", files[0], "--db", db], environment: Self.wait)
    }
    let results = try runs.map { try $0.wait() }
    for r in results { #expect(r.status == 0, "\(r.err)") }
    #expect(results.filter { $0.out.contains(": loaded (") }.count == 1)
    #expect(results.filter { TestSupport.alreadyIngested($0.out) == 1 }.count == 3)
    let state = try StoreState(db)
    #expect(state.files == 1)
    #expect(state.usage == 50)
    let raw = try Database(path: db)
    defer { try? raw.close() }
    #expect(try raw.scalarInt("PRAGMA user_version") == Schema.currentVersion)
    #expect(try raw.scalarInt("PRAGMA application_id") == Schema.applicationID)
    #expect(throws: Never.self) { try StoreIntegrity.quickCheck(raw) }
  }

  /// Another process holds the write lock longer than the wait: exit 75 with a clear message, and the
  /// store is as it was.
  @Test func aLockHeldPastTheWaitExits75AndWritesNothing() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 20)
    let db = dir + "/store.sqlite"
    let first = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    try #require(first.status == 0, "\(first.err)")
    let before = try StoreState(db)

    let holder = try Database(path: db)
    try holder.execute("BEGIN EXCLUSIVE")
    let started = Date()
    let r = try TestSupport.startCLI(["ingest", files[1], "--db", db], environment: ["CHARGEBACK_LOCK_WAIT": "1"])
      .wait()
    let elapsed = Date().timeIntervalSince(started)
    try holder.execute("ROLLBACK")
    try holder.close()

    #expect(r.status == 75)
    #expect(r.err.contains("chargeback: waiting for the store lock held by another chargeback… (\(db), up to 1 s)"))
    #expect(r.err.contains("\(db): the store stayed locked by another process for 1"))
    #expect(r.err.contains("gave up, and this attempt wrote nothing"))
    #expect(!r.err.contains("database is locked"))
    #expect(!r.err.contains("SQLite error"))
    #expect(elapsed >= 1 && elapsed < 30)
    #expect(try StoreState(db) == before)
  }

  /// The same against a writer that holds the write lock but lets readers in (`BEGIN IMMEDIATE`, as
  /// a chargeback loading a file does): exit 75, and the file is not loaded at all.
  @Test func aLockHeldDuringAnotherLoadExits75() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 20)
    let db = dir + "/store.sqlite"
    try #require(try TestSupport.runCLI(["ingest", files[0], "--db", db]).status == 0)
    let before = try StoreState(db)
    // A writer of another process between its files: the write lock, readers still allowed.
    let holder = try Database(path: db)
    try holder.execute("BEGIN IMMEDIATE")
    let r = try TestSupport.startCLI(["ingest", files[1], "--db", db], environment: ["CHARGEBACK_LOCK_WAIT": "0.5"])
      .wait()
    try holder.execute("ROLLBACK")
    try holder.close()
    #expect(r.status == 75)
    #expect(r.err.contains("the store stayed locked by another process"))
    #expect(!r.out.contains(": loaded ("))
    #expect(try StoreState(db) == before)
  }

  /// A writer that finds the store locked waits its turn, says so, and loads once the lock is free.
  @Test func aWriterWaitsItsTurn() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 20)
    let db = dir + "/store.sqlite"
    try #require(try TestSupport.runCLI(["ingest", files[0], "--db", db]).status == 0)
    let holder = try Database(path: db)
    try holder.execute("BEGIN EXCLUSIVE")
    let waiting = try TestSupport.startCLI(["ingest", files[1], "--db", db], environment: Self.wait)
    // Until it says it waits (however slowly the machine starts it), then a little longer.
    let deadline = Date().addingTimeInterval(60)
    while !waiting.errorsSoFar.contains("waiting for the store lock"), Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
    }
    Thread.sleep(forTimeInterval: 0.5)
    try holder.execute("COMMIT")
    try holder.close()
    let r = try waiting.wait()
    #expect(r.status == 0, "\(r.err)")
    #expect(r.err.contains("waiting for the store lock held by another chargeback…"))
    #expect(r.out.contains("part-1.jsonl: loaded (bedrock-invocation-log, 20 records, 20 new)"))
    #expect(try StoreState(db).usage == 40)
  }

  /// Every read of a snapshot sees the same commit while another process loads a file; the load
  /// commits once the snapshot ends (the report runs its reads in one such snapshot).
  @Test func aSnapshotIsNotChangedByALoadInAnotherProcess() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 30)
    let db = dir + "/store.sqlite"
    try #require(try TestSupport.runCLI(["ingest", files[0], "--db", db]).status == 0)
    let store = try UsageStore(path: db)
    defer { try? store.close() }
    var load: TestSupport.Running?
    let counts = try store.db.snapshot {
      let first = try store.recordCount()
      load = try TestSupport.startCLI(["ingest", files[1], "--db", db], environment: Self.wait)
      // Until the other process is waiting to commit.
      let deadline = Date().addingTimeInterval(30)
      while load?.errorsSoFar.contains("waiting for the store lock") != true, Date() < deadline {
        Thread.sleep(forTimeInterval: 0.05)
      }
      return (first, try store.recordCount(), try store.files().count)
    }
    #expect(counts.0 == 30)
    #expect(counts.1 == 30)
    #expect(counts.2 == 1)
    let r = try #require(load).wait()
    #expect(r.status == 0, "\(r.err)")
    #expect(try store.recordCount() == 60)
  }
}
