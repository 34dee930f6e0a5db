import Testing

@testable import ChargebackSupport

/// `ExactSums` keeps sums in 64 bits while they fit and exactly past them: every place's sum is
/// the one worked out in 128 bits, for parts small, large, negative and past 64 bits on their own.
@Suite struct ExactSumsTests {
  @Test(arguments: 1...10)
  func eachPlaceIsItsExactSum(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var sums = ExactSums()
    sums.append(zeros: 8)
    var expected = [Int128](repeating: 0, count: 8)
    for _ in 0..<2_000 {
      let place = rng.below(8)
      let value: Int128
      switch rng.below(5) {
      case 0: value = Int128(Int64.max) - Int128(rng.below(10))  // a sum passes 64 bits soon
      case 1: value = -(Int128(1) << 70) + Int128(rng.below(1_000))  // a part past them on its own
      case 2: value = -Int128(rng.below(1_000_000))
      default: value = Int128(rng.below(1_000_000))
      }
      sums.add(value, at: place)
      expected[place] += value
    }
    #expect((0..<8).map { sums[$0] } == expected)
    #expect(sums.count == 8)
  }

  @Test func smallSumsStayInSixtyFourBits() {
    var sums = ExactSums()
    sums.append(zeros: 3)
    for i in 0..<3 { sums.add(Int128(i) - 1, at: i) }
    sums.add(Int128(Int64.max) - 1, at: 2)  // 1 + max - 1 = max: still fits
    #expect(sums.overflow.isEmpty)
    #expect([sums[0], sums[1], sums[2]] == [-1, 0, Int128(Int64.max)])
    sums.add(1, at: 2)
    #expect(sums.overflow.count == 1 && sums[2] == Int128(Int64.max) + 1)
  }
}
