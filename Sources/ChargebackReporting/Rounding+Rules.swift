import ChargebackModel

// Shared-cost rules' parts: rounded rule by rule, then moved a unit at a time so that each cost
// centre's own lines stay within a unit of their exact sum.
extension ReportRounding {
  /// Moves single units among the rules' parts (within a rule's side) and, failing that, among
  /// the cost centres' amounts, until each cost centre's amount less its rules' parts is its other
  /// lines' exact sum rounded down or up.
  ///
  /// Rule parts and cost centres rounded each on their own can leave a cost centre's other lines
  /// several units to share out or to find: a cost centre receiving three rules' parts, each
  /// rounded up, and itself rounded down, showed its one agent at $10.89 for 10.908661 USD and a
  /// Summary rounding of −$0.02 (a finance trial); even splits give every part the same remainder,
  /// so the units pile up on the same first cost centres, rule after rule. A move keeps every
  /// rule's side and the grand total as they are, and every part and amount its exact value
  /// rounded down or up. Each fix is a shortest path of moves from a cost centre with a unit to
  /// spare to one that lacks it (found breadth first, in the order of the cost centres' ids, so the
  /// same report always rounds the same); a cost centre no path fixes keeps its amounts, and its
  /// lines are rounded as ``centreLines(_:_:fixed:unit:target:)`` says, while the others are still
  /// fixed.
  ///
  /// - Complexity: O(u × (l + c)) for u units out of bounds, l rule lines and c cost centres: a
  ///   breadth-first search expands each rule side and the cost centres' amounts once.
  static func leaveRests(
    _ report: ChargebackReport, rules fixed: inout [Int: Int128], centres byCC: inout [String: Int128], unit: Int128
  ) {
    func bounds(_ pico: Int128) -> ClosedRange<Int128> {
      let f = Apportion.floorDiv(pico, unit)
      return f...(f * unit == pico ? f : f + 1)
    }
    let ids = report.costCentres.map(\.id).sorted()
    let position = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    let exactCentre = Dictionary(report.costCentres.map { ($0.id, $0.cost.pico) }, uniquingKeysWith: +)
    let centreBounds = ids.map { bounds(exactCentre[$0] ?? 0) }
    var amount = ids.map { byCC[$0] ?? 0 }
    // The rule lines as arrays: their cost centre, bounds, part and side.
    var lineCentre: [Int] = []
    var lineBounds: [ClosedRange<Int128>] = []
    var part: [Int128] = []
    var lineIndex: [Int] = []
    var lineSide: [Int] = []
    var sides: [[Int]] = []
    var sideOf: [String: Int] = [:]
    var ruleLines = [[Int]](repeating: [], count: ids.count)
    var otherExact = [Int128](repeating: 0, count: ids.count)
    for i in report.lines.indices {
      guard let c = position[report.lines[i].key.costCentre] else { continue }
      guard let v = fixed[i] else {
        otherExact[c] += report.lines[i].cost.pico
        continue
      }
      let name = (report.lines[i].key.ruleID ?? "") + (report.lines[i].cost.pico > 0 ? "+" : "-")
      let side = sideOf[name] ?? sides.count
      if side == sides.count {
        sideOf[name] = side
        sides.append([])
      }
      let n = part.count
      sides[side].append(n)
      ruleLines[c].append(n)
      lineCentre.append(c)
      lineBounds.append(bounds(report.lines[i].cost.pico))
      part.append(v)
      lineIndex.append(i)
      lineSide.append(side)
    }
    let restBounds = otherExact.map(bounds)
    var rest = ids.indices.map { c in amount[c] - ruleLines[c].reduce(0) { $0 + part[$1] } }
    func distance(_ c: Int) -> Int128 {
      let b = restBounds[c]
      return rest[c] < b.lowerBound ? b.lowerBound - rest[c] : rest[c] > b.upperBound ? rest[c] - b.upperBound : 0
    }
    // One unit of rest from cost centre a to b: a rule line of a up and one of b (same side) down,
    // or a's amount down and b's up.
    enum Move {
      case rule(up: Int, down: Int)
      case centre(down: Int, up: Int)
    }
    // A shortest path of moves from one of `sources` to a cost centre for which `isTarget` holds.
    // Each rule side, and the cost centres' amounts, are expanded once: any cost centre they reach
    // from a later one was reached from the first.
    func path(from sources: [Int], to isTarget: (Int) -> Bool, centres allowed: Bool) -> [Move]? {
      var came = [(from: Int, move: Move)?](repeating: nil, count: ids.count)
      var seen = [Bool](repeating: false, count: ids.count)
      var expandedSide = [Bool](repeating: false, count: sides.count)
      var expandedCentres = false
      var queue = sources
      for s in sources { seen[s] = true }
      var head = 0
      func reach(_ b: Int, from a: Int, _ move: Move) -> [Move]? {
        guard !seen[b] else { return nil }
        seen[b] = true
        came[b] = (a, move)
        if isTarget(b) {
          var steps: [Move] = []
          var at = b
          while let step = came[at] {
            steps.append(step.move)
            at = step.from
          }
          return steps
        }
        queue.append(b)
        return nil
      }
      while head < queue.count {
        let a = queue[head]
        head += 1
        for up in ruleLines[a] where !expandedSide[lineSide[up]] && part[up] + 1 <= lineBounds[up].upperBound {
          expandedSide[lineSide[up]] = true
          for down in sides[lineSide[up]] where lineCentre[down] != a && part[down] - 1 >= lineBounds[down].lowerBound {
            if let found = reach(lineCentre[down], from: a, .rule(up: up, down: down)) { return found }
          }
        }
        if allowed, !expandedCentres, amount[a] - 1 >= centreBounds[a].lowerBound {
          expandedCentres = true
          for b in ids.indices where b != a && amount[b] + 1 <= centreBounds[b].upperBound {
            if let found = reach(b, from: a, .centre(down: a, up: b)) { return found }
          }
        }
      }
      return nil
    }
    func apply(_ steps: [Move]) {
      for step in steps {
        switch step {
        case .rule(let up, let down):
          part[up] += 1
          part[down] -= 1
          rest[lineCentre[up]] -= 1
          rest[lineCentre[down]] += 1
        case .centre(let down, let up):
          amount[down] -= 1
          amount[up] += 1
          rest[down] -= 1
          rest[up] += 1
        }
      }
    }
    // Each fix moves one unit of a cost centre out of bounds into them, and makes no other one so.
    var stuck = Set<Int>()
    while let c = ids.indices.first(where: { !stuck.contains($0) && distance($0) > 0 }) {
      let over = rest[c] > restBounds[c].upperBound
      let found: [Move]?
      if over {
        let room = { (b: Int) in b != c && rest[b] < restBounds[b].upperBound }
        found = path(from: [c], to: room, centres: false) ?? path(from: [c], to: room, centres: true)
      } else {
        let spare = ids.indices.filter { $0 != c && rest[$0] > restBounds[$0].lowerBound }
        found = path(from: spare, to: { $0 == c }, centres: false) ?? path(from: spare, to: { $0 == c }, centres: true)
      }
      guard let found else {
        stuck.insert(c)
        continue
      }
      apply(found)
    }
    for (n, i) in lineIndex.enumerated() { fixed[i] = part[n] }
    for (c, id) in ids.enumerated() { byCC[id] = amount[c] }
  }

