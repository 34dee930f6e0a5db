import ChargebackModel

extension Array where Element == ChargebackLine {
  /// The lines in key order (stable).
  ///
  /// Their positions are sorted, not the lines: a line is a large value whose every move retains
  /// and releases a dozen strings, and a merge sort moves each element about log₂ n times (perf: 4
  /// of the 17 s of `report` on the 1 M cardinality month, with 175,566 lines, went to copying
  /// lines in sorts). Ranking each field's distinct texts first and sorting rows of ranks was
  /// tried: with the dictionaries it needs, it took more than twice the instructions (callgrind).
  func sortedByKey() -> [ChargebackLine] {
    let keys = map(\.key)
    let order = keys.withUnsafeBufferPointer { k in indices.sorted { k[$0] < k[$1] } }
    return order.map { self[$0] }
  }
}

extension ChargebackLine.Key: Comparable {
  /// Field by field, absent ids as empty text; no allocation (the line list of a month with
  /// thousands of tasks is sorted with millions of comparisons).
  package static func < (a: Self, b: Self) -> Bool {
    if a.costCentre != b.costCentre { return a.costCentre < b.costCentre }
    if let order = precedes(a.agentID, b.agentID) { return order }
    if let order = precedes(a.credentialID, b.credentialID) { return order }
    if let order = precedes(a.taskID, b.taskID) { return order }
    if a.provider != b.provider { return a.provider.rawValue < b.provider.rawValue }
    if a.model != b.model { return a.model < b.model }
    if a.tier != b.tier { return a.tier.rawValue < b.tier.rawValue }
    if a.status != b.status { return a.status.rawValue < b.status.rawValue }
    if a.priced != b.priced { return !a.priced }
    if a.source != b.source { return a.source.rawValue < b.source.rawValue }
    if let order = precedes(a.commitmentID, b.commitmentID) { return order }
    return precedes(a.ruleID, b.ruleID) ?? false
  }

  /// nil when equal as text (nil is ""), else whether `a` sorts first.
  private static func precedes(_ a: String?, _ b: String?) -> Bool? {
    let (x, y) = (a ?? "", b ?? "")
    return x == y ? nil : x < y
  }
}
