/// A 64-bit hash of strings and numbers, eight bytes at a time: the second half of a fingerprint
/// whose first half is `Hasher`'s (``RetryStorms``).
///
/// Written by hand because `Hasher` cannot give a second, independent value (its seed is the
/// process's and cannot be chosen), and hashing the fields twice through it doubles the cost of the
/// fingerprint. Each word goes through xxHash64's round (multiply, rotate, multiply) and the result
/// through its avalanche; every string is preceded by its length, so `("ab", "c")` and `("a",
/// "bc")` differ. Not keyed: it guards against chance, not against an adversary, and only ever
/// together with `Hasher`'s.
struct WordHash {
  private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
  private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9

  private var state: UInt64 = 0x2545_F491_4F6C_DD1D

  init() {}

  /// Adds one number.
  mutating func combine(_ value: UInt64) {
    var k = value &* Self.prime2
    k = (k << 31) | (k >> 33)
    k &*= Self.prime1
    state ^= k
    state = ((state << 27) | (state >> 37)) &* Self.prime1 &+ Self.prime3
  }

  /// Adds the string's length, then its UTF-8 bytes eight at a time (the last word padded with
  /// zeros).
  mutating func combine(_ text: String) {
    // Read where the string lies: `withUTF8` needs a mutable copy, a retain and a release of the
    // string's storage, which is what the caller hashes it to avoid.
    let done: Void? = text.utf8.withContiguousStorageIfAvailable { combine(bytes: $0) }
    if done == nil {
      var copy = text
      copy.withUTF8 { combine(bytes: $0) }
    }
  }

  private mutating func combine(bytes: UnsafeBufferPointer<UInt8>) {
    combine(UInt64(bytes.count))
    guard let base = bytes.baseAddress else { return }
    var i = 0
    while i + 8 <= bytes.count {
      combine(UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)))
      i += 8
    }
    if i < bytes.count {
      var last: UInt64 = 0
      for j in i..<bytes.count { last |= UInt64(base[j]) << (8 * UInt64(j - i)) }
      combine(last)
    }
  }

  /// The hash of everything added.
  func finalize() -> UInt64 {
    var h = state
    h ^= h >> 33
    h &*= Self.prime2
    h ^= h >> 29
    h &*= Self.prime3
    h ^= h >> 32
    return h
  }
}
