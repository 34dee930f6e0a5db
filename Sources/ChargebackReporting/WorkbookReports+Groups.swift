import ChargebackModel
import ChargebackSupport

/// The sheets of groups (Agents, Models; the Tasks sheet's rows too): their keys, how lines are
/// summed into them, and last month's amount beside each.
extension WorkbookReports {
  /// The row of the Agents sheet (and the Summary's top agents) a line is counted in, as a
  /// ``GroupKey``.
  ///
  /// Its agent, else what it shares (an allocation rule, a commitment's idle capacity), else `(none)`.
  static func agentGroup(_ k: ChargebackLine.Key) -> String {
    k.agentID.map(GroupKey.data) ?? GroupKey.made(k.sharingLabel ?? "(none)")
  }

  /// A group key of the Agents and Tasks sheets: an id from the data or a label the sheet makes
  /// (`(none)`, what a shared cost shares), one character apart.
  ///
  /// Before, both were the bare text, and a task id `(none)` from a log was summed with the calls
  /// without a task.
  enum GroupKey {
    static func data(_ id: String) -> String { "d" + id }
    static func made(_ label: String) -> String { "m" + label }
    /// The id of a data key; nil for a label.
    static func id(_ key: String) -> String? { isData(key) ? text(key) : nil }
    /// The text of either.
    static func text(_ key: String) -> String { String(key.unicodeScalars.dropFirst()) }
    /// On the first byte: `hasPrefix` compares characters, and an id starting with a combining
    /// mark or a joiner makes one character with the `d`.
    static func isData(_ key: String) -> Bool { key.utf8.first == UInt8(ascii: "d") }
    static func cell(_ key: String) -> DetailTable.Cell { isData(key) ? .text(text(key)) : .made(text(key)) }
    /// The key of the group a previous period's totals name by `item` (``PeriodContext``): an
    /// agent's id, empty for the calls without an agent, or what a shared cost shares.
    static func of(previousItem item: String) -> String {
      if item.isEmpty { return made("(none)") }
      if let label = PeriodContext.Totals.sharingLabel(item) { return made(label) }
      return data(item)
    }
  }

  /// The Models sheet's key (provider, model, tier; a shared cost: empty, its label, empty) of a
  /// previous period's model item (`provider/model/tier`: a model may hold `/`, a provider and a
  /// tier never do).
  static func modelKey(previousItem item: String) -> [String] {
    if let label = PeriodContext.Totals.sharingLabel(item) { return ["", label, ""] }
    guard let first = item.firstIndex(of: "/"), let last = item.lastIndex(of: "/"), first < last else {
      return [item, "", ""]
    }
    return [
      String(item[..<first]), String(item[item.index(after: first)..<last]), String(item[item.index(after: last)...]),
    ]
  }

  /// Last month beside a sheet of groups: each group's amount as it was charged, and the Summary's
  /// last-month figure for the cost centre (cents), which the rows are rounded to add up to.
  struct LastMonth {
    var groups: [(key: [String], amount: Money)]
    var target: Int128
    /// The cost centre's exact last-month total, which the groups add up to when the totals were
    /// stored with the shared costs in them.
    var exactTotal: Money
  }

  /// A group's sums in a sheet of groups (agents, tasks, models).
  struct GroupSums {
    var key: [String]
    var requests: Int128 = 0
    var failed: Int128 = 0
    var tokens = TokenTotals()
    var cents: Int128 = 0
    /// Exact cost in pico-USD, for ``ReportRounding/regrouped(exact:rounded:)``.
    var exact: Int128 = 0
    /// Whether any of the group's lines is priced: a group of unpriced lines has no cost, and
    /// shows an empty cell, never $0 (SPEC §5).
    var priced = false

    init(key: [String]) { self.key = key }

    /// Adds a line, `cents` its cents in the report's rounding.
    mutating func add(_ l: ChargebackLine, cents lineCents: Int128) {
      requests += l.requests
      failed += l.failedRequests
      tokens += l.tokens
      cents += lineCents
      exact += l.cost.pico
      priced = priced || l.key.priced
    }

    init(key: [String], _ f: TaskFigures) {
      self.key = key
      (requests, failed, tokens, exact, priced) = (f.requests, f.failedRequests, f.tokens, f.cost.pico, f.priced)
    }
  }

