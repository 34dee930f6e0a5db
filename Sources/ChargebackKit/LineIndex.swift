import ChargebackModel
import ChargebackSupport

/// The position of each line of ``ReportTotals`` by its key (``PositionIndex``).
typealias LineIndex = PositionIndex

extension PositionIndex {
  /// The position of the line of hash `hash` that `matches`, if there is one.
  func find(hash: Int, in lines: [ChargebackLine], where matches: (borrowing ChargebackLine.Key) -> Bool) -> Int? {
    find(hash: hash) { matches(lines[$0].key) }
  }
}
