import ChargebackModel
import Foundation

/// The strings a parser read last in fields whose values repeat from record to record (a caller's
/// role ARN, a model id), so that a repeated value is one `String` and not a new one each time.
///
/// Why: a string of more than 15 bytes is an allocation, and it is freed again when its record
/// has been stored; the parsing thread of a Bedrock log paces `ingest` (perf, the 1 M friendly
/// month: it is busy nine tenths of the time, the inserting thread two thirds) and allocating and
/// freeing was a tenth of it. A direct-mapped cache of 64 strings by a hash of their bytes: a miss
/// costs the hash and a comparison, a hit the same and no allocation.
struct RepeatedStrings {
  private var slots = [String?](repeating: nil, count: 64)

  /// `raw` (UTF-8 checked, no escapes) as a `String`, the one read before when it had these bytes.
  mutating func string(_ raw: UnsafeBufferPointer<UInt8>) -> String {
    guard raw.count > 15, let base = raw.baseAddress else { return String(decoding: raw, as: UTF8.self) }
    let slot = Int(truncatingIfNeeded: Self.hash(raw) >> 58)
    if let s = slots[slot], Self.same(s, base, raw.count) { return s }
    let s = String(decoding: raw, as: UTF8.self)
    slots[slot] = s
    return s
  }

  /// True when `s` has exactly the `count` bytes at `base`.
  private static func same(_ s: String, _ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let fast = s.utf8.withContiguousStorageIfAvailable { u in
      u.count == count && u.baseAddress.map { memcmp($0, base, count) == 0 } == true
    }
    return fast ?? s.utf8.elementsEqual(UnsafeBufferPointer(start: base, count: count))
  }

  /// A 64-bit hash of `bytes` (at least 8 of them), eight at a time (only a slot is chosen by it;
  /// values are compared).
  private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    precondition(bytes.count >= 8, "the last eight bytes are read again")
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    guard let base = bytes.baseAddress else { return h }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= bytes.count {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      i += 8
    }
    // The last eight bytes again, overlapping: no byte-by-byte tail.
    h = (h ^ raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 29)
  }
}

extension JSONScanner {
  /// A string value, or nil for `null`, through `repeats` (``RepeatedStrings``) when it has no
  /// escape.
  mutating func optionalString(repeating repeats: inout RepeatedStrings) throws -> String? {
    if try consumeNull() { return nil }
    guard peek == UInt8(ascii: "\"") else { throw typeFailure("a string") }
    let start = i + 1
    let (raw, escaped) = try rawStringNoting()
    if !escaped { return repeats.string(raw) }
    return try unescape(from: start, count: raw.count)
  }

  /// A timestamp string's instant (UTC epoch ms) read from its bytes, without making the string;
  /// else the string, for the caller to read or to name in its error (escapes, or not a timestamp
  /// this reader knows); nil for `null`.
  mutating func optionalTimestamp() throws -> (millis: Int64?, text: String)? {
    if try consumeNull() { return nil }
    guard peek == UInt8(ascii: "\"") else { throw typeFailure("a string") }
    let start = i + 1
    let (raw, escaped) = try rawStringNoting()
    if !escaped, let millis = Timestamp.parseMillis(bytes: raw) { return (millis, "") }
    return (nil, escaped ? try unescape(from: start, count: raw.count) : String(decoding: raw, as: UTF8.self))
  }
}
