import ChargebackModel
import Foundation

extension WorkbookReports {
  /// `company.xlsx`: the overview with its charts, cost centres side by side, daily spend per cost
  /// centre, unattributed spend, every finding, the reconciliation, every line, the price rows and
  /// the input files.
  static func company(
    _ report: ChargebackReport, cents: ReportRounding, dailyCents: [String: Int128], created: Int64,
    directory: String, limit: Int, tmpdir: String? = nil
  ) throws -> String {
    let path = (directory as NSString).appendingPathComponent("company.xlsx")
    let wb = try Workbook(path: path, title: "Chargeback \(report.period) — company", created: created, tmpdir: tmpdir)
    let page = Page(audience: "Company: all cost centres", period: report.period)
    let reconciliation = reconciliationTable(report.reconciliation)
    try companySummary(wb, report, cents: cents, reconciliation: reconciliation, page: page)
    try write(costCentresTable(report, cents), to: wb, page: page, limit: limit)
    let agents = companyAgentsTable(report, cents)
    try write(agents.table, to: wb, page: page, limit: limit, notes: agents.notes)
    // A month has at most 31 days and the Summary's chart plots every one: never cut.
    let daily = dailyMatrix(report, targets: dailyCents)
    try write(daily.table, to: wb, page: page, limit: Int.max, notes: daily.notes)
    let unattributed = report.lines.indices.filter { report.lines[$0].key.costCentre == Attribution.unattributed }
    try write(unattributedTable(report, unattributed, cents), to: wb, page: page, limit: limit)
    try write(
      findingsTable(report.findings, costCentre: true, cents: (cents.findingCosts, cents.findingAvoidable)), to: wb,
      page: page, limit: limit, notes: [findingsNote])
    if !report.reconciliation.isEmpty {
      try write(
        reconciliation, to: wb, page: page, limit: limit,
        notes: [
          "Computed and billed are each rounded to cents so that they add up to their totals; the variance is"
            + " computed minus billed as shown, so every row and the TOTAL cross-foot. The percentage is of the"
            + " exact amounts: a row of a few cents can show one beside a variance of 0.00."
        ])
    }
    if !report.granularity.isEmpty {
      try write(
        granularityTable(report.granularity), to: wb, page: page, limit: limit,
        notes: [
          "Report rows exported at several bucket widths: each coarse bucket is not charged; the finer rows inside it"
            + " are. Differences are finer minus coarse; they are shown, never charged."
        ])
    }
    if !report.commitments.isEmpty {
      try write(
        commitmentsTable(report.commitments), to: wb, page: page, limit: limit,
        notes: [
          "A provisioned fee is prorated by whole UTC days in effect. Its calls cost list × min(1, fee ÷ list); what"
            + " is left of the fee is idle, charged to the owner. Savings = list − used − idle (negative: the"
            + " capacity cost more than list would have)."
        ])
    }
    try write(
      linesTable(report, Array(report.lines.indices), cents, costCentre: true, limit: limit), to: wb, page: page,
      limit: limit)
    try write(
      methodTable(report.priceRowsUsed, fullLocation: true), to: wb, page: page, limit: Int.max,
      notes: methodNotes(report))
    try write(
      inputsTable(report.inputs), to: wb, page: page, limit: limit,
      notes: ["Records: all the records of the file in the store, of every period."])
    try wb.close()
    return path
  }

