import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing

/// Web searches against a bill that charges them on a line of their own.
///
/// The usage reports charge a call's web searches with its model. The cost reports bill them on a
/// line without a model (OpenAI's `web search tool calls`, Anthropic's `web_search` cost type).
/// Compared model by model, every day showed two variances that cancel out: the model's computed
/// cost above its bill by the searches, and the search line billed with nothing computed.
@Suite struct ReconciliationWebSearchTests {
  /// 2026-10-07T00:00:00Z and the next day, in UTC epoch ms.
  static let day1: Int64 = 1_791_331_200_000
  static let day2: Int64 = day1 + 86_400_000

  static func usd(_ cents: Int128) -> Money { Money(pico: cents * 10_000_000_000) }

  static func call(_ provider: Provider, _ model: String, at time: Int64) -> UsageRecord {
    UsageRecord(
      provider: provider, level: .report, format: "t", naturalKey: "\(provider):\(model):\(time)", time: time,
      model: model, tokens: TokenCounts(input: 1_000, webSearch: 2))
  }

  static func bill(_ provider: Provider, model: String, lineItem: String, cents: Int128, at time: Int64)
    -> UsageRecord
  {
    var r = UsageRecord(
      provider: provider, level: .cost, format: "t", naturalKey: "\(provider):\(lineItem):\(time)", time: time,
      model: model, tokens: TokenCounts())
    r.billed = usd(cents)
    r.lineItem = lineItem
    return r
  }

  @Test func webSearchesAreComparedWithTheBillsWebSearchLine() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    // Anthropic, day 1: a call of 33 cents of which 2 cents of web searches; the bill has 31 cents on
    // the model and 2 on a `web_search` line. Day 2: a call of 10 cents with 2 of searches, and
    // no bill at all that day.
    rec.addComputed(
      Self.call(.anthropic, "claude-sonnet-4-5", at: Self.day1), model: "claude-sonnet-4-5", cost: Self.usd(33),
      webSearch: Self.usd(2))
    rec.addBilled(Self.bill(.anthropic, model: "claude-sonnet-4-5", lineItem: "usage", cents: 31, at: Self.day1))
    rec.addBilled(Self.bill(.anthropic, model: "", lineItem: "web_search", cents: 2, at: Self.day1))
    rec.addComputed(
      Self.call(.anthropic, "claude-sonnet-4-5", at: Self.day2), model: "claude-sonnet-4-5", cost: Self.usd(10),
      webSearch: Self.usd(2))
    // OpenAI bills its searches with the model (no web search line): they stay in the model's cell.
    rec.addComputed(
      Self.call(.openai, "gpt-4.1", at: Self.day1), model: "gpt-4.1", cost: Self.usd(50), webSearch: Self.usd(5))
    rec.addBilled(Self.bill(.openai, model: "gpt-4.1", lineItem: "gpt-4.1, input", cents: 50, at: Self.day1))

    // Anthropic's cost page spans both days (day 2 billed nothing).
    let spans: [Provider: [(start: Int64, end: Int64)]] = [.anthropic: [(Self.day1, Self.day2 + 86_400_000)]]
    let rows = rec.rows(billedSpans: spans).rows.map {
      ($0.provider.rawValue, $0.day, $0.model, $0.computed, $0.billed)
    }
    let expected: [(String, String, String, Money, Money)] = [
      ("anthropic", "2026-10-07", "(web search)", Self.usd(2), Self.usd(2)),
      ("anthropic", "2026-10-07", "claude-sonnet-4-5", Self.usd(31), Self.usd(31)),
      ("anthropic", "2026-10-08", "(web search)", Self.usd(2), .zero),
      ("anthropic", "2026-10-08", "claude-sonnet-4-5", Self.usd(8), .zero),
      ("openai", "2026-10-07", "gpt-4.1", Self.usd(50), Self.usd(50)),
    ]
    #expect(rows.count == expected.count)
    for (row, want) in zip(rows, expected) {
      #expect(row == want)
    }
  }

  @Test(arguments: ["web search tool calls", "web_search", "Web Search", "Web search, requests"])
  func webSearchLinesAreOneCell(lineItem: String) {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    rec.addBilled(Self.bill(.openai, model: "", lineItem: lineItem, cents: 2, at: Self.day1))
    #expect(rec.rows().rows.map(\.model) == [Reconciliation.webSearchCell])
  }

  /// A model the data names `(web search)` is a model: its cell is not the bill's web-search line,
  /// and only the tool's cells are labels (shown as they are in the workbook).
  @Test func aModelNamedLikeTheWebSearchCellStaysAModel() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    rec.addComputed(
      Self.call(.anthropic, "(web search)", at: Self.day1), model: "(web search)", cost: Self.usd(7), webSearch: .zero)
    rec.addBilled(Self.bill(.anthropic, model: "", lineItem: "web_search", cents: 2, at: Self.day1))
    let rows = rec.rows().rows.map { ($0.model, $0.modelIsLabel, $0.computed, $0.billed) }
    #expect(rows.count == 2)
    #expect(rows.contains { $0 == ("(web search)", false, Self.usd(7), .zero) })
    #expect(rows.contains { $0 == ("(web search)", true, .zero, Self.usd(2)) })
  }
}
