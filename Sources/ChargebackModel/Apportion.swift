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

  private static func floorDiv(_ a: Int128, _ b: Int128) -> Int128 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
