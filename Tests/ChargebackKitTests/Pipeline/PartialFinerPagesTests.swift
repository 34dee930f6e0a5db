import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The bucket-width rule with the pages the finer rows came in: an hourly export that covers only
/// part of a day (fetched at noon) leaves the day's daily row charged, not the morning's hours (a
/// trial lost the afternoon); one that covers the whole day, empty hours included, is charged.
///
/// Prices (``BucketWidthTests/pricing(_:)``), USD per million: input 0.4, output 1.6.
/// - the daily row of 10-05: 300,000 input and 20,000 output = 0.12 + 0.032 = 0.152;
/// - hour 09: 100,000 and 5,000 = 0.048; hour 10: 50,000 and 5,000 = 0.028; the hours 0.076;
/// - the other days: 10-04, 1,000,000 input = 0.4.
@Suite struct PartialFinerPagesTests {
  static let day = BucketWidthTests.epoch("2026-10-05T00:00:00Z")

  static func result(_ input: Int, _ output: Int) -> String {
    BucketWidthTests.openAIResult(key: "key_A", input: input, cached: 0, output: output, requests: 5)
  }

  /// The daily page: 10-04 and 10-05.
  static func dailyPage() -> String {
    BucketWidthTests.openAIPage([
      (day - 86_400, day, [result(1_000_000, 0)]), (day, day + 86_400, [result(300_000, 20_000)]),
    ])
  }

  /// Hourly buckets of 10-05 from `first` to `last` hour (exclusive), rows at 09 and 10.
  static func hours(_ first: Int, _ last: Int) -> [(Int64, Int64, [String])] {
    (first..<last).map { h in
      let start = day + Int64(h) * 3600
      let rows = h == 9 ? [result(100_000, 5_000)] : h == 10 ? [result(50_000, 5_000)] : []
      return (start, start + 3600, rows)
    }
  }

