import ChargebackModel
import ChargebackSupport

/// The sheets at the task grain (SPEC §11): Tasks and Lines, which stream a line's tasks from the
/// report's ledger and keep only the rows they show (``Largest``).
extension WorkbookReports {
  /// The Tasks sheet of the cost centre whose tasks are group `group` of `tasks`
  /// (``centreTasks(_:limit:)``): its tasks (`(none)` for calls without one), largest first.
  ///
  /// The tasks stream by once, in order, and only the `limit` largest are held (``Largest``), the
  /// rest summed into the "All other" row as they go: with a ticket per call they are the calls.
  /// When they all fit, the sheet is every task, their cents the cost centre's apportioned over
  /// them by largest remainder.
  static func tasksTable(
    _ report: ChargebackReport, _ cents: ReportRounding, tasks: TaskLedger, group: Int32, ccCents: Int128, limit: Int
  ) throws -> DetailTable {
    let keyColumns = [
      Column(header: "Task", width: 22, wrap: true), Column(header: "Ticket", width: 12, wrap: true),
      Column(header: "Approved by", width: 12),
    ]
    let lead = [Cell](repeating: .empty, count: keyColumns.count)
    var largest = Largest<GroupSums>(limit: limit)
    var rest = DetailTable.Rest(columns: keyColumns.count + 8)
    var count = 0
    try tasks.forEachPart(of: group) { task, f in
      let g = GroupSums(key: [task], f)
      if let out = largest.offer(g, rank: g.priced ? DetailTable.size(g.exact) : 0, order: count) {
        // The cells a cut sheet sums (``DetailTable/Rest``): counts, and the cost with no cents yet.
        rest.add(
          lead + [
            .int(out.requests), .int(out.failed), .int(out.tokens.input), .int(out.tokens.cachedInput),
            .int(out.tokens.cacheWrite), .int(out.tokens.output),
            out.priced ? .money(exact: out.exact, cents: 0) : .empty,
          ])
      }
      count += 1
    }
    var kept = count > limit ? largest.largestFirst() : largest.inStreamOrder()
    var leftOut: (rest: DetailTable.Rest, count: Int)?
    if count > limit {
      // Each kept task's cents on its own and the rest the cost centre's remainder: the sheet
      // rounds them again together (``DetailTable/shownRows(limit:)``), to the same total.
      var shown: Int128 = 0
      for i in kept.indices {
        kept[i].cents = Money(pico: kept[i].exact).rounded(toDecimals: 2)
        shown += kept[i].cents
      }
      rest.sums[keyColumns.count + 6] = ccCents - shown
      leftOut = (rest, count - kept.count)
    } else if !kept.isEmpty {
      // Regrouped from the exact costs to the cost centre's amount (only the sum counts).
      kept[0].cents = ccCents
    }
    return groupDetail(
      "Tasks", kept, cents, noun: "tasks", keyColumns: keyColumns,
      describe: { key in
        let t = GroupKey.id(key[0]).flatMap { report.tasks[$0] }
        return [GroupKey.cell(key[0]), .text(t?.ticket ?? ""), .text(t?.approvedBy ?? "")]
      }, previous: nil, leftOut: leftOut)
  }

  /// The tasks of each cost centre, as group n of the ledger for `report.costCentres[n]`: every
  /// line's rows at the task grain (``ChargebackReport/forEachTaskLine(of:_:)``, their exact
  /// costs final) summed by task, `(none)` for calls without one, an allocation or idle fee by
  /// what it shares (``ChargebackLine/Key/sharingLabel``).
  static func centreTasks(_ report: ChargebackReport, limit: Int, directory: String? = nil) throws -> TaskLedger {
    let ledger = TaskLedger(limit: limit, directory: directory)
    var position: [String: Int32] = [:]
    for (n, cc) in report.costCentres.enumerated() { position[cc.id] = Int32(n) }
    for i in report.lines.indices {
      guard let g = position[report.lines[i].key.costCentre] else { continue }
      try report.forEachTaskLine(of: i) { row in
        // What an allocation or an idle fee shares, as the Agents and Models sheets name it: under
        // `(none)` it was summed with the calls without a task, and read as one of them.
        try ledger.add(
          group: g, task: row.key.taskID.map(GroupKey.data) ?? GroupKey.made(row.key.sharingLabel ?? "(none)"),
          TaskFigures(row))
      }
    }
    try ledger.finish()
    return ledger
  }

