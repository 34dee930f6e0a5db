import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
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
}
