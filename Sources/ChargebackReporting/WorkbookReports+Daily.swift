import ChargebackModel

/// The Daily sheets: a cost centre's usage by day, and the company's matrix of days by cost centre
/// (its largest, UNATTRIBUTED and "All other" past ``dailyColumns``).
extension WorkbookReports {
  /// The column of the Daily sheet that holds the cost (the Summary's chart plots it).
  static let dailyCostColumn = 6

  /// Every day of the period with one cost centre's usage (zero on days without), its cents
  /// apportioned to `target`, the cost centre's usage in cents (``dailyTargets(_:_:)``).
  static func dailyTable(_ report: ChargebackReport, _ cc: String, target: Int128) -> DetailTable {
    let daily = report.daily.filter { $0.costCentre == cc }
    let parts = Apportion.apportion(daily.map(\.cost.pico), unit: Money.unit(2), target: target)
    var byDay: [String: (DailyTotal, Int128)] = [:]
    for (d, c) in zip(daily, parts) { byDay[d.day] = (d, c) }
    let rows: [[Cell]] = (0..<report.period.dayCount).map { k in
      let ms = report.period.startMillis + Int64(k) * Timestamp.millisPerDay
      guard let (d, c) = byDay[Timestamp.day(ms)] else {
        return [.date(ms), .int(0), .int(0), .int(0), .int(0), .int(0), .cents(0)]
      }
      return [
        .date(ms), .int(d.requests), .int(d.tokens.input), .int(d.tokens.cachedInput), .int(d.tokens.cacheWrite),
        .int(d.tokens.output), .cents(c),
      ]
    }
    var table = DetailTable(
      name: "Daily",
      columns: [
        Column(header: "Date (UTC)", width: 12), Column(header: "Requests", width: 11, total: .count),
      ]
        + tokenColumns + [
          Column(header: "Cost (USD)", width: 13, total: .money)
        ], rows: rows, noun: "days", rank: { $0[dailyCostColumn].rankValue ?? 0 })
    table.onePage = true
    return table
  }

  /// Each cost centre's usage of the month in cents, which its days are apportioned to: on the
  /// company Daily sheet and on its own workbook's, the same.
  ///
  /// Usage by day: idle fees and allocations have no day. A cost centre whose usage is its whole
  /// amount has the cents of its amount; the others share by largest remainder what is left of
  /// the usage total rounded, so the company's TOTAL is the month's usage to the cent (each rounded
  /// on its own, the TOTAL was a cent short of the journal's payable). A cost centre's workbook
  /// rounded its usage on its own, a cent apart from its column on the company sheet (a trial).
  static func dailyTargets(_ report: ChargebackReport, _ cents: ReportRounding) -> [String: Int128] {
    var byCC: [String: [DailyTotal]] = [:]
    for d in report.daily { byCC[d.costCentre, default: []].append(d) }
    let owns = report.costCentres.map { cc in Money(pico: (byCC[cc.id] ?? []).reduce(Int128(0)) { $0 + $1.cost.pico }) }
    var targets: [String: Int128] = [:]
    var others: [(id: String, own: Money)] = []
    for (cc, own) in zip(report.costCentres, owns) {
      // A cost centre without usage days (allocations or idle fees only) has no column to fill.
      if (byCC[cc.id] ?? []).isEmpty {
        targets[cc.id] = 0
      } else if own == cc.cost {
        targets[cc.id] = cents.costCentres[cc.id] ?? 0
      } else {
        others.append((cc.id, own))
      }
    }
    let usage = Money(pico: owns.reduce(Int128(0)) { $0 + $1.pico }).rounded(toDecimals: 2)
    // Never below zero: the cents of the cost centres whose usage is their amount can come to more
    // than the usage total rounded (each rounded up by largest remainder), and a negative share put
    // −0.01 on a cost centre's sheet of positive usage.
    let left = max(0, usage - targets.values.reduce(0, +))
    for (o, t) in zip(others, Apportion.apportion(others.map(\.own.pico), unit: Money.unit(2), target: left)) {
      targets[o.id] = t
    }
    return targets
  }

