import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackReporting

/// Which days of computed cost are compared with a bill (``Reconciliation/rows(billedSpans:)``).
@Suite struct ReconciliationCoverageTests {
  typealias T = ReconciliationWebSearchTests
  static let day3 = T.day2 + 86_400_000

  /// A day with a cell billed is covered whatever the pages span (a file's pages are not kept once
  /// it moved), so its computed-only cells stay beside the billed ones; a day with neither is not.
  @Test func aDayWithABilledCellIsCoveredWithoutItsPages() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    // Day 1: gpt-4.1 billed 50 cents, and gpt-4o computed 20 with no cost row. Day 2: 30 computed.
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day1), model: "gpt-4.1", cost: T.usd(50))
    rec.addBilled(T.bill(.openai, model: "gpt-4.1", lineItem: "gpt-4.1, input", cents: 50, at: T.day1))
    rec.addComputed(T.call(.openai, "gpt-4o", at: T.day1), model: "gpt-4o", cost: T.usd(20))
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day2), model: "gpt-4.1", cost: T.usd(30))
    // The pages kept span day 3 only.
    let (rows, unbilled) = rec.rows(billedSpans: [.openai: [(Self.day3, Self.day3 + 86_400_000)]])
    #expect(rows.map { [$0.day, $0.model] } == [["2026-10-07", "gpt-4.1"], ["2026-10-07", "gpt-4o"]])
    #expect(rows.map(\.computed) == [T.usd(50), T.usd(20)])
    #expect(unbilled == [.openai: ["2026-10-08"]])
  }

  /// A provisioned commitment's idle fee is a cell of its first day in the period, which the bill's
  /// pages may not cover (costs fetched from the day after): it stays compared, never dropped.
  @Test func anIdleFeeStaysComparedOnADayThePagesDoNotCover() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day2), model: "gpt-4.1", cost: T.usd(40))
    rec.addBilled(T.bill(.openai, model: "gpt-4.1", lineItem: "gpt-4.1, input", cents: 40, at: T.day2))
    let commitment = Commitment(id: "PT-1", provider: .openai, kind: .provisioned, models: [], from: T.day1)
    rec.applyProvisioned(
      [
        CommitmentUse(
          commitment: commitment, fee: T.usd(100), list: .zero, effective: .zero, idle: T.usd(100), requests: 0)
      ],
      period: Period(year: 2026, month: 10))
    let (rows, unbilled) = rec.rows(billedSpans: [.openai: [(T.day2, Self.day3)]])
    #expect(rows.map { [$0.day, $0.model] } == [["2026-10-07", "idle PT-1"], ["2026-10-08", "gpt-4.1"]])
    #expect(rows.first?.computed == T.usd(100))
    #expect(unbilled.isEmpty)
  }

  /// Runs of consecutive days, and past four runs the first three and the count of days.
  @Test func daysShowAsRuns() {
    #expect(
      WorkbookReports.dayRanges(["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-05"])
        == "2026-10-01 to 2026-10-03, 2026-10-05")
    let alternate = (1...9).filter { $0 % 2 == 1 }.map { "2026-10-0\($0)" }  // 1, 3, 5, 7, 9
    #expect(WorkbookReports.dayRanges(alternate) == "2026-10-01, 2026-10-03, 2026-10-05, … (5 days in all)")
    #expect(WorkbookReports.dayRanges(Array(alternate.prefix(4))) == "2026-10-01, 2026-10-03, 2026-10-05, 2026-10-07")
  }
}
