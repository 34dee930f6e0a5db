import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// `--db` is identified before anything is written: another program's database, a file that is no
/// database and a damaged store are refused with exit 65 and left as they were; a store of an
/// earlier version is ours and is migrated.
@Suite struct StoreIdentityTests {
  /// `chargeback ingest` of the hand-computed month into `db`.
  private func ingest(_ db: String, environment: [String: String] = [:]) throws -> (
    status: Int32, out: String, err: String
  ) {
    try TestSupport.startCLI(["ingest", Fixtures.month + "/usage", "--db", db], environment: environment).wait()
  }

  /// A store built by the CLI from the month's exports.
  private func builtStore(_ dir: String) throws -> String {
    let db = dir + "/store.sqlite"
    let r = try ingest(db)
    try #require(r.status == 0, "\(r.err)")
    return db
  }

  @Test func aNewStoreIsMarkedAsOurs() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = try builtStore(dir)
    let raw = try Database(path: db)
    defer { try? raw.close() }
    #expect(try raw.scalarInt("PRAGMA application_id") == Schema.applicationID)
    #expect(Schema.applicationID == 0x5443_424B)  // "TCBK"
    #expect(try raw.scalarInt("PRAGMA user_version") == Schema.currentVersion)
  }

  @Test func anotherProgramsDatabaseIsRefusedAndLeftByteForByte() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/app.sqlite"
    do {
      let db = try Database(path: path)
      try db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'a')")
      try db.close()
    }
    let before = StoreState.bytes(path)
    let r = try ingest(path)
    #expect(r.status == 65)
    #expect(r.err.contains("\(path) is not a TokenChargeback store: it holds tables that are not ours (customers)"))
    #expect(r.err.contains("nothing was written to it"))
    #expect(StoreState.bytes(path) == before)
    #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
    // `report` and `explain` refuse it too.
    let report = try TestSupport.runCLI([
      "report", "--period", "2026-10", "--identities", Fixtures.month + "/identities", "--pricing",
      Fixtures.month + "/pricing", "--out", dir + "/out", "--db", path,
    ])
    #expect(report.status == 65)
    let explain = try TestSupport.runCLI(["explain", "req-1", "--db", path])
    #expect(explain.status == 65)
    #expect(explain.err.contains("is not a TokenChargeback store"))
    #expect(StoreState.bytes(path) == before)
    #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
  }

  /// Our tables, but another program's application id: not ours either.
  @Test func anotherApplicationIDIsRefused() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/other.sqlite"
    do {
      let db = try Database(path: path)
      try db.execute("PRAGMA application_id = 1196444487")  // 0x47504B47, "GPKG": a GeoPackage
      try db.execute(Schema.migrations[0])
      try db.close()
    }
    let before = StoreState.bytes(path)
    let r = try ingest(path)
    #expect(r.status == 65)
    #expect(r.err.contains("is not a TokenChargeback store: its application_id is 0x47504b47"))
    #expect(StoreState.bytes(path) == before)
    let error = try #require(throws: StoreError.self) { try UsageStore(path: path) }
    #expect(error.exitStatus == 65)
  }

  /// Without the application id, the tables decide: a lone table named like one of ours is not a
  /// store of ours, while a store with our id and a table someone added is still ours.
  @Test func tablesDecideOnlyWithoutTheApplicationID() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let lookalike = dir + "/lookalike.sqlite"
    do {
      let db = try Database(path: lookalike)
      try db.execute("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT)")
      try db.close()
    }
    let before = StoreState.bytes(lookalike)
    let error = try #require(throws: StoreError.self) { try UsageStore(path: lookalike) }
    #expect(
      error.description == "\(lookalike) is not a TokenChargeback store: it lacks the files and usage tables; "
        + "nothing was written to it (give --db a new file name)")
    #expect(StoreState.bytes(lookalike) == before)

    let ours = dir + "/ours.sqlite"
    try UsageStore(path: ours).close()
    do {
      let db = try Database(path: ours)
      try db.execute("CREATE TABLE my_notes (note TEXT)")
      try db.close()
    }
    #expect(throws: Never.self) { try UsageStore(path: ours).close() }
  }

  @Test func aFileThatIsNoDatabaseIsRefused() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/notes.sqlite"
    try String(repeating: "not a database at all\n", count: 200).write(toFile: path, atomically: true, encoding: .utf8)
    let before = StoreState.bytes(path)
    let r = try ingest(path)
    #expect(r.status == 65)
    #expect(r.err.contains("\(path) is not a TokenChargeback store: it is not an SQLite database"))
    #expect(StoreState.bytes(path) == before)
  }

  /// A copy of a store with bytes flipped in one of its pages fails `quick_check`: refused before
  /// anything is written, and the file is left as it was.
  @Test func aDamagedCopyIsRefusedAndLeftAsItWas() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = try builtStore(dir)
    let copy = dir + "/copy.sqlite"
    try FileManager.default.copyItem(atPath: db, toPath: copy)
    try flipPageHeader(of: copy, table: "usage")
    let before = StoreState.bytes(copy)
    let r = try TestSupport.runCLI(["ingest", Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", "--db", copy])
    #expect(r.status == 65)
    #expect(r.err.contains("\(copy): the store is damaged"))
    #expect(r.err.contains("nothing was written to it"))
    #expect(!r.err.contains("SQLite error"))
    #expect(StoreState.bytes(copy) == before)
    // The original is sound and stays usable.
    let again = try ingest(db)
    #expect(again.status == 0, "\(again.err)")
  }

  /// In place, a store is checked every ``StoreIntegrity/interval`` writing runs: damage that no run
  /// touches is found by the next scheduled check, and nothing is written after it.
  @Test func damageInPlaceIsFoundByTheScheduledCheck() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    do {
      let store = try UsageStore(path: path)
      // Enough rows for the usage table to span several pages.
      try store.db.execute("INSERT INTO files VALUES (1, 'abc', 'a.jsonl', 'f', 'request', 1, 1, 1)")
      for i in 0..<400 {
        try store.db.execute(
          """
          INSERT INTO usage (key_hash, natural_key, provider, file_id, ts, model, tier, input, cached_input,
            cache_write_5m, cache_write_1h, output, web_search, requests, failed)
          VALUES (\(i), 'openai:r\(i)', 'openai', 1, \(i), 'gpt-4o-mini-with-a-long-name', 'standard',
            1, 0, 0, 0, 1, 0, 1, 0)
          """)
      }
      try store.close()
    }
    try flipPageHeader(of: path, table: "usage")
    var refusedAt: Int?
    for run in 1...StoreIntegrity.interval {
      do {
        let store = try UsageStore(path: path)
        try store.close()
      } catch let e as StoreError {
        guard case .damaged = e else { throw e }
        refusedAt = run
        break
      }
    }
    // Created (and checked) as run 0; runs 1 to 6 open it without a check; run 7 checks and refuses.
    #expect(refusedAt == StoreIntegrity.interval)
  }

  @Test func storesOfEarlierVersionsAreMigratedWithTheirRows() throws {
    for version in 1...3 {
      let dir = try TestSupport.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let path = dir + "/v\(version).sqlite"
      do {
        // As the version that wrote it left it: its migrations, no application id.
        let db = try Database(path: path)
        for v in 0..<version { try db.execute(Schema.migrations[v]) }
        try db.execute("PRAGMA user_version = \(version)")
        try db.execute(
          "INSERT INTO files VALUES (NULL, 'abc', 'a.jsonl', 'bedrock-invocation-log', 'request', 1, 1, 1)")
        try db.execute(
          """
          INSERT INTO usage (key_hash, natural_key, provider, file_id, ts, model, tier, input, cached_input,
            cache_write_5m, cache_write_1h, output, web_search, requests, failed)
          VALUES (X'00112233445566778899aabbccddeeff', 'bedrock:old', 'bedrock', 1, 1000, 'm', 'standard', 7, 0, 0, 0,
            3, 0, 1, 0)
          """)
        try db.close()
      }
      let before = try StoreState(path)
      let r = try ingest(path)
      #expect(r.status == 0, "v\(version): \(r.err)")
      let raw = try Database(path: path)
      #expect(try raw.scalarInt("PRAGMA user_version") == Schema.currentVersion)
      #expect(try raw.scalarInt("PRAGMA application_id") == Schema.applicationID)
      #expect(try raw.scalarInt("SELECT count(*) FROM usage WHERE natural_key = 'bedrock:old'") == 1)
      let key = try raw.scalarInt("SELECT key_hash FROM usage WHERE natural_key = 'bedrock:old'")
      #expect(key == 0x0011_2233_4455_6677)
      try raw.close()
      let after = try StoreState(path)
      #expect(after.usage == before.usage + 10, "v\(version)")
    }
  }

  /// Overwrites the page header of `table`'s root page: `quick_check` finds it, and opening the
  /// store without reading that table does not.
  private func flipPageHeader(of path: String, table: String) throws {
    let db = try Database(path: path)
    let pageSize = try #require(try db.scalarInt("PRAGMA page_size"))
    let root = try #require(try db.scalarInt("SELECT rootpage FROM sqlite_master WHERE name = ?", [.text(table)]))
    try db.close()
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    try handle.seek(toOffset: UInt64((root - 1) * pageSize))
    try handle.write(contentsOf: Data(repeating: 0xFF, count: 16))
    try handle.close()
  }
}
