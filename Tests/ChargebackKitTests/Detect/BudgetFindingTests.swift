import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// Budget findings belong to a cost centre and count their calls (SPEC §6: a finding has a cost
/// centre, and that cost centre's workbook shows it): a scope's went under none, so no cost
/// centre's workbook showed it, and both kinds said 0 calls beside their cost (a trial).
@Suite struct BudgetFindingTests {
  static let period = Period(year: 2026, month: 10)

  /// A call of `usd` dollars by `agent` in `costCentre`, under scope `scope`.
  static func call(_ id: String, usd: Int64, costCentre: String, scope: String) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(id)", requestID: id,
      time: period.startMillis + 3_600_000, model: "gpt-4.1", tokens: TokenCounts(input: 10))
    let a = Attribution(costCentre: costCentre, agentID: "ag-" + costCentre, scopeID: scope, status: .agentCredential)
    return ChargedRecord(record: r, attribution: a, model: "gpt-4.1", cost: Money(pico: Int128(usd) * Money.picoPerUSD))
  }

  @Test func aScopesBudgetFindingIsItsLargestSpendersWithTheCalls() throws {
    let scope = Scope(
      id: "SB", allowedModels: ["*"], allowedProviders: [], monthlyBudget: Money(pico: 50 * Money.picoPerUSD))
    var policy = PolicyFindings(scopes: ["SB": scope])
    // SB: CC-A 30 + 5 in two calls, CC-B 20 in one: 55 against 50, CC-A's.
    for c in [
      Self.call("1", usd: 30, costCentre: "CC-A", scope: "SB"), Self.call("2", usd: 5, costCentre: "CC-A", scope: "SB"),
      Self.call("3", usd: 20, costCentre: "CC-B", scope: "SB"),
    ] {
      policy.observe(c)
    }
    policy.addBudgetFindings(
      period: Self.period, costCentres: [(id: "CC-A", cost: Money(pico: 35 * Money.picoPerUSD), requests: 2)],
      directory: (
        centres: ["CC-A": CostCentre(id: "CC-A", owner: "ann", monthlyBudget: Money(pico: 30 * Money.picoPerUSD))],
        scopes: ["SB": scope]
      ))
    let found = policy.findings(period: Self.period)
    let scoped = try #require(found.first { $0.kind == .scopeBudgetExceeded })
    #expect(scoped.costCentre == "CC-A" && scoped.calls == 3)
    #expect(scoped.cost == Money(pico: 55 * Money.picoPerUSD))
    #expect(scoped.explanation.hasSuffix("(CC-A 35.00 USD, CC-B 20.00 USD)"), "\(scoped.explanation)")
    let centre = try #require(found.first { $0.kind == .costCentreBudgetExceeded })
    #expect(centre.costCentre == "CC-A" && centre.calls == 2 && centre.ownerID == "ann")
  }

  /// A spend just above its budget reads above it: 0.09224 against 0.09 with 3 decimals, not
  /// "0.09 USD against a monthly budget of 0.09 USD".
  @Test(arguments: [
    ("0.09224", "0.09", "0.092 USD against a monthly budget of 0.090 USD"),
    ("55", "50", "55.00 USD against a monthly budget of 50.00 USD"),
    ("50.0000004", "50", "50.000000 USD against a monthly budget of 50.000000 USD"),
  ])
  func theSpendReadsAboveTheBudget(cost: String, budget: String, text: String) {
    func usd(_ s: String) -> Money { Money(pico: DecimalText.parse(s, decimals: 12) ?? -1) }
    #expect(PolicyFindings.over(usd(cost), usd(budget)) == text)
  }
}
