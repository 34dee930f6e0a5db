import ChargebackIngest
import ChargebackModel
import ChargebackStore

/// Usage report rows of one bucket loaded from files fetched with different `group_by` values, or
/// in buckets that overlap without one holding the other: the same usage, likely, under natural
/// keys that never meet, so charged twice (two trials: the demo's OpenAI page beside the same
/// buckets grouped by project only, 2,115 requests charged as 4,230; a day's `1d` buckets from
/// midnight and again from 07:00).
///
/// Nothing is taken out of the charge: which file's rows are the month's is the user's call (a
/// query filtered to one project and grouped by model is other usage than one of another project
/// grouped by key), so the report warns, names the files and counts the buckets in the manifest.
///
/// Two files' rows of one bucket are taken for the same usage when their groupings differ and, in
/// every dimension both group by, they share a value (the same project, key or model): a query of
/// another project shares none. A dimension is grouped by in a file when one of its rows in the
/// bucket has it (the APIs give a dimension not grouped by as null; the key writes it `-`, or an
/// empty model).
///
/// Memory: the rows of one bucket of one format at a time, and the distinct buckets of a format.
struct ReportGroupings {
  /// The formats whose natural keys are their rows' group-by values after provider, kind, start
  /// and end, with those values' names in order.
  static let dimensions: [String: [String]] = [
    "openai-usage-completions": [
      "project_id", "user_id", "api_key_id", "model", "batch", "service_tier", "api_source",
    ],
    "openai-usage-embeddings": ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier", "api_source"],
    "anthropic-usage-report": [
      "api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed", "account_id",
      "service_account_id",
    ],
  ]

  /// One bucket grouped two ways: its format and start, and two of its files with their groupings.
  struct Twice: Sendable {
    var format: String
    var start: Int64
    var first: (path: String, dimensions: [String])
    var second: (path: String, dimensions: [String])
  }

  /// Buckets grouped two ways, and the first of them.
  private(set) var groupedTwice: Int64 = 0
  private(set) var firstGroupedTwice: Twice?
  /// Buckets of a format that overlap another of its buckets without either holding the other,
  /// and the first such pair (format, two spans, UTC epoch ms).
  private(set) var misaligned: Int64 = 0
  private(set) var firstMisaligned: (format: String, a: (Int64, Int64), b: (Int64, Int64))?

  /// Reads the report rows of the formats above that start in `[from, to)`.
  init(store: any ChargebackStore, from: Int64, to: Int64) throws {
    guard try store.fileCount(level: .report) > 0 else { return }
    var bucket: [ReportRowKey] = []
    var spans: [String: Set<Span>] = [:]
    // The dashboard's CSV rows, by the pages' format they copy and bucket: compared with the pages'
    // rows of their bucket (a review: a page grouped by key and a CSV grouped by model, both
    // charged, without a word). Memory: the period's CSV rows (dashboard downloads are small).
    var copies: [String: [ReportRowKey]] = [:]
    try store.reportKeys(from: from, to: to, formats: Self.copiedFormats.keys.sorted()) { k in
      var row = k
      row.format = Self.pagesFormat(of: k)
      copies["\(row.format)|\(row.start)|\(row.end)", default: []].append(row)
      spans[row.format, default: []].insert(Span(start: row.start, end: row.end))
    }
    func flush() {
      guard let first = bucket.first else { return }
      check(bucket + (copies.removeValue(forKey: "\(first.format)|\(first.start)|\(first.end)") ?? []))
      bucket.removeAll(keepingCapacity: true)
    }
    try store.reportKeys(from: from, to: to, formats: Self.dimensions.keys.sorted()) { k in
      if let first = bucket.first, (first.format, first.start, first.end) != (k.format, k.start, k.end) { flush() }
      bucket.append(k)
      spans[k.format, default: []].insert(Span(start: k.start, end: k.end))
    }
    flush()
    for key in copies.keys.sorted() { check(copies[key] ?? []) }
    for format in spans.keys.sorted() { checkOverlaps(format, spans[format] ?? []) }
  }

