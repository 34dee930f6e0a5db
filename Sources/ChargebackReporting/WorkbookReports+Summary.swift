import ChargebackModel
import Foundation

/// The Summary sheet of a cost centre's workbook: its figures, the bridge from direct usage to
/// what it owes (one sentence per allocation rule), the month in context, its top agents and its
/// daily spend chart; and the pieces the company Summary shares with it.
extension WorkbookReports {
  /// A Summary sheet with its column widths, its title for `audience` and the period's note; the
  /// figures start on row 3.
  static func summaryStart(_ wb: Workbook, _ report: ChargebackReport, audience: String) throws -> Sheet {
    let s = try wb.addSheet("Summary")
    for (c, w) in summaryWidths.enumerated() { try s.width(c, c, w) }
    let (last, width) = (summaryWidths.count - 1, summaryWidths.reduce(0, +))
    // A 10,000-character name made the title 409 points high, most of the one-page Summary: the
    // title names at most 120 characters of it (the rows below show it whole).
    try s.paragraph(
      0, 0, last, "Chargeback \(report.period): \(PageLayout.shortened(audience, maxCharacters: 120))", .titleWrap,
      width: width)
    try s.paragraph(1, 0, last, periodNote(report.period), .noteWrap, width: width)
    if let note = incompleteNote(report) {
      try s.paragraph(2, 0, last, note, .warningWrap, width: width, data: true)
    }
    return s
  }

  /// The Summary's warning when API pages say more follow and none of them is loaded: the figures
  /// leave out the usage after them (``ChargebackReport/missingPages``); nil when none does.
  ///
  /// No path (a cost centre's workbook names no input file: README, Outputs) and no cursor, so it
  /// stays a line or two of the one-page Summary: the endpoint and the day, with the manifest for
  /// the files.
  static func incompleteNote(_ report: ChargebackReport) -> String? {
    let gaps = report.missingPages
    guard !gaps.isEmpty else { return nil }
    var seen = Set<String>()
    let shown = gaps.map { "\(ExportPage.noun(of: $0.after.format)) stop at \($0.fromText)" }
      .filter { seen.insert($0).inserted }
    let more = shown.count > 3 ? "; and \(shown.count - 3) more" : ""
    return "Incomplete inputs: " + shown.prefix(3).joined(separator: "; ") + more
      + " (a page says more follow, and none of them was loaded). The usage after that is not in these"
      + " figures; manifest.json lists the files (missing_pages)."
  }

  /// `CC-B — Beta` (a name may repeat its id, or hold spaces and commas), or the id alone when the
  /// name is the id.
  static func label(_ cc: CostCentreSummary) -> String { cc.name == cc.id ? cc.id : "\(cc.id) — \(cc.name)" }

