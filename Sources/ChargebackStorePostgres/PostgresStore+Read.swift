import ChargebackModel
import ChargebackStore

/// The report's reads (docs/postgres.md §6): SQLite's queries with `$n` parameters, sums cast back
/// to `bigint`, and the same `ORDER BY` wherever the order reaches an output.
extension PostgresStore {
  /// Calls `body` with each record in `[from, to)`, in (ts, id) order.
  ///
  /// Streams through a cursor inside the snapshot, 10,000 rows a fetch: bounded memory, and the
  /// connection is free between fetches. The bounds are integer literals (Citus takes no cursor
  /// parameters).
  /// The same for the report's own period: a cursor needs no more memory for it.
  package func forEachRecord(
    from: Int64, to: Int64, mainPass: Bool, _ body: (consuming StoredRecord) throws -> Void
  ) throws {
    try forEachRecord(from: from, to: to, body)
  }

  package func forEachRecord(from: Int64, to: Int64, _ body: (consuming StoredRecord) throws -> Void) throws {
    try snapshot {
      try c.execute(
        "DECLARE chargeback_pass NO SCROLL CURSOR FOR " + StoreQueries.recordColumns
          + " WHERE u.ts >= \(from) AND u.ts < \(to) ORDER BY u.ts, u.id")
      while true {
        let rows = try c.rows("FETCH FORWARD 10000 FROM chargeback_pass")
        for r in rows { try body(decodeRecord(r)) }
        if rows.count < 10000 { break }
      }
      try c.execute("CLOSE chargeback_pass")
    }
  }

  package func record(id: Int64) throws -> StoredRecord? {
    try c.rows(StoreQueries.recordColumns + " WHERE u.id = $1", [.int(id)]).first.map(decodeRecord)
  }

  package func record(matching key: String) throws -> StoredRecord? {
    let candidates =
      [key] + ["bedrock", "openai", "anthropic", "azure", "vertex", "litellm", "otel"].map { $0 + ":" + key }
    let n = candidates.count
    let sql =
      StoreQueries.recordColumns + " WHERE u.key_hash IN (" + (1...n).map { "$\($0)" }.joined(separator: ",")
      + ") AND u.natural_key IN (" + (n + 1...2 * n).map { "$\($0)" }.joined(separator: ",") + ") ORDER BY u.id LIMIT 1"
    if let found = try c.rows(sql, candidates.map(Self.hash) + candidates.map { .text($0) }).first {
      return try decodeRecord(found)
    }
    // A request id inside a natural key of another shape (an OTel span's response id): scanned,
    // as in the SQLite store.
    let scan = StoreQueries.recordColumns + " WHERE u.request_id = $1 ORDER BY u.id LIMIT 1"
    return try c.rows(scan, [.text(key)]).first.map(decodeRecord)
  }

  /// The record of one row; one outside ``Bounds`` is an error, as in the SQLite store.
  func decodeRecord(_ r: PGRow) throws -> StoredRecord {
    let tokens = TokenCounts(
      input: r.int64(14), cachedInput: r.int64(15), cacheWrite5m: r.int64(16), cacheWrite1h: r.int64(17),
      output: r.int64(18), webSearch: r.int64(19))
    var record = UsageRecord(
      provider: Provider(rawValue: r.text(2) ?? "") ?? .openai,
      level: SourceLevel(rawValue: r.text(3) ?? "") ?? .request, format: r.text(4) ?? "",
      naturalKey: r.text(5) ?? "", requestID: r.text(6), time: r.int64(7), bucketEnd: r.optionalInt64(8),
      credential: r.text(9), project: r.text(10), model: r.text(11) ?? "",
      tier: Tier(rawValue: r.text(12) ?? "") ?? .standard, contextWindow: r.text(13), tokens: tokens,
      requests: r.int64(20), failed: r.int64(21) != 0, errorCode: r.text(22),
      metadata: CallMetadata(agentID: r.text(23), taskID: r.text(24), scopeID: r.text(25), parentID: r.text(26)),
      line: r.optionalInt64(27).map { Int($0) }, jsonPath: r.text(28))
    record.credentialProvider = r.text(29)
    record.traceID = r.text(30)
    record.spanID = r.text(31)
    record.promptHash = r.text(32)
    record.retries = r.optionalInt64(33)
    record.billed = r.optionalInt64(34).map { Money(pico: Int128($0)) }
    record.lineItem = r.text(35)
    record.agentPath = r.text(36)
    record.credentialAlias = r.text(37)
    record.provisioned = r.int64(38) == 1
    if let (field, message) = record.countsViolation {
      throw StoreError.outOfBounds(path: url.shown, id: r.int64(0), field: field, message: message)
    }
    return StoredRecord(id: r.int64(0), fileID: r.int64(1), record: record)
  }

