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

  /// Hours cut at two fetches' 17:31 beside hours that stop at 17:00 and start again at 18:00: the cut halves are the
  /// finest rows of their hour, charged, and nothing of the day is lost (a review: both halves were dropped, 23 calls
  /// charged of 25).
  ///
  /// The day whole (25 calls); the first fetch's hours 0–16 (1 call each) and 17:00–17:31 (1); the second's 17:31–
  /// 18:00 (1) and hours 18–23 (1 each): 17 + 1 + 1 + 6 = 25 calls from the hours, 25 × 0.0056 = 0.14 USD.
  @Test func cutHoursBesideWholeHoursAreTheirFinestRows() throws {
    let cutAt: Int64 = Self.day9 + 17 * 3600 + 31 * 60
    func hour(_ h: Int) -> (Int64, Int64, [String]) {
      let start: Int64 = Self.day9 + Int64(h) * 3600
      return (start, start + 3600, [Self.usage(1)])
    }
    var first: [(Int64, Int64, [String])] = (0..<17).map(hour)
    first.append((Self.day9 + 17 * 3600, cutAt, [Self.usage(1)]))
    var second: [(Int64, Int64, [String])] = [(cutAt, Self.day9 + 18 * 3600, [Self.usage(1)])]
    second += (18..<24).map(hour)
    let report = try Self.report([
      "day.json": [(Self.day9, Self.day10, [Self.usage(25)])], "hours-1.json": first, "hours-2.json": second,
    ])
    #expect(Self.requests(report) == 25)
    #expect(report.totalCost == TestSupport.usd("0.14"))
  }

  /// A week of days fetched at 17:31 is a page of days, not of 6.5-hour buckets: beside an hourly page of the 9th
  /// fetched at noon (12 calls), the 9th is charged whole (20), as a day whose finer page covers part of it (a review:
  /// the week's cut first bucket made it a finer page over every day, and the 9th lost its afternoon).
  ///
  /// The week: the 8th from 17:31 (4 calls), the 9th whole (20), the 10th to 17:31 (6): 30 calls, 0.168 USD.
  @Test func aWeekCutAtItsEndsIsAPageOfDays() throws {
    let cut: Int64 = 17 * 3600 + 31 * 60
    let week: [(Int64, Int64, [String])] = [
      (Self.day9 - 86_400 + cut, Self.day9, [Self.usage(4)]), (Self.day9, Self.day10, [Self.usage(20)]),
      (Self.day10, Self.day10 + cut, [Self.usage(6)]),
    ]
    let noon: [(Int64, Int64, [String])] = (0..<12).map { (h: Int) -> (Int64, Int64, [String]) in
      let start: Int64 = Self.day9 + Int64(h) * 3600
      return (start, start + 3600, [Self.usage(1)])
    }
    let report = try Self.report(["week.json": week, "hours.json": noon])
    #expect(Self.requests(report) == 30)
    #expect(report.totalCost == TestSupport.usd("0.168"))
  }
}
