import ChargebackModel
import ChargebackSupport

/// A detail sheet of a workbook: a header row over data rows, at most a limit of them, and a bold
/// TOTAL row below the filter range.
///
/// When there are more rows than the limit, the largest by ``rank`` are kept (in their order) and
/// the rest are summed into one "All other (N lines)" row, so that the TOTAL stays the exact sum
/// of every row while the sheet stays printable. The CSVs keep every row.
///
/// Largest by size, whatever the sign (``size(_:)``): an allocation moved out of a cost centre is a
/// negative line, often its largest, and ranked by signed amount it always fell into "All other",
/// which then showed a negative sum of usage (a trial: −5.80 USD over 95,000 calls).
struct DetailTable {
  /// The rank of an amount: its size, whatever its sign.
  static func size(_ v: Int128) -> Int128 { v == .min ? .max : Swift.abs(v) }

  /// A cell of a data row.
  enum Cell {
    /// Text from the inputs (an id, a name, a model): shown so that it never reads as one of the
    /// sheet's own labels (``SafeText/cell(_:data:)``).
    case text(String)
    /// Text the sheet makes itself: `TOTAL`, `All other (…)`, `(none)`, what a shared cost shares.
    case made(String)
    case int(Int128)
    case cents(Int128)
    /// An amount in whole cents (`cents`, the report's rounding) with its exact value (pico-USD),
    /// which a cut sheet rounds again with the "All other" row (``DetailTable/shownRows(limit:)``).
    case money(exact: Int128, cents: Int128)
    /// This row's amount in column `column` less `minus` cents (a change from last month).
    case less(column: Int, minus: Int128)
    /// This row's amount in column `column` less `minus` cents, over `minus` (a change in percent).
    case lessRatio(column: Int, minus: Int128)
    /// This row's amount in column `column` over `total` cents (a share).
    case shareOf(column: Int, total: Int128)
    case ratio(Int128, Int128)
    /// A UTC day (epoch milliseconds of any instant in it), shown as a date.
    case date(Int64)
    /// A UTC instant (epoch milliseconds), shown as date and time.
    case dateTime(Int64)
    case rate(Rate)
    case empty

    /// The amount the cell adds to a sum: whole cents or a count.
    var summand: Int128? {
      switch self {
      case .int(let v): Int128(v)
      case .cents(let v): v
      case .money(_, let cents): cents
      default: nil
      }
    }

    /// True for a cell that refers to another cell of its row.
    var refers: Bool {
      switch self {
      case .less, .lessRatio, .shareOf: true
      default: false
      }
    }

    /// The size of the cell for keeping the largest rows: an amount's exact value (its cents would
    /// rank the rows that the report's rounding took up before the equal ones it took down, and
    /// leave all of the latter to the "All other" row), a count as it is.
    var rankValue: Int128? {
      switch self {
      case .int(let v): v
      case .cents(let v): v * Money.unit(2)
      case .money(let exact, _): exact
      default: nil
      }
    }
  }

  /// A column: its header, width and what its TOTAL shows.
  struct Column {
    /// What the TOTAL and "All other" rows show in a column.
    enum Total {
      case none
      /// The sum of a column of counts.
      case count
      /// The sum of a column of cents.
      case money
      /// The sum of column `of` against that column's grand total (a share).
      case share(of: Int)
      /// The sum of one column over the sum of another (a change over last month's amount).
      case ratio(Int, over: Int)
      /// As ``ratio(_:over:)``, blank unless the sum it is over is above zero: a variance of
      /// billed, whose credits may outweigh the bill (−3,891.7 % of billed meant nothing, a
      /// finance trial).
      case ratioOfPositive(Int, over: Int)
    }

    var header: String
    /// Characters.
    var width: Double
    var total: Total = .none
    /// True for long text that wraps within the column.
    var wrap = false
    /// True when the header is a value from the data (a cost centre's id on the company's Daily
    /// sheet): shown so that it never reads as one of the sheet's own labels (`All other (3)`).
    var dataHeader = false
  }