  /// One page: the cost centre's figures, its top agents and its daily spend chart.
  static func summarySheet(
    _ wb: Workbook, _ report: ChargebackReport, _ cc: CostCentreSummary, ccCents: Int128, lines: [Int],
    cents: ReportRounding, findings: [Finding], page: Page
  ) throws {
    let s = try summaryStart(wb, report, audience: label(cc))
    var r = 3
    func row(_ label: String, _ cell: Cell) throws {
      try s.text(r, 0, label, .bold)
      try put(s, r, [.empty, cell])
      r += 1
    }
    try row("Period", .text(report.period.description))
    try row("From", .date(report.period.startMillis))
    try row("To", .date(report.period.endMillis - 1))
    // Wrapped over columns B and C: the top agents' table starts at D, and a long id or name
    // printed cut at it ("Platform Engineering /", a trial).
    for (label, value) in [("Cost centre", cc.id), ("Name", cc.name)] {
      try s.text(r, 0, label, .bold)
      try s.paragraph(r, 1, 2, value, .wrap, width: summaryWidths[1] + summaryWidths[2], data: true)
      r += 1
    }
    try row("Total cost (USD)", .cents(ccCents))
    // What each rule moved to or from this cost centre, in the cents its sheets show for the rule's
    // lines (apportioned with the others: the sentence rounded on its own said $1.89 beside the
    // sheets' 1.90, a trial).
    var ruleCents: [String: Int128] = [:]
    for i in lines where report.lines[i].key.source == .allocated {
      if let rule = report.lines[i].key.ruleID { ruleCents[rule, default: 0] += cents.lines[i] }
    }
    let sentences = try bridgeRows(report, cc, owed: ccCents, ruleCents: ruleCents, row: row)
    if let b = cc.budget {
      try row("Monthly budget (USD)", .cents(b.rounded(toDecimals: 2)))
      try row("Budget used", .ratio(cc.cost.pico, b.pico))
      // From the total shown above (apportioned), as summary.csv does: the two figures subtract.
      try row("Budget remaining (USD)", .cents(b.rounded(toDecimals: 2) - ccCents))
    }
    try contextRows(
      report, owed: ccCents, cost: cc.cost, previous: cents.previous?.parts[cc.id],
      previousExact: report.context.previous.map { $0.costCentres[cc.id] ?? .zero },
      forecast: cents.forecast?.parts[cc.id], row: row)
    try row("Requests", .int(cc.requests))
    try row("Unpriced requests", .int(cc.unpricedRequests))
    try row("Unpriced tokens", .int(cc.unpricedTokens))
    try row("Input tokens", .int(cc.tokens.input))
    try row("Cached input tokens", .int(cc.tokens.cachedInput))
    try row("Cache write tokens", .int(cc.tokens.cacheWrite))
    try row("Output tokens", .int(cc.tokens.output))
    try row("Avoidable cost (USD)", .cents(cents.avoidableByCentre[cc.id] ?? cc.avoidableCost.rounded(toDecimals: 2)))
    try row("Findings", .int(Int128(findings.count)))
    // The Agents sheet's groups, in its order (the order of their first lines).
    var position: [String: Int] = [:]
    var agents: [(key: String, cents: Int128, exact: Int128)] = []
    for i in lines {
      let key = agentGroup(report.lines[i].key)
      let g = position[key] ?? agents.count
      if g == agents.count {
        position[key] = g
        agents.append((key, 0, 0))
      }
      agents[g].cents += cents.lines[i]
      agents[g].exact += report.lines[i].cost.pico
    }
    // Each agent's lines were rounded to its exact amount rounded (``ReportRounding``): their sum is it.
    let agentCents = agents.map(\.cents)
    let t = try topTable(
      s, at: 3, header: "Top agents", noun: "agents", amounts: Array(zip(agents.map(\.key), agentCents)),
      total: ccCents, top: 10)
    var noteRow = max(r, t.end) + 1
    for line in sentences {
      try s.paragraph(noteRow, 0, summaryWidths.count - 1, line, .noteWrap, width: summaryWidths.reduce(0, +))
      noteRow += 1
    }
    let chartRow = noteRow + (sentences.isEmpty ? 0 : 1)
    let width = summaryWidths.reduce(0) { $0 + Workbook.pixels(ofColumn: $1) }
    let days = report.period.dayCount
    try wb.insert(
      Chart(
        kind: .column, title: "Daily spend in \(report.period) (USD, UTC days)",
        series: [
          Chart.Series(
            name: "Cost", categories: Sheet.range(sheet: "Daily", column: 0, rows: 1...days),
            values: Sheet.range(sheet: "Daily", column: dailyCostColumn, rows: 1...days))
        ], categoryFormat: "d", width: width, height: 440), into: s, row: chartRow, column: 0)
    try s.setUpPage(
      PageLayout(
        orientation: .portrait, audience: page.audience, period: report.period.description,
        printArea: (chartRow + rows(forPixels: 440), summaryWidths.count - 1), onePage: true))
  }

