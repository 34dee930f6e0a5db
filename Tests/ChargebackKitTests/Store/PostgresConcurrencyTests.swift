import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackStorePostgres
@testable import ChargebackTestSupport

/// Several `chargeback ingest` processes against one PostgreSQL store (docs/postgres.md §5): each
/// file loaded once, nothing counted twice, a killed ingester leaves nothing of its file; and a
/// schema that is not ours is refused.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresConcurrencyTests {
  private static let wait = ["CHARGEBACK_LOCK_WAIT": "120"]

  /// ``BedrockLogFiles/write(_:count:records:prefix:)``.
  private func writeFiles(_ dir: String, count: Int, records: Int) throws -> [String] {
    try BedrockLogFiles.write(dir, count: count, records: records, prefix: "p")
  }

  /// Σ over files f and calls i of (100 + 1000 f + i), the output tokens ``writeFiles`` wrote.
  private static func outputTokens(files: Int, records: Int) -> Int64 {
    var sum: Int64 = 0
    for f in 0..<files {
      for i in 0..<records { sum += Int64(100 + 1000 * f + i) }
    }
    return sum
  }

  /// Record count, output tokens summed, and each file's hash and counts.
  private func totals(_ db: String) throws -> (records: Int64, output: Int64, files: Set<String>) {
    let store = try PostgresStore(url: PostgresURL(db), access: .read)
    defer { try? store.close() }
    var output: Int64 = 0
    try store.forEachRecord(from: Int64.min, to: Int64.max) { output += $0.record.tokens.output }
    let files = Set(try store.files().map { "\($0.sha256) \($0.records) \($0.newRecords)" })
    return (try store.recordCount(), output, files)
  }

  private func lines(_ out: String, containing text: String) -> Int {
    out.split(separator: "\n").filter { $0.contains(text) }.count
  }

  /// Four processes started together on overlapping sets of 8 files: all succeed, every file is
  /// loaded by exactly one of them, and the store holds what one ingest of the 8 files holds.
  @Test func fourIngestsAtOnceEqualOneIngest() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 8, records: 400)
    let single = try PostgresTestServer.freshStore()
    let shared = try PostgresTestServer.freshStore()
    defer {
      PostgresTestServer.drop(single)
      PostgresTestServer.drop(shared)
    }
    let one = try TestSupport.runCLI(["ingest"] + files + ["--db", single])
    try #require(one.status == 0, "\(one.err)")

    // Sets: everyone has part-0; the others are shared in different orders.
    let sets = [
      [0, 1, 2, 3, 4], [0, 7, 6, 5, 4], [0, 2, 4, 6], [0, 3, 5, 7, 1],
    ].map { $0.map { files[$0] } }
    let running = try sets.map { try TestSupport.startCLI(["ingest"] + $0 + ["--db", shared], environment: Self.wait) }
    let results = try running.map { try $0.wait() }
    for r in results {
      #expect(r.status == 0, "\(r.err)")
      #expect(!r.err.contains("SQLSTATE"), "\(r.err)")
    }
    let out = results.map(\.out).joined(separator: "\n")
    #expect(lines(out, containing: ": loaded (") == files.count)
    #expect(
      results.map { TestSupport.alreadyIngested($0.out) }.reduce(0, +) == sets.map(\.count).reduce(0, +) - files.count)
    // Independent arithmetic: 8 × 400 records; output tokens Σ_f Σ_i (100 + 1000 f + i).
    let expectedOutput = Self.outputTokens(files: 8, records: 400)
    let s = try totals(shared)
    #expect(s.records == 8 * 400)
    #expect(s.output == expectedOutput)
    let t = try totals(single)
    #expect(t.records == 8 * 400)
    #expect(t.output == expectedOutput)
    #expect(s.files == t.files)
  }

  /// An ingester killed while its file streams to the server leaves no row of that file; the
  /// file it loaded before stays; a later ingest of both gives the totals of one clean ingest.
  @Test func aKilledIngesterLeavesNoPartialFile() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 50_000)
    let app = "kill_" + UUID().uuidString.prefix(8).lowercased()
    let db = try PostgresTestServer.freshStore(["application_name": app])
    defer { PostgresTestServer.drop(db) }
    let first = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    try #require(first.status == 0, "\(first.err)")
    let probe = try PostgresTestServer.connect(db)
    defer { probe.close() }
    let running = try TestSupport.startCLI(["ingest", files[1], "--db", db], environment: Self.wait)
    // Wait until its COPY runs, then kill it.
    let deadline = Date().addingTimeInterval(120)
    var copying = false
    while Date() < deadline, !copying {
      copying =
        try probe.scalarInt(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY%'", [.text(app)]) ?? 0
        > 0
      if !copying { Thread.sleep(forTimeInterval: 0.02) }
    }
    #expect(copying, "the ingester's COPY was never seen")
    running.kill()
    let ended = try running.wait()
    #expect(ended.status != 0)
    // The server notices the closed socket and rolls the transaction back.
    let gone = Date().addingTimeInterval(60)
    while Date() < gone,
      try probe.scalarInt("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", [.text(app)]) ?? 0 > 0
    {
      Thread.sleep(forTimeInterval: 0.05)
    }
    let after = try totals(db)
    #expect(after.records == 50_000, "only the first file's records")
    #expect(after.files.count == 1)
    let again = try TestSupport.runCLI(["ingest"] + files + ["--db", db])
    #expect(again.status == 0, "\(again.err)")
    let full = try totals(db)
    #expect(full.records == 100_000)
    let expectedOutput = Self.outputTokens(files: 2, records: 50_000)
    #expect(full.output == expectedOutput)
  }

  /// Another session holds the store's writer lock past the wait: `ingest` says it waits, exits 75
  /// and writes nothing of its file; once the lock is free, the same ingest loads it.
  @Test func aLockHeldPastTheWaitExits75() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 20)
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let first = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    try #require(first.status == 0, "\(first.err)")
    let holder = try PostgresTestServer.connect(db)
    defer { holder.close() }
    let key = PostgresStore.writerKey(schema: try PostgresURL(db).schema)
    try holder.execute("SELECT pg_advisory_lock(1413694027, \(key)::int4)")
    let r = try TestSupport.runCLI(["ingest", files[1], "--db", db], environment: ["CHARGEBACK_LOCK_WAIT": "1"])
    #expect(r.status == 75, "\(r.err)")
    #expect(r.err.contains("waiting for the store lock"), "\(r.err)")
    #expect(!r.err.contains("SQLSTATE"), "\(r.err)")
    #expect(try totals(db).records == 20)
    try holder.execute("SELECT pg_advisory_unlock(1413694027, \(key)::int4)")
    let again = try TestSupport.runCLI(["ingest", files[1], "--db", db])
    #expect(again.status == 0, "\(again.err)")
    #expect(try totals(db).records == 40)
  }

  /// Migrations bring a new schema to the current version; a schema holding another program's
  /// table, or a newer version of ours, is refused with 65 and left as it was; `report` on a
  /// schema that does not exist says there is no store (66).
  @Test func foreignOrNewerSchemaIsRefused() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 1, records: 10)
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let url = try PostgresURL(db)
    let c = try PostgresTestServer.connect(db)
    defer { c.close() }

    let missing = try TestSupport.runCLI(
      [
        "report", "--period", "2026-10", "--identities", Fixtures.month + "/identities", "--pricing",
        Fixtures.month + "/pricing", "--db", db,
      ])
    #expect(missing.status == 66, "\(missing.err)")
    #expect(!missing.err.contains("SQLSTATE"))

    let ok = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    #expect(ok.status == 0, "\(ok.err)")
    #expect(
      try c.scalarInt("SELECT version FROM \(PostgresSchema.quoted(url.schema)).store_identity")
        == Schema.currentVersion)

    try c.execute(
      "UPDATE \(PostgresSchema.quoted(url.schema)).store_identity SET version = \(Schema.currentVersion + 1)")
    let newer = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    #expect(newer.status == 65)
    #expect(newer.err.contains("newer"), "\(newer.err)")

    let other = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(other) }
    let o = try PostgresURL(other)
    try c.execute("CREATE SCHEMA \(PostgresSchema.quoted(o.schema))")
    try c.execute("CREATE TABLE \(PostgresSchema.quoted(o.schema)).invoices (id bigint)")
    let foreign = try TestSupport.runCLI(["ingest", files[0], "--db", other])
    #expect(foreign.status == 65)
    #expect(foreign.err.contains("not a TokenChargeback store"), "\(foreign.err)")
    #expect(try c.scalarInt("SELECT count(*) FROM pg_tables WHERE schemaname = $1", [.text(o.schema)]) == 1)
  }

  /// A report's snapshot sees none of a file another process loads meanwhile, and all of it after.
  @Test func aSnapshotIsNotChangedByALoad() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage", count: 2, records: 30)
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let first = try TestSupport.runCLI(["ingest", files[0], "--db", db])
    try #require(first.status == 0, "\(first.err)")
    let store = try PostgresStore(url: PostgresURL(db))
    defer { try? store.close() }
    try store.snapshot {
      #expect(try store.recordCount() == 30)
      // The load does not wait for the reader (MVCC), and commits while the snapshot is open.
      let load = try TestSupport.runCLI(["ingest", files[1], "--db", db], environment: Self.wait)
      #expect(load.status == 0, "\(load.err)")
      #expect(try store.recordCount() == 30)
      #expect(try store.files().count == 1)
    }
    #expect(try store.recordCount() == 60)
  }

  /// One PostgreSQL migration per SQLite migration, and the same columns in every table but the
  /// hashes PostgreSQL keeps beside text keys (docs/postgres.md §3, rule 7).
  @Test func schemaMatchesSQLite() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(PostgresSchema.migrations.count == Schema.migrations.count)
    let sqlite = try UsageStore(path: dir + "/s.sqlite")
    defer { try? sqlite.close() }
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let pg = try PostgresStore(url: PostgresURL(db))
    defer { try? pg.close() }
    let schema = try PostgresURL(db).schema
    let hashColumns: [String: Set<String>] = [
      "skipped_files": ["path_hash"], "file_stamps": ["path_hash"], "trace_spans": ["trace_hash", "span_hash"],
      "period_totals": ["key_hash"], "conflicts": ["differences_hash"],
    ]
    for table in PostgresSchema.tables.sorted() {
      let st = try sqlite.db.prepare("SELECT name FROM pragma_table_info(?)")
      try st.bind(1, table)
      var sqliteColumns = Set<String>()
      while try st.step() { sqliteColumns.insert(st.text(0) ?? "") }
      sqliteColumns.subtract(UsageStoreNames.idColumns)  // SQLite's ids of `names` (schema 8)
      let pgColumns = Set(
        try pg.c.rows(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
          [.text(schema), .text(table)]
        ).compactMap { $0.text(0) })
      #expect(!sqliteColumns.isEmpty)
      #expect(pgColumns.subtracting(hashColumns[table] ?? []) == sqliteColumns, "\(table)")
    }
  }

  /// The URL forms of docs/postgres.md §1; the password is never shown.
  @Test func urlsParseAsLibpqDoes() throws {
    let a = try PostgresURL(
      "postgres://ann:s%40cret@db.example:6543/usage?schema=team&sslmode=require", environment: [:])
    #expect(a.user == "ann" && a.password == "s@cret" && a.host == "db.example" && a.port == 6543)
    #expect(a.database == "usage" && a.schema == "team" && a.sslMode == .require)
    #expect(!a.shown.contains("cret"))
    let s = try PostgresURL("postgresql://postgres@%2Ftmp%2Fpg:54329/chargeback", environment: [:])
    #expect(s.socketPath == "/tmp/pg/.s.PGSQL.54329" && s.sslMode == .disable && s.schema == "chargeback")
    let q = try PostgresURL("postgres:///db?host=/run/postgresql", environment: ["USER": "bob"])
    #expect(q.socketDirectory == "/run/postgresql" && q.user == "bob" && q.database == "db" && q.port == 5432)
    #expect(throws: StoreURLError.self) { try PostgresURL("postgres://h/db?sslmod=require", environment: [:]) }
    #expect(try StoreLocation("POSTGRES://h/db") != .sqlite(path: "POSTGRES://h/db"))
    #expect(try StoreLocation("./postgres://x") == .sqlite(path: "./postgres://x"))
    let bad = try TestSupport.runCLI(["ingest", "nothing", "--db", "postgres://u:hunter2@h/db?sslmod=require"])
    #expect(bad.status == 64, "\(bad.err)")
    #expect(!bad.err.contains("hunter2"))
  }
}
