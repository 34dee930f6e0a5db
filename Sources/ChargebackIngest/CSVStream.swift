import ChargebackModel
import ChargebackSupport
import Foundation

/// A CSV export read record by record, for request-level tables too large to read whole (a
/// `LiteLLM_SpendLogs` dump, an APIM log export): RFC 4180 quoting with quoted commas, quotes and
/// line breaks, a leading UTF-8 BOM ignored, and each record's 1-based starting line.
///
/// ``CSVTable`` reads a file whole; this reader keeps one record in memory.
enum CSVStream {
  /// Calls `body` with every record (the header row first) and the line it starts on.
  ///
  /// Throws ``InputError`` for a quoted field that never closes.
  static func forEachRecord(in file: InputFile, _ body: (_ line: Int, _ fields: [String]) throws -> Void) throws {
    var parser = Parser()
    try file.forEachLine { n, bytes in
      var line = bytes
      if n == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeBufferPointer(rebasing: line[3...]) }
      if let fields = parser.feed(line, lineNo: n) { try body(parser.recordLine, fields) }
    }
    if parser.inQuotes {
      throw InputError(file: file.path, line: parser.recordLine, message: "unterminated quoted field")
    }
  }

  /// The state of a record that may span several lines.
  private struct Parser {
    private enum State { case plain, quoted, quoteInQuoted }
    private var state = State.plain
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var wasQuoted = false
    private var lastLine = 0
    /// The line the current record starts on.
    private(set) var recordLine = 0

    /// True inside a quoted field that has not closed yet.
    var inQuotes: Bool { state == .quoted }

    /// Consumes one line; returns the record's fields when the line completes it.
    mutating func feed(_ b: UnsafeBufferPointer<UInt8>, lineNo: Int) -> [String]? {
      if state == .quoted {
        // The line breaks inside a quoted field (skipped blank lines too) belong to the value.
        field.append(contentsOf: repeatElement(10, count: max(1, lineNo - lastLine)))
      } else {
        recordLine = lineNo
      }
      lastLine = lineNo
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
          case 44: endField()
          case 13: break
          case 34 where !wasQuoted && field.allSatisfy({ $0 == 32 }):
            field.removeAll()
            state = .quoted
            wasQuoted = true
          default: field.append(c)
          }
        }
      }
      if state == .quoted { return nil }
      state = .plain
      endField()
      defer { fields.removeAll(keepingCapacity: true) }
      return fields
    }

    private mutating func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
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
    names = fields.map { $0.trimmingCharacters(in: .whitespaces) }
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
        $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
      })
  }
}
