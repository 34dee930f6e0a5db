import ChargebackSupport
import Foundation

/// A chart of one or more series over ranges of cells.
package struct Chart: Sendable {
  /// The kinds of chart the reports draw.
  package enum Kind: Sendable { case column, stackedColumn, bar }

  /// One series: its name (text or a `=Sheet!$A$1` reference) and the ranges it plots.
  package struct Series: Sendable {
    package var name: String
    package var categories: String
    package var values: String

    package init(name: String, categories: String, values: String) {
      self.name = name
      self.categories = categories
      self.values = values
    }
  }

  package var kind: Kind
  package var title: String
  package var series: [Series]
  /// Number format of the category labels (dates), when they have one.
  package var categoryFormat: String?
  package var legend: Bool
  /// Size in pixels.
  package var width: Int
  package var height: Int

  package init(
    kind: Kind, title: String, series: [Series], categoryFormat: String? = nil, legend: Bool = false, width: Int,
    height: Int
  ) {
    self.kind = kind
    self.title = title
    self.series = series
    self.categoryFormat = categoryFormat
    self.legend = legend
    self.width = width
    self.height = height
  }
}

/// How a sheet prints: A4, one page wide, with a header and footer on every page.
package struct PageLayout: Sendable {
  /// Portrait or landscape.
  package enum Orientation: Sendable { case portrait, landscape }

  package var orientation: Orientation
  /// Who the pages are for (the company or a cost centre), printed top left; text from the
  /// directory, escaped for the header.
  package var audience: String
  /// The period, printed top right.
  package var period: String
  /// A header row printed again at the top of every page.
  package var repeatRow: Int?
  /// Rows and columns that print (to the last row and column, both included); nil prints the used range.
  package var printArea: (lastRow: Int, lastColumn: Int)?
  /// True to shrink the sheet onto one page; otherwise one page wide and as many pages long as it takes.
  package var onePage = false
  /// True to print the cell grid (detail tables read on paper).
  package var gridlines = false

  package init(
    orientation: Orientation, audience: String, period: String, repeatRow: Int? = nil,
    printArea: (lastRow: Int, lastColumn: Int)? = nil, onePage: Bool = false, gridlines: Bool = false
  ) {
    self.orientation = orientation
    self.audience = audience
    self.period = period
    self.repeatRow = repeatRow
    self.printArea = printArea
    self.onePage = onePage
    self.gridlines = gridlines
  }

  /// A4 (ISO 216): 8.27 × 11.69 inches.
  package static let paperInches = (width: 8.27, height: 11.69)
  /// Left and right margins, inches.
  package static let sideMargin = 0.5
  /// Top and bottom margins, inches (headers and footers sit 0.3 inch from the edge).
  package static let endMargin = 0.75

  /// Portrait when columns of these widths (characters) fit across an A4 page between the margins
  /// at 85 % or more of their size, else landscape (wide tables).
  package static func orientation(forColumns widths: [Double]) -> Orientation {
    let pixels = widths.reduce(0) { $0 + Workbook.pixels(ofColumn: $1) }
    let printable = (paperInches.width - 2 * sideMargin) * 96
    return Double(pixels) * 0.85 <= printable ? .portrait : .landscape
  }

  /// The header: audience at the left, the sheet's name in the centre, the period at the right.
  ///
  /// The audience is cut to what fits left of the centred sheet name (44 character widths
  /// portrait, 70 landscape, at 11-point Calibri's 6–7 pixels a character; a wide CJK character
  /// or an emoji is two): a longer cost-centre name printed over the sheet's name (LibreOffice,
  /// portrait A4, 62 characters).
  package var header: String {
    let room = orientation == .portrait ? 44 : 70
    return "&L" + Self.caption(audience, maxWidth: room) + "&C&A&R" + Self.caption("Period " + period, maxWidth: 40)
  }

  /// The footer: what the document is at the left, the page number of the sheet's pages at the right.
  package var footer: String { "&LTokenChargeback chargeback&RPage &P of &N" }

  /// Text from identifiers made safe for a header or footer, at most `maxWidth` character widths
  /// (``width(_:)``), which keeps a header under the 255 code points it may hold.
  ///
  /// Control characters are escaped (``SafeText/escaped(_:)``) and `&`, which starts a code, is
  /// doubled. Where libxlsxwriter would still take `&&G` or `&&[Picture]` for an image placeholder
  /// and refuse the header, that `&` is shown as `\u0026` (a literal backslash is `\\`, so this stays
  /// unambiguous). A longer text is cut in the middle, at characters, with `…`: its start and its
  /// end show, so that two long cost-centre ids that differ only at their end (`…-X`, `…-Y`) do
  /// not print the same header (cut at the end, they did: a trial).
  package static func caption(_ text: String, maxWidth: Int) -> String {
    let escaped = SafeText.escaped(text)
    var pieces: [String] = []
    var rest = Substring(escaped)
    while let c = rest.first {
      rest = rest.dropFirst()
      if c == "&" {
        pieces.append(rest.hasPrefix("G") || rest.hasPrefix("[Picture]") ? "\\u0026" : "&&")
      } else {
        pieces.append(String(c))
      }
    }
    let total = pieces.reduce(0) { $0 + width($1) }
    guard total > maxWidth else { return pieces.joined() }
    return middleCut(pieces, budget: maxWidth - 1, size: width)
  }

  /// The width of a piece of a caption in characters of Latin text.
  ///
  /// Two for a wide character (CJK, Hangul, full-width forms, emoji), one for others (Hebrew,
  /// Arabic, accented Latin), an escape its length. Cut by UTF-8 bytes, a Hebrew name showed 20 of the 35 letters that fit
  /// and a CJK one a third of its (a trial).
  ///
  /// Written out here: the ranges are Unicode's East Asian Wide and Fullwidth blocks and the emoji
  /// blocks, which neither Foundation nor the standard library exposes on Linux.
  ///
  /// A character of many scalars (a letter under dozens of combining marks) counts at least half
  /// its scalars, so that a caption stays under libxlsxwriter's 255 code points a header.
  static func width(_ piece: String) -> Int {
    max(displayWidth(piece), (piece.unicodeScalars.count + 1) / 2)
  }

  private static func displayWidth(_ piece: String) -> Int {
    guard let first = piece.unicodeScalars.first, piece.unicodeScalars.count == 1 || piece.first?.isASCII == false
    else { return piece.count }
    let v = first.value
    let wide =
      (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
      || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
      || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
      || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
      || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v)
    return wide ? 2 : 1
  }

  /// `text` cut in the middle to at most `maxCharacters` characters, `…` included.
  ///
  /// As it is when it fits. For a title that names a cost centre (its whole id and name are in the
  /// sheet's rows).
  package static func shortened(_ text: String, maxCharacters: Int) -> String {
    guard text.count > maxCharacters else { return text }
    return middleCut(text.map(String.init), budget: maxCharacters - 1) { _ in 1 }
  }

  /// `pieces` joined, as many from the start (two thirds of `budget`) and from the end (the rest)
  /// as fit, with `…` between them; `size` measures a piece.
  private static func middleCut(_ pieces: [String], budget: Int, size: (String) -> Int) -> String {
    var head = 0
    var used = 0
    while head < pieces.count, used + size(pieces[head]) <= budget * 2 / 3 {
      used += size(pieces[head])
      head += 1
    }
    var tail = pieces.count
    while tail > head, used + size(pieces[tail - 1]) <= budget {
      used += size(pieces[tail - 1])
      tail -= 1
    }
    return pieces[..<head].joined() + "…" + pieces[tail...].joined()
  }
}
