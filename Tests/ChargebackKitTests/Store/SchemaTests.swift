import Foundation
import Testing

@testable import ChargebackStore
@testable import ChargebackTestSupport

/// Names of the schema objects of `type` we created (SQLite's own autoindexes left out).
private func objects(_ db: Database, _ type: String) throws -> [String] {
  let st = try db.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
  try st.bind([.text(type)])
  var out: [String] = []
  while try st.step() { out.append(st.text(0) ?? "") }
  return out
}

private func columns(_ db: Database, _ table: String) throws -> [String] {
  let st = try db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid")
  try st.bind([.text(table)])
  var out: [String] = []
  while try st.step() { out.append(st.text(0) ?? "") }
  return out
}

private func userVersion(_ db: Database) throws -> Int64? { try db.scalarInt("PRAGMA user_version") }

@Suite struct SchemaTests {
  @Test func aNewStoreIsAtTheCurrentVersion() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    #expect(try userVersion(store.db) == Schema.currentVersion)
    // docs/architecture.md documents the schema version; a new migration updates both.
    #expect(Schema.currentVersion == 11)
    #expect(try store.db.scalarInt("PRAGMA application_id") == 0x5443_424B)  // "TCBK"
    #expect(
      try objects(store.db, "table") == [
        "conflicts", "export_pages", "file_stamps", "files", "names", "period_totals", "settings", "skipped_files",
        "trace_spans", "usage",
      ])
    #expect(try objects(store.db, "index") == ["conflicts_kept", "usage_key", "usage_ts"])
    #expect(try objects(store.db, "view") == ["usage_text"])
    #expect(Set(try objects(store.db, "table")) == Schema.tables)
  }

  @Test func tablesHaveTheDocumentedColumns() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    #expect(
      try columns(store.db, "files") == ["id", "sha256", "path", "format", "level", "bytes", "records", "new_records"])
    #expect(
      try columns(store.db, "export_pages") == [
        "sha256", "page", "format", "path", "first_start", "last_end", "bucket_width", "has_more", "next_page",
      ])
    #expect(
      try columns(store.db, "usage") == [
        "id", "key_hash", "natural_key", "provider", "file_id", "line", "json_path", "ts", "bucket_end", "request_id",
        "credential", "project", "model", "tier", "context_window", "input", "cached_input", "cache_write_5m",
        "cache_write_1h", "output", "web_search", "requests", "failed", "error_code", "agent_id", "task_id",
        "scope_id", "parent_id", "credential_provider", "trace_id", "span_id", "prompt_hash", "retries",
        "billed_pico", "line_item", "agent_path", "credential_alias", "provisioned", "credential_n", "project_n",
        "model_n", "agent_n",
      ])
    #expect(try columns(store.db, "names") == ["id", "text"])
    #expect(try columns(store.db, "skipped_files") == ["path", "sha256", "bytes", "reason"])
    #expect(
      try columns(store.db, "conflicts") == [
        "id", "key_hash", "natural_key", "kept_id", "file_id", "line", "json_path", "differences",
      ])
  }

  @Test func keyHashAndFileHashAreUnique() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let file = "INSERT INTO files VALUES (NULL, 'abc', 'a.jsonl', 'f', 'request', 1, 1, 1)"
    try store.db.execute(file)
    #expect(throws: SQLiteError.self) { try store.db.execute(file) }
    let row = """
      INSERT INTO usage (key_hash, natural_key, provider, file_id, ts, model, tier, input, cached_input,
        cache_write_5m, cache_write_1h, output, web_search, requests, failed)
      VALUES (1234, 'openai:r1', 'openai', 1, 0, 'm', 'standard', 1, 0, 0, 0, 1, 0, 1, 0)
      """
    try store.db.execute(row)
    #expect(throws: SQLiteError.self) { try store.db.execute(row) }
    #expect(try store.recordCount() == 1)
  }

  @Test func aStoreFromANewerVersionIsRefusedAndLeftAlone() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    let newer = Schema.currentVersion + 1
    do {
      let db = try Database(path: path)
      try db.execute("PRAGMA user_version = \(newer)")
      try db.close()
    }
    do {
      _ = try UsageStore(path: path)
      Issue.record("a store of version \(newer) was opened")
    } catch let StoreError.newerSchema(p, found, supported) {
      #expect(p == path)
      #expect(found == newer)
      #expect(supported == Schema.currentVersion)
    }
    let error = StoreError.newerSchema(path: path, found: newer, supported: Schema.currentVersion)
    #expect(error.exitStatus == 65)
    #expect(error.description.hasPrefix(path + ": store schema version \(newer) is newer"))
    // Nothing was created or changed.
    let db = try Database(path: path)
    defer { try? db.close() }
    #expect(try userVersion(db) == newer)
    #expect(try objects(db, "table").isEmpty)
  }

  @Test func migratingTwiceIsANoOp() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    do {
      let store = try UsageStore(path: path)
      try store.db.execute("INSERT INTO files VALUES (NULL, 'abc', 'a.jsonl', 'f', 'request', 10, 2, 2)")
      // Again on the same connection: no CREATE TABLE is run twice, nothing is lost.
      try Schema.migrate(store.db)
      #expect(try userVersion(store.db) == Schema.currentVersion)
      #expect(try store.files().map(\.sha256) == ["abc"])
      try store.close()
    }
    // And again by opening the store anew.
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    #expect(try userVersion(store.db) == Schema.currentVersion)
    #expect(try store.files().map(\.path) == ["a.jsonl"])
    #expect(
      try objects(store.db, "table") == [
        "conflicts", "export_pages", "file_stamps", "files", "names", "period_totals", "settings", "skipped_files",
        "trace_spans", "usage",
      ])
  }

  /// A store written by the first version (SPEC §8: ours, migrated on first use, never refused):
  /// its rows survive and read back with the new columns empty.
  @Test func aVersionOneStoreIsMigratedWithItsRows() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    do {
      let db = try Database(path: path)
      try db.execute(Schema.migrations[0])
      try db.execute("PRAGMA user_version = 1")
      try db.execute("INSERT INTO files VALUES (NULL, 'abc', 'a.jsonl', 'bedrock-invocation-log', 'request', 10, 1, 1)")
      try db.execute(
        """
        INSERT INTO usage (key_hash, natural_key, provider, file_id, ts, model, tier, input, cached_input,
          cache_write_5m, cache_write_1h, output, web_search, requests, failed, credential)
        VALUES (X'\(Self.hex(KeyHash.of("bedrock:r1")))', 'bedrock:r1', 'bedrock', 1, 1000, 'm', 'standard', 7, 0, 0,
          0, 3, 0, 1, 0, 'arn:x')
        """)
      try db.close()
    }
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    #expect(try userVersion(store.db) == Schema.currentVersion)
    var seen: [UsageRecordSummary] = []
    try store.forEachRecord(from: 0, to: 10_000) {
      seen.append(
        UsageRecordSummary(key: $0.record.naturalKey, input: $0.record.tokens.input, alias: $0.record.credentialAlias))
      // Stored as text before schema 8: read as text.
      #expect($0.record.credential == "arn:x")
      #expect($0.record.model == "m")
    }
    #expect(seen == [UsageRecordSummary(key: "bedrock:r1", input: 7, alias: nil)])
    // Its 16-byte key became the integer of its first 8 bytes (schema 9), found by its request id.
    #expect(try store.record(matching: "r1")?.record.tokens.input == 7)
    #expect(
      try store.db.scalarInt("SELECT key_hash FROM usage") == KeyHash.slot(KeyHash.of("bedrock:r1")))
  }

  static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

private struct UsageRecordSummary: Equatable {
  var key: String
  var input: Int64
  var alias: String?
}
