import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// SQLite's page cache is the load's only while a group of files loads: a report reading the month
/// takes pages from the kernel's cache instead of holding 256 MiB of its own.
///
/// The load's cache holds the store's random key index (48 bytes a row), never below 32 MiB nor
/// above 256 MiB; each file's writer sizes it by the rows stored before the file, and again as the
/// file's rows arrive.
@Suite struct PageCacheTests {
  /// `PRAGMA cache_size` in KiB (SQLite reports a size set in KiB as its negative).
  static func cacheKiB(_ db: Database) throws -> Int64 {
    -(try db.scalarInt("PRAGMA cache_size") ?? 0)
  }

  @Test func theLoadCacheIsHeldOnlyWhileAGroupLoads() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    #expect(try Self.cacheKiB(store.db) == 16_384)
    // Before any file: the load's smallest cache.
    let inGroup = try store.grouped { try Self.cacheKiB(store.db) }
    #expect(inGroup == 32_768)
    #expect(try Self.cacheKiB(store.db) == 16_384)
    // A group that fails gives the cache back too.
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try store.grouped {
        #expect(try Self.cacheKiB(store.db) == 32_768)
        throw Stop()
      }
    }
    #expect(try Self.cacheKiB(store.db) == 16_384)
    // And the next group sets its own again.
    #expect(try store.grouped { try Self.cacheKiB(store.db) } == 32_768)
  }

  @Test func theLoadCacheFollowsTheStoresRowsWithinItsBounds() {
    #expect(Database.loadCacheKiB(rows: 0) == 32_768)
    #expect(Database.loadCacheKiB(rows: -5) == 32_768)
    // 48 bytes × 1,000,000 rows = 48,000,000 bytes = 46,875 KiB.
    #expect(Database.loadCacheKiB(rows: 1_000_000) == 46_875)
    // 48 × 10,000,000 = 480,000,000 bytes: above the 256 MiB ceiling.
    #expect(Database.loadCacheKiB(rows: 10_000_000) == 262_144)
    // A product that overflows Int64 is the ceiling, not a negative size.
    #expect(Database.loadCacheKiB(rows: .max) == 262_144)
  }

  /// A record of its own natural key.
  static func record(_ key: String) -> UsageRecord {
    UsageRecord(
      provider: .openai, level: .request, format: "openai-usage", naturalKey: key, time: 1_790_812_800_000,
      model: "gpt-4o", tokens: TokenCounts(input: 1))
  }

  @Test func eachFileSizesTheCacheByTheRowsStoredAndAsItsRowsArrive() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    // A store whose largest row id is 4,000,000 (the count the cache is sized by).
    try store.grouped {
      try store.write {
        let w = try store.beginFile(sha256: "a", path: "a.json", format: "openai-usage", level: .request, bytes: 1)
        try w.insert(Self.record("openai:a"), keys: RecordKeys(of: Self.record("openai:a")))
      }
    }
    try store.db.execute("UPDATE usage SET id = 4000000")
    try store.grouped {
      try store.write {
        let w = try store.beginFile(sha256: "b", path: "b.json", format: "openai-usage", level: .request, bytes: 1)
        // 48 × 4,000,000 = 192,000,000 bytes = 187,500 KiB.
        #expect(try Self.cacheKiB(store.db) == 187_500)
        for i in 0..<131_071 {
          try w.insert(Self.record("openai:b\(i)"), keys: RecordKeys(of: Self.record("openai:b\(i)")))
        }
        #expect(try Self.cacheKiB(store.db) == 187_500)
        // The 131,072nd row: 48 × 4,131,072 = 198,291,456 bytes = 193,644 KiB.
        try w.insert(Self.record("openai:last"), keys: RecordKeys(of: Self.record("openai:last")))
        #expect(try Self.cacheKiB(store.db) == 193_644)
      }
    }
    #expect(try Self.cacheKiB(store.db) == 16_384)
    #expect(try store.recordCount() == 131_073)
  }
}
