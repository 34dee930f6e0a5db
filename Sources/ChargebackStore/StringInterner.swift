import ChargebackSupport
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
    if let s = last[column], TextBytes.same(s, base, bytes.count) { return s }
    let s = lookUp(bytes, base)
    last[column] = s
    return s
  }

  /// The interned string with these bytes, interning it at its second sighting while there is
  /// room.
  private mutating func lookUp(_ bytes: UnsafeBufferPointer<UInt8>, _ base: UnsafePointer<UInt8>) -> String {
    let h = TextBytes.hash(bytes)
    if let s = table[h] {
      if TextBytes.same(s, base, bytes.count) { return s }
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
}
