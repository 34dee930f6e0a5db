/// A record as stored, with its row id and provenance.
package struct StoredRecord: Sendable {
  /// Row id in this store (not stable across stores; the natural key is).
  package var id: Int64
  /// SHA-256 of the file it came from.
  package var fileSHA256: String
  /// The record.
  package var record: UsageRecord
}

extension UsageStore {
  /// Calls `body` with each record whose time is in `[from, to)` (UTC epoch ms), in time order,
  /// then by row id. Streams: one row in memory at a time.
  /// - Complexity: O(n) over the records in range, using the time index.
  package func forEachRecord(from: Int64, to: Int64, _ body: (StoredRecord) throws -> Void) throws {
    let st = try db.prepare(
      """
      SELECT id, file_sha256, provider, level, format, natural_key, request_id, ts, bucket_end,
        credential, project, model, tier, context_window, input, cached_input, cache_write_5m,
        cache_write_1h, output, web_search, requests, failed, error_code, agent_id, task_id,
        scope_id, parent_id, line, json_path
      FROM usage WHERE ts >= ? AND ts < ? ORDER BY ts, id
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    while try st.step() {
      try body(Self.decodeRow(st))
    }
  }

  /// The record with this natural key or provider request id, if stored.
  package func record(matching key: String) throws -> StoredRecord? {
    let st = try db.prepare(
      """
      SELECT id, file_sha256, provider, level, format, natural_key, request_id, ts, bucket_end,
        credential, project, model, tier, context_window, input, cached_input, cache_write_5m,
        cache_write_1h, output, web_search, requests, failed, error_code, agent_id, task_id,
        scope_id, parent_id, line, json_path
      FROM usage WHERE natural_key = ?1 OR request_id = ?1 ORDER BY id LIMIT 1
      """)
    try st.bind(1, key)
    return try st.step() ? Self.decodeRow(st) : nil
  }

  private static func decodeRow(_ st: Statement) -> StoredRecord {
    let tokens = TokenCounts(
      input: st.int64(14), cachedInput: st.int64(15), cacheWrite5m: st.int64(16),
      cacheWrite1h: st.int64(17), output: st.int64(18), webSearch: st.int64(19))
    let record = UsageRecord(
      provider: Provider(rawValue: st.text(2) ?? "") ?? .openai,
      level: SourceLevel(rawValue: st.text(3) ?? "") ?? .request, format: st.text(4) ?? "",
      naturalKey: st.text(5) ?? "", requestID: st.text(6), time: st.int64(7), bucketEnd: st.optionalInt64(8),
      credential: st.text(9), project: st.text(10), model: st.text(11) ?? "",
      tier: Tier(rawValue: st.text(12) ?? "") ?? .standard, contextWindow: st.text(13), tokens: tokens,
      requests: st.int64(20), failed: st.int64(21) != 0, errorCode: st.text(22),
      metadata: CallMetadata(agentID: st.text(23), taskID: st.text(24), scopeID: st.text(25), parentID: st.text(26)),
      line: st.optionalInt64(27).map { Int($0) }, jsonPath: st.text(28))
    return StoredRecord(id: st.int64(0), fileSHA256: st.text(1) ?? "", record: record)
  }
}