  package func requestTotals(from: Int64, to: Int64, longContextAbove: Int64, _ body: (RequestTotal) throws -> Void)
    throws
  {
    let rows = try c.rows(
      """
      SELECT u.provider, u.credential, u.model, u.tier, u.ts / 86400000 AS day, sum(u.input)::bigint,
        sum(u.cached_input)::bigint, sum(u.cache_write_5m)::bigint, sum(u.cache_write_1h)::bigint,
        sum(u.output)::bigint, sum(u.web_search)::bigint, sum(u.requests)::bigint,
        (u.input + u.cached_input + u.cache_write_5m + u.cache_write_1h) > $1 AS long
      FROM usage u JOIN files f ON f.id = u.file_id
      WHERE f.level = 'request' AND u.ts >= $2 AND u.ts < $3 AND u.credential IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 13
      """, [.int(longContextAbove), .int(max(from, 0)), .int(to)])
    for r in rows {
      try body(
        RequestTotal(
          provider: Provider(rawValue: r.text(0) ?? "") ?? .openai, credential: r.text(1) ?? "",
          model: r.text(2) ?? "", tier: Tier(rawValue: r.text(3) ?? "") ?? .standard, day: r.int64(4),
          tokens: TokenCounts(
            input: r.int64(5), cachedInput: r.int64(6), cacheWrite5m: r.int64(7), cacheWrite1h: r.int64(8),
            output: r.int64(9), webSearch: r.int64(10)),
          requests: r.int64(11), longContext: r.int64(12) != 0))
    }
  }

  package func identitiesSeen(before: Int64, _ body: (UsageRecord) throws -> Void) throws {
    let rows = try c.rows(
      """
      SELECT provider, credential_provider, credential, project, agent_id, max(ts), credential_alias FROM usage
      WHERE ts < $1 GROUP BY 1, 2, 3, 4, 5, 7
      """, [.int(before)])
    for r in rows {
      var record = UsageRecord(
        provider: Provider(rawValue: r.text(0) ?? "") ?? .openai, level: .request, format: "", naturalKey: "",
        time: r.int64(5), credential: r.text(2), project: r.text(3), model: "", tokens: TokenCounts(),
        metadata: CallMetadata(agentID: r.text(4)))
      record.credentialProvider = r.text(1)
      record.credentialAlias = r.text(6)
      try body(record)
    }
  }

  package func gatewayEchoes(from: Int64, to: Int64) throws -> Int64 {
    let present = try c.scalarInt(GatewayEcho.presence) ?? 0
    guard present == 2 else { return 0 }
    return try c.scalarInt(GatewayEcho.query(least: "LEAST", from: "$1", to: "$2"), [.int(from), .int(to)]) ?? 0
  }

  package func crossFormatDuplicates(from: Int64, to: Int64) throws -> Set<Int64> {
    // As the SQLite store's: OTel spans of one call traced twice are one format's two records.
    let otel = try c.scalarInt("SELECT count(*) FROM files WHERE format = 'otel-genai-spans'") ?? 0 > 0
    guard try otel || c.scalarInt("SELECT count(DISTINCT format) FROM files WHERE level = 'request'") ?? 0 > 1 else {
      return []
    }
    let formats =
      try c.scalarInt(
        """
        SELECT max(n) FROM (SELECT count(DISTINCT f.format) AS n FROM usage u JOIN files f ON f.id = u.file_id
          WHERE f.level = 'request' AND u.ts >= $1 AND u.ts < $2 GROUP BY u.provider) x
        """, [.int(from), .int(to)]) ?? 0
    // A gateway's log and a trace (or two gateways, or two instrumentations) may name other
    // providers for one call: only when the period's rows of them name two providers or more.
    let relays =
      try c.scalarInt(DuplicateCalls.relayPresence) ?? 0 > 0
      && c.scalarInt(DuplicateCalls.relayProviders(from: "$1", to: "$2"), [.int(from), .int(to)]) ?? 0 > 1
    var queries: [String] = []
    if otel || formats > 1 { queries.append(DuplicateCalls.sameProvider(from: "$1", to: "$2")) }
    if relays { queries.append(DuplicateCalls.acrossProviders(from: "$1", to: "$2")) }
    var out = Set<Int64>()
    for query in queries {
      for row in try c.rows(query, [.int(from), .int(to)]) { out.insert(row.int64(0)) }
    }
    return out
  }

