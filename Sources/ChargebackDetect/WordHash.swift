import ChargebackSupport

/// A 64-bit hash of a sequence of strings and numbers: the second half of a fingerprint whose
/// first half is `Hasher`'s (``RetryStorms``).
///
/// Written by hand because `Hasher` cannot give a second, independent value (its seed is the
/// process's and cannot be chosen), and hashing the fields twice through it doubles the cost of the
/// fingerprint. A string counts as ``TextBytes``'s hash of its bytes; each value goes through
/// xxHash64's round (multiply, rotate, multiply), so the order of the fields counts, and the
/// result through its avalanche. Not keyed: it guards against chance, not against an adversary,
/// and only ever together with `Hasher`'s.
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

  /// Adds the string: ``TextBytes``'s hash of its UTF-8 bytes (their count included, so
  /// `("ab", "c")` and `("a", "bc")` differ), read where they lie.
  mutating func combine(_ text: String) { combine(TextBytes.hash(text)) }

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
