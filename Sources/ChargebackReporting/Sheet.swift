internal import CXLSXWriter
import ChargebackModel
import ChargebackSupport
import Foundation

/// One worksheet of a ``Workbook``.
package final class Sheet {
  private unowned let workbook: Workbook
  let handle: UnsafeMutablePointer<lxw_worksheet>
  /// The sheet's name, for chart ranges.
  package let name: String

  init(workbook: Workbook, handle: UnsafeMutablePointer<lxw_worksheet>, name: String) {
    self.workbook = workbook
    self.handle = handle
    self.name = name
  }

  private func cell(_ row: Int, _ col: Int) -> String { "cell \(name)!\(row),\(col)" }

  /// Writes text, always as a string and never as a formula (an empty string leaves the cell blank).
  ///
  /// Control characters are shown escaped and a value longer than a cell holds is cut with a
  /// visible marker (``SafeText/cell(_:)``), so a hostile log value can neither hide part of itself
  /// nor stop the run.
  ///
  /// `data` marks an id or a name from the inputs, shown so that it never reads as one of the
  /// sheet's own labels (``SafeText/cell(_:data:)``).
  package func text(
    _ row: Int, _ col: Int, _ value: String, _ style: Workbook.CellStyle = .text, data: Bool = false
  ) throws {
    guard !value.isEmpty else {
      if style != .text { try blank(row, col, style) }
      return
    }
    // withCString lends a native string's own NUL-terminated bytes; an implicit conversion made a
    // C copy of every cell's text.
    let status = SafeText.cell(value, data: data).withCString {
      worksheet_write_string(handle, lxw_row_t(row), lxw_col_t(col), $0, workbook.format(style))
    }
    try workbook.check(status, cell(row, col))
  }

  /// Writes text across columns `first…last` of `row`, merged and wrapped, and makes the row as
  /// high as its lines need in that `width` (characters, the columns' widths summed): a sentence
  /// wider than the page prints whole instead of stopping at the print area's edge.
  ///
  /// `style` is ``Workbook/CellStyle/titleWrap`` (14 points), ``Workbook/CellStyle/noteWrap`` or
  /// ``Workbook/CellStyle/wrap``; `data` marks an id or a name from the inputs, as in
  /// ``text(_:_:_:_:data:)``.
  package func paragraph(
    _ row: Int, _ first: Int, _ last: Int, _ value: String, _ style: Workbook.CellStyle, width: Double,
    data: Bool = false
  ) throws {
    guard !value.isEmpty else { return }
    let shown = SafeText.cell(value, data: data)
    // A 14-point title is about 1.3 times as wide and as high as 11-point text; bold text a tenth
    // wider (as a table's header).
    let large = style == .titleWrap
    let lines = Self.lines(shown, width: large ? width / 1.3 : style == .warningWrap ? width * 0.9 : width)
    let status: lxw_error
    if last > first {
      status = shown.withCString {
        worksheet_merge_range(
          handle, lxw_row_t(row), lxw_col_t(first), lxw_row_t(row), lxw_col_t(last), $0, workbook.format(style))
      }
    } else {
      status = shown.withCString {
        worksheet_write_string(handle, lxw_row_t(row), lxw_col_t(first), $0, workbook.format(style))
      }
    }
    try workbook.check(status, cell(row, first))
    let line = large ? Self.lineHeight * 1.3 : Self.lineHeight
    if lines > 1 || large { try height(row, min(409, line * Double(lines))) }
  }

  /// Formats an empty cell (a border of a TOTAL row).
  package func blank(_ row: Int, _ col: Int, _ style: Workbook.CellStyle) throws {
    try workbook.check(
      worksheet_write_blank(handle, lxw_row_t(row), lxw_col_t(col), workbook.format(style)), cell(row, col))
  }

  /// Writes a whole number (a sum of counts; cells are doubles, exact up to 2^53).
  ///
  /// A number past 2^53 is written as text, its exact digits (``exactLimit``): as a double it would
  /// be rounded, and a TOTAL of 10^13-token calls was no longer the sum of its rows (a trial).
  package func integer(_ row: Int, _ col: Int, _ value: Int128, _ style: Workbook.CellStyle = .integer) throws {
    guard value.magnitude <= Self.exactLimit else {
      return try text(row, col, String(value), style.isTotal ? .totalText : .text)
    }
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), Self.double(value), workbook.format(style)),
      cell(row, col))
  }

  /// Writes an exact decimal given as whole `units` of 10^-`decimals` (cents for 2).
  ///
  /// Spreadsheet cells are IEEE doubles; amounts already rounded to cents convert exactly up to 2^53 cents.
  package func decimal(_ row: Int, _ col: Int, units: Int128, decimals: Int, _ style: Workbook.CellStyle = .money)
    throws
  {
    guard units.magnitude <= Self.exactLimit else {
      // Past 2^53 units, as text with its exact digits (``integer(_:_:_:_:)``).
      let scale = (0..<decimals).reduce(Int128(1)) { r, _ in r * 10 }
      let whole = String(units / scale)
      let fraction = String((units % scale).magnitude)
      let digits = decimals == 0 ? "" : "." + String(repeating: "0", count: decimals - fraction.count) + fraction
      let sign = units < 0 && units / scale == 0 ? "-" : ""
      return try text(row, col, sign + whole + digits, style.isTotal ? .totalText : .text)
    }
    let scaled = Self.double(units) / pow(10, Double(decimals))
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), scaled, workbook.format(style)),
      cell(row, col))
  }

  /// Writes a price in USD per million units as a number.
  package func rate(_ row: Int, _ col: Int, _ rate: Rate) throws {
    try decimal(row, col, units: Int128(rate.microPerMillion), decimals: 6, .rate)
  }

  /// The largest magnitude every double holds exactly with its neighbours (2^53).
  static let exactLimit: UInt128 = 1 << 53

  /// The nearest double of a 128-bit integer (exact below 2^53).
  ///
  /// Through `Int64` when it fits: the same correctly rounded double, where the standard library's
  /// generic conversion from `Int128` took 3,100 instructions a cell (callgrind, the 100 k
  /// cardinality report: 1.4 G).
  static func double(_ v: Int128) -> Double {
    if let small = Int64(exactly: v) { return Double(small) }
    return Double(v)
  }

  /// Writes a ratio (0.25 = 25 %) given as a numerator and denominator of whole units.
  package func ratio(
    _ row: Int, _ col: Int, _ numerator: Int128, over denominator: Int128, _ style: Workbook.CellStyle = .percent
  ) throws {
    guard denominator != 0 else { return try blank(row, col, style) }
    let v = Self.double(numerator) / Self.double(denominator)
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), v, workbook.format(style)), cell(row, col))
  }

  /// Writes a UTC instant (epoch milliseconds) as a date cell: `.date` shows the day, `.dateTime` the
  /// second too.
  ///
  /// A `.dateTime` is written to its second, the milliseconds dropped, and a `.date` to its day: a
  /// spreadsheet rounds what it shows, and the last instant of a month (23:59:59.999) printed as
  /// the next month's first minute (a trial). Not to the minute: a finding's 03:03:40 read back as
  /// 03:03 (another trial). `findings.csv` keeps the milliseconds.
  package func date(_ row: Int, _ col: Int, millis exact: Int64, _ style: Workbook.CellStyle = .date) throws {
    let unit: Int64 = style == .dateTime ? 1000 : Timestamp.millisPerDay
    let millis = Timestamp.floorDiv(exact, unit) * unit
    let day = Timestamp.floorDiv(millis, Timestamp.millisPerDay)
    let (y, m, d) = Timestamp.civil(fromDays: day)
    let inDay = millis - day * Timestamp.millisPerDay
    var dt = lxw_datetime(
      year: Int32(y), month: Int32(m), day: Int32(d), hour: Int32(inDay / 3_600_000),
      min: Int32(inDay / 60_000 % 60), sec: Double(inDay % 60_000) / 1000)
    try workbook.check(
      worksheet_write_datetime(handle, lxw_row_t(row), lxw_col_t(col), &dt, workbook.format(style)), cell(row, col))
  }

  /// A header row (bold, wrapped, as high as its longest header needs; right-aligned over the
  /// `numeric` columns) over `rows` data rows: frozen below it, with an autofilter over the header
  /// and the data rows only, so that a TOTAL row below stays out of it.
  package func table(
    header: [String], dataHeaders: Set<Int> = [], at row: Int = 0, rows: Int, widths: [Double], numeric: Set<Int> = []
  ) throws {
    for (c, h) in header.enumerated() {
      try text(row, c, h, numeric.contains(c) ? .headerRight : .header, data: dataHeaders.contains(c))
    }
    for (c, w) in widths.enumerated() { try width(c, c, w) }
    // Bold text is about a tenth wider.
    let lines = zip(header, widths).map { Self.lines($0, width: $1 * 0.9) }.max() ?? 1
    try height(row, Self.lineHeight * Double(max(lines, 2)))
    worksheet_freeze_panes(handle, lxw_row_t(row + 1), 0)
    try workbook.check(
      worksheet_autofilter(handle, lxw_row_t(row), 0, lxw_row_t(row + max(rows, 1)), lxw_col_t(header.count - 1)),
      "autofilter")
  }

  /// Sets the width of columns `first…last`.
  package func width(_ first: Int, _ last: Int, _ w: Double) throws {
    try workbook.check(worksheet_set_column(handle, lxw_col_t(first), lxw_col_t(last), w, nil), "column width")
  }

  /// The height of one line of text in a row, points.
  package static let lineHeight = 15.0

  /// Sets the height of a row in points.
  package func height(_ row: Int, _ points: Double) throws {
    try workbook.check(worksheet_set_row(handle, lxw_row_t(row), points, nil), "row height")
  }

  /// Sets how the sheet prints (``PageLayout``): A4, orientation, margins, one page wide, header and
  /// footer, repeated header row and print area.
  package func setUpPage(_ layout: PageLayout) throws {
    worksheet_set_paper(handle, 9)  // A4
    switch layout.orientation {
    case .portrait: worksheet_set_portrait(handle)
    case .landscape: worksheet_set_landscape(handle)
    }
    worksheet_set_margins(
      handle, PageLayout.sideMargin, PageLayout.sideMargin, PageLayout.endMargin, PageLayout.endMargin)
    worksheet_fit_to_pages(handle, 1, layout.onePage ? 1 : 0)
    if layout.gridlines { worksheet_gridlines(handle, UInt8(LXW_SHOW_ALL_GRIDLINES.rawValue)) }
    try workbook.check(worksheet_set_header(handle, layout.header), "page header of \(name)")
    try workbook.check(worksheet_set_footer(handle, layout.footer), "page footer of \(name)")
    if let r = layout.repeatRow {
      try workbook.check(worksheet_repeat_rows(handle, lxw_row_t(r), lxw_row_t(r)), "repeated rows")
    }
    if let a = layout.printArea {
      try workbook.check(
        worksheet_print_area(handle, 0, 0, lxw_row_t(a.lastRow), lxw_col_t(a.lastColumn)), "print area")
    }
  }

  /// `='Sheet'!$C$2:$C$32`: a range of one column of the sheet `sheet`, for charts (rows and column
  /// from 0).
  package static func range(sheet: String, column: Int, rows: ClosedRange<Int>) -> String {
    let col = columnName(column)
    return "=\(quoted(sheet))!$\(col)$\(rows.lowerBound + 1):$\(col)$\(rows.upperBound + 1)"
  }

  /// `='Sheet'!$B$1`: one cell of the sheet `sheet`, for a series name.
  package static func reference(sheet: String, row: Int, column: Int) -> String {
    "=\(quoted(sheet))!$\(columnName(column))$\(row + 1)"
  }

  private static func quoted(_ sheet: String) -> String { "'" + sheet.replacingOccurrences(of: "'", with: "''") + "'" }

  /// `A`, `B`, …, `Z`, `AA`, … for a column index from 0.
  package static func columnName(_ index: Int) -> String {
    var n = index + 1
    var s = ""
    while n > 0 {
      let r = (n - 1) % 26
      s = String(UnicodeScalar(UInt8(65 + r))) + s
      n = (n - 1) / 26
    }
    return s
  }
}