  /// The bridge from direct spend to the amount owed (SPEC §12).
  ///
  /// Shown when the cost centre has contract
  /// terms or allocations: direct usage at list, allocations, contract effect, idle capacity, owed.
  /// Cents: each figure is rounded on its own, the contract effect is what the calls cost less
  /// their list, each rounded (shown only when there is one), and a "Rounding" row takes the cent
  /// or two that makes the column add up to the amount owed (a plug in the contract effect showed
  /// one for a cost centre with no contract). Returns one
  /// sentence per rule that moved money to or from it.
  ///
  /// `ruleCents` is what the sheets show of each rule's lines in this cost centre, in cents.
  static func bridgeRows(
    _ report: ChargebackReport, _ cc: CostCentreSummary, owed: Int128, ruleCents: [String: Int128] = [:],
    row: (String, Cell) throws -> Void
  ) throws -> [String] {
    let rules = report.allocations.filter { a in
      a.from.contains { $0.costCentre == cc.id } || a.to.contains { $0.costCentre == cc.id && $0.amount.pico != 0 }
    }
    guard !rules.isEmpty || cc.listCost != cc.directCost || cc.idleCost.pico != 0 else { return [] }
    let list = cc.listCost.rounded(toDecimals: 2)
    let idle = cc.idleCost.rounded(toDecimals: 2)
    // In the cents the rules' lines show (as the sentences below say them), else rounded alone.
    let allocatedIn =
      ruleCents.isEmpty ? cc.allocatedIn.rounded(toDecimals: 2) : ruleCents.values.filter { $0 > 0 }.reduce(0, +)
    let allocatedOut =
      ruleCents.isEmpty ? cc.allocatedOut.rounded(toDecimals: 2) : -ruleCents.values.filter { $0 < 0 }.reduce(0, +)
    let exactContract = cc.directCost - cc.idleCost - cc.listCost
    // What the calls cost in the cents the sheets show: the amount owed less what the rules moved
    // and the idle capacity, as the Agents and Lines sheets add up to it. Rounded alone, the
    // sentence below said $1.03 beside an agent's 1.02 on the Agents sheet (a finance trial: the
    // owed amount is apportioned over the cost centres by largest remainder, and this one's lines
    // over it).
    let calls = owed - allocatedIn + allocatedOut - idle
    // The difference of the two figures the sentence below says (what the calls cost, and their
    // list): the row is the sentence's, and nothing is left for a "Rounding" row (a finance trial:
    // −2.13 beside "$15.17 instead of $17.31").
    let sheetsContract = calls - list
    // Unless the cents the apportionment moved turn the effect around (a discount of 0.0001 USD on
    // calls apportioned a cent up read as a price rise, a review): then the exact effect rounded,
    // and a "Rounding" row for the rest. Without a contract effect, no such row (it would name a
    // discount that is not there): the moved cents are rounding.
    let exactCents = exactContract.rounded(toDecimals: 2)
    let agrees = sheetsContract == 0 ? exactCents == 0 : (sheetsContract < 0) == (exactContract.pico < 0)
    let contract = exactContract.pico == 0 ? 0 : agrees ? sheetsContract : exactCents
    let rounding = sheetsContract - contract
    try row("Direct usage at list (USD)", .cents(list))
    if allocatedIn != 0 { try row("Allocated to you (USD)", .cents(allocatedIn)) }
    if allocatedOut != 0 { try row("Allocated away (USD)", .cents(-allocatedOut)) }
    if exactContract.pico != 0 { try row("Contract effect (USD)", .cents(contract)) }
    if idle != 0 { try row("Idle capacity you own (USD)", .cents(idle)) }
    if rounding != 0 { try row("Rounding (USD)", .cents(rounding)) }
    try row("Amount owed (USD)", .cents(owed))
    var sentences: [String] = []
    for a in rules { sentences.append(sentence(a, cc: cc.id, shown: ruleCents[a.rule.id])) }
    if exactContract.pico != 0 && contract != 0 {
      let cents = { (c: Int128) in Self.usd(Money(pico: c * (Money.picoPerUSD / 100))) }
      sentences.append(
        "Contract effect: your calls cost \(cents(list + contract)) instead of \(cents(list)) at list"
          + " prices, through negotiated discounts and provisioned capacity (the Lines sheet's price status names the"
          + " commitment of each line under one).")
    }
    if cc.idleCost.pico != 0 {
      sentences.append(
        "Idle capacity: \(usd(cc.idleCost)) of provisioned capacity you own was not used by any call this month.")
    }
    return sentences
  }

  /// One sentence a cost-centre owner can read about what a rule moved to or from `cc`; `shown` is
  /// the cents its sheets show for the rule's lines there (negative for money moved away), which
  /// the sentence says when given.
  static func sentence(_ a: AllocationResult, cc: String, shown: Int128? = nil) -> String {
    let shownUSD = shown.map { usd(Money(pico: ($0 < 0 ? -$0 : $0) * (Money.picoPerUSD / 100))) }
    let r = a.rule
    let how: String
    switch r.method {
    case .even: how = "in equal parts"
    case .fixed(let shares):
      how =
        "by fixed shares ("
        + a.to.map { "\($0.costCentre) \(Money.format(units: shares[$0.costCentre] ?? 0, decimals: 6).trimmedZeros) %" }
        .joined(separator: ", ") + ")"
    case .proportional(let basis):
      how = "in proportion to each one's own \(basis == .cost ? "direct cost" : basis.rawValue) this month"
    }
    let what: String
    switch r.source {
    case .unattributed: what = "spend nobody could be charged for"
    case .costCentre(let id): what = "the spend of \(id)"
    case .credential(let id): what = "the spend of shared credential \(id) that named no agent"
    case .fixed: what = "an overhead"
    }
    let names = a.to.map(\.costCentre).joined(separator: ", ")
    if let out = a.from.first(where: { $0.costCentre == cc }) {
      return "\(r.id): \(shownUSD ?? usd(out.amount)) of \(what) went from you to \(names), \(how)."
    }
    let part = a.to.first { $0.costCentre == cc }?.amount ?? .zero
    return
      "\(r.id): \(what) (\(usd(a.amount))) is shared among \(names) \(how); your part is \(shownUSD ?? usd(part))."
  }

  /// `$1,234.57`.
  static func usd(_ m: Money) -> String {
    let text = m.formatted(decimals: 2)
    let negative = text.hasPrefix("-")
    let digits = negative ? String(text.dropFirst()) : text
    let parts = digits.split(separator: ".")
    var whole = String(parts[0])
    var grouped = ""
    while whole.count > 3 {
      grouped = "," + whole.suffix(3) + grouped
      whole = String(whole.dropLast(3))
    }
    return (negative ? "-$" : "$") + whole + grouped + "." + (parts.count > 1 ? parts[1] : "00")
  }

