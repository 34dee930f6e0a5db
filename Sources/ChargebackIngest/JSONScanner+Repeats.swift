import ChargebackModel
import ChargebackSupport
import Foundation

/// The strings a parser read last in fields whose values repeat from record to record (a caller's
/// role ARN, a model id), so that a repeated value is one `String` and not a new one each time.
///
/// Why: a string of more than 15 bytes is an allocation, and it is freed again when its record
/// has been stored; the parsing thread of a Bedrock log paces `ingest` (perf, the 1 M friendly
/// month: it is busy nine tenths of the time, the inserting thread two thirds) and allocating and
/// freeing was a tenth of it. A direct-mapped cache of 64 strings by a hash of their bytes: a miss
/// costs the hash and a comparison, a hit the same and no allocation.
package struct RepeatedStrings {
  package init() {}

  private var slots = [String?](repeating: nil, count: 64)

  /// `raw` (UTF-8 checked, no escapes) as a `String`, the one read before when it had these bytes.
  mutating func string(_ raw: UnsafeBufferPointer<UInt8>) -> String {
    guard raw.count > 15, let base = raw.baseAddress else { return String(decoding: raw, as: UTF8.self) }
    let slot = Int(truncatingIfNeeded: TextBytes.hash(raw) >> 58)
    if let s = slots[slot], TextBytes.same(s, base, raw.count) { return s }
    let s = String(decoding: raw, as: UTF8.self)
    slots[slot] = s
    return s
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
