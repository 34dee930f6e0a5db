import ChargebackModel

/// Presentation rounding of a report (SPEC §5): cost centres are apportioned to the rounded grand
/// total, and each cost centre's lines to its rounded amount, by largest remainder, so that every
/// printed column adds up exactly.
package struct ReportRounding: Sendable {
  /// Decimal places (6 for CSV, 2 for workbooks).
  package let decimals: Int
  /// Rounded grand total, in units of `decimals` places.
  package let total: Int128
  /// Rounded amount per cost centre id.
  package let costCentres: [String: Int128]
  /// Each shared-cost rule line's rounded amount, by line index (``ruleParts(_:unit:decimals:)``,
  /// then ``leaveRests(_:rules:centres:unit:)``).
  package let rules: [Int: Int128]
  /// Rounded amount per line, in `report.lines` order; empty when made without the lines.
  package let lines: [Int128]
  /// Rounded list cost per line (`list_cost_usd` of `chargeback.csv`): a cost centre's usage lines
  /// apportioned to its rounded list cost as ``lines`` are to its amount, so they add up to the
  /// summary's list costs (rounded one by one, a month of a line per call was 2 cents over); an
  /// allocated or idle line's list cost is its amount, and shows its rounded amount.
  package let lineList: [Int128]
  /// Amounts per cost centre and in all, rounded so that the parts add up to the total.
  package struct Column: Sendable {
    package var parts: [String: Int128]
    package var total: Int128
  }
  /// The previous period's cost of each cost centre charged now, and the previous period's total
  /// (which also holds cost centres not charged now); nil when the store has no previous period.
  package let previous: Column?
  /// An open period's run-rate forecast per cost centre and in all (the sum of theirs); nil for a
  /// closed period.
  package let forecast: Column?
  /// Each finding's cost and avoidable cost, in `report.findings` order: every workbook shows a
  /// finding at the same amount (``findingParts(_:decimals:amount:shown:)``).
  package let findingCosts: [Int128]
  package let findingAvoidable: [Int128]
  /// The avoidable cost of each cost centre's findings: its Findings sheet's TOTAL, its Summary's
  /// and `summary.csv`'s figure, all one.
  package let avoidableByCentre: [String: Int128]

  /// The rounding of `report` to `decimals` places; with `lines` false, only the cost centres, the
  /// total and the columns beside them (``lines`` is then empty): the outputs that show no line
  /// need no largest remainder over every line, and there can be a line per call.
  package init(_ report: ChargebackReport, decimals: Int, lines withLines: Bool = true) {
    self.decimals = decimals
    let unit = Money.unit(decimals)
    // Made with or without the lines, so that every output rounds the cost centres alike.
    var fixed = Self.ruleParts(report, unit: unit, decimals: decimals)
    var (byCC, total) = Self.centres(report, fixed: fixed, decimals: decimals)
    if !fixed.isEmpty { Self.leaveRests(report, rules: &fixed, centres: &byCC, unit: unit) }
    self.total = total
    costCentres = byCC
    rules = fixed
    var lineAmounts = Array(repeating: Int128(0), count: withLines ? report.lines.count : 0)
    var lineLists = lineAmounts
    let (listParts, _) = Apportion.rounded(report.costCentres.map(\.listCost), decimals: decimals)
    let listByCC = Dictionary(uniqueKeysWithValues: zip(report.costCentres.map(\.id), listParts))
    var indicesByCC: [String: [Int]] = [:]
    // By index: `for l in lines` copies each line (a dozen strings retained and released).
    if withLines {
      for i in report.lines.indices { indicesByCC[report.lines[i].key.costCentre, default: []].append(i) }
    }
    for (cc, idx) in indicesByCC {
      let amounts = Self.centreLines(report, idx, fixed: fixed, unit: unit, target: byCC[cc] ?? 0)
      for (i, v) in zip(idx, amounts) { lineAmounts[i] = v }
      // Usage lines share the cost centre's list cost; an allocated or idle line's list cost is
      // its amount (not in the cost centre's list cost), shown as its amount is.
      let usage = idx.filter { report.lines[$0].key.source != .allocated && report.lines[$0].key.source != .idle }
      for i in idx { lineLists[i] = lineAmounts[i] }
      let lists = Apportion.apportion(
        usage.map { report.lines[$0].listCost.pico }, unit: unit, target: listByCC[cc] ?? 0)
      for (i, v) in zip(usage, lists) { lineLists[i] = v }
    }
    lines = lineAmounts
    lineList = lineLists
    let ids = report.costCentres.map(\.id)
    func column(_ amounts: [Money], rest: Money = .zero) -> Column {
      // The rest (previous spend of cost centres not charged now) takes its share of the rounding
      // and is shown only in the total.
      let (parts, total) = Apportion.rounded(amounts + [rest], decimals: decimals)
      return Column(parts: Dictionary(uniqueKeysWithValues: zip(ids, parts)), total: total)
    }
    previous = report.context.previous.map { last in
      let shown = report.costCentres.map { last.costCentres[$0.id] ?? .zero }
      return column(shown, rest: last.total - Money(pico: shown.reduce(0) { $0 + $1.pico }))
    }
    let forecasts = report.costCentres.map {
      report.context.forecast(owed: $0.cost, runRate: $0.runRateCost, period: report.period)
    }
    forecast = forecasts.contains(nil) || forecasts.isEmpty ? nil : column(forecasts.compactMap { $0 })
    findingCosts = Self.findingParts(report, decimals: decimals, amount: \.cost, shown: \.costKnown).parts
    let avoidable = Self.findingParts(report, decimals: decimals, amount: \.avoidableCost, shown: \.avoidableShown)
    (findingAvoidable, avoidableByCentre) = (avoidable.parts, avoidable.centres)
  }

  /// The findings' amounts rounded in two steps, each cost centre's sum, then its findings.
  ///
  /// Each cost centre's sum by largest remainder over the cost centres (in `report.costCentres`
  /// order, then findings of no cost centre of the report), then each cost centre's findings to
  /// its sum. Findings overlap (a call can be in
  /// several), so they are no parts of an amount owed; rounded over all findings at once, a cost
  /// centre's Findings sheet could add up to $0.00 beside its Summary's avoidable $0.01 (a
  /// review), and rounded over each sheet's own findings, one finding read $2.67 in company.xlsx
  /// and $2.68 in its cost centre's workbook (a trial).
  static func findingParts(
    _ report: ChargebackReport, decimals: Int, amount: (Finding) -> Money, shown: (Finding) -> Bool
  ) -> (parts: [Int128], centres: [String: Int128]) {
    var order = report.costCentres.map(\.id)
    var group = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var members: [[Int]] = Array(repeating: [], count: order.count)
    for (n, f) in report.findings.enumerated() {
      let cc = f.costCentre ?? ""
      let g = group[cc] ?? order.count
      if g == order.count {
        group[cc] = g
        order.append(cc)
        members.append([])
      }
      members[g].append(n)
    }
    let values = report.findings.map { shown($0) ? amount($0).pico : 0 }
    let exact = { (n: Int) in values[n] }
    let sums = members.map { m in Money(pico: m.reduce(Int128(0)) { $0 + exact($1) }) }
    let centreParts = Apportion.rounded(sums, decimals: decimals).parts
    var parts = [Int128](repeating: 0, count: report.findings.count)
    for (g, m) in members.enumerated() where !m.isEmpty {
      let split = Apportion.apportion(m.map(exact), unit: Money.unit(decimals), target: centreParts[g])
      for (n, v) in zip(m, split) { parts[n] = v }
    }
    return (parts, Dictionary(zip(order, centreParts), uniquingKeysWith: { a, _ in a }))
  }

  /// The cost centres' rounded amounts, adding up to the rounded total: each its exact amount
  /// rounded down or up (largest remainder), but a cost centre whose lines are all rules' parts
  /// (one that only receives or gives away shared costs; lines that cost nothing aside), whose
  /// amount is their sum (`fixed`) when that sum is its exact amount rounded down or up too, so
  /// that the rules add up in its sheets.
  static func centres(_ report: ChargebackReport, fixed: [Int: Int128], decimals: Int) -> (
    [String: Int128], Int128
  ) {
    let unit = Money.unit(decimals)
    let total = Money(pico: report.costCentres.reduce(0) { $0 + $1.cost.pico }).rounded(toDecimals: decimals)
    var onlyRules: [String: Int128] = [:]
    if !fixed.isEmpty {
      var other = Set<String>()
      for i in report.lines.indices {
        let cc = report.lines[i].key.costCentre
        if let v = fixed[i] {
          onlyRules[cc, default: 0] += v
        } else if report.lines[i].cost.pico != 0 {
          other.insert(cc)
        }
      }
      for cc in other { onlyRules[cc] = nil }
    }
    // Only where it is the cost centre's exact amount rounded down or up (rule parts rounded rule
    // by rule can add up to a cent it does not owe: a chain of rules through a cost centre of no
    // usage, a review's case), and the others can still be so: else every cost centre is rounded
    // as usual, and such a cost centre's rules may miss their sum by a cent there.
    let exact = Dictionary(report.costCentres.map { ($0.id, $0.cost.pico) }, uniquingKeysWith: +)
    func floorAndCeiling(_ pico: Int128) -> (Int128, Int128) {
      let f = Apportion.floorDiv(pico, unit)
      return (f, f * unit == pico ? f : f + 1)
    }
    onlyRules = onlyRules.filter { cc, v in
      guard let e = exact[cc], e != 0 else { return false }
      let (f, c) = floorAndCeiling(e)
      return f <= v && v <= c
    }
    var rest = report.costCentres.filter { onlyRules[$0.id] == nil }
    let bounds = rest.reduce((Int128(0), Int128(0))) { sum, cc in
      let (f, c) = floorAndCeiling(cc.cost.pico)
      return (sum.0 + f, sum.1 + c)
    }
    let target = total - onlyRules.values.reduce(0, +)
    if !onlyRules.isEmpty && (rest.isEmpty || target < bounds.0 || target > bounds.1) {
      onlyRules = [:]
      rest = report.costCentres
    }
    let parts = Apportion.apportion(
      rest.map(\.cost.pico), unit: unit, target: total - onlyRules.values.reduce(0, +))
    var byCC = onlyRules
    for (cc, v) in zip(rest, parts) { byCC[cc.id] = v }
    return (byCC, total)
  }

  /// The rounded amounts of a cost centre's lines (`idx`), adding up to `target`.
  ///
  /// Agents first, then each agent's lines to its amount: the Agents sheet and the Summary's top
  /// agents, each its exact amount rounded, are then the sums of their rows on Lines (a trial found
  /// an agent at $3.84 whose lines added up to $3.85, each sheet rounded alone). A shared-cost
  /// rule's lines take their amounts from `fixed` (``ruleParts(_:unit:decimals:)``), and the cost
  /// centre's other lines the rest, so a rule's parts add up to what it shared in every cost
  /// centre's sheets; unless the cost centre has no other line and the rule parts do not add up to
  /// its amount, when its lines are rounded as any other's.
  static func centreLines(
    _ report: ChargebackReport, _ idx: [Int], fixed: [Int: Int128], unit: Int128, target: Int128
  ) -> [Int128] {
    // Positions in `idx`; the rules' parts only when the report has any (a dictionary look-up a
    // line otherwise).
    var result = [Int128](repeating: 0, count: idx.count)
    var grouped = Array(idx.indices)
    var rest = target
    if !fixed.isEmpty {
      let free = idx.indices.filter { fixed[idx[$0]] == nil }
      let fixedSum = idx.reduce(Int128(0)) { $0 + (fixed[$1] ?? 0) }
      if free.count < idx.count && (!free.isEmpty || fixedSum == target) {
        for p in idx.indices { if let v = fixed[idx[p]] { result[p] = v } }
        grouped = free
        rest = target - fixedSum
      }
    }
    var groupOf: [String: Int] = [:]
    var members: [[Int]] = []
    for p in grouped {
      let key = WorkbookReports.agentGroup(report.lines[idx[p]].key)
      if let g = groupOf[key] {
        members[g].append(p)
      } else {
        groupOf[key] = members.count
        members.append([p])
      }
    }
    // Lines that cost nothing (unpriced calls) take no part of a difference the rules' parts leave
    // (−0.01 on an unpriced line, blank in `chargeback.csv`, was a review's case).
    if grouped.count < idx.count {
      members = members.compactMap { m in
        let priced = m.filter { report.lines[idx[$0]].cost.pico != 0 }
        return priced.isEmpty ? nil : priced
      }
      if members.isEmpty && rest != 0 {
        return Self.centreLines(report, idx, fixed: [:], unit: unit, target: target)
      }
    }
    let groupAmounts = Apportion.apportion(
      members.map { $0.reduce(Int128(0)) { $0 + report.lines[idx[$1]].cost.pico } }, unit: unit, target: rest)
    for (positions, groupAmount) in zip(members, groupAmounts) {
      let parts = Apportion.apportion(
        positions.map { report.lines[idx[$0]].cost.pico }, unit: unit, target: groupAmount)
      for (p, v) in zip(positions, parts) { result[p] = v }
    }
    return result
  }

  /// The rounded amounts of groups of lines (an agent's, a model's), given each group's exact cost
  /// and the sum of its lines' rounded amounts: the groups' sums apportioned again, by largest
  /// remainder, from their exact costs.
  ///
  /// The groups still add up to the same total, and each is its exact cost rounded down or up: an
  /// agent of many lines summed from the lines' cents drifted from its exact cost by a cent per
  /// few lines (3 cents on a trial month), and an owner checking it against `chargeback.csv`
  /// found it wrong.
  package func regrouped(exact: [Int128], rounded: [Int128]) -> [Int128] {
    Apportion.apportion(exact, unit: Money.unit(decimals), target: rounded.reduce(0, +))
  }

  /// Calls `body` with each row of line `i` at the task grain and its rounded amount and list cost.
  ///
  /// The rows are ``ChargebackReport/forEachTaskLine(of:_:)``'s; their amounts the line's own
  /// (``lines``, ``lineList``) apportioned over them by largest remainder, so that a line's rows
  /// add up to it and the lines to their cost centre. Needs the rounding made with the lines.
  package func forEachTaskRow(
    _ report: ChargebackReport, line i: Int, held: Int = heldRows,
    _ body: (ChargebackLine, _ amount: Int128, _ list: Int128) throws -> Void
  ) throws {
    guard let group = report.lines[i].taskGroup, let source = report.lineTasks else {
      return try body(report.lines[i], lines[i], lineList[i])
    }
    let unit = Money.unit(decimals)
    // A line of up to 65,536 tasks is read once and held (some 400 bytes a row); a larger one is
    // read twice, its exact amounts first, so that memory holds a few `Int128`s a task (the
    // amounts, the list costs and their remainders), not its rows.
    if source.partCount(of: group) <= held {
      var rows: [ChargebackLine] = []
      try report.forEachTaskLine(of: i) { rows.append($0) }
      let amounts = Apportion.apportion(rows.map(\.cost.pico), unit: unit, target: lines[i])
      let lists = Apportion.apportion(rows.map(\.listCost.pico), unit: unit, target: lineList[i])
      for n in rows.indices { try body(rows[n], amounts[n], lists[n]) }
      return
    }
    var exact: [Int128] = []
    var list: [Int128] = []
    try report.forEachTaskLine(of: i) { row in
      exact.append(row.cost.pico)
      list.append(row.listCost.pico)
    }
    let amounts = Apportion.apportion(exact, unit: unit, target: lines[i])
    let lists = Apportion.apportion(list, unit: unit, target: lineList[i])
    var n = 0
    try report.forEachTaskLine(of: i) { row in
      try body(row, amounts[n], lists[n])
      n += 1
    }
  }

  /// The most rows of a line ``forEachTaskRow(_:line:held:_:)`` holds to read its tasks once
  /// (tests pass another `held` to read a small line twice).
  package static let heldRows = 65_536

  /// A rounded amount as text.
  package func text(_ units: Int128) -> String { Money.format(units: units, decimals: decimals) }
}