  /// The month in context on a Summary: last month and the change, and for an open month how far
  /// the data runs and the run-rate forecast.
  ///
  /// `owed`, `previous` and `forecast` are cents as the Cost centres sheet shows them
  /// (``ReportRounding``: apportioned, so a Summary's figure is its sheet's row or TOTAL); `cost`
  /// and `previousExact` give the change as a ratio.
  static func contextRows(
    _ report: ChargebackReport, owed: Int128, cost: Money, previous: Int128?, previousExact: Money?,
    forecast: Int128?, row: (String, Cell) throws -> Void
  ) throws {
    let context = report.context
    if let previous {
      try row("Last month (USD)", .cents(previous))
      try row("Change (USD)", .cents(owed - previous))
      if let last = previousExact, last.pico != 0 { try row("Change", .ratio((cost - last).pico, last.pico)) }
    }
    if context.isOpen, let asOf = context.asOf, let forecast {
      // Text to the minute (16 characters), which runs on into the empty column C beside: a date
      // cell wider than column B (14) shows as ####.
      let minute = Timestamp.iso(Timestamp.floorDiv(asOf, 60_000) * 60_000)
      try row("Open month, data to (UTC)", .text(String(minute.prefix(16)).replacingOccurrences(of: "T", with: " ")))
      try row("Forecast (USD)", .cents(forecast))
    }
  }

  /// "1 to 31 October 2026" in words for the Summary.
  static func periodNote(_ p: Period) -> String {
    "From \(Timestamp.day(p.startMillis)) to \(Timestamp.day(p.endMillis - 1)), UTC. Amounts in US dollars,"
      + " rounded to cents so that every column adds up to its total."
  }

  /// Default-height rows (20 pixels) a picture `pixels` high covers.
  static func rows(forPixels pixels: Int) -> Int { (pixels + 19) / 20 }

  /// A name as a Summary's top table and its chart show it: at most 32 characters, cut with `…`.
  ///
  /// 32 is what column D shows; the detail sheets show the name whole. A 300-character cost-centre
  /// id squeezed the bar chart into a corner and printed its label over the page.
  static func chartLabel(_ name: String, characters: Int = 32) -> String {
    name.count <= characters ? name : String(name.prefix(characters - 1)) + "…"
  }

  /// A small table in columns D:F of a Summary: the `top` largest amounts (by ``GroupKey``) and
  /// their share.
  ///
  /// One "All other" row sums the rest, and a TOTAL that is `total` closes it. Returns the rows of
  /// the amounts (for a chart) and the row after the table.
  static func topTable(
    _ s: Sheet, at row: Int, header: String, noun: String, amounts: [(String, Int128)], total: Int128, top: Int
  ) throws -> (first: Int, last: Int, end: Int) {
    try s.text(row, 3, header, .header)
    try s.text(row, 4, "Cost (USD)", .headerRight)
    try s.text(row, 5, "Share", .headerRight)
    // By size, whatever the sign (``DetailTable/size(_:)``): a cost centre that gives an allocation
    // away can be the largest amount of all.
    let sorted = amounts.sorted {
      let (a, b) = (DetailTable.size($0.1), DetailTable.size($1.1))
      return a != b ? a > b : $0.0 < $1.0
    }
    var shown = Array(sorted.prefix(top))
    if sorted.count > top {
      let rest = sorted.dropFirst(top)
      shown.append((GroupKey.made("All other (\(rest.count) \(noun))"), rest.reduce(0) { $0 + $1.1 }))
    }
    var r = row + 1
    // Shares of a total with negative parts (an allocation moved out) say nothing: 2,971 % and
    // −3,006 % beside each other (a trial). Shown only when every part is zero or more.
    let shares = !amounts.contains { $0.1 < 0 }
    for (key, v) in shown {
      try s.text(r, 3, chartLabel(GroupKey.text(key)), data: GroupKey.isData(key))
      try s.decimal(r, 4, units: v, decimals: 2)
      if shares { try s.ratio(r, 5, v, over: total) }
      r += 1
    }
    try s.text(r, 3, "TOTAL", .totalText)
    try s.decimal(r, 4, units: shown.reduce(0) { $0 + $1.1 }, decimals: 2, .totalMoney)
    if shares { try s.ratio(r, 5, total, over: total, .totalPercent) } else { try s.blank(r, 5, .totalPercent) }
    return (row + 1, r - 1, r + 1)
  }
}

extension String {
  /// A decimal without trailing fraction zeros (`50.000000` → `50`).
  fileprivate var trimmedZeros: String {
    guard contains(".") else { return self }
    var s = self
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }
}
