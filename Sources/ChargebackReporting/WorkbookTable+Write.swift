import ChargebackModel
import ChargebackSupport

// A ``DetailTable`` written into a sheet: its page, rows, TOTAL and notes.

extension WorkbookReports {
  /// Who and what a workbook's pages are about, for headers and footers.
  struct Page {
    /// The company or the cost centre.
    var audience: String
    var period: Period
  }

  /// Writes `table` as a sheet (``DetailTable``) and returns it with how many data rows it shows.
  ///
  /// The header row is frozen and repeated on every printed page, the autofilter covers the data
  /// rows, the TOTAL row sits one blank row below them and the notes below that; it prints one page
  /// wide.
  @discardableResult
  static func write(_ table: DetailTable, to wb: Workbook, page: Page, limit: Int, notes: [String] = []) throws
    -> (sheet: Sheet, rows: Int)
  {
    let shown = table.shownRows(limit: limit)
    let sheet = try wb.addSheet(table.name)
    let numeric = Set(
      table.columns.indices.filter { c in
        shown.contains { r in
          switch c < r.count ? r[c] : .empty {
          case .int, .cents, .money, .ratio, .rate, .less, .lessRatio, .shareOf: true
          default: false
          }
        }
      })
    try sheet.table(
      header: table.columns.map(\.header),
      dataHeaders: Set(table.columns.indices.filter { table.columns[$0].dataHeader }), rows: shown.count,
      widths: table.columns.map(\.width), numeric: numeric)
    for (i, r) in shown.enumerated() {
      try put(sheet, i + 1, r, table.columns)
      // Rows do not grow by themselves in every spreadsheet program: give wrapped text its lines.
      var lines = 1
      for (c, cell) in r.enumerated() where c < table.columns.count && table.columns[c].wrap {
        switch cell {
        case .text(let s): lines = max(lines, Sheet.lines(SafeText.cell(s, data: true), width: table.columns[c].width))
        case .made(let s): lines = max(lines, Sheet.lines(SafeText.cell(s), width: table.columns[c].width))
        default: break
        }
      }
      if lines > 1 { try sheet.height(i + 1, min(409, Sheet.lineHeight * Double(lines))) }
    }
    var next = max(shown.count, 1) + 2
    if table.totals {
      try put(sheet, next, table.aggregate(shown, label: "TOTAL"), table.columns, total: true)
      next += 2
    }
    // Across the table's columns and wrapped: a note wider than the table would print cut.
    let tableWidth = table.columns.reduce(0) { $0 + $1.width }
    for n in notes {
      try sheet.paragraph(next, 0, max(table.columns.count - 1, 0), n, .noteWrap, width: tableWidth)
      next += 1
    }
    try sheet.setUpPage(
      PageLayout(
        orientation: PageLayout.orientation(forColumns: table.columns.map(\.width)),
        audience: page.audience, period: page.period.description, repeatRow: 0, onePage: table.onePage,
        gridlines: true))
    return (sheet, shown.count)
  }

  /// Writes one row of cells in the columns' styles; `total` makes it a bold TOTAL row.
  static func put(
    _ sheet: Sheet, _ row: Int, _ cells: [DetailTable.Cell], _ columns: [DetailTable.Column]? = nil,
    total: Bool = false
  ) throws {
    let cells = DetailTable.resolved(cells)
    for (c, cell) in cells.enumerated() {
      let wrap = columns.map { c < $0.count && $0[c].wrap } ?? false
      func style(_ s: Workbook.CellStyle) -> Workbook.CellStyle { total ? s.total : s }
      switch cell {
      case .text(let s): try sheet.text(row, c, s, style(wrap ? .wrap : .text), data: true)
      case .made(let s): try sheet.text(row, c, s, style(wrap ? .wrap : .text))
      case .int(let v): try sheet.integer(row, c, v, style(.integer))
      case .cents(let v), .money(_, let v): try sheet.decimal(row, c, units: v, decimals: 2, style(.money))
      case .less, .lessRatio, .shareOf: break  // made plain above
      case .ratio(let n, let d): try sheet.ratio(row, c, n, over: d, style(.percent))
      case .date(let ms): try sheet.date(row, c, millis: ms, .date)
      case .dateTime(let ms): try sheet.date(row, c, millis: ms, .dateTime)
      case .rate(let r): try sheet.rate(row, c, r)
      case .empty: if total { try sheet.blank(row, c, .totalText) }
      }
    }
  }
}
