import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackReporting
@testable import ChargebackTestSupport

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

  /// A bill without pages (Azure's cost export) covers its first billed day to its last.
  ///
  /// A trial's export, made on the 20th: every later day of usage read "billed $0, −100 %". Azure
  /// billed on days 1 and 3, computed on days 1 to 4: day 2 is compared (billed $0: the export
  /// covers it), day 4 is named apart. OpenAI, whose pages span day 3 only, keeps its pages' rule.
  @Test func anExportWithoutPagesCoversItsFirstToItsLastBilledDay() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    let day4 = Self.day3 + 86_400_000
    for (day, cents) in [(T.day1, 10), (T.day2, 20), (Self.day3, 30), (day4, 40)] as [(Int64, Int128)] {
      rec.addComputed(T.call(.azure, "gpt-4o", at: day), model: "gpt-4o", cost: T.usd(cents))
    }
    rec.addBilled(T.bill(.azure, model: "gpt-4o", lineItem: "gpt-4o, input", cents: 10, at: T.day1))
    rec.addBilled(T.bill(.azure, model: "gpt-4o", lineItem: "gpt-4o, input", cents: 30, at: Self.day3))
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day2), model: "gpt-4.1", cost: T.usd(5))
    rec.addBilled(T.bill(.openai, model: "gpt-4.1", lineItem: "gpt-4.1, input", cents: 5, at: Self.day3))
    let (rows, unbilled) = rec.rows(billedSpans: [.openai: [(Self.day3, day4)]])
    #expect(
      rows.map { [$0.provider.rawValue, $0.day] } == [
        ["azure", "2026-10-07"], ["azure", "2026-10-08"], ["azure", "2026-10-09"], ["openai", "2026-10-09"],
      ])
    #expect(rows.map(\.billed) == [T.usd(10), .zero, T.usd(30), T.usd(5)])
    #expect(unbilled == [.azure: ["2026-10-10"], .openai: ["2026-10-08"]])
  }

  /// Two export files, of days 1 to 2 and of day 4, cover nothing between them (a review): day 3's
  /// usage is named apart, not compared as billed $0.
  @Test func twoExportsCoverOnlyTheirOwnDays() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    let day4 = Self.day3 + 86_400_000
    for day in [T.day1, T.day2, Self.day3, day4] {
      rec.addComputed(T.call(.azure, "gpt-4o", at: day), model: "gpt-4o", cost: T.usd(10))
    }
    rec.addBilled(T.bill(.azure, model: "gpt-4o", lineItem: "gpt-4o, input", cents: 10, at: T.day1), file: 1)
    rec.addBilled(T.bill(.azure, model: "gpt-4o", lineItem: "gpt-4o, input", cents: 10, at: T.day2), file: 1)
    rec.addBilled(T.bill(.azure, model: "gpt-4o", lineItem: "gpt-4o, input", cents: 10, at: day4), file: 2)
    let (rows, unbilled) = rec.rows()
    #expect(rows.map(\.day) == ["2026-10-07", "2026-10-08", "2026-10-10"])
    #expect(unbilled == [.azure: ["2026-10-09"]])
  }

  /// OpenAI's provisioned commitment `PT-1`, from day 1, idle all October: its $1.00 fee is idle.
  static func idleFee(PT1 rec: inout Reconciliation) {
    let commitment = Commitment(id: "PT-1", provider: .openai, kind: .provisioned, models: [], from: T.day1)
    rec.applyProvisioned(
      [
        CommitmentUse(
          commitment: commitment, fee: T.usd(100), list: .zero, effective: .zero, idle: T.usd(100), requests: 0)
      ],
      period: Period(year: 2026, month: 10))
  }

  /// A provisioned commitment's idle fee is a cell of its first day in the period, which the bill's
  /// pages may not cover (costs fetched from the day after): it stays compared, never dropped.
  @Test func anIdleFeeStaysComparedOnADayThePagesDoNotCover() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day2), model: "gpt-4.1", cost: T.usd(40))
    rec.addBilled(T.bill(.openai, model: "gpt-4.1", lineItem: "gpt-4.1, input", cents: 40, at: T.day2))
    Self.idleFee(PT1: &rec)
    let (rows, unbilled) = rec.rows(billedSpans: [.openai: [(T.day2, Self.day3)]])
    #expect(rows.map { [$0.day, $0.model] } == [["2026-10-07", "idle PT-1"], ["2026-10-08", "gpt-4.1"]])
    #expect(rows.first?.computed == T.usd(100))
    #expect(unbilled.isEmpty)
  }

  /// A day whose bill names no line is compared as one cell, everything computed that day in it.
  ///
  /// OpenAI's costs fetched without `group_by=line_item`: one amount a day, no model. Model by
  /// model, a trial's every row read "billed 0" and the bill "computed 0, −100 %". A day billed by
  /// line stays compared model by model, and so does another provider the same day.
  @Test func aDayBilledWithoutLinesIsComparedAsOneTotal() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    // Day 1: gpt-4o 40 cents (5 of them web searches) and gpt-4o-mini 69; one bill of 110 cents
    // without a line item. Day 2: gpt-4o-mini 15 cents, billed by line.
    rec.addComputed(T.call(.openai, "gpt-4o", at: T.day1), model: "gpt-4o", cost: T.usd(40), webSearch: T.usd(5))
    rec.addComputed(T.call(.openai, "gpt-4o-mini", at: T.day1), model: "gpt-4o-mini", cost: T.usd(69))
    var whole = UsageRecord(
      provider: .openai, level: .cost, format: "t", naturalKey: "openai:day1", time: T.day1, model: "",
      tokens: TokenCounts())
    whole.billed = T.usd(110)
    rec.addBilled(whole)
    rec.addComputed(T.call(.openai, "gpt-4o-mini", at: T.day2), model: "gpt-4o-mini", cost: T.usd(15))
    rec.addBilled(T.bill(.openai, model: "gpt-4o-mini", lineItem: "gpt-4o-mini, input", cents: 15, at: T.day2))
    // A provisioned commitment's idle fee, put on day 1 by convention: no part of that day's bill.
    Self.idleFee(PT1: &rec)
    // Anthropic on day 1, billed by model: unchanged.
    rec.addComputed(T.call(.anthropic, "claude-sonnet-4-5", at: T.day1), model: "claude-sonnet-4-5", cost: T.usd(7))
    rec.addBilled(T.bill(.anthropic, model: "claude-sonnet-4-5", lineItem: "usage", cents: 7, at: T.day1))
    let rows = rec.rows().rows.map { [$0.provider.rawValue, $0.day, $0.model] }
    #expect(
      rows == [
        ["anthropic", "2026-10-07", "claude-sonnet-4-5"], ["openai", "2026-10-07", "(day total)"],
        ["openai", "2026-10-07", "idle PT-1"], ["openai", "2026-10-08", "gpt-4o-mini"],
      ])
    let all = rec.rows().rows
    // 40 + 69 = 109 cents computed against 110 billed: a variance of −1 cent.
    #expect(all[1].computed == T.usd(109) && all[1].billed == T.usd(110) && all[1].modelIsLabel)
    #expect(all[2].computed == T.usd(100) && all[2].billed == .zero)
    #expect(all[3].computed == T.usd(15) && all[3].billed == T.usd(15))
  }

  /// An Anthropic cost row stored before with the made-up line item `cost` (no description, cost
  /// type or model) is the day's whole bill, as one loaded now (no line item) is; OpenAI's line
  /// item `cost` is its own line.
  @Test func anAnthropicCostRowStoredWithTheOldCostLineIsADayTotal() {
    var rec = Reconciliation(prices: PriceTable(rows: []))
    rec.addComputed(T.call(.anthropic, "claude-sonnet-4", at: T.day1), model: "claude-sonnet-4", cost: T.usd(120))
    rec.addBilled(T.bill(.anthropic, model: "", lineItem: "cost", cents: 120, at: T.day1))
    rec.addComputed(T.call(.openai, "gpt-4.1", at: T.day1), model: "gpt-4.1", cost: T.usd(5))
    rec.addBilled(T.bill(.openai, model: "", lineItem: "cost", cents: 5, at: T.day1))
    let rows = rec.rows().rows.map { [$0.provider.rawValue, $0.model] }
    #expect(rows == [["anthropic", "(day total)"], ["openai", "(cost)"], ["openai", "gpt-4.1"]])
    #expect(rec.rows().rows.first?.computed == T.usd(120) && rec.rows().rows.first?.billed == T.usd(120))
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

  /// Each row of reconciliation.csv cross-foots as printed: computed less billed, to 6 decimals.
  ///
  /// A trial: 0.1587314 computed, 0.1545596 billed, printed 0.158731 and 0.154560 with a variance of
  /// 0.004172 (the exact 0.0041718 rounded), a micro-dollar off their difference. A credit the same
  /// way: 0.0332434 against −0.9667575 (printed 0.033243 and −0.966758: 1.000001).
  @Test func reconciliationRowsCrossFootAsPrinted() throws {
    func usd(_ micros10: Int128) -> Money { Money(pico: micros10 * 100_000) }  // tenths of a micro-dollar
    let rows = [
      ReconciliationRow(
        provider: .openai, day: "2026-10-26", model: "gpt-4.1", computed: usd(1_587_314), billed: usd(1_545_596)),
      ReconciliationRow(
        provider: .azure, day: "2026-10-16", model: "gpt-4o", computed: usd(332_434), billed: usd(-9_667_575)),
    ]
    var report = RuleRestRoundingTests.report()
    report.lines = []
    report.reconciliation = rows
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try CSVReports.write(report, to: dir)
    let csv = try TestSupport.readCSV(try #require(paths.first { $0.hasSuffix("reconciliation.csv") }))
    // A percentage of a bill above zero only: the credit's is blank, and so is the workbook's
    // TOTAL over a bill that credits outweigh (0.154560 − 0.966758 < 0).
    #expect(csv.map { $0["variance_pct"] } == ["2.70", ""])
    _ = try WorkbookReports.write(report, names: WorkbookNames.assign(report.costCentres.map(\.id)), to: dir)
    let sheet = try #require(try WorkbookTests.read(dir + "/company.xlsx")["Reconciliation"])
    let header = sheet.rows[0].map { $0?.text ?? "" }
    let pct = try #require(header.firstIndex(of: "Variance (% of billed)"))
    let total = try #require(sheet.row("TOTAL"))
    #expect(sheet.rows[total].count <= pct || sheet.rows[total][pct] == nil, "\(sheet.rows[total])")
    #expect(
      csv.map { [$0["computed_usd"], $0["billed_usd"], $0["variance_usd"]] } == [
        ["0.158731", "0.154560", "0.004171"], ["0.033243", "-0.966758", "1.000001"],
      ])
  }
}
