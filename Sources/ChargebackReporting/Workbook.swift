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
  /// libxlsxwriter's scratch folder, nil for the system's.
  private let tmpdir: String?

  /// Cell styles the reports use.
  package enum CellStyle: Int, Hashable, Sendable, CaseIterable {
    case header, headerRight, text, wrap, bold, title, note, integer, money, percent, rate, date, dateTime
    /// A title or a note across several merged columns, wrapped (``Sheet/paragraph(_:_:_:_:_:width:)``).
    case titleWrap, noteWrap
    /// A warning across several merged columns, wrapped: bold, dark red.
    case warningWrap
    case totalText, totalInteger, totalMoney, totalPercent

    /// Whether this is a style of a bold TOTAL row.
    package var isTotal: Bool { [.totalText, .totalInteger, .totalMoney, .totalPercent].contains(self) }

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

  /// Creates a workbook at `path` whose document properties carry `created` (UTC epoch seconds);
  /// libxlsxwriter's scratch files go to `tmpdir` (nil: the system's temporary folder).
  package init(path: String, title: String, created: Int64, tmpdir: String? = nil) throws {
    self.path = path
    self.tmpdir = tmpdir
    // libxlsxwriter copies the folder's name (`lxw_strdup` in `workbook_new_opt`).
    func open(_ folder: UnsafePointer<CChar>?) -> UnsafeMutablePointer<lxw_workbook>? {
      var options = lxw_workbook_options(
        constant_memory: 0, tmpdir: UnsafeMutablePointer(mutating: folder), use_zip64: 0)
      return workbook_new_opt(path, &options)
    }
    guard let wb = tmpdir.map({ $0.withCString(open) }) ?? open(nil) else {
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
    formats[.warningWrap] = fmt {
      format_set_bold($0)
      format_set_font_color($0, 0x9C0006)
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
      format_set_num_format($0, "yyyy-mm-dd hh:mm:ss")
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

  func format(_ s: CellStyle) -> UnsafeMutablePointer<lxw_format>? {
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
    // libxlsxwriter does not see its scratch files' writes fail (``WorkbookCheck``).
    try WorkbookCheck.check(path, scratch: tmpdir)
  }

  /// `what` is made only on failure: callers pass a cell's name, and this runs once per cell.
  func check(_ rc: lxw_error, _ what: @autoclosure () -> String) throws {
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
