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
  private var formats: [CellStyle: UnsafeMutablePointer<lxw_format>] = [:]

  /// Cell styles the reports use.
  package enum CellStyle: Hashable, Sendable {
    case header, text, bold, integer, money, percent, date, title
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
    let result: lxw_error = title.withCString { t in
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
      configure(f)
      return f
    }
    formats[.header] = fmt {
      format_set_bold($0)
      format_set_bg_color($0, 0xDDE5F0)
      format_set_bottom($0, UInt8(LXW_BORDER_THIN.rawValue))
      format_set_text_wrap($0)
      format_set_align($0, UInt8(LXW_ALIGN_VERTICAL_TOP.rawValue))
    }
    formats[.text] = fmt { _ in }
    formats[.bold] = fmt { format_set_bold($0) }
    formats[.title] = fmt {
      format_set_bold($0)
      format_set_font_size($0, 14)
    }
    formats[.integer] = fmt { format_set_num_format($0, "#,##0") }
    formats[.money] = fmt { format_set_num_format($0, "[$$-409]#,##0.00") }
    formats[.percent] = fmt { format_set_num_format($0, "0.0%") }
    formats[.date] = fmt { format_set_num_format($0, "yyyy-mm-dd") }
  }

  /// Adds a sheet (name ≤ 31 characters, no `[]:*?/\`).
  package func addSheet(_ name: String) throws -> Sheet {
    guard let wb = handle, let ws = workbook_add_worksheet(wb, name) else {
      throw OutputError(path: path, reason: "cannot add sheet \"\(name)\"")
    }
    return Sheet(workbook: self, handle: ws, name: name)
  }

  fileprivate func format(_ s: CellStyle) -> UnsafeMutablePointer<lxw_format>? { formats[s] }

  /// Adds a column chart of one series to `sheet` at a cell.
  package func insertColumnChart(
    into sheet: Sheet, row: Int, column: Int, title: String, categories: String, values: String, seriesName: String
  ) throws {
    guard let wb = handle, let chart = workbook_add_chart(wb, UInt8(LXW_CHART_COLUMN.rawValue)) else {
      throw OutputError(path: path, reason: "cannot add chart")
    }
    let series = chart_add_series(chart, categories, values)
    chart_series_set_name(series, seriesName)
    chart_title_set_name(chart, title)
    chart_legend_set_position(chart, UInt8(LXW_CHART_LEGEND_NONE.rawValue))
    chart_axis_set_name(chart.pointee.y_axis, "USD")
    var opts = lxw_chart_options(
      x_offset: 0, y_offset: 0, x_scale: 1.6, y_scale: 1.2, object_position: 0, description: nil, decorative: 0)
    try check(worksheet_insert_chart_opt(sheet.handle, lxw_row_t(row), lxw_col_t(column), chart, &opts), "chart")
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

  fileprivate func check(_ rc: lxw_error, _ what: String) throws {
    guard rc == LXW_NO_ERROR else {
      throw OutputError(path: path, reason: "\(what): \(String(cString: lxw_strerror(rc)))")
    }
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

  /// Writes text, always as a string and never as a formula (an empty string leaves the cell blank).
  ///
  /// Control characters are shown escaped and a value longer than a cell holds is cut with a
  /// visible marker (``SafeText/cell(_:)``), so a hostile log value can neither hide part of itself
  /// nor stop the run.
  package func text(_ row: Int, _ col: Int, _ value: String, _ style: Workbook.CellStyle = .text) throws {
    guard !value.isEmpty else { return }
    try workbook.check(
      worksheet_write_string(handle, lxw_row_t(row), lxw_col_t(col), SafeText.cell(value), workbook.format(style)),
      "cell \(name)!\(row),\(col)")
  }

  /// Writes a whole number (a sum of counts; cells are doubles, exact up to 2^53).
  package func integer(_ row: Int, _ col: Int, _ value: Int128, _ style: Workbook.CellStyle = .integer) throws {
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), Double(value), workbook.format(style)),
      "cell \(name)!\(row),\(col)")
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
      "cell \(name)!\(row),\(col)")
  }

  /// The nearest double of a 128-bit integer (exact below 2^53).
  private static func double(_ v: Int128) -> Double {
    Double(v)
  }

  /// Writes a ratio (0.25 = 25 %) given as a numerator and denominator of whole units.
  package func ratio(_ row: Int, _ col: Int, _ numerator: Int128, over denominator: Int128) throws {
    guard denominator != 0 else { return }
    let v = Self.double(numerator) / Self.double(denominator)
    try workbook.check(
      worksheet_write_number(handle, lxw_row_t(row), lxw_col_t(col), v, workbook.format(.percent)),
      "cell \(name)!\(row),\(col)")
  }

  /// Header row with bold style, frozen below it, and an autofilter over `rows` data rows.
  package func table(header: [String], at row: Int = 0, rows: Int, widths: [Double]) throws {
    for (c, h) in header.enumerated() { try text(row, c, h, .header) }
    for (c, w) in widths.enumerated() {
      try workbook.check(worksheet_set_column(handle, lxw_col_t(c), lxw_col_t(c), w, nil), "column width")
    }
    worksheet_freeze_panes(handle, lxw_row_t(row + 1), 0)
    try workbook.check(
      worksheet_autofilter(handle, lxw_row_t(row), 0, lxw_row_t(row + max(rows, 1)), lxw_col_t(header.count - 1)),
      "autofilter")
  }

  /// Sets the width of columns `first…last`.
  package func width(_ first: Int, _ last: Int, _ w: Double) throws {
    try workbook.check(worksheet_set_column(handle, lxw_col_t(first), lxw_col_t(last), w, nil), "column width")
  }
}
