import Foundation
import Testing

@testable import ChargebackStore
@testable import ChargebackTestSupport

/// SQLite's page cache is the load's only while a group of files loads: a report reading the month
/// takes pages from the kernel's cache instead of holding 256 MiB of its own.
///
/// The load's cache holds the store's random key index (48 bytes a row), never below 32 MiB nor
/// above 256 MiB.
@Suite struct PageCacheTests {
  @Test func theLoadCacheIsHeldOnlyWhileAGroupLoads() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    func cacheKiB() throws -> Int64? { try store.db.scalarInt("PRAGMA cache_size").map { -$0 } }
    #expect(try cacheKiB() == 16_384)
    // An empty store: the load's smallest cache.
    let inGroup = try store.grouped { try cacheKiB() }
    #expect(inGroup == 32_768)
    #expect(try cacheKiB() == 16_384)
    // A group that fails gives the cache back too.
    struct Stop: Error {}
    #expect(throws: Stop.self) { try store.grouped { throw Stop() } }
    #expect(try cacheKiB() == 16_384)
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

  /// `PRAGMA cache_size` in KiB (SQLite reports a size set in KiB as its negative).
  static func cacheKiB(_ db: Database) throws -> Int64 {
    -(try db.scalarInt("PRAGMA cache_size") ?? 0)
  }

  @Test func aGroupSizesTheCacheByTheStoreAndRestoresItAfter() throws {
    let dir = try TestSupport.tempDir("loadcache")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = try Database(path: dir + "/s.sqlite")
    defer { try? db.close() }
    try db.execute("CREATE TABLE usage(id INTEGER PRIMARY KEY)")
    try db.execute("INSERT INTO usage(id) VALUES (5000000)")
    #expect(try Self.cacheKiB(db) == 16_384)
    try db.grouped {
      // 48 × 5,000,000 = 240,000,000 bytes = 234,375 KiB.
      #expect(try Self.cacheKiB(db) == 234_375)
      // The load grows the store: 6,000,000 rows would need 281,250 KiB, above the ceiling.
      try db.sizeLoadCache(rows: 6_000_000)
      #expect(try Self.cacheKiB(db) == 262_144)
    }
    #expect(try Self.cacheKiB(db) == 16_384)
    // Outside a load nothing changes.
    try db.sizeLoadCache(rows: 6_000_000)
    #expect(try Self.cacheKiB(db) == 16_384)
  }
}