  static func report(_ files: [(String, String)]) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    var paths: [String] = []
    for (name, text) in files {
      try text.write(toFile: dir + "/usage/" + name, atomically: true, encoding: .utf8)
      paths.append(dir + "/usage/" + name)
    }
    let store = try BucketWidthTests.ingest(paths, dir)
    defer { try? store.close() }
    return try BucketWidthTests.report(store, dir)
  }

  @Test func hoursFetchedAtNoonLeaveTheDailyRowCharged() throws {
    let r = try Self.report([
      ("daily.json", Self.dailyPage()), ("hourly.json", BucketWidthTests.openAIPage(Self.hours(0, 12))),
    ])
    #expect(r.totalCost == TestSupport.usd("0.552"))  // 0.4 + 0.152
    let g = try #require(r.granularity.first)
    #expect(r.granularity.count == 1 && g.coarseCharged)
    #expect(g.coarseCost == TestSupport.usd("0.152") && g.finerCost == TestSupport.usd("0.076"))
    #expect(g.coarseRows == 1 && g.finerRows == 2)
    #expect(r.supersededReportRows == 2)  // the two hours, not charged
    // reconciliation.csv says which side was charged.
    let dir = try TestSupport.tempDir("partial-finer")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try CSVReports.write(r, to: dir)
    let csv = try TestSupport.readCSV(try #require(paths.first { $0.hasSuffix("reconciliation.csv") }))
    #expect(csv.map { $0["charged"] } == ["coarse"])
  }

  @Test func hoursOfTheWholeDayAreCharged() throws {
    // One page of 24 hours, and the same hours in two pages (the first says more follow).
    let whole = try Self.report([
      ("daily.json", Self.dailyPage()), ("hourly.json", BucketWidthTests.openAIPage(Self.hours(0, 24))),
    ])
    let first = BucketWidthTests.openAIPage(Self.hours(0, 12)).replacingOccurrences(
      of: "\"has_more\": false, \"next_page\": null", with: "\"has_more\": true, \"next_page\": \"page_B\"")
    let split = try Self.report([
      ("daily.json", Self.dailyPage()), ("h1.json", first),
      ("h2.json", BucketWidthTests.openAIPage(Self.hours(12, 24))),
    ])
    for r in [whole, split] {
      #expect(r.totalCost == TestSupport.usd("0.476"))  // 0.4 + 0.076
      let g = try #require(r.granularity.first)
      #expect(r.granularity.count == 1 && !g.coarseCharged && g.finerRows == 2)
      #expect(r.supersededReportRows == 1)
      #expect(r.missingPages.isEmpty)
    }
  }

  /// The cookbook's shape (the buckets without their pages, empty ones kept) covers what its
  /// buckets cover.
  @Test func bucketArraysCoverTheirBuckets() throws {
    func array(_ hours: [(Int64, Int64, [String])]) -> String {
      "["
        + hours.map { b in
          "{\"object\": \"bucket\", \"start_time\": \(b.0), \"end_time\": \(b.1), \"results\": [\(b.2.joined(separator: ", "))]}"
        }.joined(separator: ", ") + "]"
    }
    let day = try Self.report([("daily.json", Self.dailyPage()), ("hours.json", array(Self.hours(0, 24)))])
    #expect(day.totalCost == TestSupport.usd("0.476"))
    #expect(day.granularity.first?.coarseCharged == false)
    let two = try Self.report([("daily.json", Self.dailyPage()), ("hours.json", array(Self.hours(9, 11)))])
    #expect(two.totalCost == TestSupport.usd("0.552"))
    #expect(two.granularity.first?.coarseCharged == true)
  }

  /// A store whose finer rows came with no page kept (loaded before pages were kept, their files
  /// gone since): the finer rows are charged, as before.
  @Test func finerRowsWithoutPagesAreChargedAsBefore() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let paths = [dir + "/usage/daily.json", dir + "/usage/hourly.json"]
    try Self.dailyPage().write(toFile: paths[0], atomically: true, encoding: .utf8)
    try BucketWidthTests.openAIPage(Self.hours(0, 12)).write(toFile: paths[1], atomically: true, encoding: .utf8)
    let store = try BucketWidthTests.ingest(paths, dir)
    defer { try? store.close() }
    try store.db.execute("DELETE FROM export_pages")
    let r = try BucketWidthTests.report(store, dir)
    #expect(r.totalCost == TestSupport.usd("0.476"))
    #expect(r.granularity.first?.coarseCharged == false)
  }

  /// Three widths: the day's hours cover it, but the minutes of 09:00 only its first half hour.
  ///
  /// The day is charged from its hours, and hour 09 whole (its minutes not): each call once.
  /// Minutes: 09:05, 40,000 input and 1,000 output = 0.016 + 0.0016 = 0.0176; 09:10, 20,000 and
  /// 1,000 = 0.008 + 0.0016 = 0.0096.
  @Test func threeWidthsChargeEachCallOnce() throws {
    let nine = Self.day + 9 * 3600
    let minutes: [(Int64, Int64, [String])] = (0..<30).map { m in
      let start = nine + Int64(m) * 60
      let rows = m == 5 ? [Self.result(40_000, 1_000)] : m == 10 ? [Self.result(20_000, 1_000)] : []
      return (start, start + 60, rows)
    }
    let r = try Self.report([
      ("daily.json", Self.dailyPage()), ("hourly.json", BucketWidthTests.openAIPage(Self.hours(0, 24))),
      ("minutes.json", BucketWidthTests.openAIPage(minutes)),
    ])
    #expect(r.totalCost == TestSupport.usd("0.476"))  // 0.4 + 0.048 + 0.028
    let day = try #require(r.granularity.first { $0.bucketEnd - $0.bucketStart == 86_400_000 })
    #expect(!day.coarseCharged && day.finerRows == 2 && day.finerCost == TestSupport.usd("0.076"))
    let hour = try #require(r.granularity.first { $0.bucketEnd - $0.bucketStart == 3_600_000 })
    #expect(hour.coarseCharged && hour.coarseCost == TestSupport.usd("0.048"))
    #expect(hour.finerRows == 2 && hour.finerCost == TestSupport.usd("0.0272"))
    #expect(r.granularity.count == 2)
    #expect(r.supersededReportRows == 3)  // the daily row and the two minutes
  }

  /// An embeddings fetch of the whole day says nothing of the completions' hours: fetched at noon,
  /// they leave the completions' daily row charged.
  @Test func pagesOfAnotherEndpointCoverNothing() throws {
    let embeddings = Self.hours(0, 24).map { b in
      let row =
        b.0 == Self.day + 3 * 3600
        ? [
          "{\"object\": \"organization.usage.embeddings.result\", \"input_tokens\": 1000, \"num_model_requests\": 1, "
            + "\"project_id\": null, \"user_id\": null, \"api_key_id\": \"key_E\", \"model\": \"text-embedding-3-small\"}"
        ] : []
      return (b.0, b.1, row)
    }
    let r = try Self.report([
      ("daily.json", Self.dailyPage()), ("hourly.json", BucketWidthTests.openAIPage(Self.hours(0, 12))),
      ("embeddings.json", BucketWidthTests.openAIPage(embeddings)),
    ])
    #expect(r.totalCost == TestSupport.usd("0.552"))
    #expect(r.granularity.first?.coarseCharged == true)
  }
}