  /// Requests, failures, tokens, cost and share of the lines `idx` grouped by `key`, largest first.
  static func groupTable(
    _ name: String, _ report: ChargebackReport, _ idx: [Int], _ cents: ReportRounding, noun: String,
    keyColumns: [Column], key: (ChargebackLine) -> [String], describe: @escaping ([String]) -> [Cell],
    previous: LastMonth? = nil, regroup: Bool = true
  ) -> DetailTable {
    // The groups in the order their first lines come (the lines' order is fixed), not a
    // dictionary's, which changes from run to run: largest remainder breaks ties by position.
    var groups: [[String]: Int] = [:]
    var accs: [GroupSums] = []
    // Each line lent where it lies: `let l = report.lines[i]` retained and released its strings.
    report.lines.withUnsafeBufferPointer { lines in
      for i in idx {
        let k = key(lines[i])
        let g: Int
        if let found = groups[k] {
          g = found
        } else {
          g = accs.count
          groups[k] = g
          accs.append(GroupSums(key: k))
        }
        accs[g].add(lines[i], cents: cents.lines[i])
      }
    }
    // A group of last month with nothing this month is a row too, at zero (an agent retired):
    // without it the TOTAL's last month was not the Summary's. In item order, so runs agree.
    for (k, _) in (previous?.groups ?? []).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) })
    where groups[k] == nil {
      groups[k] = accs.count
      var g = GroupSums(key: k)
      g.priced = true
      accs.append(g)
    }
    groups = [:]
    return groupDetail(
      name, accs, cents, noun: noun, keyColumns: keyColumns, describe: describe, previous: previous, leftOut: nil,
      regroup: regroup)
  }

  /// The sheet of the groups `accs`, their cents regrouped (``ReportRounding/regrouped(exact:rounded:)``)
  /// unless `regroup` is false (the agents, whose lines were rounded to their amounts: their sums
  /// are already those) and ordered by them, largest first; with `leftOut` (``Largest``), `accs`
  /// are the groups kept, their cents rounded again with the rest by the sheet.
  static func groupDetail(
    _ name: String, _ accs: [GroupSums], _ cents: ReportRounding, noun: String, keyColumns: [Column],
    describe: @escaping ([String]) -> [Cell], previous: LastMonth?,
    leftOut: (rest: DetailTable.Rest, count: Int)?, regroup: Bool = true
  ) -> DetailTable {
    var accs = accs
    if leftOut == nil, regroup {
      for (i, c) in cents.regrouped(exact: accs.map(\.exact), rounded: accs.map(\.cents)).enumerated() {
        accs[i].cents = c
      }
    }
    let total = accs.reduce(Int128(0)) { $0 + $1.cents } + (leftOut.map { $0.rest.sums[keyColumns.count + 6] } ?? 0)
    let cost = keyColumns.count + 6
    // Shares of a total with negative parts (an allocation moved out) say nothing (a trial:
    // 2,971 % beside −3,006 %): shown only when no group is below zero.
    let shares = !accs.contains { $0.cents < 0 } && (leftOut.map { $0.rest.sums[cost] >= 0 } ?? true)
    // Positions sorted, then each group moved once: a merge sort of the groups themselves copied
    // each (its key and its sums) about log₂ n times, with a task per call a million groups.
    let order = accs.indices.sorted { a, b in
      accs[a].cents != accs[b].cents
        ? accs[a].cents > accs[b].cents : accs[a].key.lexicographicallyPrecedes(accs[b].key)
    }
    let sorted = leftOut == nil ? order.map { accs[$0] } : accs
    accs = []
    let lastCents = previous.map { Self.lastMonthCents(sorted.map(\.key), $0) } ?? []
    // Made per row as the sheet needs it (``DetailTable/row``): there can be a task per call.
    // The figures after the key columns, apart, for ranking and summing (``DetailTable/figures``).
    let figures = { (n: Int) -> [Cell] in
      // Through the array, not a copy of the group, whose key can be a task id per call.
      let (priced, cents) = (sorted[n].priced, sorted[n].cents)
      // The share and the change refer to the cost cell: a cut sheet rounds it again
      // (``DetailTable/shownRows(limit:)``).
      var row: [Cell] = [
        .int(sorted[n].requests), .int(sorted[n].failed), .int(sorted[n].tokens.input),
        .int(sorted[n].tokens.cachedInput), .int(sorted[n].tokens.cacheWrite), .int(sorted[n].tokens.output),
        priced ? .money(exact: sorted[n].exact, cents: cents) : .empty,
        priced && shares ? .shareOf(column: cost, total: total) : .empty,
      ]
      if previous != nil {
        let last = lastCents[n]
        row += [
          .cents(last), .less(column: cost, minus: last), last == 0 ? .empty : .lessRatio(column: cost, minus: last),
        ]
      }
      return row
    }
    let row = { (n: Int) -> [Cell] in describe(sorted[n].key) + figures(n) }
    var lastMonth: [Column] = []
    if previous != nil {
      lastMonth = [
        Column(header: "Last month (USD)", width: 12, total: .money),
        Column(header: "Change (USD)", width: 12, total: .money),
        Column(header: "Change", width: 8, total: .ratio(cost + 3, over: cost + 2)),
      ]
    }
    var table = DetailTable(
      name: name,
      columns: keyColumns + [
        Column(header: "Requests", width: 11, total: .count), Column(header: "Failed", width: 9, total: .count),
      ]
        + tokenColumns + [
          Column(header: "Cost (USD)", width: 13, total: .money),
          Column(header: "Share", width: 8, total: shares ? .share(of: cost) : .none),
        ] + lastMonth, count: sorted.count, row: row, noun: noun, rank: { $0[cost].rankValue ?? 0 })
    table.figures = (keyColumns.count, figures)
    table.leftOut = leftOut
    return table
  }

  /// Last month's cents of each row (by its key), rounded to add up to the Summary's figure.
  ///
  /// By largest remainder, so that the column's TOTAL is the Summary's last month (each rounded on
  /// its own, it was a cent off). When last month's groups do not add up to that figure (totals stored by a
  /// version that left shared costs out of them), each is rounded on its own instead.
  static func lastMonthCents(_ keys: [[String]], _ last: LastMonth) -> [Int128] {
    var amounts: [[String]: Int128] = [:]
    for g in last.groups { amounts[g.key, default: 0] += g.amount.pico }
    let exact = keys.map { amounts[$0] ?? 0 }
    // Totals stored with the shared costs add up to the cost centre's exactly (the keys list every
    // group of last month); others are rounded one by one.
    guard last.groups.reduce(Int128(0), { $0 + $1.amount.pico }) == last.exactTotal.pico else {
      return exact.map { Money(pico: $0).rounded(toDecimals: 2) }
    }
    return Apportion.apportion(exact, unit: Money.unit(2), target: last.target)
  }
}
