import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Anthropic's cost report fetched without `group_by=description` is compared as the day's total.
///
/// Without that grouping (or grouped by workspace only) a row names no description, cost type,
/// token type or model: its amount is the whole day's bill. A trial's such report read, every day,
/// "(cost): computed 0, billed 0.012, −100 %" beside "claude-sonnet-4: computed 0.012, billed 0".
@Suite struct AnthropicUngroupedCostTests {
  /// A usage page of the day from `start` with one claude-sonnet-4 row per `(input, output)`.
  static func usagePage(_ start: String, _ end: String, rows: [(Int, Int)]) -> String {
    let results = rows.map { (input, output) in
      """
      {"uncached_input_tokens": \(input), "cache_creation": {"ephemeral_1h_input_tokens": 0, \
      "ephemeral_5m_input_tokens": 0}, "cache_read_input_tokens": 0, "output_tokens": \(output), \
      "server_tool_use": {"web_search_requests": 0}, "api_key_id": "apikey_01", "workspace_id": null, \
      "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k"}
      """
    }
    return """
      {"data": [{"starting_at": "\(start)", "ending_at": "\(end)", "results": [\(results.joined(separator: ", "))]}], \
      "has_more": false, "next_page": null}
      """
  }

  /// A cost row as the report gives it without grouping: every group-by field null.
  static func ungroupedCost(cents: String, workspace: String?) -> String {
    """
    {"currency": "USD", "amount": \(cents), "workspace_id": \(workspace.map { "\"\($0)\"" } ?? "null"), \
    "description": null, "cost_type": null, "context_window": null, "model": null, "service_tier": null, \
    "token_type": null}
    """
  }

  static func run(usage: String, cost: String) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    try usage.write(toFile: dir + "/usage/usage.json", atomically: true, encoding: .utf8)
    try cost.write(toFile: dir + "/usage/cost.json", atomically: true, encoding: .utf8)
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: Fixtures.month + "/identities",
        pricing: TestSupport.packageRoot + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    return try #require(try job.run().report)
  }

  /// One workspace's row, or one row per workspace: either way one "(day total)" row a day.
  @Test(arguments: [
    // 1,500 input × $3/M + 500 output × $15/M = 0.0045 + 0.0075 = $0.012 = 1.2 cents.
    ([(1_500, 500)], [ungroupedCost(cents: "1.2", workspace: nil)], Money(pico: 12_000_000_000)),
    // Two workspaces' rows of 1.0 and "2.6" cents: 3,000 × 3 + 400 × 15 = $0.015 computed, 3.6 cents billed.
    (
      [(1_000, 0), (2_000, 400)],
      [ungroupedCost(cents: "1.0", workspace: "wrkspc_A"), ungroupedCost(cents: "\"2.6\"", workspace: "wrkspc_B")],
      Money(pico: 36_000_000_000)
    ),
  ])
  func aDayBilledWithoutGroupingIsOneTotal(usage: [(Int, Int)], costRows: [String], billed: Money) throws {
    let start = "2026-10-07T00:00:00Z"
    let end = "2026-10-08T00:00:00Z"
    let cost = """
      {"data": [{"starting_at": "\(start)", "ending_at": "\(end)", "results": [\(costRows.joined(separator: ", "))]}], \
      "has_more": false, "next_page": null}
      """
    let report = try Self.run(usage: Self.usagePage(start, end, rows: usage), cost: cost)
    let computed = Money(pico: usage.reduce(Int128(0)) { $0 + Int128($1.0) * 3_000_000 + Int128($1.1) * 15_000_000 })
    let rows = report.reconciliation.filter { $0.provider == .anthropic }
    #expect(rows.map(\.model) == ["(day total)"])
    #expect(rows.first?.computed == computed && rows.first?.billed == billed && rows.first?.modelIsLabel == true)
  }

  /// A report grouped by description keeps its lines: the model's row is compared model by model.
  @Test func aDayBilledByDescriptionStaysByModel() throws {
    let start = "2026-10-07T00:00:00Z"
    let cost = """
      {"data": [{"starting_at": "\(start)", "ending_at": "2026-10-08T00:00:00Z", "results": [{"currency": "USD", \
      "amount": "1.2", "workspace_id": null, "description": "Claude Sonnet 4 Usage - Input Tokens", \
      "cost_type": "tokens", "context_window": "0-200k", "model": "claude-sonnet-4-20250514", \
      "service_tier": "standard", "token_type": "uncached_input_tokens"}]}], "has_more": false, "next_page": null}
      """
    let report = try Self.run(usage: Self.usagePage(start, "2026-10-08T00:00:00Z", rows: [(4_000, 0)]), cost: cost)
    let rows = report.reconciliation.filter { $0.provider == .anthropic }
    // 4,000 × $3/M = $0.012 against 1.2 cents.
    #expect(rows.map(\.model) == ["claude-sonnet-4"])
    #expect(rows.first?.computed == Money(pico: 12_000_000_000) && rows.first?.billed == rows.first?.computed)
  }
}
