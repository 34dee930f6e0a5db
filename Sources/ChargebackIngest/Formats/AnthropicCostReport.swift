import ChargebackModel
import Foundation

/// Anthropic Admin API `cost_report` pages (docs/formats.md, "Anthropic cost_report"): cost
/// level, one record per daily bucket × group-by values, used to reconcile and never charged.
///
/// `amount` is a decimal string in **cents** (`"1446.30"` = $14.4630); it becomes ``Money`` exactly
/// (cents × 10^10 = pico-USD), rounding half away from zero only past the pico-dollar. Only `USD`
/// is accepted. The line item is the `description` (or the `cost_type` when the report is not
/// grouped by description), followed by the `token_type` when given; none when the row names
/// neither (a report not grouped by description). The report carries no token
/// or request counts, so both are 0.
struct AnthropicCostReport: ExportFormat {
  let id = "anthropic-cost-report"
  let level = SourceLevel.cost

  func pages(_ file: InputFile) -> [ExportPage] { PageLinks.pages(in: file) }
  var comesInPages: Bool { true }

  func matches(head: String) -> Bool {
    JSONSupport.headHasKey(head, "amount") && JSONSupport.headHasKey(head, "starting_at")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    try AnthropicReportPages.forEachRecord(
      Row.self, in: file,
      record: { row, start, end, line, path in
        try record(row, start: start, end: end, file: file.path, line: line, path: path)
      }, emit: emit)
  }

  private func record(_ row: Row, start: Int64, end: Int64?, file: String, line: Int?, path: String) throws
    -> UsageRecord
  {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    if let currency = row.currency, currency.uppercased() != "USD" {
      throw bad("currency", "\"\(currency)\" is not USD; only USD cost reports can be reconciled")
    }
    // Cents to pico-USD: 1 cent = 10^10 pico-USD, so the cents text is read at 10 decimals.
    let billed = try row.amount.money(decimals: 10, unit: "cents") { bad("amount", $0) }
    let tier = try AnthropicUsageReport.tier(row.service_tier) { bad("service_tier", $0) }
    let model = row.model ?? ""
    let key = KeyParts.join([
      "anthropic", "cost", String(start), end.map(String.init), row.workspace_id, row.cost_type, row.description,
      model, row.service_tier, row.context_window, row.token_type, row.inference_geo, row.speed,
    ])
    var record = UsageRecord(
      provider: .anthropic, level: .cost, format: id, naturalKey: key, time: start, bucketEnd: end,
      project: row.workspace_id, model: model, tier: tier, contextWindow: row.context_window,
      tokens: TokenCounts(), requests: 0, line: line, jsonPath: path)
    record.billed = billed
    // A report not grouped by description (or by workspace only) names no line: its amount is the
    // day's whole bill, compared with the day's whole computed cost (a trial: a made-up "cost" line
    // read "billed 0.012, computed 0" beside the model's "computed 0.012, billed 0" every day).
    let parts = [row.description.nonEmpty ?? row.cost_type.nonEmpty, row.token_type.nonEmpty].compactMap { $0 }
    record.lineItem = parts.isEmpty ? nil : parts.joined(separator: ", ")
    return record
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Row: MeasuredRow {
    static var measures: Set<String> { ["amount"] }
    /// Cents, as a decimal string (a number is accepted too).
    let amount: DecimalJSON
    let currency: String?
    let cost_type: String?
    let description: String?
    let model: String?
    let service_tier: String?
    let context_window: String?
    let token_type: String?
    let workspace_id: String?
    let inference_geo: String?
    let speed: String?
  }
}
