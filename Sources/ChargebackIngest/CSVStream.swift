import ChargebackModel
import ChargebackSupport
import Foundation

/// A CSV export read record by record, for request-level tables too large to read whole (a
/// `LiteLLM_SpendLogs` dump, an APIM log export): RFC 4180 quoting with quoted commas, quotes and
/// line breaks, a leading UTF-8 BOM ignored (``InputFile`` drops it), and each record's 1-based
/// starting line.
///
/// Every field must be valid UTF-8: a field that is not is bad input naming the line and the
/// column (its header name), never replaced. A record is at most ``InputFile/maxLine`` bytes and
/// ``maxFields`` fields, so one record's memory stays bounded. ``CSVTable`` reads a file whole;
/// this reader keeps one record in memory.
enum CSVStream {
  /// The most fields one record may have (Excel's limit is 16,384 columns).
  static let maxFields = 100_000

  /// Calls `body` with every record (the header row first) and the line it starts on.
  ///
  /// Throws ``InputError`` for a quoted field that never closes, a field that is not UTF-8, and a
  /// record over the limits.
  static func forEachRecord(in file: InputFile, _ body: (_ line: Int, _ fields: [String]) throws -> Void) throws {
    var parser = Parser(file: file.path)
    // With the CR of a CRLF: inside a quoted field it belongs to the value (``Parser/feed(_:lineNo:)``).
    try file.forEachLine(keepBlank: true, keepCR: true) { n, line in
      if let fields = try parser.feed(line, lineNo: n) { try body(parser.recordLine, fields) }
    }
    if parser.inQuotes {
      throw InputError(file: file.path, line: parser.recordLine, message: "unterminated quoted field")
    }
  }

  /// The state of a record that may span several lines.
  private struct Parser {
    private enum State { case plain, quoted, quoteInQuoted }
    let file: String
    private var state = State.plain
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var recordBytes = 0
    private var wasQuoted = false
    /// A carriage return inside the current record that ends no line: a file with CR line ends.
    private var loneCR = false
    private var crs = 0
    /// Whether the line last fed ended with CRLF.
    private var previousCRLF = false
    /// The header's names, once the first record is read, to name a bad field's column.
    private var header: [String]?
    /// The line the current record starts on.
    private(set) var recordLine = 0

    init(file: String) { self.file = file }

    /// True inside a quoted field that has not closed yet.
    var inQuotes: Bool { state == .quoted }

    /// Consumes one line; returns the record's fields when the line completes it.
    mutating func feed(_ line: UnsafeBufferPointer<UInt8>, lineNo: Int) throws -> [String]? {
      // The line's CR before its LF, if any: the break is CRLF.
      var b = line
      let crlf = b.last == 13
      if crlf { b = UnsafeBufferPointer(rebasing: b.dropLast()) }
      defer { previousCRLF = crlf }
      if state == .quoted {
        // The line break inside a quoted field belongs to the value as written, blank lines too: a
        // CRLF kept its LF alone, and an id holding CRLF read as the one holding LF (a trial).
        if previousCRLF { field.append(13) }
        field.append(10)
      } else {
        // A blank or whitespace-only line between records is no record.
        if b.allSatisfy({ $0 == 32 || $0 == 9 }) { return nil }
        recordLine = lineNo
        recordBytes = 0
        loneCR = false
      }
      recordBytes += b.count + 1
      if recordBytes > InputFile.maxLine {
        throw InputError(file: file, line: recordLine, message: "record longer than \(InputFile.maxLine >> 20) MiB")
      }
      for c in b {
        switch state {
        case .quoted:
          if c == 34 { state = .quoteInQuoted } else { field.append(c) }
        case .quoteInQuoted where c == 34:
          field.append(34)  // `""`: a literal quote
          state = .quoted
        case .quoteInQuoted, .plain:
          state = .plain
          switch c {
          case 44: try endField()
          case 13: crs += 1
          case 34 where !wasQuoted && field.allSatisfy({ $0 == 32 }):
            field.removeAll()
            state = .quoted
            wasQuoted = true
          default: field.append(c)
          }
        }
      }
      // A CR that ends the line is a CRLF's; any other outside quotes is a lone one.
      if crs > (b.last == 13 ? 1 : 0) { loneCR = true }
      crs = 0
      if state == .quoted { return nil }
      state = .plain
      try endField()
      defer { fields.removeAll(keepingCapacity: true) }
      if let header {
        // A record with more or fewer fields than the header would have its values read under
        // other columns' names (an unquoted comma in a value shifts every column after it).
        guard fields.count == header.count else {
          throw InputError(
            file: file, line: recordLine,
            message: "expected \(header.count) fields, as the header has, found \(fields.count)"
              + (loneCR
                ? " (its lines end with a lone carriage return, which is not read as a line end: convert the file to LF or CRLF line ends)"
                : " (a value with a comma must be quoted)"))
        }
      } else {
        header = fields
      }
      return fields
    }

    private mutating func endField() throws {
      guard let text = String(validating: field, as: UTF8.self) else {
        let column = fields.count
        let name = header.flatMap { column < $0.count ? $0[column] : nil }.flatMap { Optional($0).nonBlank }
        let bad = field.firstIndex { $0 >= 0x80 }.map { String(format: "0x%02X", field[$0]) } ?? "?"
        throw InputError(
          file: file, line: recordLine, field: name ?? "column \(column + 1)",
          message: "is not valid UTF-8 (byte \(bad)); fix the export's encoding")
      }
      guard fields.count < CSVStream.maxFields else {
        throw InputError(file: file, line: recordLine, message: "record has more than \(CSVStream.maxFields) fields")
      }
      fields.append(text)
      field.removeAll(keepingCapacity: true)
      wasQuoted = false
    }
  }
}

/// The header row of a CSV export: column positions by name.
struct CSVHeader {
  /// Column names as given, trimmed.
  let names: [String]
  private let index: [String: Int]

  /// Indexes `fields`; `normalise` maps a header name to the name it is looked up by.
  init(_ fields: [String], normalise: (String) -> String = { $0 }) {
    names = fields.map { $0.trimmingCharacters(in: .blanks) }
    var idx: [String: Int] = [:]
    for (i, n) in names.enumerated() where idx[normalise(n)] == nil { idx[normalise(n)] = i }
    index = idx
  }

  /// True when the header has `column`.
  func has(_ column: String) -> Bool { index[column] != nil }

  /// The trimmed value of `column` in `fields`; nil when the column is absent or the cell empty.
  func value(_ fields: [String], _ column: String) -> String? {
    guard let i = index[column], i < fields.count else { return nil }
    return Optional(fields[i]).nonBlank
  }

  /// The header fields in the first line of `head`, unquoted and trimmed (for `matches(head:)`).
  ///
  /// A header with a quoted line break is not recognised.
  static func names(inHead head: String) -> Set<String> {
    var first = head.prefix { $0 != "\n" && $0 != "\r\n" }
    if first.first == "\u{FEFF}" { first = first.dropFirst() }
    return Set(
      first.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .blanks).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
      })
  }
}
