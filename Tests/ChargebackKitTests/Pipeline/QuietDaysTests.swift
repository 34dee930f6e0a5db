import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Empty buckets of an API page say how far the usage was fetched.
///
/// A trial fetched OpenAI usage of October 1–14 whose last five days had no calls: the month ran
/// "to October 10", and its forecast extrapolated 9 days' spend instead of 14, 55 % high; a daily
/// run would do the same after every quiet weekend.
@Suite struct QuietDaysTests {
  @Test func aPagesEmptyBucketsCountAsDaysElapsed() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = try BucketWidthTests.pricing(dir)
    let day: Int64 = 86_400
    let oct1 = MissingPagesTests.epoch("2026-10-01T00:00:00Z")
    // 0.40 USD a day from October 1 to 9 (3.60), then five buckets with no results.
    let result = BucketWidthTests.openAIResult(key: "key_A", input: 1_000_000, cached: 0, output: 0, requests: 10)
    let buckets = (0..<14).map { d in
      (oct1 + Int64(d) * day, oct1 + Int64(d + 1) * day, d < 9 ? [result] : [])
    }
    try MissingPagesTests.write(BucketWidthTests.openAIPage(buckets), dir + "/usage/usage.json")
    // The bill, fetched through October 20: a cost page says nothing of how far the usage runs.
    try MissingPagesTests.write(
      UnbilledDaysTests.costsPage((0..<20).map { (oct1 + Int64($0) * day, $0 < 9 ? "0.40" : nil) }),
      dir + "/usage/costs.json")
    let (run, manifest) = try UnbilledDaysTests.runOctober(dir, pricing: pricing)
    #expect(run.report.context.asOf == Timestamp.parseMillis("2026-10-15T00:00:00Z"))
    #expect(run.report.context.isOpen)
    // 3.60 owed + 3.60 × 17 days left ÷ 14 elapsed = 7.971428…
    let context = try #require(manifest["context"] as? [String: Any])
    #expect(context["forecast_usd"] as? String == "7.971429")
    #expect(context["as_of"] as? String == "2026-10-15T00:00:00Z")
  }
}
