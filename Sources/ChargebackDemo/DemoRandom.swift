/// SplitMix64 (Steele, Lea & Flood 2014): the pseudo-random generator of the demo generators.
///
/// Tiny, fast, fully deterministic and independent of Foundation; shared by ``DemoGenerator``
/// and ``EvaluationSet``.
package struct DemoRandom: RandomNumberGenerator {
  package var state: UInt64

  package init(seed: UInt64) { state = seed }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `0..<n`, 0 when `n` ≤ 1; always draws one number.
  ///
  /// Lemire's multiply-high; the tiny bias is irrelevant here.
  package mutating func below(_ n: Int) -> Int {
    Int(next().multipliedFullWidth(by: UInt64(max(n, 1))).high)
  }

  /// Uniform in `r`.
  package mutating func int(_ r: ClosedRange<Int64>) -> Int64 {
    r.lowerBound + Int64(below(Int(r.upperBound - r.lowerBound) + 1))
  }

  /// Skewed towards the low end of `r` (product of two uniforms; mean at a quarter of the span).
  package mutating func skewed(_ r: ClosedRange<Int64>) -> Int64 {
    let a = Int64(below(1001)), b = Int64(below(1001))
    return r.lowerBound + (r.upperBound - r.lowerBound) * a * b / 1_000_000
  }

  /// True with probability `p` percent.
  package mutating func percent(_ p: Int) -> Bool { below(100) < p }

  /// True with probability `p` per mille.
  package mutating func perMille(_ p: Int) -> Bool { below(1000) < p }

  /// An index drawn with the given non-negative integer weights.
  package mutating func weighted(_ weights: [Int]) -> Int {
    let total = weights.reduce(0, +)
    var r = below(max(total, 1))
    for (i, w) in weights.enumerated() {
      if r < w { return i }
      r -= w
    }
    return weights.count - 1
  }

  /// A UUID-looking request id: random except for the last two groups, which are derived from
  /// `counter` (the last one a bijection of it), so ids never repeat within a run.
  package mutating func requestID(counter: UInt64, mask: UInt64) -> String {
    let a = next()
    let tail = (counter ^ mask) & 0xFFFF_FFFF_FFFF
    return DemoText.hex(a >> 32, 8) + "-" + DemoText.hex((a >> 16) & 0xFFFF, 4) + "-4"
      + DemoText.hex(a & 0xFFF, 3) + "-" + DemoText.hex(Self.variantGroup(counter), 4) + "-"
      + DemoText.hex(tail, 12)
  }

  /// The fourth UUID group of a request id: RFC 4122 variant bits and 14 scrambled bits of the
  /// counter.
  @inline(__always) static func variantGroup(_ counter: UInt64) -> UInt64 {
    0x8000 | ((counter &* 0x9E37_79B9_7F4A_7C15) >> 50)
  }
}
