import ChargebackModel
import ChargebackSupport
import Foundation

/// OpenAI Costs API `/v1/organization/costs` pages (docs/formats.md, "OpenAI Costs"): cost level,
/// one record per daily bucket × `line_item` × project × API key, used to reconcile and never
/// charged.
///
/// `amount.value` is USD, documented as a number and observed live as a decimal string; both are
/// read from their exact text (see ``DecimalJSON``) into pico-USD, rounding half away from zero
/// only past the pico-dollar. Only `usd` is accepted. The model is the part of `line_item` before
/// the comma, without a product prefix such as `evals | ` (`evals | gpt-4o-mini-2024-07-18, input`
/// → `gpt-4o-mini-2024-07-18`); line items without a comma (`web search tool calls`) have no model.
/// Batch and flex are folded into the model's ordinary line items (SPEC §10), so the tier is
/// standard. `quantity` of a token line item (`…, input`, `…, cached input`, `…, output`) is
/// kept as that class's token count, and of web-search line items as `web_search` requests.
struct OpenAICosts: ExportFormat {
  let id = "openai-costs"
  let level = SourceLevel.cost

  func pages(_ file: InputFile) -> [ExportPage] { PageLinks.pages(in: file) }
  var comesInPages: Bool { true }

  func matches(head: String) -> Bool {
    head.contains("organization.costs.result")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    // Pages, or bare buckets (the cookbook's array was refused, "data: required field is missing",
    // a trial), as the usage pages are read.
    try JSONSupport.forEachBucket(Bucket.self, in: file) { bucket, path, line in
      try emitBucket(bucket, at: path, file: file.path, line: line, emit: emit)
    }
  }

  private func emitBucket(
    _ bucket: Bucket, at path: String, file: String, line: Int?, emit: (consuming UsageRecord) throws -> Void
  ) throws {
    try Self.checkBucket(start: bucket.start_time, end: bucket.end_time) {
      InputError(file: file, line: line, path: path, field: $0, message: $1)
    }
    let rows = try bucket.results.enumerated().map { r, row in
      (try record(row.row, bucket: bucket, file: file, line: line, path: "\(path).results[\(r)]"), row.members)
    }
    for record in try ReportRowMembers.checked(rows, file: file) { try emit(record) }
  }

  /// Refuses a bucket (UTC epoch seconds) outside the years 2000 to 2099 (its end may be
  /// 2100-01-01: exclusive), or ending before it starts; `bad` makes the error of a field and message.
  static func checkBucket(start: Int64, end: Int64, _ bad: (String, String) -> InputError) throws {
    for (name, seconds) in [("start_time", start), ("end_time", end)]
    where Bounds.millis(epochSeconds: seconds, end: name == "end_time") == nil {
      throw bad(name, "is out of bounds (\(seconds) is not a time in the years 2000 to 2099)")
    }
    guard end > start else { throw bad("end_time", "bucket ends (\(end)) before it starts (\(start))") }
  }

  /// The model a line item names: the text before the comma, after any `product | ` prefix; "" when
  /// the line item names no model.
  static func model(lineItem: String?) -> String {
    guard let item = lineItem, let comma = item.firstIndex(of: ",") else { return "" }
    var head = item[..<comma]
    if let bar = head.lastIndex(of: "|") { head = head[head.index(after: bar)...] }
    return head.trimmingCharacters(in: .blanks)
  }

  /// The token class a line item's `quantity` counts, when it counts one.
  static func tokenClass(lineItem: String?) -> TokenClass? {
    guard let item = lineItem?.lowercased() else { return nil }
    if item.contains("web search") { return .webSearch }
    guard let comma = item.lastIndex(of: ",") else { return nil }
    switch item[item.index(after: comma)...].trimmingCharacters(in: .blanks) {
    case "input": return .input
    case "cached input": return .cachedInput
    case "output": return .output
    default: return nil
    }
  }

  private func record(_ row: Row, bucket: Bucket, file: String, line: Int?, path: String) throws -> UsageRecord {
    let v = Values(
      start: bucket.start_time, end: bucket.end_time, amount: row.amount.value, currency: row.amount.currency,
      lineItem: row.line_item, projectID: row.project_id, apiKeyID: row.api_key_id, quantity: row.quantity)
    return try record(v, format: id, file: file, line: line, path: path, fields: ("amount.value", "amount.currency"))
  }

  /// One cost row as a page's result gives it, or a row of the usage dashboard's costs CSV
  /// (``OpenAICostsCSV``): its bucket (UTC epoch seconds), amount and group-by values.
  struct Values {
    var start: Int64
    var end: Int64
    var amount: DecimalJSON
    var currency: String?
    var lineItem: String?
    var projectID: String?
    var apiKeyID: String?
    var quantity: DecimalJSON?
  }

  /// The record of one cost row; `fields` are the names of its amount and currency in the file.
  func record(
    _ v: Values, format: String, file: String, line: Int?, path: String?, fields: (amount: String, currency: String)
  ) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    if let currency = v.currency, currency.lowercased() != "usd" {
      throw bad(fields.currency, "\"\(currency)\" is not usd; only USD cost reports can be reconciled")
    }
    let billed = try v.amount.money { bad(fields.amount, $0) }
    var tokens = TokenCounts()
    if let quantity = v.quantity, let c = Self.tokenClass(lineItem: v.lineItem) {
      guard let units = quantity.scaled(decimals: 0), units >= 0 else {
        throw bad("quantity", "\"\(quantity.text)\" is not a non-negative count")
      }
      guard units <= Int128(Bounds.tokens) else {
        throw bad("quantity", "is out of bounds (\(quantity.text) is more than \(Bounds.tokens))")
      }
      tokens[c] = Int64(units)
    }
    // A dashboard CSV's row has the key of the page's row it copies: loaded both, they are one.
    let key = KeyParts.join([
      "openai", "costs", String(v.start), String(v.end), v.lineItem, v.projectID, v.apiKeyID,
    ])
    var record = UsageRecord(
      provider: .openai, level: .cost, format: format, naturalKey: key,
      time: Bounds.millis(epochSeconds: v.start) ?? 0,
      bucketEnd: Bounds.millis(epochSeconds: v.end, end: true), credential: v.apiKeyID, project: v.projectID,
      model: Self.model(lineItem: v.lineItem), tokens: tokens, requests: 0, line: line, jsonPath: path)
    record.billed = billed
    record.lineItem = v.lineItem
    return record
  }

  // Field names as the API spells them.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Bucket: Decodable {
    /// UTC epoch seconds.
    let start_time: Int64
    /// UTC epoch seconds, exclusive.
    let end_time: Int64
    let results: [WithMembers<Row>]
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Row: MeasuredRow {
    static var measures: Set<String> { ["quantity"] }
    let amount: Amount
    let line_item: String?
    let project_id: String?
    let api_key_id: String?
    /// Units of the line item (tokens, calls), when grouped by line item.
    let quantity: DecimalJSON?
  }

  private struct Amount: Decodable {
    /// USD, as a number or a decimal string.
    let value: DecimalJSON
    /// Lowercase ISO 4217 (`usd`).
    let currency: String?
  }
}