  package func reportBuckets(from: Int64, to: Int64, _ body: (ReportBucket) throws -> Void) throws {
    let rows = try c.rows(
      """
      SELECT u.provider,
        CASE WHEN u.credential IS NOT NULL THEN u.credential
             WHEN u.project IS NOT NULL THEN 'project:' || u.project ELSE '' END,
        u.tier, coalesce(u.context_window, ''), coalesce(u.model, ''), u.ts, u.bucket_end, f.format
      FROM usage u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= $1 AND u.ts < $2 AND u.bucket_end > u.ts AND f.level = 'report'
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
      """, [.int(from), .int(to)])
    for r in rows {
      let window = r.text(3) ?? ""
      try body(
        ReportBucket(
          provider: Provider(rawValue: r.text(0) ?? "") ?? .openai, subject: r.text(1) ?? "",
          tier: Tier(rawValue: r.text(2) ?? "") ?? .standard, contextWindow: window.isEmpty ? nil : window,
          model: r.text(4) ?? "", start: r.int64(5), end: r.int64(6), format: r.text(7) ?? ""))
    }
  }

  /// Streams the report rows' keys through a cursor, as ``forEachRecord(from:to:_:)`` does.
  ///
  /// One bucket's rows at a time reach ``ReportRowKey``'s reader, never the month's. The values are literals (Citus takes no
  /// cursor parameters); the formats are the tool's own ids, quoted.
  package func reportKeys(from: Int64, to: Int64, formats: [String], _ body: (ReportRowKey) throws -> Void) throws {
    guard !formats.isEmpty else { return }
    let quoted = formats.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
    try snapshot {
      try c.execute(
        "DECLARE chargeback_report_keys NO SCROLL CURSOR FOR "
          + ReportRowKey.query(
            table: "usage", from: String(from), to: String(to), formats: quoted, path: "f.path COLLATE \"C\""))
      while true {
        let rows = try c.rows("FETCH FORWARD 10000 FROM chargeback_report_keys")
        for r in rows {
          try body(
            ReportRowKey(
              format: r.text(0) ?? "", start: r.int64(1), end: r.int64(2), path: r.text(3) ?? "",
              naturalKey: r.text(4) ?? ""))
        }
        if rows.count < 10000 { break }
      }
      try c.execute("CLOSE chargeback_report_keys")
    }
  }

  package func conflicts(from: Int64, to: Int64) throws -> [StoredConflict] {
    try c.rows(
      """
      SELECT c.kept_id, c.natural_key, u.request_id, kf.path, u.line, u.json_path, rf.path, c.line, c.json_path,
        c.differences, kf.sha256, rf.sha256
      FROM conflicts c JOIN usage u ON u.id = c.kept_id JOIN files kf ON kf.id = u.file_id
        JOIN files rf ON rf.id = c.file_id
      WHERE u.ts >= $1 AND u.ts < $2 ORDER BY c.natural_key, c.id
      """, [.int(from), .int(to)]
    ).map { r in
      let conflict = DuplicateConflict(
        naturalKey: r.text(1) ?? "", requestID: r.text(2),
        kept: .init(
          path: r.text(3) ?? "", line: r.optionalInt64(4).map { Int($0) }, jsonPath: r.text(5), sha256: r.text(10)),
        other: .init(
          path: r.text(6) ?? "", line: r.optionalInt64(7).map { Int($0) }, jsonPath: r.text(8), sha256: r.text(11)),
        differences: ConflictText.decode(r.text(9) ?? ""))
      return StoredConflict(keptID: r.int64(0), conflict: conflict)
    }
  }

  package func conflictCount() throws -> Int64 { try c.scalarInt("SELECT count(*) FROM conflicts") ?? 0 }

  package func hasUsage(from: Int64, to: Int64) throws -> Bool {
    try !c.rows(
      """
      SELECT 1 FROM usage u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= $1 AND u.ts < $2 AND f.level <> 'cost' LIMIT 1
      """, [.int(from), .int(to)]
    ).isEmpty
  }

  package func recordCount(from: Int64, to: Int64) throws -> Int64 {
    try c.scalarInt("SELECT count(*) FROM usage WHERE ts >= $1 AND ts < $2", [.int(from), .int(to)]) ?? 0
  }

  package func distinctModels(provider: String, from: Int64, to: Int64) throws -> [String] {
    try c.rows(
      """
      SELECT DISTINCT u.model FROM usage u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= $1 AND u.ts < $2 AND u.provider = $3 AND f.level <> 'cost' ORDER BY u.model
      """, [.int(from), .int(to), .text(provider)]
    ).map { $0.text(0) ?? "" }
  }

