import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Days a loaded bill does not cover are not compared with it.
///
/// A trial loaded OpenAI costs pages of October 2–3 beside usage of the 9th: `reconciliation.csv`
/// had a row "computed 0.105, billed 0.000" for the 9th, a variance finance would chase though no
/// bill for that day was loaded. A day the pages cover with no cost (an empty bucket) is billed
/// $0, and compared.
@Suite struct UnbilledDaysTests {
  /// An OpenAI costs page of daily buckets: (first second of the day, USD of gpt-4.1-mini input
  /// that day, or nil for a bucket with no results).
  static func costsPage(_ buckets: [(Int64, String?)]) -> String {
    let data = buckets.map { start, usd in
      let results =
        usd.map {
          #"{"object": "organization.costs.result", "amount": {"value": \#($0), "currency": "usd"}, "#
            + #""line_item": "gpt-4.1-mini-2025-04-14, input", "project_id": "proj_Fin7Q"}"#
        } ?? ""
      return #"{"object": "bucket", "start_time": \#(start), "end_time": \#(start + 86_400), "results": [\#(results)]}"#
    }
    return #"{"object": "page", "data": [\#(data.joined(separator: ", "))], "has_more": false, "next_page": null}"#
      + "\n"
  }

  /// `chargeback run` of October over `dir/usage` with the hand-computed month's identities, and
  /// the manifest it wrote.
  static func runOctober(_ dir: String, pricing: String) throws -> (ChargebackJob.Result, [String: Any]) {
    let result = try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [dir + "/usage"], identities: Fixtures.month + "/identities",
        pricing: pricing, out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false)
    ).run()
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json")))
        as? [String: Any])
    return (result, manifest)
  }

  @Test func daysWithoutABillAreNamedApartNotComparedWithZero() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = try BucketWidthTests.pricing(dir)
    let day: Int64 = 86_400
    let oct1 = MissingPagesTests.epoch("2026-10-01T00:00:00Z")
    // Usage: 0.40 USD each day from October 1 to 10. The bill: 0.40 on the 2nd, 0.30 on the 3rd,
    // and nothing on the 4th (an empty bucket: billed $0); no page covers the 1st, nor the 5th on.
    try MissingPagesTests.write(
      MissingPagesTests.openAIPage(from: oct1, days: 10, hasMore: false), dir + "/usage/usage.json")
    try MissingPagesTests.write(
      Self.costsPage([(oct1 + day, "0.40"), (oct1 + 2 * day, "0.30"), (oct1 + 3 * day, nil)]),
      dir + "/usage/costs.json")
    let (result, manifest) = try Self.runOctober(dir, pricing: pricing)
    let days = ["2026-10-01", "2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10"]
    #expect(result.report.unbilledDays == [Provider.openai: days])
    let rows = try TestSupport.readCSV(dir + "/out/reconciliation.csv")
    let compared = rows.map { [$0["day"] ?? "", $0["computed_usd"] ?? "", $0["billed_usd"] ?? "", $0["kind"] ?? ""] }
    #expect(
      compared == [
        ["2026-10-02", "0.400000", "0.400000", "billed"], ["2026-10-03", "0.400000", "0.300000", "billed"],
        ["2026-10-04", "0.400000", "0.000000", "billed"],
      ])
    // The manifest lists them, and the front page names them as runs of days.
    #expect(manifest["unbilled_days"] as? [String: [String]] == ["openai": days])
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Summary"])
    let unbilled = sheet.rows.first { $0.first??.text == "Not reconciled (no openai bill)" }
    #expect(unbilled?.dropFirst().compactMap { $0?.text }.first == "2026-10-01, 2026-10-05 to 2026-10-10")
    #expect(!sheet.rows.contains { $0.first??.text == "Not reconciled (no bill)" })  // OpenAI's bill is loaded
    let total = sheet.rows.first { $0.first??.text == "Reconciled: variance (USD)" }
    #expect(total?.dropFirst().compactMap { $0?.cents }.first == 50)  // 0.00 + 0.10 + 0.40
  }
}
