import Testing

@testable import ChargebackDemo
@testable import ChargebackModel

/// Largest-remainder rounding read as a stream (``LargestRemainder``, the billed amounts of
/// `focus.csv`) gives what rounding each group's parts held in a list gives
/// (``Apportion/apportion(_:unit:target:)``), part for part, whatever the order the groups'
/// parts are interleaved in and noted in, with many equal remainders, negative parts, and targets above,
/// below and far from the parts' sum (every part then gets more than one unit).
@Suite struct LargestRemainderTests {
  @Test(arguments: 1...40)
  func aStreamRoundsAsTheListDoes(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let unit: Int128 = [1, 10, 1_000_000][rng.below(3)]
    let groups = 1 + rng.below(5)
    let count = rng.below(300)
    // Remainders from a few values, so that many parts tie at the threshold.
    let remainders: [Int128] = (0..<3).map { _ in Int128(rng.below(Int(unit))) }
    var parts: [(group: Int, exact: Int128)] = []
    for _ in 0..<count {
      let whole = Int128(rng.below(2_000)) - 500
      let exact = whole * unit + (rng.below(4) == 0 ? Int128(rng.below(Int(unit))) : remainders[rng.below(3)])
      parts.append((rng.below(groups), exact))
    }
    var targets: [Int128] = []
    for g in 0..<groups {
      let mine = parts.filter { $0.group == g }
      let floors = mine.reduce(Int128(0)) { $0 + Apportion.floorDiv($1.exact, unit) }
      let shift = Int128(rng.below(2 * mine.count + 3)) - Int128(mine.count + 1)
      // Now and then far off: every part gets the quotient and some one more (or less).
      let far = rng.below(5) == 0 ? Int128(rng.below(7) - 3) * Int128(mine.count + 1) : 0
      targets.append(floors + shift + far)
    }

    // Noted in another order than read (the billed amounts note a cost centre's zero rows and
    // extra lines after the rest): who gets a unit depends on the remainders, not on when each
    // was noted; ties go by the reading order.
    var plan = LargestRemainder(unit: unit)
    var noting = Array(parts.indices)
    for i in noting.indices.reversed() { noting.swapAt(i, rng.below(i + 1)) }
    for i in noting { plan.note(parts[i].exact, group: parts[i].group) }
    plan.settle { targets[$0] }
    let streamed = parts.map { plan.next($0.exact, group: $0.group) }

    for g in 0..<groups {
      let positions = parts.indices.filter { parts[$0].group == g }
      let want = Apportion.apportion(positions.map { parts[$0].exact }, unit: unit, target: targets[g])
      let got = positions.map { streamed[$0] }
      #expect(got == want, "group \(g) of seed \(seed)")
      if !positions.isEmpty { #expect(got.reduce(0, +) == targets[g]) }
    }
  }

  /// Three parts of 0.4, 0.4 and 0.2 units to a target of 1: the first of the two largest
  /// remainders gets the unit; to a target of -1 below their floors of 0, the last of the
  /// smallest.
  @Test func tiesGoToTheEarlierPartUpAndTheLaterDown() {
    var up = LargestRemainder(unit: 10)
    for x: Int128 in [4, 4, 2] { up.note(x, group: 0) }
    up.settle { _ in 1 }
    #expect([4, 4, 2].map { up.next($0, group: 0) } == [1, 0, 0])
    var down = LargestRemainder(unit: 10)
    for x: Int128 in [2, 4, 2] { down.note(x, group: 0) }
    down.settle { _ in -1 }
    #expect([2, 4, 2].map { down.next($0, group: 0) } == [0, 0, -1])
  }
}