  package func latestUsageTime(before: Int64) throws -> (start: Int64, end: Int64)? {
    // As SQLite's (``UsageStore/latestUsageTime(before:)``): a report row runs to its bucket's end.
    let rows = try c.rows(
      """
      WITH latest(t) AS (
        SELECT max(u.ts) FROM usage u JOIN files f ON f.id = u.file_id WHERE f.level <> 'cost' AND u.ts < $2)
      SELECT (SELECT t FROM latest), max(coalesce(u.bucket_end, u.ts)) FROM usage u JOIN files f ON f.id = u.file_id
      WHERE f.level <> 'cost' AND u.ts >= (SELECT t FROM latest) - $1 AND u.ts < $2
      """, [.int(UsageStore.widestBucket), .int(before)])
    guard let r = rows.first, !r.isNull(0) else { return nil }
    let start = r.int64(0)
    return (start, max(start, r.isNull(1) ? start : r.int64(1)))
  }

  // MARK: Traces

  package func spans(ofTrace traceID: String) throws -> [TraceSpan] {
    try c.rows(
      """
      SELECT span_id, parent_span_id, model_call, invoked_agent, agent_id, task_id, conversation_id, scope_id,
        credential, res_agent_id, res_task_id, res_conversation_id, res_scope_id, res_credential
      FROM trace_spans WHERE trace_hash = $1 AND trace_id = $2 ORDER BY span_id
      """, [Self.hash(traceID), .text(traceID)]
    ).map { r in
      func context(_ base: Int) -> TraceSpan.Context {
        TraceSpan.Context(
          agentID: r.text(base), taskID: r.text(base + 1), conversationID: r.text(base + 2),
          scopeID: r.text(base + 3), credential: r.text(base + 4))
      }
      return TraceSpan(
        traceID: traceID, spanID: r.text(0) ?? "", parentSpanID: r.text(1), isModelCall: r.int64(2) != 0,
        invokedAgent: r.text(3), own: context(4), resource: context(9))
    }
  }

  package func setInherited(traceID: String, _ calls: [(spanID: String, context: TraceInheritance)]) throws {
    for (spanID, ctx) in calls {
      let key = "otel:\(traceID):\(spanID)"
      try c.execute(
        """
        UPDATE usage SET agent_id = $1, task_id = $2, scope_id = $3, credential = $4, agent_path = $5
        WHERE key_hash = $6 AND natural_key = $7
        """,
        [
          ctx.agentID.map(PGValue.text) ?? .null, ctx.taskID.map(PGValue.text) ?? .null,
          ctx.scopeID.map(PGValue.text) ?? .null, ctx.credential.map(PGValue.text) ?? .null,
          ctx.agentPath.map(PGValue.text) ?? .null, Self.hash(key), .text(key),
        ])
    }
  }

  package func spanFiles(from: Int64, to: Int64) throws -> Set<Int64> {
    Set(
      try c.rows(
        """
        SELECT DISTINCT s.file_id FROM trace_spans s
        WHERE s.trace_id IN (SELECT DISTINCT trace_id FROM usage WHERE ts >= $1 AND ts < $2 AND trace_id IS NOT NULL)
        """, [.int(from), .int(to)]
      ).map { $0.int64(0) })
  }
}

extension PostgresStore {
  /// Keeps the API pages of a file (inside its load's or its skip's transaction); pages of the same
  /// bytes kept before are left as they are.
  package func addPages(_ pages: [ExportPage], sha256: String, format: String, path: String) throws {
    for p in pages {
      try c.execute(
        """
        INSERT INTO export_pages (sha256, page, format, path, first_start, last_end, bucket_width, has_more, next_page)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sha256, page) DO NOTHING
        """,
        [
          .text(sha256), .int(Int64(p.index)), .text(format), .text(path), p.start.map(PGValue.int) ?? .null,
          p.end.map(PGValue.int) ?? .null, p.bucketWidth.map(PGValue.int) ?? .null, .int(p.hasMore ? 1 : 0),
          p.nextPage.map(PGValue.text) ?? .null,
        ])
    }
  }

  /// Whether pages of these bytes are kept.
  package func hasPages(sha256: String) throws -> Bool {
    try !c.rows("SELECT 1 FROM export_pages WHERE sha256 = $1 LIMIT 1", [.text(sha256)]).isEmpty
  }

  /// Every kept API page with its format and path, by path, hash and page.
  package func exportPages() throws -> [StoredPage] {
    try c.rows(
      """
      SELECT page, first_start, last_end, has_more, next_page, format, path, bucket_width, sha256 FROM export_pages
      ORDER BY path, sha256, page
      """
    ).map { r in
      StoredPage(
        page: ExportPage(
          index: Int(r.int64(0)), start: r.isNull(1) ? nil : r.int64(1), end: r.isNull(2) ? nil : r.int64(2),
          bucketWidth: r.isNull(7) ? nil : r.int64(7), hasMore: r.int64(3) != 0, nextPage: r.text(4)),
        format: r.text(5) ?? "", path: r.text(6) ?? "", sha256: r.text(8) ?? "")
    }
  }
}
