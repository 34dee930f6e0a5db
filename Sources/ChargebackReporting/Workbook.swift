internal import CXLSXWriter
import ChargebackModel
import ChargebackSupport
import Foundation

/// An `.xlsx` file written through libxlsxwriter: the C handle and its formats.
///
/// Cell values are written row by row; `close()` assembles the file. The creation time is fixed
/// by the caller so that the same report gives a byte-identical workbook.
package final class Workbook {
  private var handle: UnsafeMutablePointer<lxw_workbook>?
  /// Where the file goes.
  package let path: String

  /// Cell styles the reports use.
  package enum CellStyle: Int, Hashable, Sendable, CaseIterable {
    case header, headerRight, text, wrap, bold, title, note, integer, money, percent, rate, date, dateTime
    /// A title or a note across several merged columns, wrapped (``Sheet/paragraph(_:_:_:_:_:width:)``).
    case titleWrap, noteWrap
    case totalText, totalInteger, totalMoney, totalPercent

    /// The style of the same value in a bold TOTAL row.
    package var total: CellStyle {
      switch self {
      case .integer: .totalInteger
      case .money: .totalMoney
      case .percent: .totalPercent
      case .totalText, .totalInteger, .totalMoney, .totalPercent: self
      default: .totalText
      }
    }
  }

  /// Creates a workbook at `path` whose document properties carry `created` (UTC epoch seconds).
  package init(path: String, title: String, created: Int64) throws {
    self.path = path
    var options = lxw_workbook_options(constant_memory: 0, tmpdir: nil, use_zip64: 0)
    guard let wb = workbook_new_opt(path, &options) else {
      throw OutputError(path: path, reason: "cannot create workbook")
    }
    handle = wb
    var props = lxw_doc_properties()
    let result: lxw_error = SafeText.escaped(title).withCString { t in
      "TokenChargeback".withCString { author in
        props.title = UnsafeMutablePointer(mutating: t)
        props.author = UnsafeMutablePointer(mutating: author)
        props.created = time_t(created)
        return workbook_set_properties(wb, &props)
      }
    }
    guard result == LXW_NO_ERROR else { throw OutputError(path: path, reason: "cannot set properties") }
    makeFormats(wb)
  }

  deinit {
    // A workbook never closed is discarded: libxlsxwriter frees it on close only, so close it.
    if let handle { workbook_close(handle) }
  }

  private func makeFormats(_ wb: UnsafeMutablePointer<lxw_workbook>) {
    func fmt(_ configure: (UnsafeMutablePointer<lxw_format>) -> Void) -> UnsafeMutablePointer<lxw_format>? {
      guard let f = workbook_add_format(wb) else { return nil }
      format_set_align(f, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
      configure(f)
      return f
    }
    func total(_ configure: @escaping (UnsafeMutablePointer<lxw_format>) -> Void) -> UnsafeMutablePointer<lxw_format>? {
      fmt {
        format_set_bold($0)
        format_set_top($0, UInt8(LXW_BORDER_THIN.rawValue))
        format_set_bottom($0, UInt8(LXW_BORDER_DOUBLE.rawValue))
        configure($0)
      }
    }
    var formats: [CellStyle: UnsafeMutablePointer<lxw_format>] = [:]
    let money = "[$$-409]#,##0.00;-[$$-409]#,##0.00"
    formats[.header] = fmt {
      format_set_bold($0)
      format_set_bg_color($0, 0xDDE5F0)
      format_set_bottom($0, UInt8(LXW_BORDER_THIN.rawValue))
      format_set_text_wrap($0)
    }
    formats[.headerRight] = fmt {
      format_set_bold($0)
      format_set_bg_color($0, 0xDDE5F0)
      format_set_bottom($0, UInt8(LXW_BORDER_THIN.rawValue))
      format_set_text_wrap($0)
      format_set_align($0, UInt8(LXW_ALIGN_RIGHT.rawValue))
    }
    formats[.text] = fmt { _ in }
    formats[.wrap] = fmt { format_set_text_wrap($0) }
    formats[.bold] = fmt { format_set_bold($0) }
    formats[.title] = fmt {
      format_set_bold($0)
      format_set_font_size($0, 14)
    }
    formats[.note] = fmt {
      format_set_italic($0)
      format_set_font_color($0, 0x595959)
    }
    formats[.titleWrap] = fmt {
      format_set_bold($0)
      format_set_font_size($0, 14)
      format_set_text_wrap($0)
    }
    formats[.noteWrap] = fmt {
      format_set_italic($0)
      format_set_font_color($0, 0x595959)
      format_set_text_wrap($0)
    }
    formats[.integer] = fmt { format_set_num_format($0, "#,##0") }
    formats[.money] = fmt { format_set_num_format($0, money) }
    formats[.percent] = fmt { format_set_num_format($0, "0.0%") }
    formats[.rate] = fmt { format_set_num_format($0, "#,##0.00####") }
    formats[.date] = fmt {
      format_set_num_format($0, "yyyy-mm-dd")
      format_set_align($0, UInt8(LXW_ALIGN_LEFT.rawValue))
    }
    formats[.dateTime] = fmt {
      format_set_num_format($0, "yyyy-mm-dd hh:mm")
      format_set_align($0, UInt8(LXW_ALIGN_LEFT.rawValue))
    }
    formats[.totalText] = total { _ in }
    formats[.totalInteger] = total { format_set_num_format($0, "#,##0") }
    formats[.totalMoney] = total { format_set_num_format($0, money) }
    formats[.totalPercent] = total { format_set_num_format($0, "0.0%") }
    formatTable = CellStyle.allCases.map { formats[$0] }
  }

  /// Adds a sheet (name ≤ 31 characters, no `[]:*?/\`).
  package func addSheet(_ name: String) throws -> Sheet {
    guard let wb = handle, let ws = workbook_add_worksheet(wb, name) else {
      throw OutputError(path: path, reason: "cannot add sheet \"\(name)\"")
    }
    return Sheet(workbook: self, handle: ws, name: name)
  }

  /// The format of each style, by raw value: looked up for every cell (a dictionary lookup was
  /// 200 instructions a cell).
  private var formatTable: [UnsafeMutablePointer<lxw_format>?] = []

  fileprivate func format(_ s: CellStyle) -> UnsafeMutablePointer<lxw_format>? {
    s.rawValue < formatTable.count ? formatTable[s.rawValue] : nil
  }

  /// Inserts `chart` into `sheet` with its top-left corner at a cell.
  package func insert(_ chart: Chart, into sheet: Sheet, row: Int, column: Int) throws {
    let type: lxw_chart_type =
      switch chart.kind {
      case .column: LXW_CHART_COLUMN
      case .stackedColumn: LXW_CHART_COLUMN_STACKED
      case .bar: LXW_CHART_BAR
      }
    guard let wb = handle, let c = workbook_add_chart(wb, UInt8(type.rawValue)) else {
      throw OutputError(path: path, reason: "cannot add chart")
    }
    for s in chart.series {
      let series = chart_add_series(c, s.categories, s.values)
      chart_series_set_name(series, s.name)
    }
    chart_set_series_gap(c, 50)
    chart_title_set_name(c, chart.title)
    var titleFont = lxw_chart_font()
    titleFont.size = 12
    titleFont.bold = 1
    chart_title_set_name_font(c, &titleFont)
    let legend = chart.legend ? LXW_CHART_LEGEND_BOTTOM : LXW_CHART_LEGEND_NONE
    chart_legend_set_position(c, UInt8(legend.rawValue))
    // A bar chart's value axis is its x axis.
    let (categoryAxis, valueAxis) =
      chart.kind == .bar ? (c.pointee.y_axis, c.pointee.x_axis) : (c.pointee.x_axis, c.pointee.y_axis)
    chart_axis_set_name(valueAxis, "USD")
    chart_axis_set_num_format(valueAxis, "$#,##0.00")
    if let f = chart.categoryFormat { chart_axis_set_num_format(categoryAxis, f) }
    if chart.kind == .bar {
      // The first row at the top, and the values along the bottom.
      chart_axis_set_reverse(categoryAxis)
      chart_axis_set_crossing_max(categoryAxis)
      chart_axis_set_interval_unit(categoryAxis, 1)  // every name, however many bars
    }
    var opts = lxw_chart_options(
      x_offset: 0, y_offset: 0, x_scale: Double(chart.width) / 480, y_scale: Double(chart.height) / 288,
      object_position: 0, description: nil, decorative: 0)
    try check(worksheet_insert_chart_opt(sheet.handle, lxw_row_t(row), lxw_col_t(column), c, &opts), "chart")
  }

  /// Writes the file.
  ///
  /// Throws with libxlsxwriter's reason when it cannot.
  package func close() throws {
    guard let wb = handle else { return }
    handle = nil
    let rc = workbook_close(wb)
    guard rc == LXW_NO_ERROR else {
      throw OutputError(path: path, reason: "cannot write workbook: \(String(cString: lxw_strerror(rc)))")
    }
  }

  /// `what` is made only on failure: callers pass a cell's name, and this runs once per cell.
  fileprivate func check(_ rc: lxw_error, _ what: @autoclosure () -> String) throws {
    guard rc == LXW_NO_ERROR else {
      throw OutputError(path: path, reason: "\(what()): \(String(cString: lxw_strerror(rc)))")
    }
  }

  /// The width in pixels of a column `width` characters wide (Calibri 11, as Excel and libxlsxwriter
  /// reckon it: 7 pixels a character plus 5 of padding).
  package static func pixels(ofColumn width: Double) -> Int {
    width < 1 ? Int(width * 12 + 0.5) : Int(width * 7 + 0.5) + 5
  }
}

/// One worksheet of a ``Workbook``.
package final class Sheet {
  private unowned let workbook: Workbook
  fileprivate let handle: UnsafeMutablePointer<lxw_worksheet>
  /// The sheet's name, for chart ranges.
  package let name: String

  fileprivate init(workbook: Workbook, handle: UnsafeMutablePointer<lxw_worksheet>, name: String) {
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
  package func text(_ row: Int, _ col: Int, _ value: String, _ style: Workbook.CellStyle = .text) throws {
    guard !value.isEmpty else {
      if style != .text { try blank(row, col, style) }
      return
    }
    // withCString lends a native string's own NUL-terminated bytes; an implicit conversion made a
    // C copy of every cell's text.
    let status = SafeText.cell(value).withCString {
      worksheet_write_string(handle, lxw_row_t(row), lxw_col_t(col), $0, workbook.format(style))
    }
    try workbook.check(status, cell(row, col))
  }

  /// Writes text across columns `first…last` of `row`, merged and wrapped, and makes the row as
  /// high as its lines need in that `width` (characters, the columns' widths summed): a sentence
  /// wider than the page prints whole instead of stopping at the print area's edge.
  ///
  /// `style` is ``Workbook/CellStyle/titleWrap`` (14 points) or ``Workbook/CellStyle/noteWrap``.
  package func paragraph(
    _ row: Int, _ first: Int, _ last: Int, _ value: String, _ style: Workbook.CellStyle, width: Double
  ) throws {
    guard !value.isEmpty else { return }
    let shown = SafeText.cell(value)
    // A 14-point title is about 1.3 times as wide and as high as 11-point text.
    let large = style == .titleWrap
    let lines = Self.lines(shown, width: large ? width / 1.3 : width)
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
  package func integer(_ row: Int, _ col: Int, _ value: Int128, _ style: Workbook.CellStyle = .integer) throws {
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
    let scaled = Self.double(units) / pow(10, Double(decimals))
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), scaled, workbook.format(style)),
      cell(row, col))
  }

  /// Writes a price in USD per million units as a number.
  package func rate(_ row: Int, _ col: Int, _ rate: Rate) throws {
    try decimal(row, col, units: Int128(rate.microPerMillion), decimals: 6, .rate)
  }

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
  /// minute too.
  package func date(_ row: Int, _ col: Int, millis: Int64, _ style: Workbook.CellStyle = .date) throws {
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
  package func table(header: [String], at row: Int = 0, rows: Int, widths: [Double], numeric: Set<Int> = [])
    throws
  {
    for (c, h) in header.enumerated() { try text(row, c, h, numeric.contains(c) ? .headerRight : .header) }
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
