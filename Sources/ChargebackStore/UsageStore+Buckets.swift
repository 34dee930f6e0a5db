import ChargebackModel

/// One distinct time bucket of report-level rows, with the values that group them for the
/// bucket-width rule.
package struct ReportBucket: Sendable, Hashable {
  package init(
    provider: Provider, subject: String, tier: Tier, contextWindow: String?, model: String, start: Int64, end: Int64,
    format: String = ""
  ) {
    self.format = format
    self.provider = provider
    self.subject = subject
    self.tier = tier
    self.contextWindow = contextWindow
    self.model = model
    self.start = start
    self.end = end
  }

  package var provider: Provider
  /// The credential, else `project:<project>`, else empty (``ReportBucket/subject(of:)``).
  package var subject: String
  package var tier: Tier
  package var contextWindow: String?
  /// The model as stored (raw).
  package var model: String
  /// Bucket start and end (exclusive), UTC epoch ms.
  package var start: Int64
  package var end: Int64
  /// The format of the files its rows came from (a bucket of two formats is listed once for each).
  package var format: String

  /// Whom a report row's usage belongs to: its credential, else its project, else no one.
  package static func subject(of r: UsageRecord) -> String {
    r.credential ?? r.project.map { "project:" + $0 } ?? ""
  }
}

/// A report row's natural key, bucket and file (``ChargebackStore/reportKeys(from:to:formats:_:)``).
package struct ReportRowKey: Sendable, Hashable {
  package var format: String
  package var start: Int64
  package var end: Int64
  package var path: String
  package var naturalKey: String

  package init(format: String, start: Int64, end: Int64, path: String, naturalKey: String) {
    (self.format, self.start, self.end, self.path, self.naturalKey) = (format, start, end, path, naturalKey)
  }

  /// The SQL of the query, the same for both stores but for the table, the values' spelling
  /// (`from`, `to` and the formats' ids, each as given) and the paths' order, bytewise in both
  /// (`path`: SQLite's is by default, PostgreSQL's needs `COLLATE "C"`), so that the warnings name
  /// the same files.
  package static func query(table: String, from: String, to: String, formats: [String], path: String) -> String {
    """
    SELECT f.format, u.ts, u.bucket_end, f.path, u.natural_key
    FROM \(table) u JOIN files f ON f.id = u.file_id
    WHERE u.ts >= \(from) AND u.ts < \(to) AND u.bucket_end > u.ts AND f.level = 'report'
      AND f.format IN (\(formats.joined(separator: ", ")))
    ORDER BY f.format, u.ts, u.bucket_end, \(path)
    """
  }
}

