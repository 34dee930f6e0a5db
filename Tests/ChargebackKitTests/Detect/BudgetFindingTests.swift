import Foundation
import Testing

@testable import ChargebackDetect
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

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
      period: Self.period,
      costCentres: [(id: "CC-A", cost: Money(pico: 35 * Money.picoPerUSD), requests: 2, allocated: .zero)],
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

  /// A cost centre over its budget through the allocation rules says how much is its own.
  ///
  /// The hand-computed month of SPEC §12 (``CostSharingTests``), APP1 with a budget of 50 USD, owes
  /// 57.592925998052 USD of which 4.23 its own direct cost and 53.362925998052 allocated to it
  /// (0.25 + 1.80 + 10.125 + 41.187925998052). A trial's lead read "spent 174.85 USD" for 29.68 USD
  /// of usage and looked for spending that was not there.
  @Test func aCostCentreOverItsBudgetByAllocationsSaysHowMuchIsItsOwn() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try CostSharingMonth.write(to: dir)
    try
      "cost_centre,name,owner,monthly_budget_usd\nAPP1,App one,p-1,50\nAPP2,App two,p-1,\nAPP3,App three,p-1,\nPLAT,Platform,p-1,\n"
      .write(toFile: dir + "/identities/cost_centres.csv", atomically: true, encoding: .utf8)
    let report = try #require(try CostSharingTests.run(dir).report)
    let found = try #require(report.findings.first { $0.kind == .costCentreBudgetExceeded })
    #expect(found.costCentre == "APP1")
    #expect(
      found.explanation
        == "cost centre APP1 was charged 57.59 USD against a monthly budget of 50.00 USD: its own cost 4.23 USD,"
        + " 53.36 USD allocated to it by the allocation rules (allocation.csv)", "\(found.explanation)")
    // Moved away, and none moved.
    func usd(_ s: String) -> Money { TestSupport.usd(s) }
    #expect(
      PolicyFindings.centreText("X", cost: usd("60"), allocated: usd("-5"), budget: usd("50"))
        == "cost centre X was charged 60.00 USD against a monthly budget of 50.00 USD: its own cost 65.00 USD,"
        + " less 5.00 USD allocated away by the allocation rules (allocation.csv)")
    #expect(
      PolicyFindings.centreText("X", cost: usd("60"), allocated: .zero, budget: usd("50"))
        == "cost centre X spent 60.00 USD against a monthly budget of 50.00 USD")
  }
}
