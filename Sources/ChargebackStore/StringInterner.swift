import Foundation

/// Reuses one `String` for each distinct short column value read from the store (models,
/// credentials, agent ids: a few thousand values over millions of rows), so that a report pass
/// does not allocate a new string per column per row.
///
/// A value is interned the second time it is read: a month with a role session or a ticket id per
/// call reads a million values once each, and interning each of them (a hash table entry and an
/// array per value, faulted in as the table grew) was a tenth of the reading thread (perf, `report`
/// of 1 M calls with a session per call). Values seen once are remembered by their hash only.
struct StringInterner {
  /// Interned values by ``hash(_:)`` of their bytes.
  ///
  /// Of two values of one hash only the first is interned.
  private var table: [UInt64: String] = [:]
  /// Hashes of values read once and not interned yet (emptied when it holds ``capacity``).
  private var seenOnce = Set<UInt64>()
  /// The value each column gave last: most columns repeat it from row to row (provider, format,
  /// tier, often the model), and a byte comparison settles those without hashing.
  private var last = [String?](repeating: nil, count: 64)
  /// Values longer than this are rarely repeated and are not interned.
  static let maxLength = 160
  /// Distinct values kept at most; past that, new values are returned without interning.
  static let capacity = 200_000

  /// Values interned so far.
  var internedCount: Int { table.count }

  /// Column `i` of the current row as an interned string; nil for NULL.
  mutating func text(_ st: Statement, _ i: Int32) -> String? {
    guard let bytes = st.bytes(i) else { return nil }
    if bytes.isEmpty { return "" }
    guard bytes.count <= Self.maxLength, let base = bytes.baseAddress else {
      return String(decoding: bytes, as: UTF8.self)
    }
    let column = Int(i)
    guard column < last.count else { return lookUp(bytes, base) }
    if let s = last[column], Self.same(s, base, bytes.count) { return s }
    let s = lookUp(bytes, base)
    last[column] = s
    return s
  }

  /// True when `s` has exactly the `count` bytes at `base`.
  private static func same(_ s: String, _ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let fast = s.utf8.withContiguousStorageIfAvailable { u in
      u.count == count && u.baseAddress.map { memcmp($0, base, count) == 0 } == true
    }
    return fast ?? s.utf8.elementsEqual(UnsafeBufferPointer(start: base, count: count))
  }

  /// The interned string with these bytes, interning it at its second sighting while there is
  /// room.
  private mutating func lookUp(_ bytes: UnsafeBufferPointer<UInt8>, _ base: UnsafePointer<UInt8>) -> String {
    let h = Self.hash(bytes)
    if let s = table[h] {
      if Self.same(s, base, bytes.count) { return s }
      return String(decoding: bytes, as: UTF8.self)  // another value of this hash has the entry
    }
    let s = String(decoding: bytes, as: UTF8.self)
    guard table.count < Self.capacity else { return s }
    if seenOnce.remove(h) != nil {
      table[h] = s
    } else {
      if seenOnce.count >= Self.capacity { seenOnce.removeAll(keepingCapacity: true) }
      seenOnce.insert(h)
    }
    return s
  }

  /// A 64-bit hash of `bytes`, eight bytes at a time.
  ///
  /// Byte by byte, FNV-1a took 1.5 ns a byte. Collisions cost only an interning (values are compared
  /// byte for byte), so a multiply-xorshift mix is enough.
  static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    guard let base = bytes.baseAddress else { return h }
    let raw = UnsafeRawPointer(base)
    let n = bytes.count
    var i = 0
    while i + 8 <= n {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      i += 8
    }
    if i < n {
      var tail: UInt64 = 0
      for j in i..<n { tail = tail << 8 | UInt64(base[j]) }
      h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
      h ^= h >> 29
    }
    return h
  }
}
