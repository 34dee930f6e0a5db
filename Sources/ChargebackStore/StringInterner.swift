import Foundation

/// Reuses one `String` for each distinct short column value read from the store (models,
/// credentials, agent ids: a few thousand values over millions of rows), so that a report pass
/// does not allocate a new string per column per row.
struct StringInterner {
  private var table: [UInt64: [String]] = [:]
  private var count = 0
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
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      h ^= UInt64(b)
      h &*= 0x100_0000_01b3
    }
    if let bucket = table[h] {
      for var s in bucket {
        let same = s.withUTF8 { u in
          u.count == bytes.count && u.baseAddress.map { memcmp($0, base, bytes.count) == 0 } == true
        }
        if same { return s }
      }
    }
    let s = String(decoding: bytes, as: UTF8.self)
    if count < Self.capacity {
      table[h, default: []].append(s)
      count += 1
    }
    return s
  }
}
