import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// An open month's forecast extrapolates only what grows with calls; fixed amounts are in it once.
///
/// The month of `CostSharingTests` (its comment has every figure), reported as of 26 October
/// 00:00 UTC: 25 days elapsed, 6 left, so the forecast is owed + growing × 6/25.
///
/// What is fixed, per cost centre, following the rules in order:
/// - Direct: PLAT holds the idle 16.00 and b5's 4.00 under PT-BR (20.00 of its 23.00); APP1 v1
///   2.25 and APP2 b7 2.00 under provisioned capacity; APP3 v2 0.75.
/// - R1 moves UNATTRIBUTED's 1.00, none of it fixed. R2 moves the shared credential's calls (3.00),
///   which grow. R3 moves all PLAT holds, 20.25, of which 20.00 fixed, split as the amount is
///   (10.125 : 6.075 : 4.05): 10.00, 6.00, 4.00. R4's 100.00 is fixed.
/// - Fixed: APP1 2.25 + 10 + 41.187925998052 = 53.437925998052; APP2 2.00 + 6 + 28.140214216164 =
///   36.140214216164; APP3 0.75 + 4 + 30.671859785784 = 35.421859785784; PLAT and UNATTRIBUTED 0.
/// - Growing (owed − fixed): APP1 4.155, APP2 2.415, APP3 2.70; Σ 9.27 = the month's calls not
///   under provisioned capacity (34.27 − 16 − 9.00).
///
/// Forecast = owed + growing × 0.24: APP1 57.592925998052 + 0.9972 = 58.590125998052; APP2
/// 38.555214216164 + 0.5796 = 39.134814216164; APP3 38.121859785784 + 0.648 = 38.769859785784;
/// TOTAL 134.27 + 2.2248 = 136.4948. To 6 decimals by largest remainder (floors 58.590125,
/// 39.134814, 38.769859; two units to the largest remainders, APP1 and APP3): 58.590126, 39.134814,
/// 38.769860.
@Suite struct ForecastTests {
  @Test func fixedAmountsAreNotExtrapolated() throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir)
    let asOf = try #require(Timestamp.parseMillis("2026-10-26T00:00:00Z"))
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite", asOf: asOf),
      progress: ProgressReporter(force: false))
    _ = try job.run()
    let summary = Dictionary(
      uniqueKeysWithValues: try TestSupport.readCSV(dir + "/out/summary.csv").map {
        ($0["cost_centre"]!, $0["forecast_usd"]!)
      })
    #expect(
      summary == [
        "APP1": "58.590126", "APP2": "39.134814", "APP3": "38.769860", "PLAT": "0.000000",
        "UNATTRIBUTED": "0.000000", "TOTAL": "136.494800",
      ])
  }

  /// Data that runs less than a day into the month is not forecast: a millisecond before the day is out, none; at the
  /// day, owed + growing × 30 days ÷ 1 day (10 USD owed of which 4 grow: 10 + 4 × 30 = 130 USD).
  @Test func aMonthIsForecastOnceItsDataRunsADayIntoIt() {
    let period = Period(year: 2026, month: 10)
    func usd(_ n: Int128) -> Money { Money(pico: n * Money.picoPerUSD) }
    func forecast(after ms: Int64) -> Money? {
      PeriodContext(asOf: period.startMillis + ms, isOpen: true).forecast(
        owed: usd(10), runRate: usd(4), period: period)
    }
    #expect(forecast(after: 1) == nil)
    #expect(forecast(after: Timestamp.millisPerDay - 1) == nil)
    #expect(forecast(after: Timestamp.millisPerDay) == usd(130))
  }
}

/// A provisioned commitment whose calls have no price (the model's alias row forgotten) is said to be of unknown use,
/// not 0 %: the month of `CostSharingTests` without its alias for the provisioned model `pt-abc`.
///
/// PT-BR's fee from the 10th is 22 USD (31 × 22/31); its two calls (b5, b7) have no list, so all 22 USD is idle with
/// PLAT, and the sheet shows the 2 calls and "unknown" where it showed 0 %; the console says why.
@Suite struct UnpricedCommitmentTests {
  @Test func aProvisionedCommitmentOfUnpricedCallsIsOfUnknownUse() throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir)
    try "provider,pattern,model\n".write(toFile: dir + "/pricing/aliases.csv", atomically: true, encoding: .utf8)
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    let report = try #require(try job.run().report)
    let use = try #require(report.commitments.first { $0.commitment.id == "PT-BR" })
    #expect(use.requests == 0 && use.unpricedRequests == 2)
    #expect(use.idle == TestSupport.usd("22") && use.utilisationPercentText == nil)
    let table = WorkbookReports.commitmentsTable(report.commitments)
    func text(_ c: DetailTable.Cell) -> String? {
      if case .text(let t) = c { return t }
      return nil
    }
    let row = try #require((0..<table.count).map { table.row($0) }.first { text($0[0]) == "PT-BR" })
    let header = table.columns.map(\.header)
    #expect(row[header.firstIndex(of: "Requests") ?? -1].summand == 2)
    #expect(text(row[header.firstIndex(of: "Utilisation") ?? -1]) == "unknown: 2 calls unpriced")
    let warning = ConsoleSummary.warnings(report).first { $0.contains("commitment PT-BR") }
    #expect(warning?.contains("2 of its calls have no price") == true, "\(ConsoleSummary.warnings(report))")
    #expect(warning?.contains("(USD 22.00)") == true && warning?.contains("to PLAT") == true)
  }
}
