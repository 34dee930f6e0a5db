import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Buckets the API cut at a query's start or end (the OpenAI cookbook's week, fetched at 17:31, begins and ends with
/// one) are the usage of part of a whole bucket: beside that whole bucket they are not charged, never taken for a
/// finer width (a trial: the day cut at 17:31 was charged instead of the whole day, 75 requests of 100).
///
/// Prices from ``BucketWidthTests/pricing(_:)``: gpt-4.1-mini input 0.4, output 1.6 USD per million.
@Suite struct CutBucketTests {
  typealias B = BucketWidthTests

  static let day9 = B.epoch("2026-10-09T00:00:00Z")
  static let day10 = B.epoch("2026-10-10T00:00:00Z")

  /// `requests` calls of 10,000 input and 1,000 output tokens each: 0.0056 USD a call.
  static func usage(_ requests: Int) -> String {
    B.openAIResult(key: "key_A", input: 10_000 * requests, cached: 0, output: 1_000 * requests, requests: requests)
  }

  static func report(_ pages: [String: [(Int64, Int64, [String])]]) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    var paths: [String] = []
    for (name, buckets) in pages.sorted(by: { $0.key < $1.key }) {
      try B.openAIPage(buckets).write(toFile: dir + "/usage/" + name, atomically: true, encoding: .utf8)
      paths.append(dir + "/usage/" + name)
    }
    return try B.report(try B.ingest(paths, dir), dir)
  }

  static func requests(_ r: ChargebackReport) -> Int128 { r.lines.reduce(0) { $0 + $1.requests } }

  /// The trial's two fetches: the day cut at the first fetch is not charged beside the whole day of the second.
  ///
  /// At 17:31:03 on the 10th (the 9th whole, the 10th cut: 75 calls), then a day later (the 10th whole: 100 calls).
  /// Charged: 90 + 100 = 190 calls, 190 × 0.0056 = 1.064 USD, in either order of the files.
  @Test(arguments: [false, true])
  func aDayCutAtTheFetchBesideTheWholeDayIsNotCharged(reversed: Bool) throws {
    let cutEnd = Self.day10 + 17 * 3600 + 31 * 60 + 3
    let pages: [String: [(Int64, Int64, [String])]] = [
      (reversed ? "b" : "a") + "-fetched-10th.json": [
        (Self.day9, Self.day10, [Self.usage(90)]), (Self.day10, cutEnd, [Self.usage(75)]),
      ],
      // As the API answers at 17:32 on the 11th: the 10th whole, and the 11th so far, empty.
      (reversed ? "a" : "b") + "-fetched-11th.json": [
        (Self.day10, Self.day10 + 86_400, [Self.usage(100)]), (Self.day10 + 86_400, cutEnd + 86_400 + 60, []),
      ],
    ]
    let report = try Self.report(pages)
    #expect(Self.requests(report) == 190)
    #expect(report.totalCost == TestSupport.usd("1.064"))
  }

  /// A week's cut first day is not charged beside the whole day.
  ///
  /// A week fetched from 17:31 begins with the 9th cut from 17:31 to midnight (40 calls); the 9th whole from another
  /// fetch (90 calls) is charged instead. A cut bucket with no whole one beside it is charged (the 8th's evening, 5).
  @Test func aWeeksCutFirstDayBesideTheWholeDayIsNotCharged() throws {
    let start = Self.day9 + 17 * 3600 + 31 * 60
    let report = try Self.report([
      "week.json": [(start, Self.day10, [Self.usage(40)])],
      "day.json": [(Self.day9, Self.day10, [Self.usage(90)])],
      "alone.json": [(Self.day9 - 86_400 + 20 * 3600, Self.day9, [Self.usage(5)])],
    ])
    #expect(Self.requests(report) == 95)
    #expect(report.totalCost == TestSupport.usd("0.532"))
  }

  /// The whole day superseded by its hours: the hours are charged (9 + 6 calls), and neither the day (20) nor the
  /// day cut at noon (12).
  @Test func aCutDayBesideADaySupersededByItsHoursIsNotCharged() throws {
    let report = try Self.report([
      "day.json": [(Self.day9, Self.day10, [Self.usage(20)])],
      "cut.json": [(Self.day9, Self.day9 + 12 * 3600, [Self.usage(12)])],
      "hours.json": (0..<24).map { h in
        let s = Self.day9 + Int64(h) * 3600
        return (s, s + 3600, h == 9 ? [Self.usage(9)] : h == 15 ? [Self.usage(6)] : [])
      },
    ])
    #expect(Self.requests(report) == 15)
    #expect(report.totalCost == TestSupport.usd("0.084"))
  }
}
