import Foundation

/// Reuses one `String` for each distinct short column value read from the store (models,
/// credentials, agent ids: a few thousand values over millions of rows), so that a report pass
/// does not allocate a new string per column per row.
struct StringInterner {
  private var table: [UInt64: [String]] = [:]
  private var count = 0
  /// The value each column gave last: most columns repeat it from row to row (provider, format,
  /// tier, often the model), and a byte comparison settles those without hashing.
  private var last = [String?](repeating: nil, count: 64)
  /// Values longer than this are rarely repeated and are not interned.
  static let maxLength = 160
  /// Distinct values kept at most; past that, new values are returned without interning.
  static let capacity = 200_000

  /// Column `i` of the current row as an interned string; nil for NULL.
  mutating func text(_ st: Statement, _ i: Int32) -> String? {
    guard let bytes = st.bytes(i) else { return nil }
    if bytes.isEmpty { return "" }
    guard bytes.count <= Self.maxLength, let base = bytes.baseAddress else {
      return String(decoding: bytes, as: UTF8.self)
    }
    let column = Int(i)
    guard column < last.count else { return lookUp(bytes, base) }
    if var s = last[column], Self.same(&s, base, bytes.count) { return s }
    let s = lookUp(bytes, base)
    last[column] = s
    return s
  }

  /// True when `s` has exactly the `count` bytes at `base`.
  private static func same(_ s: inout String, _ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    s.withUTF8 { u in u.count == count && u.baseAddress.map { memcmp($0, base, count) == 0 } == true }
  }

  /// The interned string with these bytes, interning it when new and there is room.
  private mutating func lookUp(_ bytes: UnsafeBufferPointer<UInt8>, _ base: UnsafePointer<UInt8>) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      h ^= UInt64(b)
      h &*= 0x100_0000_01b3
    }
    if let bucket = table[h] {
      for var s in bucket where Self.same(&s, base, bytes.count) { return s }
    }
    let s = String(decoding: bytes, as: UTF8.self)
    if count < Self.capacity {
      table[h, default: []].append(s)
      count += 1
    }
    return s
  }
}
