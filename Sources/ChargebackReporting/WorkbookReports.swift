import ChargebackModel
import Foundation

/// The workbooks of SPEC §7: one per cost centre and `company.xlsx`.
///
/// Money is shown in cents, apportioned (``ReportRounding``) so that every column of cents adds up
/// to the cost centre's total and the cost centres to the company total.
package enum WorkbookReports {
  /// A cell of a data row.
  enum Cell {
    case text(String)
    case int(Int128)
    case cents(Int128)
    case ratio(Int128, Int128)
    case empty
  }

  /// Writes one workbook per cost centre (named by `names`, see ``WorkbookNames``) plus
  /// `company.xlsx`; returns the paths.
  package static func write(_ report: ChargebackReport, names: [String: String], to directory: String) throws
    -> [String]
  {
    let cents = ReportRounding(report, decimals: 2)
    let created = report.period.endMillis / 1000  // fixed, so the file is reproducible
    var paths: [String] = []
    var linesByCC: [String: [Int]] = [:]
    for (i, l) in report.lines.enumerated() { linesByCC[l.key.costCentre, default: []].append(i) }
    for cc in report.costCentres {
      let path = (directory as NSString).appendingPathComponent(
        names[cc.id] ?? WorkbookNames.assign([cc.id])[cc.id] ?? "")
      let wb = try Workbook(path: path, title: "Chargeback \(report.period) — \(cc.id)", created: created)
      let idx = linesByCC[cc.id] ?? []
      let ccCents = cents.costCentres[cc.id] ?? 0
      let findings = report.findings.filter { $0.costCentre == cc.id }
      let daily = report.daily.filter { $0.costCentre == cc.id }
      try summarySheet(
        wb, report, cc, ccCents: ccCents, lines: idx, cents: cents, findings: findings, dailyRows: daily.count)
      try groupSheet(
        wb, "Agents", "agent_id", report, idx, cents, extraHeader: ["name", "owner", "team"],
        key: { $0.key.agentID ?? "(none)" },
        extra: { agent in
          let v = report.agents[agent]
          return [.text(v?.name ?? ""), .text(v?.owner ?? ""), .text(v?.team ?? "")]
        })
      try groupSheet(
        wb, "Tasks", "task_id", report, idx, cents, extraHeader: ["ticket", "approved_by"],
        key: { $0.key.taskID ?? "(none)" },
        extra: { task in
          let t = report.tasks[task]
          return [.text(t?.ticket ?? ""), .text(t?.approvedBy ?? "")]
        })
      try groupSheet(
        wb, "Models", "provider/model/tier", report, idx, cents, extraHeader: [],
        key: { "\($0.key.provider.rawValue)/\($0.key.model)/\($0.key.tier.rawValue)" }, extra: { _ in [] })
      try dailySheet(wb, daily, ccCents: ccCents)
      try findingsSheet(wb, findings)
      try linesSheet(wb, report, idx, cents)
      try methodSheet(wb, report)
      try wb.close()
      paths.append(path)
    }
    paths.append(try company(report, cents: cents, created: created, directory: directory))
    return paths
  }

  private static func put(_ sheet: Sheet, _ row: Int, _ cells: [Cell]) throws {
    for (c, cell) in cells.enumerated() {
      switch cell {
      case .text(let s): try sheet.text(row, c, s)
      case .int(let v): try sheet.integer(row, c, v)
      case .cents(let v): try sheet.decimal(row, c, units: v, decimals: 2)
      case .ratio(let n, let d): try sheet.ratio(row, c, n, over: d)
      case .empty: break
      }
    }
  }

  private static func dataSheet(_ wb: Workbook, _ name: String, header: [String], widths: [Double], rows: [[Cell]])
    throws -> Sheet
  {
    let sheet = try wb.addSheet(name)
    try sheet.table(header: header, rows: rows.count, widths: widths)
    for (i, r) in rows.enumerated() { try put(sheet, i + 1, r) }
    return sheet
  }

  private static func summarySheet(
    _ wb: Workbook, _ report: ChargebackReport, _ cc: CostCentreSummary, ccCents: Int128, lines: [Int],
    cents: ReportRounding, findings: [Finding], dailyRows: Int
  ) throws {
    let s = try wb.addSheet("Summary")
    try s.width(0, 0, 28)
    try s.width(1, 1, 18)
    try s.width(2, 6, 14)
    try s.text(0, 0, "Chargeback \(report.period): \(cc.id) \(cc.name)", .title)
    var r = 2
    func row(_ label: String, _ cell: Cell) throws {
      try s.text(r, 0, label, .bold)
      try put(s, r, [.empty, cell])
      r += 1
    }
    try row("Period", .text(report.period.description))
    try row("Cost centre", .text(cc.id))
    try row("Total cost (USD)", .cents(ccCents))
    if let b = cc.budget {
      try row("Monthly budget (USD)", .cents(b.rounded(toDecimals: 2)))
      try row("Budget used", .ratio(cc.cost.pico, b.pico))
    }
    try row("Requests", .int(cc.requests))
    try row("Unpriced requests", .int(cc.unpricedRequests))
    try row("Input tokens", .int(cc.tokens.input))
    try row("Cached input tokens", .int(cc.tokens.cachedInput))
    try row("Cache write tokens", .int(cc.tokens.cacheWrite))
    try row("Output tokens", .int(cc.tokens.output))
    try row("Avoidable cost (USD)", .cents(cc.avoidableCost.rounded(toDecimals: 2)))
    try row("Findings", .int(Int128(findings.count)))
    r += 1
    try s.text(r, 0, "Top agents", .header)
    try s.text(r, 1, "Cost (USD)", .header)
    r += 1
    var byAgent: [String: Int128] = [:]
    for i in lines { byAgent[report.lines[i].key.agentID ?? "(none)", default: 0] += cents.lines[i] }
    for (agent, v) in byAgent.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(10) {
      try put(s, r, [.text(agent), .cents(v)])
      r += 1
    }
    if dailyRows > 0 {
      try wb.insertColumnChart(
        into: s, row: 2, column: 3, title: "Daily spend (USD)", categories: "=Daily!$A$2:$A$\(dailyRows + 1)",
        values: "=Daily!$C$2:$C$\(dailyRows + 1)", seriesName: "Cost")
    }
  }

  private static func groupSheet(
    _ wb: Workbook, _ name: String, _ keyHeader: String, _ report: ChargebackReport, _ idx: [Int],
    _ cents: ReportRounding, extraHeader: [String], key: (ChargebackLine) -> String, extra: (String) -> [Cell]
  ) throws {
    struct Acc {
      var requests: Int128 = 0
      var failed: Int128 = 0
      var tokens = TokenTotals()
      var cents: Int128 = 0
    }
    var groups: [String: Acc] = [:]
    for i in idx {
      let l = report.lines[i]
      var a = groups[key(l)] ?? Acc()
      a.requests += l.requests
      a.failed += l.failedRequests
      a.tokens += l.tokens
      a.cents += cents.lines[i]
      groups[key(l)] = a
    }
    let total = groups.values.reduce(Int128(0)) { $0 + $1.cents }
    let rows: [[Cell]] = groups.sorted {
      $0.value.cents != $1.value.cents ? $0.value.cents > $1.value.cents : $0.key < $1.key
    }.map { k, a in
      [.text(k)] + extra(k) + [
        .int(a.requests), .int(a.failed), .int(a.tokens.input), .int(a.tokens.cachedInput), .int(a.tokens.cacheWrite),
        .int(a.tokens.output), .cents(a.cents), .ratio(a.cents, total),
      ]
    }
    _ = try dataSheet(
      wb, name,
      header: [keyHeader] + extraHeader + [
        "requests", "failed", "input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "cost_usd",
        "share",
      ],
      widths: [34] + extraHeader.map { _ in 18 } + [12, 10, 16, 18, 18, 16, 14, 9], rows: rows)
  }

  private static func dailySheet(_ wb: Workbook, _ daily: [DailyTotal], ccCents: Int128) throws {
    let parts = Apportion.apportion(daily.map(\.cost.pico), unit: Money.unit(2), target: ccCents)
    let rows: [[Cell]] = zip(daily, parts).map { d, c in
      [
        .text(d.day), .int(d.requests), .cents(c), .int(d.tokens.input), .int(d.tokens.cachedInput),
        .int(d.tokens.output),
      ]
    }
    _ = try dataSheet(
      wb, "Daily", header: ["day", "requests", "cost_usd", "input_tokens", "cached_input_tokens", "output_tokens"],
      widths: [12, 12, 14, 16, 18, 16], rows: rows)
  }

  private static func findingsSheet(_ wb: Workbook, _ findings: [Finding]) throws {
    let rows: [[Cell]] = findings.map { f in
      [
        .text(f.id), .text(f.kind.rawValue), .text(f.severity.rawValue), .text(f.costCentre ?? ""),
        .text(f.agentID ?? ""),
        .text(f.credentialID ?? ""), .text(f.ownerID ?? ""), .text(Timestamp.iso(f.firstTime)),
        .text(Timestamp.iso(f.lastTime)),
        .int(f.calls), .cents(f.cost.rounded(toDecimals: 2)), .cents(f.avoidableCost.rounded(toDecimals: 2)),
        .text(f.label ?? ""), .text(f.explanation),
      ]
    }
    _ = try dataSheet(
      wb, "Findings",
      header: [
        "finding_id", "kind", "severity", "cost_centre", "agent_id", "credential_id", "owner", "first_seen",
        "last_seen", "calls", "cost_usd", "avoidable_usd", "label", "explanation",
      ],
      widths: [20, 22, 9, 14, 22, 30, 12, 21, 21, 9, 12, 13, 12, 90], rows: rows)
  }

  private static func linesSheet(_ wb: Workbook, _ report: ChargebackReport, _ idx: [Int], _ cents: ReportRounding)
    throws
  {
    let rows: [[Cell]] = idx.map { i in
      let l = report.lines[i]
      let k = l.key
      return [
        .text(k.costCentre), .text(k.agentID ?? ""), .text(k.credentialID ?? ""), .text(k.taskID ?? ""),
        .text(k.provider.rawValue),
        .text(k.model), .text(k.tier.rawValue), .text(k.status.rawValue), .text(k.priced ? "priced" : "unpriced"),
        .text(k.source.rawValue),
        .int(l.requests),
        .int(l.tokens.input), .int(l.tokens.cachedInput), .int(l.tokens.cacheWrite5m), .int(l.tokens.cacheWrite1h),
        .int(l.tokens.output),
        k.priced ? .cents(cents.lines[i]) : .empty,
      ]
    }
    _ = try dataSheet(
      wb, "Lines",
      header: [
        "cost_centre", "agent_id", "credential_id", "task_id", "provider", "model", "tier", "attribution_status",
        "price_status", "source", "requests", "input_tokens", "cached_input_tokens", "cache_write_5m",
        "cache_write_1h", "output_tokens", "cost_usd",
      ],
      widths: [14, 22, 40, 10, 10, 22, 9, 22, 11, 9, 10, 14, 16, 14, 14, 14, 12], rows: rows)
  }

  private static func methodSheet(_ wb: Workbook, _ report: ChargebackReport) throws {
    let s = try dataSheet(
      wb, "Method",
      header: [
        "provider", "model", "usage_type", "tier", "min_input_tokens", "usd_per_million", "effective_from",
        "effective_to", "source", "row",
      ],
      widths: [10, 22, 15, 9, 16, 15, 14, 14, 60, 30],
      rows: report.priceRowsUsed.map { p in
        [
          .text(p.provider.rawValue), .text(p.model), .text(p.usageType.rawValue), .text(p.tier.rawValue),
          .int(Int128(p.minInputTokens)),
          .text(p.rate.description), .text(Timestamp.day(p.from)), .text(p.to.map(Timestamp.day) ?? ""),
          .text(p.source), .text(p.location),
        ]
      })
    var r = report.priceRowsUsed.count + 3
    try s.text(r, 0, "Input files", .bold)
    r += 1
    for f in report.inputs {
      try put(
        s, r,
        [
          .text(f.path), .text(f.format), .text(f.level), .int(Int128(f.records)), .empty, .empty, .empty, .empty,
          .text("sha256 " + f.sha256),
        ])
      r += 1
    }
    try put(s, r + 1, [.text("price tables sha256"), .text(report.pricingHash)])
    try put(s, r + 2, [.text("identities sha256"), .text(report.identityHash)])
  }

  private static func company(_ report: ChargebackReport, cents: ReportRounding, created: Int64, directory: String)
    throws -> String
  {
    let path = (directory as NSString).appendingPathComponent("company.xlsx")
    let wb = try Workbook(path: path, title: "Chargeback \(report.period) — company", created: created)
    var rows: [[Cell]] = report.costCentres.map { cc in
      [
        .text(cc.id), .text(cc.name), .int(cc.requests), .int(cc.unpricedRequests), .int(cc.tokens.input),
        .int(cc.tokens.cachedInput),
        .int(cc.tokens.cacheWrite), .int(cc.tokens.output), .cents(cents.costCentres[cc.id] ?? 0),
        cc.budget.map { .cents($0.rounded(toDecimals: 2)) } ?? .empty, .cents(cc.avoidableCost.rounded(toDecimals: 2)),
        .int(Int128(cc.findings)),
      ]
    }
    rows.append([
      .text("TOTAL"), .text("All cost centres"), .empty, .empty, .empty, .empty, .empty, .empty, .cents(cents.total),
    ])
    let s = try dataSheet(
      wb, "Cost centres",
      header: [
        "cost_centre", "name", "requests", "unpriced_requests", "input_tokens", "cached_input_tokens",
        "cache_write_tokens", "output_tokens", "cost_usd", "budget_usd", "avoidable_usd", "findings",
      ],
      widths: [16, 26, 12, 12, 16, 18, 18, 16, 14, 14, 14, 10], rows: rows)
    try s.text(rows.count + 2, 0, "Cost centres add up to the total to the cent (largest-remainder rounding).")
    // Daily matrix: one column per cost centre.
    let days = (0..<report.period.dayCount).map {
      Timestamp.day(report.period.startMillis + Int64($0) * Timestamp.millisPerDay)
    }
    var matrix: [String: [String: Int128]] = [:]
    for cc in report.costCentres {
      let d = report.daily.filter { $0.costCentre == cc.id }
      let parts = Apportion.apportion(d.map(\.cost.pico), unit: Money.unit(2), target: cents.costCentres[cc.id] ?? 0)
      for (x, c) in zip(d, parts) { matrix[x.day, default: [:]][cc.id] = c }
    }
    _ = try dataSheet(
      wb, "Daily", header: ["day"] + report.costCentres.map(\.id) + ["total"],
      widths: [12] + report.costCentres.map { _ in 14 } + [14],
      rows: days.map { day in
        let vals = report.costCentres.map { matrix[day]?[$0.id] ?? 0 }
        return [.text(day)] + vals.map { .cents($0) } + [.cents(vals.reduce(0, +))]
      })
    let unattributed = report.lines.indices.filter { report.lines[$0].key.costCentre == Attribution.unattributed }
    try linesSheetNamed(wb, "Unattributed", report, unattributed, cents)
    try findingsSheet(wb, report.findings)
    if !report.reconciliation.isEmpty { try reconciliationSheet(wb, report.reconciliation) }
    try linesSheetNamed(wb, "Lines", report, Array(report.lines.indices), cents)
    try methodSheet(wb, report)
    try wb.close()
    return path
  }

  private static func linesSheetNamed(
    _ wb: Workbook, _ name: String, _ report: ChargebackReport, _ idx: [Int], _ cents: ReportRounding
  ) throws {
    if name == "Lines" { return try linesSheet(wb, report, idx, cents) }
    let rows: [[Cell]] = idx.map { i in
      let l = report.lines[i]
      return [
        .text(l.key.credentialID ?? ""), .text(l.key.agentID ?? ""), .text(l.key.provider.rawValue), .text(l.key.model),
        .int(l.requests),
        l.key.priced ? .cents(cents.lines[i]) : .empty,
      ]
    }
    _ = try dataSheet(
      wb, name, header: ["credential_id", "claimed_agent", "provider", "model", "requests", "cost_usd"],
      widths: [50, 20, 10, 24, 12, 14], rows: rows)
  }

  /// Computed vs billed per provider, day and model; variance in dollars and percent.
  private static func reconciliationSheet(_ wb: Workbook, _ rows: [ReconciliationRow]) throws {
    _ = try dataSheet(
      wb, "Reconciliation",
      header: ["provider", "day", "model", "computed_usd", "billed_usd", "variance_usd", "variance_pct"],
      widths: [10, 12, 28, 14, 14, 14, 12],
      rows: rows.map { r in
        [
          .text(r.provider.rawValue), .text(r.day), .text(r.model), .cents(r.computed.rounded(toDecimals: 2)),
          .cents(r.billed.rounded(toDecimals: 2)), .cents(r.variance.rounded(toDecimals: 2)),
          r.billed.pico == 0 ? .empty : .ratio(r.variance.pico, r.billed.pico),
        ]
      })
  }
}
