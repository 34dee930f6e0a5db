import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A month with no usage is reported, not a crash: finance runs `report` for a month before its
/// exports arrive, or on a store that holds only other months.
@Suite struct EmptyMonthTests {
  /// The store holds one Bedrock call on 2026-09-27 (or nothing at all); October is reported.
  @Test(arguments: [true, false])
  func aMonthWithoutUsageIsReportedWithZeroTotals(storeHoldsSeptember: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The identities and prices of the retry-storm tests; one call 10 days before their 7 October.
    let september = RetryStormTests.call(0, at: -864_000, input: 1_000, output: 100, error: nil)
    let usage = dir + "/usage.jsonl"
    try (storeHoldsSeptember ? september + "\n" : "").write(toFile: usage, atomically: true, encoding: .utf8)
    let sept = try RetryStormTests.month(in: dir, usage: usage, period: Period(year: 2026, month: 9))
    #expect(sept.report.totalCost.pico == (storeHoldsSeptember ? RetryStormTests.cost(1_000, 100) : 0))

    let october = try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), identities: dir + "/identities", pricing: dir + "/pricing",
        out: dir + "/october", database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).reportOnly()
    #expect(october.report.totalCost.pico == 0)
    #expect(october.report.recordCount == 0)
    let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/october")
    for name in ["summary.csv", "chargeback.csv", "focus.csv", "company.xlsx", "manifest.json"] {
      #expect(written.contains(name), "\(name) written")
    }
  }

  /// A run before the month's exports arrive (an empty usage folder), or with a mistyped period,
  /// warns, and keeps no closed-month totals: the real month, loaded next, is reported open with a
  /// forecast (it was reported closed, and the next month compared itself with fees alone).
  @Test func aRunOnAMonthWithoutUsageWarnsAndClosesNothing() throws {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
    func run(_ period: String, usage: String) throws -> (status: Int32, out: String, err: String) {
      try TestSupport.runCLI([
        "run", "--period", period, "--usage", usage, "--identities", Fixtures.month + "/identities", "--pricing",
        Fixtures.month + "/pricing", "--out", dir + "/out-" + period, "--db", dir + "/s.sqlite",
      ])
    }
    let empty = try run("2026-10", usage: dir + "/empty")
    #expect(empty.status == 0)
    #expect(empty.err.contains("warning: the store holds no usage in 2026-10"), "\(empty.err)")
    #expect(!empty.out.contains("warning:"), "warnings go to stderr only: \(empty.out)")
    let wrong = try run("2026-08", usage: Fixtures.month + "/usage")
    #expect(wrong.err.contains("warning: the store holds no usage in 2026-08"))
    let store = try UsageStore(path: dir + "/s.sqlite")
    #expect(try store.reportedTotals(Period(year: 2026, month: 10)) == nil)
    #expect(try store.reportedTotals(Period(year: 2026, month: 8)) == nil)
    try store.close()
    // October, loaded now, is reported as the store holds it: open to its last call, with a forecast.
    let real = try run("2026-10", usage: Fixtures.month + "/usage")
    #expect(real.status == 0)
    #expect(!(real.out + real.err).contains("warning: the store holds no usage"))
    #expect(real.out.contains("is reported as open"), "\(real.out)")
  }
}

/// A cost centre of `cost_centres.csv` that nothing was charged to is in the month at zero (SPEC §7:
/// one row per cost centre), with its whole budget remaining; it was missing from `summary.csv`,
/// so its owner could not tell "no spend" from "left out".
@Suite struct CostCentreWithoutSpendTests {
  @Test func itHasASummaryRowAndAWorkbookAndNoJournalLine() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ids = dir + "/identities"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: ids)
    let path = ids + "/cost_centres.csv"
    try (String(contentsOfFile: path, encoding: .utf8) + "CC-D,Delta,p-1,25.50\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    func run(_ identities: String, _ out: String) throws -> [[String: String]] {
      let r = try TestSupport.runCLI([
        "run", "--period", "2026-10", "--usage", Fixtures.month + "/usage", "--identities", identities, "--pricing",
        Fixtures.month + "/pricing", "--out", out, "--db", dir + "/s.sqlite",
      ])
      #expect(r.status == 0, "\(r.err)")
      return try TestSupport.readCSV(out + "/summary.csv")
    }
    let with = try run(ids, dir + "/out")
    let without = try run(Fixtures.month + "/identities", dir + "/before")
    let d = try #require(with.first { $0["cost_centre"] == "CC-D" })
    #expect(d["requests"] == "0")
    #expect(d["cost_usd"] == "0.000000")
    #expect(d["budget_usd"] == "25.50")
    #expect(d["budget_remaining_usd"] == "25.500000")
    // Nothing else moves: the other rows and the TOTAL are those of the month without it.
    #expect(with.filter { $0["cost_centre"] != "CC-D" } == without)
    #expect(!(try TestSupport.readCSV(dir + "/out/journal.csv")).contains { $0["cost_centre"] == "CC-D" })
    let manifest =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))) as? [String: Any]
    let workbooks = try #require(manifest?["workbooks"] as? [String: String])
    #expect(workbooks["CC-D"] != nil)
  }
}
