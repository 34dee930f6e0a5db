import ChargebackModel
import Foundation

/// The CSV files OpenAI's usage dashboard exports (docs/formats.md, "OpenAI usage dashboard CSV"):
/// the Usage API's completions (or embeddings) rows and the Costs API's rows, one per line, with
/// each bucket's `start_time` and `end_time` (UTC epoch seconds), their ISO forms, and the counts
/// written as decimals (`59200.0`).
///
/// Why read them: they are what finance downloads from the dashboard; a trial's were refused as an
/// unknown format. Each row becomes the record the API's page row would (same key, same checks:
/// ``OpenAIUsageCompletions/record(_:format:file:line:path:)``), so a month loaded both ways is
/// counted once.
enum OpenAIDashboardCSV {
  /// The columns both exports start with.
  static let bucketColumns: Set<String> = ["start_time", "end_time", "start_time_iso", "end_time_iso"]

  /// Calls `body` with each data row of `file` (after its header; blank rows skipped), its line,
  /// and a reader of its cells.
  static func forEachRow(
    _ file: InputFile, _ body: (_ line: Int, _ cells: Cells) throws -> Void
  ) throws {
    var header: CSVHeader?
    try CSVStream.forEachRecord(in: file) { line, fields in
      guard let h = header else {
        header = CSVHeader(fields)
        return
      }
      if fields.allSatisfy({ $0.trimmingCharacters(in: .blanks).isEmpty }) { return }
      try body(line, Cells(header: h, fields: fields, file: file.path, line: line))
    }
  }

  /// Emits the record `record` makes of each row, a bucket's rows of one key as one row of their sums.
  ///
  /// As a page's are (``ReportRowMembers/checked(_:file:)``): a bucket's two rows of
  /// one key, summed on a page, had the second refused as a conflicting copy (a review: a request
  /// and 1,100 tokens lost); rows of one key that differ by a column the key leaves out (a
  /// grouping the tool does not read) are refused, naming the column. Every column but those
  /// `isMeasure` says are counts or amounts is such a grouping. Memory: the file's rows (a
  /// dashboard download is small).
  static func emitMerged(
    _ file: InputFile, isMeasure: (String) -> Bool, emit: (consuming UsageRecord) throws -> Void,
    record: (_ line: Int, _ cells: Cells) throws -> UsageRecord
  ) throws {
    var buckets: [[(record: UsageRecord, members: [String: String])]] = []
    var index: [[Int64]: Int] = [:]
    try forEachRow(file) { line, c in
      let r = try record(line, c)
      var members: [String: String] = [:]
      for (i, name) in c.header.names.enumerated() where i < c.fields.count && !isMeasure(name) {
        members[name] = c.fields[i].trimmingCharacters(in: .blanks)
      }
      let bucket = [r.time, r.bucketEnd ?? 0]
      if let b = index[bucket] {
        buckets[b].append((r, members))
      } else {
        index[bucket] = buckets.count
        buckets.append([(r, members)])
      }
    }
    for rows in buckets {
      for r in try ReportRowMembers.checked(rows, file: file.path) { try emit(r) }
    }
  }

  /// One row's cells, read as the API's values.
  struct Cells {
    let header: CSVHeader
    let fields: [String]
    let file: String
    let line: Int

    func bad(_ column: String, _ message: String) -> InputError {
      InputError(file: file, line: line, field: column, message: message)
    }

    /// The trimmed text of `column`; nil when absent or empty.
    func text(_ column: String) -> String? { header.value(fields, column) }

    /// A whole number (`59200`, `59200.0`) within the bounds of a count; nil when empty.
    func count(_ column: String, max: Int64 = Bounds.tokens) throws -> Int64? {
      guard let t = text(column) else { return nil }
      guard let micro = DecimalJSON(text: t).scaled(decimals: 6), micro % 1_000_000 == 0 else {
        throw bad(column, "\"\(t)\" is not a whole number")
      }
      guard micro >= 0, micro / 1_000_000 <= Int128(max) else {
        throw bad(column, micro < 0 ? "is negative (\(t))" : "is out of bounds (\(t) is more than \(max))")
      }
      return Int64(micro / 1_000_000)
    }