  /// Each shared-cost rule's lines rounded together, by line index: what it moved in (its positive
  /// lines) and out (its negative ones) each rounded, and split over its lines by largest
  /// remainder.
  ///
  /// Rounded one cost centre at a time, a rule's parts did not add up to what it shared: a 100
  /// USD overhead split three ways showed 3 × 33.33 in the workbooks and 3 × 33.333333 in
  /// `chargeback.csv`, and a platform's −24.83 was received as 24.82 (a finance trial).
  static func ruleParts(_ report: ChargebackReport, unit: Int128, decimals: Int) -> [Int: Int128] {
    var byRule: [String: [Int]] = [:]
    for i in report.lines.indices where report.lines[i].key.source == .allocated {
      if let rule = report.lines[i].key.ruleID { byRule[rule, default: []].append(i) }
    }
    var fixed: [Int: Int128] = [:]
    for idx in byRule.values {
      for side in [idx.filter { report.lines[$0].cost.pico > 0 }, idx.filter { report.lines[$0].cost.pico < 0 }] {
        let exact = side.map { report.lines[$0].cost.pico }
        let target = Money(pico: exact.reduce(0, +)).rounded(toDecimals: decimals)
        for (i, v) in zip(side, Apportion.apportion(exact, unit: unit, target: target)) { fixed[i] = v }
      }
    }
    return fixed
  }
}
