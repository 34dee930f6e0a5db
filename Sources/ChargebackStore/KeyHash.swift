import Crypto

/// A record's key: the first 128 bits of SHA-256 over its natural key, and the integer the SQLite
/// store is indexed by (schema 9), its first 64 bits.
///
/// A unique index on the natural key text (44+ bytes of random request ids) outgrew the page cache
/// at 10 M records and made every insert touch disk; 16 bytes a key kept the index small, and an
/// integer keeps it smaller still: half the index pages, and SQLite compares two integers without
/// the `memcmp` of two BLOBs (a sixth of the inserting thread, perf, 1 M Bedrock calls).
///
/// 64 bits can collide: two keys among 10 M meet with a probability near 3e-6. Such a record
/// takes the next integer (``slot(_:probe:)``, linear probing), and every look-up by key reads the
/// ``probes`` slots and compares the natural key itself. Rows are never deleted, so no probe chain
/// is ever broken. PostgreSQL keeps the 16 bytes (its `COPY` path compares them in bulk).
package enum KeyHash {
  /// 16 bytes of SHA-256(natural key).
  package static func of(_ key: String) -> [UInt8] {
    var k = key
    return k.withUTF8 { Array(SHA256.hash(data: UnsafeRawBufferPointer($0)).prefix(16)) }
  }

  /// How many slots a key may take: the first, and the next ones past a collision.
  ///
  /// Four taken in a row by other records (whose first 64 bits are the same or adjacent) are
  /// beyond any store: about 1e-20 for 10 M rows.
  package static let probes: Int64 = 4

  /// The integer key of `hash` (``of(_:)``) at probe `probe`: its first 8 bytes read big-endian,
  /// plus `probe`, wrapping; the same as SQLite's `chargeback_key_slot` (the schema 9 migration).
  package static func slot(_ hash: [UInt8], probe: Int64 = 0) -> Int64 {
    var value: UInt64 = 0
    for byte in hash.prefix(8) { value = value << 8 | UInt64(byte) }
    return Int64(bitPattern: value &+ UInt64(bitPattern: probe))
  }

  /// Every slot the record of natural key `key` may be stored at, in probing order.
  package static func slots(of key: String) -> [Int64] {
    let hash = of(key)
    return (0..<probes).map { slot(hash, probe: $0) }
  }
}