  var name: String
  var columns: [Column]
  /// How many data rows the table has.
  var count: Int
  /// Data row `i` (`0 ..< count`), made when it is ranked, shown or summed and dropped after.
  ///
  /// Made on demand, not held: a table of lines or tasks can have a row per call (a ticket id
  /// each), and the cells of a million rows were 650 MB of a report's memory for a sheet that
  /// shows 5,000 of them.
  var row: (Int) -> [Cell]
  /// What one row is, in the plural ("lines", "agents"), for the "All other (N lines)" row.
  var noun: String
  /// The size of a row for keeping the largest: normally its cost in cents.
  var rank: ([Cell]) -> Int128
  /// False for a table with nothing to add up (price rows): no TOTAL row.
  var totals = true
  /// True for a table of a few dozen rows (a month's days) printed on one page, shrunk if need be:
  /// the company's Daily sheet printed its TOTAL row alone on a second page (a trial).
  var onePage = false
  /// A row's cells from column `from` on (its counts and amounts, exactly as ``row`` makes them),
  /// when they can be made without the text before them; nil: ``row`` alone.
  ///
  /// Ranking the rows and summing those left out need only these: with a line or a task per call,
  /// making a million rows of text twice for a sheet of 5,000 took most of a workbook's time
  /// (perf: 7 of the 12 s of the workbooks of the 1 M `tickets` month).
  var figures: (from: Int, cells: (Int) -> [Cell])?
  /// Rows left out before the table was made, with how many they are.
  ///
  /// Set when its maker kept only the largest (a table of lines or tasks streamed from disk,
  /// ``Largest``): the table's own rows are then those kept, and the sheet shows them all with
  /// "All other" below.
  var leftOut: (rest: Rest, count: Int)?

  /// A table of the rows `rows`.
  init(
    name: String, columns: [Column], rows: [[Cell]], noun: String, rank: @escaping ([Cell]) -> Int128,
    totals: Bool = true
  ) {
    self.init(
      name: name, columns: columns, count: rows.count, row: { rows[$0] }, noun: noun, rank: rank, totals: totals)
  }

  /// A table of `count` rows made by `row`.
  init(
    name: String, columns: [Column], count: Int, row: @escaping (Int) -> [Cell], noun: String,
    rank: @escaping ([Cell]) -> Int128, totals: Bool = true
  ) {
    self.name = name
    self.columns = columns
    self.count = count
    self.row = row
    self.noun = noun
    self.rank = rank
    self.totals = totals
  }

  /// Every data row.
  var rows: [[Cell]] { (0..<count).map { Self.resolved(row($0)) } }

  /// `r` with its cells that refer to other cells of the row (``Cell/less(column:minus:)``,
  /// ``Cell/lessRatio(column:minus:)``, ``Cell/shareOf(column:total:)``) made plain.
  static func resolved(_ r: [Cell]) -> [Cell] {
    guard r.contains(where: \.refers) else { return r }
    return r.map { cell in
      switch cell {
      case .less(let c, let minus): .cents((r[c].summand ?? 0) - minus)
      case .lessRatio(let c, let minus): .ratio((r[c].summand ?? 0) - minus, minus)
      case .shareOf(let c, let total): .ratio(r[c].summand ?? 0, total)
      default: cell
      }
    }
  }

  /// The rows a sheet of at most `limit` data rows shows: the `limit` largest by ``rank``, in their
  /// order, then one row summing the rest when any is left out.
  ///
  /// Each row is made once to rank it, and again to show it or add it to the rest: memory grows
  /// with `limit`, not with ``count``.
  func shownRows(limit: Int) -> [[Cell]] {
    if let leftOut, leftOut.count > 0 { return finish((0..<count).map(row), rest: leftOut.rest, left: leftOut.count) }
    let limit = max(limit, 0)
    guard count > limit else { return rows }
    // Rank and rest from the figures alone when the table has them, before them empty cells.
    let partial: (Int) -> [Cell]
    if let figures {
      let lead = [Cell](repeating: .empty, count: figures.from)
      partial = { lead + figures.cells($0) }
    } else {
      partial = row
    }
    var ranks: [Int128] = []
    ranks.reserveCapacity(count)
    for i in 0..<count { ranks.append(Self.size(rank(partial(i)))) }
    let order = (0..<count).sorted { ranks[$0] != ranks[$1] ? ranks[$0] > ranks[$1] : $0 < $1 }
    var kept = [Bool](repeating: false, count: count)
    for i in order.prefix(limit) { kept[i] = true }
    var shown: [[Cell]] = []
    shown.reserveCapacity(limit + 1)
    var rest = Rest(columns: columns.count)
    for i in 0..<count {
      if kept[i] {
        shown.append(row(i))
      } else {
        rest.add(partial(i))
      }
    }
    return finish(shown, rest: rest, left: count - limit)
  }

