import ChargebackModel

/// A conflicting duplicate as stored: the conflict and the row id of the kept copy.
package struct StoredConflict: Sendable {
  package init(keptID: Int64, conflict: DuplicateConflict) {
    self.keptID = keptID
    self.conflict = conflict
  }

  /// Row id of the kept (first stored) copy in `usage`.
  package var keptID: Int64
  package var conflict: DuplicateConflict
}

extension UsageStore {
  /// The columns ``decodeStoredContent(_:like:)`` reads: a stored record's id and content.
  static let storedContentSQL = """
    SELECT u.id, u.natural_key, u.ts, u.model, u.tier, u.context_window, u.input, u.cached_input,
      u.cache_write_5m, u.cache_write_1h, u.output, u.web_search, u.requests, u.failed, u.billed_pico,
      u.provider, u.request_id
    FROM usage_text u
    """

  /// The stored copy's id and content, as a record shaped like `r` (provider, level and format are
  /// taken from `r`: they are not content).
  static func decodeStoredContent(_ st: Statement, like r: UsageRecord) -> (id: Int64, record: UsageRecord) {
    var stored = UsageRecord(
      provider: r.provider, level: r.level, format: r.format,
      // Made whole from the stored row, so that the caller's check against a hash collision holds.
      naturalKey: naturalKey(stored: st.text(1), provider: st.text(15), requestID: st.text(16)), time: st.int64(2),
      model: st.text(3) ?? "", tier: Tier(rawValue: st.text(4) ?? "") ?? .standard, contextWindow: st.text(5),
      tokens: TokenCounts(
        input: st.int64(6), cachedInput: st.int64(7), cacheWrite5m: st.int64(8), cacheWrite1h: st.int64(9),
        output: st.int64(10), webSearch: st.int64(11)),
      requests: st.int64(12), failed: st.int64(13) != 0)
    stored.billed = st.optionalInt64(14).map { Money(pico: Int128($0)) }
    return (st.int64(0), stored)
  }

  /// The conflicting duplicates whose kept copy's time is in `[from, to)` (UTC epoch ms), by natural
  /// key, then in the order they were found.
  package func conflicts(from: Int64, to: Int64) throws -> [StoredConflict] {
    // Driven from the conflicts (`CROSS JOIN` keeps them the outer loop in SQLite): left to the
    // planner, it walked every record of the period through the time index to probe for a
    // conflict, a full scan of the month on every report for a table that is usually empty.
    let st = try db.prepare(
      """
      SELECT c.kept_id, c.natural_key, u.request_id, kf.path, u.line, u.json_path, rf.path, c.line, c.json_path,
        c.differences, kf.sha256, rf.sha256
      FROM conflicts c CROSS JOIN usage u ON u.id = c.kept_id JOIN files kf ON kf.id = u.file_id
        JOIN files rf ON rf.id = c.file_id
      WHERE u.ts >= ? AND u.ts < ? ORDER BY c.natural_key, c.id
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    var out: [StoredConflict] = []
    while try st.step() {
      let conflict = DuplicateConflict(
        naturalKey: st.text(1) ?? "", requestID: st.text(2),
        kept: .init(
          path: st.text(3) ?? "", line: st.optionalInt64(4).map { Int($0) }, jsonPath: st.text(5), sha256: st.text(10)),
        other: .init(
          path: st.text(6) ?? "", line: st.optionalInt64(7).map { Int($0) }, jsonPath: st.text(8), sha256: st.text(11)),
        differences: ConflictText.decode(st.text(9) ?? ""))
      out.append(StoredConflict(keptID: st.int64(0), conflict: conflict))
    }
    return out
  }

  /// Number of conflicting duplicates recorded in the store.
  package func conflictCount() throws -> Int64 {
    try db.scalarInt("SELECT count(*) FROM conflicts") ?? 0
  }
}

/// The `conflicts.differences` text: one `field<TAB>kept<TAB>other` line per differing field, with
/// `\`, tab and newline escaped in values.
package enum ConflictText {
  package static func encode(_ differences: [DuplicateConflict.Difference]) -> String {
    differences.map { [escape($0.field), escape($0.kept), escape($0.other)].joined(separator: "\t") }
      .joined(separator: "\n")
  }

  package static func decode(_ text: String) -> [DuplicateConflict.Difference] {
    text.split(separator: "\n").compactMap { line in
      let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
      guard parts.count == 3 else { return nil }
      return DuplicateConflict.Difference(field: parts[0], kept: parts[1], other: parts[2])
    }
  }

  private static func escape(_ s: String) -> String {
    var out = String.UnicodeScalarView()
    for c in s.unicodeScalars {
      switch c {
      case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
      case "\t": out.append(contentsOf: "\\t".unicodeScalars)
      case "\n": out.append(contentsOf: "\\n".unicodeScalars)
      case "\r": out.append(contentsOf: "\\r".unicodeScalars)
      default: out.append(c)
      }
    }
    return String(out)
  }

  private static func unescape(_ s: String) -> String {
    var out = String.UnicodeScalarView()
    var escaped = false
    for c in s.unicodeScalars {
      if escaped {
        switch c {
        case "t": out.append("\t")
        case "n": out.append("\n")
        case "r": out.append("\r")
        default: out.append(c)
        }
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else {
        out.append(c)
      }
    }
    return String(out)
  }
}
