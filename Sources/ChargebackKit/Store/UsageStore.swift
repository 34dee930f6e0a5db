/// The store of usage records: what ingest writes and every later stage reads (SPEC §8).
package final class UsageStore {
  /// The underlying database.
  package let db: Database

  /// Opens (and migrates) the store at `path`.
  package init(path: String) throws {
    db = try Database(path: path)
    try Schema.migrate(db)
  }

  /// Closes the store.
  package func close() throws { try db.close() }

  /// True when a file with this content hash was ingested before.
  package func hasFile(sha256: String) throws -> Bool {
    try db.scalarInt("SELECT 1 FROM files WHERE sha256 = ?", [.text(sha256)]) != nil
  }

  /// Summary of one ingested file.
  package struct FileEntry: Sendable, Hashable {
    package var sha256: String
    package var path: String
    package var format: String
    package var level: String
    package var bytes: Int64
    package var records: Int64
    package var newRecords: Int64
  }

  /// Every file in the store, by path then hash.
  package func files() throws -> [FileEntry] {
    let st = try db.prepare(
      "SELECT sha256, path, format, level, bytes, records, new_records FROM files ORDER BY path, sha256")
    var out: [FileEntry] = []
    while try st.step() {
      out.append(
        FileEntry(
          sha256: st.text(0) ?? "", path: st.text(1) ?? "", format: st.text(2) ?? "",
          level: st.text(3) ?? "", bytes: st.int64(4), records: st.int64(5), newRecords: st.int64(6)))
    }
    return out
  }

  /// Number of usage records in the store.
  package func recordCount() throws -> Int64 {
    try db.scalarInt("SELECT count(*) FROM usage") ?? 0
  }

  /// Opens a writer for one file's records; the caller wraps it in a transaction.
  func writer(fileSHA256: String) throws -> UsageWriter {
    try UsageWriter(db: db, fileSHA256: fileSHA256)
  }

  /// Records the file once its records are written.
  func recordFile(_ entry: FileEntry) throws {
    let st = try db.prepare(
      "INSERT INTO files(sha256, path, format, level, bytes, records, new_records) VALUES (?,?,?,?,?,?,?)")
    try st.bind([
      .text(entry.sha256), .text(entry.path), .text(entry.format), .text(entry.level),
      .int(entry.bytes), .int(entry.records), .int(entry.newRecords),
    ])
    try st.run()
  }
}

/// Inserts records of one file with one reused prepared statement; duplicates by natural key are
/// ignored, which makes re-ingesting the same data a no-op.
final class UsageWriter {
  private let statement: Statement
  private let db: Database
  private let fileSHA256: String
  /// Records offered.
  private(set) var offered: Int64 = 0
  /// Records that were new to the store.
  private(set) var inserted: Int64 = 0

  init(db: Database, fileSHA256: String) throws {
    self.db = db
    self.fileSHA256 = fileSHA256
    statement = try db.prepare(
      """
      INSERT INTO usage(natural_key, provider, level, format, file_sha256, line, json_path, ts,
        bucket_end, request_id, credential, project, model, tier, context_window, input, cached_input,
        cache_write_5m, cache_write_1h, output, web_search, requests, failed, error_code, agent_id,
        task_id, scope_id, parent_id)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      ON CONFLICT(natural_key) DO NOTHING
      """, persistent: true)
  }

  /// Inserts one record (or ignores it when its natural key is already stored).
  func insert(_ r: UsageRecord) throws {
    let s = statement
    try s.bind(1, r.naturalKey)
    try s.bind(2, r.provider.rawValue)
    try s.bind(3, r.level.rawValue)
    try s.bind(4, r.format)
    try s.bind(5, fileSHA256)
    try s.bind(6, r.line.map(Int64.init))
    try s.bind(7, r.jsonPath)
    try s.bind(8, r.time)
    try s.bind(9, r.bucketEnd)
    try s.bind(10, r.requestID)
    try s.bind(11, r.credential)
    try s.bind(12, r.project)
    try s.bind(13, r.model)
    try s.bind(14, r.tier.rawValue)
    try s.bind(15, r.contextWindow)
    try s.bind(16, r.tokens.input)
    try s.bind(17, r.tokens.cachedInput)
    try s.bind(18, r.tokens.cacheWrite5m)
    try s.bind(19, r.tokens.cacheWrite1h)
    try s.bind(20, r.tokens.output)
    try s.bind(21, r.tokens.webSearch)
    try s.bind(22, r.requests)
    try s.bind(23, r.failed ? 1 : 0)
    try s.bind(24, r.errorCode)
    try s.bind(25, r.metadata.agentID)
    try s.bind(26, r.metadata.taskID)
    try s.bind(27, r.metadata.scopeID)
    try s.bind(28, r.metadata.parentID)
    try s.run()
    offered += 1
    inserted += Int64(db.changes)
  }
}