  /// Formats whose rows copy another's (same keys): the OpenAI usage dashboard's CSV.
  static let copiedFormats = ["openai-usage-csv": "openai-usage-"]

  /// The pages' format a copied row is of: completions, or embeddings by its key's kind.
  static func pagesFormat(of k: ReportRowKey) -> String {
    guard let prefix = copiedFormats[k.format] else { return k.format }
    let kind = KeyParts.split(k.naturalKey).dropFirst().first ?? nil
    return prefix + (kind == "usage-embeddings" ? "embeddings" : "completions")
  }

  private struct Span: Hashable, Comparable {
    var start: Int64
    var end: Int64
    static func < (a: Span, b: Span) -> Bool { (a.start, a.end) < (b.start, b.end) }
  }

  /// One bucket's rows: its files' groupings compared two by two.
  private mutating func check(_ rows: [ReportRowKey]) {
    guard let first = rows.first, let names = Self.dimensions[first.format] else { return }
    // Per file: the values of each dimension grouped by.
    var files: [String: [Int: Set<String>]] = [:]
    var order: [String] = []
    for r in rows {
      let parts = KeyParts.split(r.naturalKey).dropFirst(4)
      if files[r.path] == nil { order.append(r.path) }
      var dims = files[r.path] ?? [:]
      for (i, part) in parts.enumerated() where i < names.count {
        guard let value = part, !value.isEmpty else { continue }
        // `api_source=…` is written with its name (a grouping added later).
        dims[i, default: []].insert(value)
      }
      files[r.path] = dims
    }
    guard order.count > 1 else { return }
    for (i, a) in order.enumerated() {
      for b in order[(i + 1)...] {
        let (da, db) = (files[a] ?? [:], files[b] ?? [:])
        guard Set(da.keys) != Set(db.keys) else { continue }
        let shared = Set(da.keys).intersection(db.keys)
        guard shared.allSatisfy({ !(da[$0] ?? []).isDisjoint(with: db[$0] ?? []) }) else { continue }
        groupedTwice += 1
        if firstGroupedTwice == nil {
          firstGroupedTwice = Twice(
            format: first.format, start: first.start, first: (a, da.keys.sorted().map { names[$0] }),
            second: (b, db.keys.sorted().map { names[$0] }))
        }
        return
      }
    }
  }

  /// Counts the spans of `format` that overlap an earlier one without either holding the other.
  private mutating func checkOverlaps(_ format: String, _ spans: Set<Span>) {
    var reach: Span?
    for s in spans.sorted() {
      if let r = reach, s.start < r.end, s.end > r.end, s.start > r.start {
        misaligned += 1
        if firstMisaligned == nil { firstMisaligned = (format, (r.start, r.end), (s.start, s.end)) }
      }
      if reach.map({ s.end > $0.end }) ?? true { reach = s }
    }
  }

  /// The console's warnings, none when nothing was seen.
  var warnings: [String] {
    var out: [String] = []
    if let t = firstGroupedTwice {
      out.append(
        "\(groupedTwice) usage report bucket\(groupedTwice == 1 ? " was" : "s were") loaded from files grouped"
          + " differently, which likely hold the same usage and are both charged: \(t.format) from "
          + Timestamp.iso(t.start) + " in \(t.first.path) (grouped by \(Self.list(t.first.dimensions))) and in"
          + " \(t.second.path) (grouped by \(Self.list(t.second.dimensions))); keep the files of one grouping"
          + " in --usage, in a new store (docs/formats.md)")
    }
    if let m = firstMisaligned {
      out.append(
        "\(misaligned) usage report bucket\(misaligned == 1 ? "" : "s") of \(m.format) overlap another without"
          + " either holding the other (\(Timestamp.iso(m.a.0)) to \(Timestamp.iso(m.a.1)) and"
          + " \(Timestamp.iso(m.b.0)) to \(Timestamp.iso(m.b.1))): exports whose buckets start at other times;"
          + " their overlap is likely charged twice; fetch every export from midnight UTC (docs/formats.md)")
    }
    return out
  }

  private static func list(_ names: [String]) -> String { names.isEmpty ? "nothing" : names.joined(separator: ", ") }
}