    /// A bucket time in UTC epoch seconds (`start_time`, `end_time`).
    func seconds(_ column: String) throws -> Int64 {
      guard let s = try count(column, max: Int64.max / 1_000_001) else { throw bad(column, "is empty") }
      return s
    }

    /// `TRUE`/`FALSE` (any case, or 1/0); nil when empty.
    func flag(_ column: String) throws -> Bool? {
      guard let t = text(column) else { return nil }
      switch t.lowercased() {
      case "true", "1": return true
      case "false", "0": return false
      default: throw bad(column, "\"\(t)\" is not TRUE or FALSE")
      }
    }
  }
}

/// The usage dashboard's completions (or embeddings) CSV: one Usage API row a line.
struct OpenAIUsageCSV: ExportFormat {
  let id = "openai-usage-csv"
  let level = SourceLevel.report
  var provider: Provider? { .openai }

  func matches(head: String) -> Bool {
    let columns = CSVHeader.names(inHead: head)
    return columns.isSuperset(of: OpenAIDashboardCSV.bucketColumns)
      && columns.isSuperset(of: ["num_model_requests", "input_tokens", "model"])
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    var endpoint: OpenAIUsageCompletions.Endpoint?
    // Every count column (`…_tokens`, and new ones the tool does not read) is a measure.
    let isMeasure = { (name: String) in name.hasSuffix("_tokens") || name.hasSuffix("_requests") }
    try OpenAIDashboardCSV.emitMerged(file, isMeasure: isMeasure, emit: emit) { line, c in
      // The embeddings export has no output column: its rows are the embeddings endpoint's.
      let reader = OpenAIUsageCompletions(
        endpoint: endpoint ?? (c.header.has("output_tokens") ? .completions : .embeddings))
      endpoint = reader.endpoint
      let v = OpenAIUsageCompletions.Values(
        start: try c.seconds("start_time"), end: try c.seconds("end_time"), object: nil,
        input: try c.count("input_tokens"),
        output: try c.count("output_tokens"), requests: try c.count("num_model_requests", max: Bounds.requests),
        cached: try c.count("input_cached_tokens"), cacheWrite: try c.count("input_cache_write_tokens"),
        uncached: try c.count("input_uncached_tokens"), inputAudio: try c.count("input_audio_tokens"),
        outputAudio: try c.count("output_audio_tokens"), projectID: c.text("project_id"), userID: c.text("user_id"),
        apiKeyID: c.text("api_key_id"), model: c.text("model"), batch: try c.flag("batch"),
        serviceTier: c.text("service_tier"), apiSource: c.text("api_source"))
      return try reader.record(v, format: id, file: file.path, line: line, path: nil)
    }
  }
}

/// The usage dashboard's costs CSV: one Costs API row a line (`amount_value`, `amount_currency`).
struct OpenAICostsCSV: ExportFormat {
  let id = "openai-costs-csv"
  let level = SourceLevel.cost

  func matches(head: String) -> Bool {
    let columns = CSVHeader.names(inHead: head)
    return columns.isSuperset(of: OpenAIDashboardCSV.bucketColumns) && columns.contains("amount_value")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    let isMeasure = { (name: String) in name == "amount_value" || name == "quantity" }
    try OpenAIDashboardCSV.emitMerged(file, isMeasure: isMeasure, emit: emit) { line, c in
      guard let amount = c.text("amount_value") else { throw c.bad("amount_value", "is empty") }
      let (start, end) = (try c.seconds("start_time"), try c.seconds("end_time"))
      // As a page's bucket is checked.
      try OpenAICosts.checkBucket(start: start, end: end, c.bad)
      let v = OpenAICosts.Values(
        start: start, end: end, amount: DecimalJSON(text: amount),
        currency: c.text("amount_currency"), lineItem: c.text("line_item"), projectID: c.text("project_id"),
        apiKeyID: c.text("api_key_id"), quantity: c.text("quantity").map(DecimalJSON.init(text:)))
      return try OpenAICosts().record(
        v, format: id, file: file.path, line: line, path: nil, fields: ("amount_value", "amount_currency"))
    }
  }
}