  /// Every day of the period, one column of cents per cost centre (apportioned to its usage's,
  /// `targets`: ``dailyTargets(_:_:)``) and their total.
  ///
  /// More than ``dailyColumns`` cost centres: the largest of the month have a column each, in
  /// their order, and one "All other" column sums the rest day by day (exact: sums of the same
  /// cents), so that the sheet prints legibly and its chart has a readable legend (300 cost
  /// centres made 302 columns, beyond any page's zoom, and a chart of 300 series).
  static func dailyMatrix(_ report: ChargebackReport, targets: [String: Int128]) -> (
    table: DetailTable, notes: [String]
  ) {
    var matrix: [String: [String: Int128]] = [:]
    var byCC: [String: [DailyTotal]] = [:]
    for d in report.daily { byCC[d.costCentre, default: []].append(d) }
    for cc in report.costCentres {
      let d = byCC[cc.id] ?? []
      let parts = Apportion.apportion(d.map(\.cost.pico), unit: Money.unit(2), target: targets[cc.id] ?? 0)
      for (x, c) in zip(d, parts) { matrix[x.day, default: [:]][cc.id] = c }
    }
    let (shown, rest) = dailyColumnSplit(report, targets)
    let rows: [[Cell]] = (0..<report.period.dayCount).map { k in
      let ms = report.period.startMillis + Int64(k) * Timestamp.millisPerDay
      let day = matrix[Timestamp.day(ms)]
      let vals = shown.map { day?[$0.id] ?? 0 }
      let other = rest.reduce(Int128(0)) { $0 + (day?[$1.id] ?? 0) }
      return [.date(ms)] + vals.map { .cents($0) } + (rest.isEmpty ? [] : [.cents(other)])
        + [.cents(vals.reduce(0, +) + other)]
    }
    let total = shown.count + (rest.isEmpty ? 0 : 1) + 1
    var table = DetailTable(
      name: "Daily",
      columns: [Column(header: "Date (UTC)", width: 12)]
        + shown.map {
          // Ids are mostly capitals, wider than digits.
          Column(
            header: chartLabel($0.id, characters: 60), width: min(20, max(13, Double($0.id.count) * 1.3)),
            total: .money, wrap: true, dataHeader: true)
        }
        + (rest.isEmpty ? [] : [Column(header: "All other (\(rest.count))", width: 13, total: .money, wrap: true)])
        + [Column(header: "Total (USD)", width: 13, total: .money)],
      rows: rows, noun: "days", rank: { $0[total].rankValue ?? 0 })
    table.onePage = true
    // Said when its TOTAL is not the month's amount, which a reader compares it with (a trial's
    // 624.41 of usage sat beside a company total of 1,093.13 without a word, where each cost
    // centre's sheet said why).
    let usage = report.daily.reduce(Money.zero) { $0 + $1.cost }
    let owed = report.costCentres.reduce(Money.zero) { $0 + $1.cost }
    let usageNote =
      usage == owed
      ? []
      : [
        "Usage by day. Overheads shared by the allocation rules and provisioned-capacity fees have no day and are not"
          + " in this sheet; the Summary shows the amount owed."
      ]
    let notes =
      usageNote
      + (rest.isEmpty
        ? []
        : [
          (shown.contains { $0.id == Attribution.unattributed }
            ? "UNATTRIBUTED and the \(shown.count - 1) cost centres with the most usage this month"
            : "The \(shown.count) cost centres with the most usage this month")
            + " have a column each; All other sums the other \(rest.count) day by day. Each cost centre's workbook has its own Daily sheet, and focus.csv"
            + " every day by cost centre."
        ])
    return (table, notes)
  }

  /// The most cost-centre columns the company Daily sheet has before it sums the rest in one.
  static let dailyColumns = 12

  /// The cost centres of the company Daily sheet's own columns (all, or the ``dailyColumns`` with
  /// the most usage cents, ties by id, kept in the report's order) and the rest.
  ///
  /// `UNATTRIBUTED` keeps a column of its own whenever it has usage, however small: it is the
  /// spend nobody could be charged for, which the sheet must not fold away.
  private static func dailyColumnSplit(_ report: ChargebackReport, _ cents: [String: Int128]) -> (
    shown: [CostCentreSummary], rest: [CostCentreSummary]
  ) {
    let all = report.costCentres
    guard all.count > dailyColumns + 1 else { return (all, []) }
    let unattributed = all.contains { $0.id == Attribution.unattributed && (cents[$0.id] ?? 0) != 0 }
    var largest = Set(
      all.filter { $0.id != Attribution.unattributed }.sorted { a, b in
        let (x, y) = (cents[a.id] ?? 0, cents[b.id] ?? 0)
        return x != y ? x > y : a.id < b.id
      }.prefix(dailyColumns - (unattributed ? 1 : 0)).map(\.id))
    if unattributed { largest.insert(Attribution.unattributed) }
    return (all.filter { largest.contains($0.id) }, all.filter { !largest.contains($0.id) })
  }
}
