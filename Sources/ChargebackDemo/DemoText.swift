import ChargebackSupport
import Foundation

/// Text helpers shared by the demo generators: CSV and JSON quoting, hex digits, paths.
package enum DemoText {
  /// RFC 4180 CSV: one line per row, a cell quoted only when it holds a comma, quote or newline.
  package static func csv(_ rows: [[String]]) -> String {
    var out = ""
    for row in rows {
      out += row.map { cell in
        cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
          ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
      }.joined(separator: ",")
      out += "\n"
    }
    return out
  }

  /// A JSON string literal.
  package static func jsonQuoted(_ text: String) -> String { JSONText.quoted(text) }

  /// `v` in lower-case hex, zero-padded to at least `width` digits.
  package static func hex(_ v: UInt64, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  /// `a/b`, without doubling a trailing slash of `a`.
  package static func join(_ a: String, _ b: String) -> String {
    a.hasSuffix("/") ? a + b : a + "/" + b
  }
}
