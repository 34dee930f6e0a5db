import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A pass over a month stored out of time order holds a day's rows in SQLite's page cache; one
/// stored in time order keeps the small cache (`UsageStore+ReadCache.swift`).
@Suite struct ReadCacheTests {
  static let day: Int64 = 86_400_000
  static let october: Int64 = 1_790_812_800_000  // 2026-10-01T00:00:00Z

  /// A store of `count` calls over October's 31 days, stored in time order, or in an order that
  /// visits each day's times at random (a log written by many workers).
  static func store(_ dir: String, count: Int, days: Int = 31, shuffled: Bool) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/store.sqlite")
    var times = (0..<count).map { october + Int64($0) * (Int64(days) * day / Int64(count)) }
    if shuffled {
      // Within each day, a fixed scramble of the day's calls (no random generator: reproducible).
      let perDay = count / days
      for d in 0..<days {
        let part = times[(d * perDay)..<((d + 1) * perDay)]
        let scrambled = part.enumerated().sorted { ($0.offset &* 7_919) % perDay < ($1.offset &* 7_919) % perDay }
        times.replaceSubrange((d * perDay)..<((d + 1) * perDay), with: scrambled.map(\.element))
      }
    }
    try store.grouped {
      try store.write {
        let w = try store.beginFile(sha256: "a", path: "a.json", format: "openai-usage", level: .request, bytes: 1)
        for (i, t) in times.enumerated() {
          // A task id of 200 bytes a call: rows as wide as a real call's.
          let r = UsageRecord(
            provider: .openai, level: .request, format: "openai-usage", naturalKey: "openai:c\(i)", time: t,
            model: "gpt-4o", tokens: TokenCounts(input: 1),
            metadata: CallMetadata(taskID: "T-\(i)-" + String(repeating: "x", count: 200)))
          try w.insert(r, keys: RecordKeys(of: r))
        }
      }
    }
    return store
  }

  @Test func aMonthStoredOutOfTimeOrderIsToldFromOneStoredInIt() throws {
    for shuffled in [false, true] {
      let dir = try TestSupport.tempDir("order-\(shuffled)")
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let store = try Self.store(dir, count: 31 * 400, shuffled: shuffled)
      defer { try? store.close() }
      let probe = try store.orderProbe(from: Self.october, to: Self.october + 31 * Self.day)
      if shuffled {
        // Random within each day: the probe's 4,096 rows (ten days of 400) span those days' rows.
        #expect(probe.outOfOrderShare > 0.2, "\(probe)")
        #expect(probe.spanRows > 3_600 && probe.spanRows <= 4_400, "\(probe)")
      } else {
        #expect(probe.outOfOrderShare == 0)
        #expect(probe.spanRows == 4_096)
      }
      // A store this small keeps the small cache either way (a day of it is far below 16 MiB),
      // and the pass reads every record, in time order, whatever the cache.
      #expect(try store.readCacheKiB(from: Self.october, to: Self.october + 31 * Self.day) == 16_384)
      var last = Int64.min
      var count = 0
      try store.forEachRecord(from: Self.october, to: Self.october + 31 * Self.day) { r in
        #expect(r.record.time >= last)
        (last, count) = (r.record.time, count + 1)
      }
      #expect(count == 31 * 400)
      #expect(try PageCacheTests.cacheKiB(store.db) == 16_384)
    }
  }

  /// A day of 60,000 calls (some 16 MB of store): stored out of order, the pass reads it with a
  /// cache of the store's bytes and a half, and gives the small one back after; stored in order,
  /// with the small one.
  @Test func thePassHoldsADayOfRowsStoredOutOfOrder() throws {
    for shuffled in [false, true] {
      let dir = try TestSupport.tempDir("day-\(shuffled)")
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let store = try Self.store(dir, count: 60_000, days: 1, shuffled: shuffled)
      defer { try? store.close() }
      let bytes = try #require(try store.db.scalarInt("PRAGMA page_count")) * 16_384
      // The probe's rows span about half the day (the scramble spreads each row's neighbours in
      // time over the whole day): the cache holds the bytes of that span and a half.
      let probe = try store.orderProbe(from: Self.october, to: Self.october + Self.day)
      let expected =
        shuffled ? max(16_384, Int64(Double(bytes) * Double(probe.spanRows) / 60_000 / 1024 * 1.5)) : 16_384
      #expect(!shuffled || expected > 16_384, "a store of \(bytes) bytes")
      var during: Int64 = 0
      var count = 0
      try store.forEachRecord(from: Self.october, to: Self.october + Self.day) { _ in
        if count == 0 { during = (try? PageCacheTests.cacheKiB(store.db)) ?? -1 }
        count += 1
      }
      #expect(count == 60_000)
      #expect(during == expected)
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
}
