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
    var sorted = self
    sorted.sortByKey()
    return sorted
  }

  /// Puts the lines in key order (stable), in place.
  ///
  /// The keys are compared where they lie in the array, and the lines are then moved into their
  /// places cycle by cycle: a copy of the keys and a sorted copy of the lines were twice the
  /// lines' memory again, with a line per call (a ticket id each) 450 MB at 1 M lines.
  mutating func sortByKey() {
    // Compared through pointers: `k[i] < k[j]` copied both keys out of the buffer for every
    // comparison (callgrind, the 100 k cardinality report: 2 M key copies, 0.6 G instructions).
    guard let keyOffset = MemoryLayout<ChargebackLine>.offset(of: \ChargebackLine.key) else {
      self = sorted { $0.key < $1.key }  // not reached: `key` is a stored property
      return
    }
    let order = withUnsafeBufferPointer { lines -> [Int] in
      guard let base = lines.baseAddress else { return [] }
      let raw = UnsafeRawPointer(base) + keyOffset
      let stride = MemoryLayout<ChargebackLine>.stride
      func key(_ i: Int) -> UnsafePointer<ChargebackLine.Key> {
        (raw + i * stride).assumingMemoryBound(to: ChargebackLine.Key.self)
      }
      return indices.sorted { ChargebackLine.Key.less(key($0), key($1)) }
    }
    // The line at `order[k]` goes to `k`, cycle by cycle, each line moved once through raw memory:
    // `swapAt` copied both lines (a retain and a release of each of their strings) at every step
    // (perf, 1 M lines with a ticket id each: a quarter of the sort's time in line copies).
    var placed = [Bool](repeating: false, count: count)
    withUnsafeMutableBufferPointer { lines in
      guard let base = lines.baseAddress else { return }
      for start in order.indices where !placed[start] {
        placed[start] = true
        guard order[start] != start else { continue }
        let held = (base + start).move()
        var j = start
        while order[j] != start {
          let next = order[j]
          (base + j).moveInitialize(from: base + next, count: 1)
          placed[next] = true
          j = next
        }
        (base + j).initialize(to: held)
      }
    }
  }
}

extension ChargebackLine.Key: Comparable {
  /// Field by field, absent ids as empty text; no allocation (the line list of a month with
  /// thousands of tasks is sorted with millions of comparisons).
  package static func < (a: Self, b: Self) -> Bool {
    withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in less(pa, pb) } }
  }

  /// ``<(_:_:)`` on keys where they lie.
  static func less(_ pa: UnsafePointer<Self>, _ pb: UnsafePointer<Self>) -> Bool {
    // Fields read through the pointers: binding `pa.pointee` to a name would copy the key.
    if pa.pointee.costCentre != pb.pointee.costCentre { return pa.pointee.costCentre < pb.pointee.costCentre }
    if let order = precedes(pa.pointee.agentID, pb.pointee.agentID) { return order }
    if let order = precedes(pa.pointee.credentialID, pb.pointee.credentialID) { return order }
    if let order = precedes(pa.pointee.taskID, pb.pointee.taskID) { return order }
    if pa.pointee.provider != pb.pointee.provider { return pa.pointee.provider.rawValue < pb.pointee.provider.rawValue }
    if pa.pointee.model != pb.pointee.model { return pa.pointee.model < pb.pointee.model }
    if pa.pointee.tier != pb.pointee.tier { return pa.pointee.tier.rawValue < pb.pointee.tier.rawValue }
    if pa.pointee.status != pb.pointee.status { return pa.pointee.status.rawValue < pb.pointee.status.rawValue }
    if pa.pointee.priced != pb.pointee.priced { return !pa.pointee.priced }
    if pa.pointee.source != pb.pointee.source { return pa.pointee.source.rawValue < pb.pointee.source.rawValue }
    if let order = precedes(pa.pointee.commitmentID, pb.pointee.commitmentID) { return order }
    return precedes(pa.pointee.ruleID, pb.pointee.ruleID) ?? false
  }

  /// nil when equal as text (nil is ""), else whether `a` sorts first.
  private static func precedes(_ a: String?, _ b: String?) -> Bool? {
    let (x, y) = (a ?? "", b ?? "")
    return x == y ? nil : x < y
  }
}
