/// Sums kept in 64 bits while they fit, exactly past them: a place whose sum (or a part added to
/// it) leaves 64 bits moves to a map of 128-bit sums and stays there.
///
/// Why: the spike detector keeps a cost, a call count and six token-class costs per cell, and
/// millions of cells (3.5 million in a 10 M-call month of 20,000 service accounts). In 128 bits,
/// which money and counts need in general (``Money``, `Bounds`), they were half its memory; no
/// real cell comes near 64 bits (USD 9.2 million of one model on one subject's day).
package struct ExactSums: Sendable {
  private var small: [Int64] = []
  /// The places past 64 bits, by their position in ``small`` (0 there).
  package private(set) var overflow: [Int: Int128] = [:]

  package init() {}

  /// How many places there are.
  package var count: Int { small.count }

  /// Adds `n` places, each 0.
  package mutating func append(zeros n: Int) { small.append(contentsOf: repeatElement(0, count: n)) }

  /// Makes room for `n` places in all.
  package mutating func reserve(_ n: Int) { small.reserveCapacity(n) }

  /// Adds `value` to the sum at `place`.
  package mutating func add(_ value: Int128, at place: Int) {
    if !overflow.isEmpty, let big = overflow[place] {
      overflow[place] = big + value
    } else if let v = Int64(exactly: value), case (let sum, false) = small[place].addingReportingOverflow(v) {
      small[place] = sum
    } else {
      overflow[place] = Int128(small[place]) + value
      small[place] = 0
    }
  }

  /// The sum at `place`.
  package subscript(place: Int) -> Int128 {
    overflow.isEmpty ? Int128(small[place]) : overflow[place] ?? Int128(small[place])
  }
}
