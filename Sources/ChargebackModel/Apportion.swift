/// Largest-remainder rounding: rounds a list of exact amounts so that the rounded parts add up to
/// a given rounded total (SPEC §5: cost centres add up to the grand total to the cent).
package enum Apportion {
  /// Rounds each exact amount to whole `unit`s so that the results sum to `target` units.
  ///
  /// Each part first gets the floor of its exact value; the units still missing go one each to the
  /// parts with the largest remainders (ties: the earlier part). `target` is normally the rounded
  /// sum of `exact`, or the already-apportioned amount of a parent.
  /// - Complexity: O(n log n).
  package static func apportion(_ exact: [Int128], unit: Int128, target: Int128) -> [Int128] {
    var result = exact.map { floorDiv($0, unit) }
    var missing = target - result.reduce(0, +)
    guard missing != 0, !exact.isEmpty else { return result }
    let remainders = exact.enumerated().map { (index: $0.offset, rem: $0.element - result[$0.offset] * unit) }
    if missing > 0 {
      let order = remainders.sorted { $0.rem != $1.rem ? $0.rem > $1.rem : $0.index < $1.index }
      var k = 0
      while missing > 0 {
        result[order[k % order.count].index] += 1
        missing -= 1
        k += 1
      }
    } else {
      let order = remainders.sorted { $0.rem != $1.rem ? $0.rem < $1.rem : $0.index > $1.index }
      var k = 0
      while missing < 0 {
        result[order[k % order.count].index] -= 1
        missing += 1
        k += 1
      }
    }
    return result
  }

  /// Rounds `exact` amounts (pico-USD) to `decimals` places so they add up to their own rounded
  /// total; returns the parts and the total, both in units of that many decimals.
  package static func rounded(_ exact: [Money], decimals: Int) -> (parts: [Int128], total: Int128) {
    let unit = Money.unit(decimals)
    let total = Money(pico: exact.reduce(0) { $0 + $1.pico }).rounded(toDecimals: decimals)
    return (apportion(exact.map(\.pico), unit: unit, target: total), total)
  }

  /// Splits `total` exactly in proportion to `weights`.
  ///
  /// `total` (≥ 0, pico-USD or any unit) and `weights` (each ≥ 0) give whole
  /// parts that add up to `total` exactly: each part gets the floor of its exact share, and what is
  /// left goes one unit each to the largest remainders (ties: the earlier part). All weights zero
  /// split evenly. Products are taken at full width, so no weight or total can overflow.
  /// - Complexity: O(n log n).
  package static func split(_ total: Int128, weights: [Int128]) -> [Int128] {
    guard !weights.isEmpty else { return [] }
    var w = weights.map { max(0, $0) }
    var sum: Int128 = 0
    var overflow = false
    for x in w {
      let (s, o) = sum.addingReportingOverflow(x)
      sum = s
      overflow = overflow || o
    }
    if overflow {  // Scale down (only weights beyond 10^38 together come here).
      w = w.map { $0 / Int128(w.count) }
      sum = w.reduce(0, +)
    }
    if sum == 0 {
      w = w.map { _ in 1 }
      sum = Int128(w.count)
    }
    var parts: [Int128] = []
    var remainders: [(index: Int, rem: Int128)] = []
    for (i, x) in w.enumerated() {
      let product = total.multipliedFullWidth(by: x)
      let (q, r) = sum.dividingFullWidth(product)
      parts.append(q)
      remainders.append((i, r))
    }
    var missing = total - parts.reduce(0, +)
    let order = remainders.sorted { $0.rem != $1.rem ? $0.rem > $1.rem : $0.index < $1.index }
    var k = 0
    while missing > 0 {
      parts[order[k % order.count].index] += 1
      missing -= 1
      k += 1
    }
    return parts
  }

  /// `a` ÷ `b` rounded towards minus infinity.
  package static func floorDiv(_ a: Int128, _ b: Int128) -> Int128 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