  /// One row per chargeback line of `idx` and task (``ReportRounding/forEachTaskRow(_:line:_:)``);
  /// `costCentre` adds the cost centre column (company.xlsx).
  ///
  /// The rows stream by once: with a ticket per call they are the calls, read from disk
  /// (``TaskLedger``), and only the `limit` largest are held (``Largest``), the rest summed into
  /// the "All other" row as they go.
  static func linesTable(
    _ report: ChargebackReport, _ idx: [Int], _ cents: ReportRounding, costCentre: Bool, limit: Int
  ) throws -> DetailTable {
    let figures = { (line: ChargebackLine, amount: Int128) -> [Cell] in
      [
        .int(line.requests), .int(line.tokens.input), .int(line.tokens.cachedInput), .int(line.tokens.cacheWrite),
        .int(line.tokens.output), line.key.priced ? .money(exact: line.cost.pico, cents: amount) : .empty,
      ]
    }
    let row = { (line: ChargebackLine, amount: Int128) -> [Cell] in
      let k = line.key
      // An allocated amount or an idle fee is no call: no provider (an allocation), model, tier or
      // price status of its own, but the rule or commitment it comes from, where the model goes
      // (it showed provider `other`, tier `standard` and `priced`, and allocations could not be
      // told apart).
      if let label = k.sharingLabel {
        let from = line.allocatedFrom.map { " from " + $0 } ?? ""
        return (costCentre ? [.text(k.costCentre)] : []) + [
          .text(k.agentID ?? ""), .text(k.credentialID ?? ""), .text(k.taskID ?? ""),
          .text(k.source == .idle ? k.provider.rawValue : ""), .made(label.dropLast() + from + ")"), .text(""),
          .text(words(k.status.rawValue)), .text(""), .text(k.source.rawValue),
        ] + figures(line, amount)
      }
      return (costCentre ? [.text(k.costCentre)] : []) + [
        .text(k.agentID ?? ""), .text(k.credentialID ?? ""), .text(k.taskID ?? ""), .text(k.provider.rawValue),
        .text(k.model), .text(k.tier.rawValue), .text(words(k.status.rawValue)),
        // A commitment's lines name it: two lines of one agent, task and model, one under a
        // discount, read as one line twice (a finance trial).
        .text(k.priced ? k.commitmentID.map { "priced, " + $0 } ?? "priced" : "unpriced"), .text(k.source.rawValue),
      ] + figures(line, amount)
    }
    let columns: [Column] =
      (costCentre ? [Column(header: "Cost centre", width: 13, wrap: true)] : []) + [
        Column(header: "Agent", width: 18, wrap: true), Column(header: "Credential", width: 24, wrap: true),
        Column(header: "Task", width: 11, wrap: true), Column(header: "Provider", width: 10),
        Column(header: "Model", width: 20, wrap: true), Column(header: "Tier", width: 9),
        Column(header: "Attribution", width: 14, wrap: true), Column(header: "Price status", width: 10, wrap: true),
        Column(header: "Source", width: 9), Column(header: "Requests", width: 10, total: .count),
      ] + tokenColumns + [Column(header: "Cost (USD)", width: 12, total: .money)]
    let cost = costCentre ? 15 : 14
    let lead = [Cell](repeating: .empty, count: cost - 5)
    // Ranked as a cut sheet ranks (``DetailTable/shownRows(limit:)``): by the exact cost's size, an
    // unpriced row as nothing, ties to the earlier row.
    var largest = Largest<(line: ChargebackLine, amount: Int128)>(limit: limit)
    var rest = DetailTable.Rest(columns: columns.count)
    var rows = 0
    for i in idx {
      try cents.forEachTaskRow(report, line: i) { line, amount, _ in
        let rank = line.key.priced ? DetailTable.size(line.cost.pico) : 0
        if let out = largest.offer((line, amount), rank: rank, order: rows) {
          rest.add(lead + figures(out.line, out.amount))
        }
        rows += 1
      }
    }
    let kept = largest.inStreamOrder()
    var table = DetailTable(
      name: "Lines", columns: columns, count: kept.count, row: { row(kept[$0].line, kept[$0].amount) },
      noun: "lines", rank: { $0[cost].rankValue ?? 0 })
    table.figures = (cost - 5, { figures(kept[$0].line, kept[$0].amount) })
    if rows > kept.count { table.leftOut = (rest, rows - kept.count) }
    return table
  }
}
