/// Largest-remainder rounding (``Apportion/apportion(_:unit:target:)``) of parts read as a stream.
///
/// The parts are read twice, not held: the first reading notes each part (``note(_:group:)``), ``settle(targets:)``
/// works out who gets the units still missing, and the second reading, in the same order, gives each
/// part (``next(_:group:)``). The results are those of `Apportion.apportion` on each group's parts
/// in that order: the floor of each, then one unit each to the largest remainders, ties to the
/// earlier part (to the smallest remainders, ties to the later part, when the target is below).
///
/// Memory: 8 bytes per part (its remainder), against the parts themselves: the rows of `focus.csv`
/// can outnumber the calls (``ClassChargeSource``).
package struct LargestRemainder {
  private let unit: Int128
  /// Per group: the parts' remainders in the order noted, the sum of their floors and how many.
  private var remainders: [[Int64]]
  private var floors: [Int128]
  /// Per group, once settled.
  private var rules: [Rule] = []
  /// Per group, in the second reading: the parts at the threshold seen so far.
  private var tiesSeen: [Int] = []

  /// What a group's parts get beyond their floor.
  private struct Rule {
    /// Every part.
    var base: Int128 = 0
    /// ±1 to a part with a remainder past the threshold (above it when `up`, below when not).
    var step: Int128 = 0
    var up = true
    var threshold: Int64 = 0
    /// Of the parts at the threshold, those that get the step: the first `ties` (when `up`), or
    /// all but the first `tiesSkipped`.
    var ties = 0
    var tiesSkipped = Int.max
  }

  /// Rounding to whole `unit`s (at most `Int64.max`); groups are numbered from 0.
  package init(unit: Int128) {
    precondition(unit > 0 && unit <= Int128(Int64.max), "a unit of 1 to 2^63 - 1")
    self.unit = unit
    (remainders, floors) = ([], [])
  }

  /// Notes the next part of `group` (≥ 0; first reading).
  package mutating func note(_ exact: Int128, group: Int) {
    while floors.count <= group {
      floors.append(0)
      remainders.append([])
    }
    let f = Apportion.floorDiv(exact, unit)
    floors[group] += f
    remainders[group].append(Int64(exact - f * unit))
  }

  /// Works out, for each group, who of its parts gets the units still missing to reach its target
  /// (in units); the noted remainders are let go.
  package mutating func settle(targets: (Int) -> Int128) {
    rules = Array(repeating: Rule(), count: floors.count)
    tiesSeen = Array(repeating: 0, count: floors.count)
    for g in floors.indices {
      var rems = remainders[g]
      remainders[g] = []
      let n = Int128(rems.count)
      let missing = targets(g) - floors[g]
      guard n > 0, missing != 0 else { continue }
      var rule = Rule()
      rule.up = missing > 0
      let magnitude = missing.magnitude
      rule.base = (rule.up ? 1 : -1) * Int128(magnitude / UInt128(n))
      let extra = Int(magnitude % UInt128(n))
      if extra > 0 {
        rule.step = rule.up ? 1 : -1
        if rule.up { rems.sort(by: >) } else { rems.sort() }
        rule.threshold = rems[extra - 1]
        let past = rems.prefix(extra).count { $0 != rule.threshold }
        let needed = extra - past
        if rule.up {
          rule.ties = needed
        } else {
          rule.tiesSkipped = rems.count { $0 == rule.threshold } - needed
        }
      }
      rules[g] = rule
    }
  }

  /// The rounded part, in units, of the next part of `group` (second reading, same order).
  package mutating func next(_ exact: Int128, group: Int) -> Int128 {
    let f = Apportion.floorDiv(exact, unit)
    guard group < rules.count else { return f }  // a group with nothing noted
    let rule = rules[group]
    guard rule.step != 0 else { return f + rule.base }
    let rem = Int64(exact - f * unit)
    var gets: Bool
    if rem == rule.threshold {
      let k = tiesSeen[group]
      tiesSeen[group] += 1
      gets = rule.up ? k < rule.ties : k >= rule.tiesSkipped
    } else {
      gets = rule.up ? rem > rule.threshold : rem < rule.threshold
    }
    return f + rule.base + (gets ? rule.step : 0)
  }
}
