import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// The report's pass over a month stored out of time order holds in SQLite's page cache the
/// stretch of the table its rows jump over; a month stored in time order, or as time-ordered
/// streams side by side, keeps the small cache, as do the report's other passes
/// (`UsageStore+ReadCache.swift`).
@Suite struct ReadCacheTests {
  static let day: Int64 = 86_400_000
  static let october: Int64 = 1_790_812_800_000  // 2026-10-01T00:00:00Z
  static let calls = 100_000

  enum Order { case time, twoStreams, shuffled }

  /// A store of ``calls`` calls over October's first day (rows of some 260 bytes, 1,600 pages):
  /// stored in time order; as two time-ordered streams, one file after the other (the even calls,
  /// then the odd ones: two providers' logs of the same hours); or in a fixed scramble of the day.
  static func store(_ dir: String, _ order: Order) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/store.sqlite")
    let times = (0..<calls).map { october + Int64($0) * (day / Int64(calls)) }
    let files: [[Int]]
    switch order {
    case .time: files = [Array(0..<calls)]
    case .twoStreams: files = [Array(stride(from: 0, to: calls, by: 2)), Array(stride(from: 1, to: calls, by: 2))]
    case .shuffled: files = [(0..<calls).map { ($0 &* 7_919) % calls }]
    }
    for (n, calls) in files.enumerated() {
      try store.grouped {
        try store.write {
          let w = try store.beginFile(
            sha256: "f\(n)", path: "f\(n).json", format: "openai-usage", level: .request, bytes: 1)
          for i in calls {
            // A task id of 200 bytes a call: rows as wide as a real call's.
            let r = UsageRecord(
              provider: .openai, level: .request, format: "openai-usage", naturalKey: "openai:c\(i)", time: times[i],
              model: "gpt-4o", tokens: TokenCounts(input: 1),
              metadata: CallMetadata(taskID: "T-\(i)-" + String(repeating: "x", count: 200)))
            try w.insert(r, keys: RecordKeys(of: r))
          }
        }
      }
    }
    return store
  }

  @Test(arguments: [Order.time, .twoStreams, .shuffled])
  func theMainPassHoldsTheStretchOfRowsStoredOutOfOrder(_ order: Order) throws {
    let dir = try TestSupport.tempDir("order-\(order)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try Self.store(dir, order)
    defer { try? store.close() }
    // The month: its rows are all on its first day, so its middle is no row (the probe starts at
    // the middle of the rows).
    let (from, to) = (Self.october, Self.october + 31 * Self.day)
    let probe = try #require(try store.orderProbe(from: from, to: to))
    #expect(probe.rows == 4_096)
    let pages = try #require(try store.db.scalarInt("PRAGMA page_count"))
    #expect(pages > 1_500, "\(pages) pages")
    let expected: Int64
    switch order {
    case .time, .twoStreams:
      // In time order the probe's rows are on a few dozen pages (two streams: twice that).
      #expect(probe.distinctPages < 200, "\(probe)")
      expected = 16_384
    case .shuffled:
      #expect(probe.distinctPages > 1_024, "\(probe)")
      // The stretch the rows span, as bytes of the store: (span ÷ rows) × pages × 16 KiB, and a half.
      let kib = Double(probe.spanRows) / Double(Self.calls) * Double(pages) * 16 * 1.5
      expected = Int64(min(kib, 131_072))
      #expect(expected > 16_384)
    }
    #expect(try store.readCacheKiB(from: from, to: to) == expected)
    // The main pass reads with it, every row in time order, and puts the small cache back; another
    // pass keeps the small one.
    for main in [true, false] {
      var (during, count, last): (Int64, Int, Int64) = (0, 0, .min)
      try store.forEachRecord(from: from, to: to, mainPass: main) { r in
        if count == 0 { during = (try? PageCacheTests.cacheKiB(store.db)) ?? -1 }
        #expect(r.record.time >= last)
        (count, last) = (count + 1, r.record.time)
      }
      #expect(count == Self.calls)
      #expect(during == (main ? expected : 16_384))
      #expect(try PageCacheTests.cacheKiB(store.db) == 16_384)
    }
  }

  /// The bytes of the span's rows and a half, between 16 MiB and 128 MiB.
  @Test func theCacheHoldsTheSpansRowsWithinItsBounds() {
    // 1.7 GB of 10,000,000 rows, a span of 320,000 (a day of them): 54,400,000 bytes = 53,125 KiB;
    // × 1.5 = 79,687.5.
    #expect(UsageStore.spanCacheKiB(storeBytes: 1_700_000_000, rows: 10_000_000, spanRows: 320_000) == 79_687)
    // A day of a 170 MB month: below the small cache.
    #expect(UsageStore.spanCacheKiB(storeBytes: 170_000_000, rows: 1_000_000, spanRows: 32_000) == 16_384)
    // A month shuffled whole (the span is every row): above the ceiling.
    #expect(UsageStore.spanCacheKiB(storeBytes: 170_000_000, rows: 1_000_000, spanRows: 1_000_000) == 131_072)
    // A span past the rows counts as all of them; no rows, the small cache; no overflow.
    #expect(UsageStore.spanCacheKiB(storeBytes: 50_000_000, rows: 100, spanRows: 500) == 73_242)
    #expect(UsageStore.spanCacheKiB(storeBytes: 50_000_000, rows: 0, spanRows: 10) == 16_384)
    #expect(UsageStore.spanCacheKiB(storeBytes: .max, rows: .max, spanRows: .max) == 131_072)
  }

  /// A period with no row has no probe, and keeps the small cache.
  @Test func aPeriodWithoutRowsKeepsTheSmallCache() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    #expect(try store.orderProbe(from: Self.october, to: Self.october + Self.day) == nil)
    #expect(try store.readCacheKiB(from: Self.october, to: Self.october + Self.day) == 16_384)
  }
}