  /// One page: the company's figures, cost per cost centre (table and bar chart) and daily spend
  /// stacked by cost centre.
  private static func companySummary(
    _ wb: Workbook, _ report: ChargebackReport, cents: ReportRounding, reconciliation: DetailTable, page: Page
  ) throws {
    let s = try summaryStart(wb, report, audience: "all cost centres")
    var r = 3
    func row(_ label: String, _ cell: Cell) throws {
      try s.text(r, 0, label, .bold)
      try put(s, r, [.empty, cell])
      r += 1
    }
    let ccs = report.costCentres
    try row("Period", .text(report.period.description))
    try row("From", .date(report.period.startMillis))
    try row("To", .date(report.period.endMillis - 1))
    try row("Total cost (USD)", .cents(cents.total))
    try contextRows(
      report, owed: cents.total, cost: report.totalCost, previous: cents.previous?.total,
      previousExact: report.context.previous?.total, forecast: cents.forecast?.total, row: row)
    try row("Cost centres", .int(Int128(ccs.filter { $0.id != Attribution.unattributed }.count)))
    // Spend nobody could be charged for, before and after the rules that share it: after alone,
    // a rule that spread it showed 0.00 on the front page (a finance trial).
    let unattributed = ccs.first { $0.id == Attribution.unattributed }
    if let u = unattributed, u.allocatedOut.pico != 0 {
      try row("Unattributed spend (USD)", .cents(u.directCost.rounded(toDecimals: 2)))
      try row("Still unattributed (USD)", .cents(cents.costCentres[Attribution.unattributed] ?? 0))
    } else {
      try row("Unattributed (USD)", .cents(cents.costCentres[Attribution.unattributed] ?? 0))
    }
    try row("Requests", .int(ccs.reduce(0) { $0 + $1.requests }))
    try row("Unpriced requests", .int(ccs.reduce(0) { $0 + $1.unpricedRequests }))
    try row("Unpriced tokens", .int(ccs.reduce(0) { $0 + $1.unpricedTokens }))
    try row("Avoidable cost (USD)", .cents(ccs.reduce(0) { $0 + (cents.avoidableByCentre[$1.id] ?? 0) }))
    try row("Findings", .int(Int128(report.findings.count)))
    if !report.reconciliation.isEmpty {
      let total = reconciliation.aggregate(reconciliation.rows, label: "")
      try row("Reconciled: computed (USD)", total[3])
      try row("Reconciled: billed (USD)", total[4])
      try row("Reconciled: variance (USD)", total[5])
    }
    // The providers charged whose bill was not loaded: the reconciled figures beside the total
    // did not say what they leave out (a finance trial: 12.65 reconciled of 136.60, Bedrock's
    // 23.95 without a word).
    let billed = Set(report.reconciliation.map(\.provider)).union(report.unbilledDays.keys)
    let unbilled = report.classCharges.chargeProviders.subtracting(billed).map(\.rawValue).sorted()
    if !unbilled.isEmpty {
      try row("Not reconciled (no bill)", .text(unbilled.joined(separator: ", ")))
    }
    // And, a row each, the days a loaded bill does not cover (a trial: a row of reconciliation.csv
    // per such day read "billed $0").
    for (provider, days) in report.unbilledDays.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      try row("Not reconciled (no \(provider.rawValue) bill)", .text(Self.dayRanges(days)))
    }
    let t = try topTable(
      s, at: 3, header: "Cost centre", noun: "cost centres",
      amounts: ccs.map { (GroupKey.data($0.id), cents.costCentres[$0.id] ?? 0) }, total: cents.total, top: 12)
    let width = summaryWidths.reduce(0) { $0 + Workbook.pixels(ofColumn: $1) }
    let barRow = max(r, t.end) + 1
    // A month with no usage has no cost centre to chart: the tables say so, with zero totals.
    guard t.last >= t.first, !ccs.isEmpty else {
      try s.setUpPage(
        PageLayout(
          orientation: .portrait, audience: page.audience, period: report.period.description,
          printArea: (barRow, summaryWidths.count - 1), onePage: true))
      return
    }
    let barHeight = 90 + 30 * (t.last - t.first + 1)
    try wb.insert(
      Chart(
        kind: .bar, title: "Cost by cost centre (USD)",
        series: [
          Chart.Series(
            name: "Cost", categories: Sheet.range(sheet: "Summary", column: 3, rows: t.first...t.last),
            values: Sheet.range(sheet: "Summary", column: 4, rows: t.first...t.last))
        ], width: width, height: barHeight), into: s, row: barRow, column: 0)
    let dailyRow = barRow + rows(forPixels: barHeight) + 1
    let days = report.period.dayCount
    try wb.insert(
      Chart(
        kind: .stackedColumn, title: "Daily spend by cost centre in \(report.period) (USD, UTC days)",
        series: (0..<dailySeries(ccs.count)).map { k in
          Chart.Series(
            name: Sheet.reference(sheet: "Daily", row: 0, column: k + 1),
            categories: Sheet.range(sheet: "Daily", column: 0, rows: 1...days),
            values: Sheet.range(sheet: "Daily", column: k + 1, rows: 1...days))
        }, categoryFormat: "d", legend: true, width: width, height: 440), into: s, row: dailyRow, column: 0)
    try s.setUpPage(
      PageLayout(
        orientation: .portrait, audience: page.audience, period: report.period.description,
        printArea: (dailyRow + rows(forPixels: 440), summaryWidths.count - 1), onePage: true))
  }

  /// The series of the daily chart: the company Daily sheet's cost-centre columns, with its "All
  /// other" column when it has one (``dailyColumnSplit(_:_:)``).
  private static func dailySeries(_ costCentres: Int) -> Int {
    costCentres > dailyColumns + 1 ? dailyColumns + 1 : costCentres
  }

  /// One row per cost centre (and `UNATTRIBUTED`): usage, cost, budget, avoidable cost and findings.
  private static func costCentresTable(_ report: ChargebackReport, _ cents: ReportRounding) -> DetailTable {
    DetailTable(
      name: "Cost centres",
      columns: [
        Column(header: "Cost centre", width: 14, wrap: true), Column(header: "Name", width: 22, wrap: true),
        Column(header: "Requests", width: 11, total: .count),
        Column(header: "Unpriced requests", width: 10, total: .count),
      ]
        + tokenColumns + [
          Column(header: "Cost (USD)", width: 13, total: .money),
          Column(header: "Budget (USD)", width: 12, total: .money), Column(header: "Budget used", width: 8),
          Column(header: "Avoidable (USD)", width: 12, total: .money),
          Column(header: "Findings", width: 9, total: .count),
        ] + contextColumns(report),
      rows: report.costCentres.map { cc in
        let c = cents.costCentres[cc.id] ?? 0
        var row: [Cell] = [
          .text(cc.id), .text(cc.name), .int(cc.requests), .int(cc.unpricedRequests), .int(cc.tokens.input),
          .int(cc.tokens.cachedInput), .int(cc.tokens.cacheWrite), .int(cc.tokens.output), .cents(c),
          cc.budget.map { .cents($0.rounded(toDecimals: 2)) } ?? .empty,
          cc.budget.map { .ratio(cc.cost.pico, $0.pico) } ?? .empty,
          .cents(cents.avoidableByCentre[cc.id] ?? 0), .int(Int128(cc.findings)),
        ]
        // As apportioned (``ReportRounding``): the column adds up to the company Summary's figure.
        if let last = cents.previous?.parts[cc.id] {
          row += [.cents(last), .cents(c - last), last == 0 ? .empty : .ratio(c - last, last)]
        }
        if report.context.isOpen {
          row.append(cents.forecast?.parts[cc.id].map { .cents($0) } ?? .empty)
        }
        return row
      }, noun: "cost centres", rank: { $0[8].rankValue ?? 0 })
  }

  /// Last month, change and (for an open month) forecast columns of the Cost centres sheet, after
  /// its 13 columns.
  private static func contextColumns(_ report: ChargebackReport) -> [Column] {
    var columns: [Column] = []
    if report.context.previous != nil {
      columns += [
        Column(header: "Last month (USD)", width: 12, total: .money),
        Column(header: "Change (USD)", width: 12, total: .money),
        Column(header: "Change", width: 8, total: .ratio(14, over: 13)),
      ]
    }
    if report.context.isOpen { columns.append(Column(header: "Forecast (USD)", width: 12, total: .money)) }
    return columns
  }

  /// The lines of `UNATTRIBUTED` by credential, claimed agent, provider and model: who called and
  /// what it cost.
  ///
  /// Summed over the lines' tasks and sources (the sheet has no column for them: shown line by
  /// line, a task per call looked like the same row repeated). Largest first.
  private static func unattributedTable(_ report: ChargebackReport, _ idx: [Int], _ cents: ReportRounding)
    -> DetailTable
  {
    struct Group {
      var key: [String]
      var requests: Int128 = 0
      var input: Int128 = 0
      var output: Int128 = 0
      var cents: Int128 = 0
      var exact: Int128 = 0
      var priced = false
    }
    var groups: [[String]: Group] = [:]
    // Each line read where it lies (through the buffer), not copied out of the array.
    report.lines.withUnsafeBufferPointer { lines in
      for i in idx {
        let k = lines[i].key
        // A shared cost (an allocation moved out, idle capacity) is named by what it shares, as on
        // the Agents sheet: its placeholder provider `other` and empty model read as usage of the
        // provider `other` (a trial).
        let key: [String]
        if let label = k.sharingLabel {
          key = [GroupKey.made(label), GroupKey.data(""), GroupKey.data(""), GroupKey.data("")]
        } else {
          key = [k.credentialID ?? "", k.agentID ?? "", k.provider.rawValue, k.model].map(GroupKey.data)
        }
        var g = groups[key] ?? Group(key: key)
        g.requests += lines[i].requests
        g.input += lines[i].tokens.input
        g.output += lines[i].tokens.output
        g.cents += cents.lines[i]
        g.exact += lines[i].cost.pico
        g.priced = g.priced || k.priced
        groups[key] = g
      }
    }
    // In key order: ties go by position (``ReportRounding/regrouped(exact:rounded:)``).
    var all = groups.values.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    for (i, c) in cents.regrouped(exact: all.map(\.exact), rounded: all.map(\.cents)).enumerated() { all[i].cents = c }
    let sorted = all.sorted {
      $0.cents != $1.cents ? $0.cents > $1.cents : $0.key.lexicographicallyPrecedes($1.key)
    }
    return DetailTable(
      name: "Unattributed",
      columns: [
        Column(header: "Credential", width: 40, wrap: true), Column(header: "Claimed agent", width: 18, wrap: true),
        Column(header: "Provider", width: 10), Column(header: "Model", width: 22, wrap: true),
        Column(header: "Requests", width: 11, total: .count), Column(header: "Input tokens", width: 13, total: .count),
        Column(header: "Output tokens", width: 13, total: .count),
        Column(header: "Cost (USD)", width: 13, total: .money),
      ],
      count: sorted.count,
      row: { n in
        let g = sorted[n]
        return g.key.map(GroupKey.cell) + [
          .int(g.requests), .int(g.input), .int(g.output), g.priced ? .money(exact: g.exact, cents: g.cents) : .empty,
        ]
      }, noun: "groups", rank: { $0[7].rankValue ?? 0 })
  }

  /// The files that hold records of the period, with their SHA-256 (company.xlsx only).
  private static func inputsTable(_ inputs: [InputFileSummary]) -> DetailTable {
    DetailTable(
      name: "Inputs",
      columns: [
        Column(header: "Input file", width: 50, wrap: true), Column(header: "Format", width: 22, wrap: true),
        Column(header: "Level", width: 8), Column(header: "Records", width: 11, total: .count),
        Column(header: "SHA-256", width: 34, wrap: true),
      ],
      rows: inputs.map { f in
        [.text(f.path), .text(f.format), .text(f.level), .int(Int128(f.records)), .text(f.sha256)]
      }, noun: "files", rank: { $0[3].rankValue ?? 0 })
  }
}