/// A gateway's call that the provider's own log has too, under another request id: the proxy
/// calls the provider with credentials whose calls the provider logs, and both logs are in
/// `--usage` (a trial: a LiteLLM row routed to Bedrock beside the same call's invocation log,
/// charged twice without a word; the request ids of the two never match).
///
/// Counted, not dropped: a signature (provider, UTC day, input and output tokens) met on both
/// sides is a likely copy, never a proof. Per signature the smaller of the two sides' counts.
package enum GatewayEcho {
  /// The gateways' formats, and the providers' own request logs.
  package static let gateways = ["litellm-spend-logs", "azure-apim-llm-log"]
  package static let providerLogs = ["bedrock-invocation-log", "vertex-generate-content"]

  /// How many of the two kinds (gateway, provider log) the store holds files of: the query runs at 2.
  package static let presence =
    "SELECT count(DISTINCT format IN (\(list(gateways)))) FROM files WHERE format IN (\(list(gateways + providerLogs)))"

  private static func list(_ formats: [String]) -> String { formats.map { "'\($0)'" }.joined(separator: ", ") }

  /// The query, the same for both stores but for `least` and its parameters' spelling.
  ///
  /// `least` is SQLite's `min`, PostgreSQL's `LEAST`. A gateway's call whose request id the provider's log has is the same call, charged once
  /// already (``ChargebackStore/crossFormatDuplicates(from:to:)``): left out.
  package static func query(least: String, from: String, to: String) -> String {
    let inRange = "u.ts >= \(from) AND u.ts < \(to)"
    func side(_ formats: [String], matched: String = "") -> String {
      """
      SELECT u.provider AS p, u.ts / 86400000 AS d,
        u.input + u.cached_input + u.cache_write_5m + u.cache_write_1h AS i, u.output AS o, count(*) AS n
      FROM usage u JOIN files f ON f.id = u.file_id\(matched)
      WHERE f.level = 'request' AND f.format IN (\(list(formats)))
        AND \(inRange) AND u.input + u.cached_input + u.output > 0\(matched.isEmpty ? "" : " AND x.r IS NULL")
      GROUP BY 1, 2, 3, 4
      """
    }
    let ids = """

      LEFT JOIN (SELECT DISTINCT u.provider AS p, u.request_id AS r FROM usage u JOIN files f ON f.id = u.file_id
        WHERE f.format IN (\(list(providerLogs))) AND u.request_id IS NOT NULL AND \(inRange)) x
        ON x.p = u.provider AND x.r = u.request_id
      """
    return """
      SELECT CAST(coalesce(sum(\(least)(g.n, l.n)), 0) AS BIGINT) FROM (\(side(gateways, matched: ids))) g
      JOIN (\(side(providerLogs))) l ON l.p = g.p AND l.d = g.d AND l.i = g.i AND l.o = g.o
      """
  }
}

extension UsageStore {
  package func gatewayEchoes(from: Int64, to: Int64) throws -> Int64 {
    let present = try db.scalarInt(GatewayEcho.presence) ?? 0
    guard present == 2 else { return 0 }
    return try db.scalarInt(GatewayEcho.query(least: "min", from: "?1", to: "?2"), [.int(from), .int(to)]) ?? 0
  }

  package func reportKeys(from: Int64, to: Int64, formats: [String], _ body: (ReportRowKey) throws -> Void) throws {
    guard !formats.isEmpty else { return }
    let st = try db.prepare(
      ReportRowKey.query(
        table: "usage_text", from: "?1", to: "?2", formats: formats.indices.map { "?\($0 + 3)" }, path: "f.path"))
    try st.bind(1, from)
    try st.bind(2, to)
    for (i, f) in formats.enumerated() { try st.bind(Int32(i + 3), f) }
    while try st.step() {
      try body(
        ReportRowKey(
          format: st.text(0) ?? "", start: st.int64(1), end: st.int64(2), path: st.text(3) ?? "",
          naturalKey: st.text(4) ?? ""))
    }
  }

  /// The distinct buckets of report-level rows that start in `[from, to)` and have an end after
  /// their start, ordered by provider, subject, tier, context window, model, start and end.
  ///
  /// Memory: SQLite's grouping of the distinct buckets; one row at a time here.
  /// - Complexity: one scan of the range through the time index.
  package func reportBuckets(from: Int64, to: Int64, _ body: (ReportBucket) throws -> Void) throws {
    let st = try db.prepare(
      """
      SELECT u.provider,
        CASE WHEN u.credential IS NOT NULL THEN u.credential
             WHEN u.project IS NOT NULL THEN 'project:' || u.project ELSE '' END,
        u.tier, coalesce(u.context_window, ''), coalesce(u.model, ''), u.ts, u.bucket_end, f.format
      FROM usage_text u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= ? AND u.ts < ? AND u.bucket_end > u.ts AND f.level = 'report'
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    while try st.step() {
      let window = st.text(3) ?? ""
      try body(
        ReportBucket(
          provider: Provider(rawValue: st.text(0) ?? "") ?? .openai, subject: st.text(1) ?? "",
          tier: Tier(rawValue: st.text(2) ?? "") ?? .standard, contextWindow: window.isEmpty ? nil : window,
          model: st.text(4) ?? "", start: st.int64(5), end: st.int64(6), format: st.text(7) ?? ""))
    }
  }
}