  /// The sums of the rows a cut sheet leaves out.
  struct Rest {
    var sums: [Int128]
    var exact: [Int128]
    /// Columns with an amount of no exact value (``Cell/cents``): not rounded again.
    var plain: [Bool]
    /// The column each column's change refers to (``Cell/less(column:minus:)``).
    var lessOf: [Int?]

    init(columns: Int) {
      sums = Array(repeating: 0, count: columns)
      exact = sums
      plain = Array(repeating: false, count: columns)
      lessOf = Array(repeating: nil, count: columns)
    }

    mutating func add(_ r: [Cell]) {
      DetailTable.add(r, to: &sums)
      for c in sums.indices where c < r.count {
        switch r[c] {
        case .money(let e, _): exact[c] += e
        case .cents: plain[c] = true
        case .less(let of, _): lessOf[c] = of
        default: break
        }
      }
    }
  }

  /// The rows `shown` rounded again with the rest (``reround(_:rest:restExact:plain:)``), then
  /// the "All other" row of the `left` rows left out.
  private func finish(_ shown: [[Cell]], rest: Rest, left: Int) -> [[Cell]] {
    var shown = shown
    var sums = rest.sums
    reround(&shown, rest: &sums, restExact: rest.exact, plain: rest.plain)
    // A change in the rest follows its amount as rounded again.
    for c in columns.indices { if let of = rest.lessOf[c] { sums[c] += sums[of] - rest.sums[of] } }
    shown = shown.map(Self.resolved)
    var all = sums
    for r in shown { Self.add(r, to: &all) }
    return shown + [aggregate(sums: sums, of: all, label: "All other (\(left) \(noun))")]
  }

  /// Rounds each money column of a cut sheet again over what it shows: the rows kept and the
  /// "All other" row (`rest`, whose exact amounts are `restExact`), to the same total.
  ///
  /// The report's rounding is over every line: with thousands of lines of a fraction of a cent
  /// each (a ticket per call), the cents it gives the lines in "All other" add up to anything from
  /// nothing to many times their exact sum (a $1.92 rest showed $0.00, the rows above it a cent
  /// each). Rounded over the sheet's own rows, each row and the rest are their exact amounts to
  /// within a cent, and the TOTAL is unchanged. A column with any amount of no exact value
  /// (`plain`) is left as it is.
  private func reround(_ shown: inout [[Cell]], rest: inout [Int128], restExact: [Int128], plain: [Bool]) {
    columns: for c in columns.indices where !plain[c] {
      guard case .money = columns[c].total else { continue }
      var exact: [Int128] = []
      var positions: [Int] = []
      var target = rest[c]
      for (k, r) in shown.enumerated() where c < r.count {
        switch r[c] {
        case .money(let e, let cents):
          exact.append(e)
          positions.append(k)
          target += cents
        case .cents: continue columns  // no exact value: the column as it is
        default: break
        }
      }
      guard !positions.isEmpty else { continue }
      let parts = Apportion.apportion(exact + [restExact[c]], unit: Money.unit(2), target: target)
      for (k, part) in zip(positions, parts) {
        if case .money(let e, _) = shown[k][c] { shown[k][c] = .money(exact: e, cents: part) }
      }
      rest[c] = parts[parts.count - 1]
    }
  }

  /// One row summing `subset` column by column (``Column/Total``), `label` in the first column;
  /// shares are of `subset`'s own total (the TOTAL row, or every row).
  func aggregate(_ subset: [[Cell]], label: String) -> [Cell] {
    var sums = [Int128](repeating: 0, count: columns.count)
    for r in subset { Self.add(r, to: &sums) }
    return aggregate(sums: sums, of: sums, label: label)
  }

  /// One row of the column sums `sums` (``Column/Total``), `label` in the first column; a share is
  /// of the column's sum in `all`.
  private func aggregate(sums: [Int128], of all: [Int128], label: String) -> [Cell] {
    columns.indices.map { c -> Cell in
      if c == 0 { return .made(label) }
      switch columns[c].total {
      case .none: return .empty
      case .count: return .int(sums[c])
      case .money: return .cents(sums[c])
      case .share(let of): return .ratio(sums[of], all[of])
      case .ratio(let n, let d): return .ratio(sums[n], sums[d])
      case .ratioOfPositive(let n, let d): return sums[d] > 0 ? .ratio(sums[n], sums[d]) : .empty
      }
    }
  }

  /// Adds each cell's ``Cell/summand`` to its column's sum in `sums`.
  private static func add(_ r: [Cell], to sums: inout [Int128]) {
    let r = resolved(r)
    for c in sums.indices where c < r.count { sums[c] += r[c].summand ?? 0 }
  }
}
