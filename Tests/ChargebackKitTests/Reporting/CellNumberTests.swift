import Testing

@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// Workbook cells are doubles: the fast conversion of an `Int128` must give the very double the
/// standard library's does, for every magnitude (exact below 2^53, rounded to nearest-even above,
/// past `Int64` by the generic path).
@Suite struct CellNumberTests {
  @Test func int128ToDoubleAsTheStandardLibraryRounds() {
    var values: [Int128] = [
      0, 1, -1, Int128(Int64.max), Int128(Int64.min), Int128(Int64.max) + 1, Int128(Int64.min) - 1,
    ]
    for bits in 0..<127 {
      let p = Int128(1) << bits
      values += [p, p - 1, p + 1, -p, -(p - 1), -(p + 1)]
    }
    var rng = SplitMix64(seed: 7)
    for _ in 0..<2_000 {
      let magnitude = Int128(rng.next() >> (rng.next() % 64)) << Int(rng.next() % 64)
      values.append(rng.next() % 2 == 0 ? magnitude : -magnitude)
    }
    let differing = values.filter { Sheet.double($0) != Double($0) }
    #expect(
      differing.isEmpty, "\(differing.count) values convert differently, first \(String(describing: differing.first))")
    #expect(values.count > 2_700)
  }
}
