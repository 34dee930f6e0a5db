import ChargebackModel
import Crypto
import Foundation

/// A small CSV file read whole (identity and price tables): RFC 4180 quoting, a header row,
/// columns looked up by name, and errors that name the file, the line and the column.
///
/// Written by hand because SwiftCSV and CSV.swift report neither line numbers nor the column at
/// fault, and the tables read here are small.
package struct CSVTable: Sendable {
  /// The file as named.
  package let file: String
  /// Header names, trimmed, as they appear.
  package let header: [String]
  /// Data rows with the 1-based line each starts on.
  package let rows: [(line: Int, fields: [String])]
  /// SHA-256 (hex) of the bytes parsed: what a content hash of the table is made of, so that it
  /// is the hash of exactly what was read.
  package let sha256: String
  private let index: [String: Int]
  /// Column positions by lowercased name: a header `Revoked_At` is the column `revoked_at` (an
  /// optional column whose name differed in case was left unread without a word).
  private let caseFolded: [String: Int]

  /// The position of `column`: its exact name, else the same name in another case.
  private func position(_ column: String) -> Int? { index[column] ?? caseFolded[column.lowercased()] }

  /// Reads and parses `path`; a missing file throws ``InputMissingError``, a field that is not
  /// valid UTF-8 ``InputError`` naming its line and column.
  package init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputMissingError.reading(path, missing: "no such file")
    }
    try self.init(file: path, bytes: [UInt8](data))
  }

  /// Parses CSV text (a leading UTF-8 BOM is ignored).
  package init(file: String, text: String) throws {
    try self.init(file: file, bytes: Array(text.utf8))
  }

  /// Parses CSV bytes (a leading UTF-8 BOM is ignored); every field must be valid UTF-8, and is
  /// never replaced.
  package init(file: String, bytes: [UInt8]) throws {
    self.file = file
    sha256 = SHA256.hash(data: bytes).lowercaseHex
    var records = try Self.parse(bytes, file: file)
    guard !records.isEmpty else {
      throw InputError(file: file, line: 1, message: "empty file: a header row is required")
    }
    let head = records.removeFirst()
    header = head.fields.map { $0.trimmingCharacters(in: .blanks) }
    var idx: [String: Int] = [:]
    var twice: [(name: String, first: Int, again: Int)] = []
    for (i, h) in header.enumerated() {
      if let first = idx[h] {
        if !h.isEmpty { twice.append((h, first, i)) }
      } else {
        idx[h] = i
      }
    }
    index = idx
    var folded: [String: Int] = [:]
    for (i, h) in header.enumerated() where folded[h.lowercased()] == nil { folded[h.lowercased()] = i }
    caseFolded = folded
    rows = records.filter { !($0.fields.count == 1 && $0.fields[0].trimmingCharacters(in: .blanks).isEmpty) }
    for row in rows {
      // More fields than the header, unless the extra ones are empty (a spreadsheet's trailing
      // commas), would have values read under other columns' names: an unquoted comma in a value
      // shifts every column after it. Fewer is a row that leaves out its last optional columns.
      if row.fields.count > header.count,
        row.fields[header.count...].contains(where: { !$0.trimmingCharacters(in: .blanks).isEmpty })
      {
        throw InputError(
          file: file, line: row.line,
          message: "expected at most \(header.count) fields, as the header has, found \(row.fields.count)"
            + " (a value with a comma must be quoted)")
      }
      // A column named twice is read from its first place: a row that says two things in it is refused.
      for t in twice {
        let a = t.first < row.fields.count ? row.fields[t.first].trimmingCharacters(in: .blanks) : ""
        let b = t.again < row.fields.count ? row.fields[t.again].trimmingCharacters(in: .blanks) : ""
        guard a == b || b.isEmpty else {
          throw InputError(
            file: file, line: row.line, field: t.name,
            message: "column named twice in the header (columns \(t.first + 1) and \(t.again + 1)), "
              + "with \"\(a)\" and \"\(b)\" in this row")
        }
      }
    }
  }

  /// Throws unless every name in `columns` is in the header.
  package func require(_ columns: [String]) throws {
    for c in columns where position(c) == nil {
      // A spreadsheet whose list separator is `;` (much of Europe) saves "CSV" with `;` between
      // the fields: the header is then one field, and every column is missing (a trial).
      let semicolons = header.count == 1 && header[0].contains(";")
      throw InputError(
        file: file, line: 1, field: c,
        message: "required column is missing from the header"
          + (semicolons
            ? " (the header is one field holding `;`: the file seems to use `;` between fields; save it as CSV"
              + " with commas, e.g. LibreOffice's Save As, field delimiter `,`)" : ""))
    }
  }

  /// True when the header has `column`.
  package func has(_ column: String) -> Bool { position(column) != nil }

  /// The trimmed value of `column` in `fields`, nil when the column is absent or the cell empty.
  package func value(_ fields: [String], _ column: String) -> String? {
    guard let i = position(column), i < fields.count else { return nil }
    let v = fields[i].trimmingCharacters(in: .blanks)
    return v.isEmpty ? nil : v
  }

  private static func parse(_ input: [UInt8], file: String) throws -> [(line: Int, fields: [String])] {
    var out: [(line: Int, fields: [String])] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var inQuotes = false
    var line = 1
    var recordLine = 1
    var bytes = input
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var i = 0
    var fieldWasQuoted = false
    func endField() throws {
      guard let text = String(validating: field, as: UTF8.self) else {
        let column = fields.count
        let header = out.first?.fields
        let name = header.flatMap { column < $0.count ? $0[column].trimmingCharacters(in: .blanks) : nil }
        throw InputError(
          file: file, line: recordLine, field: (name?.isEmpty == false ? name : nil) ?? "column \(column + 1)",
          message: "is not valid UTF-8; fix the file's encoding")
      }
      fields.append(text)
      field.removeAll(keepingCapacity: true)
      fieldWasQuoted = false
    }
    while i < bytes.count {
      let c = bytes[i]
      if inQuotes {
        if c == 34 {
          if i + 1 < bytes.count, bytes[i + 1] == 34 {
            field.append(34)
            i += 1
          } else {
            inQuotes = false
          }
        } else {
          if c == 10 || (c == 13 && !(i + 1 < bytes.count && bytes[i + 1] == 10)) { line += 1 }
          field.append(c)
        }
      } else {
        switch c {
        case 44:
          try endField()
        case 10:
          try endField()
          out.append((recordLine, fields))
          fields.removeAll()
          line += 1
          recordLine = line
        case 13 where i + 1 < bytes.count && bytes[i + 1] == 10:
          break  // CRLF: the LF ends the record
        case 13:
          // A lone CR ends a record too: Excel for Mac's "CSV (Macintosh)" ends lines so. Dropped,
          // it made the whole file one header line with no rows, read as an empty table.
          try endField()
          out.append((recordLine, fields))
          fields.removeAll()
          line += 1
          recordLine = line
        case 34 where field.allSatisfy({ $0 == 32 }) && !fieldWasQuoted:
          field.removeAll()
          inQuotes = true
          fieldWasQuoted = true
        default:
          field.append(c)
        }
      }
      i += 1
    }
    if inQuotes {
      throw InputError(file: file, line: recordLine, message: "unterminated quoted field")
    }
    if !field.isEmpty || !fields.isEmpty {
      try endField()
      out.append((recordLine, fields))
    }
    return out
  }
}

/// Writes CSV with RFC 4180 quoting and `\n` line ends, byte-identical for identical rows.
///
/// Every field is made safe to open in a spreadsheet first (``SafeText/csvField(_:)``: control
/// characters escaped, formula-like text prefixed with `'`), since the values come from usage logs.
package struct CSVWriter {
  /// The document's UTF-8 bytes (when streaming, those not yet written).
  ///
  /// Bytes, not a `String`: appending to a string checks the seam for a grapheme cluster on every
  /// append, and that was most of writing a CSV (callgrind, the 100 k cardinality report: 340
  /// instructions per field appended, 1.5 G for `chargeback.csv`).
  private var bytes: [UInt8] = []
  /// The file a streaming writer writes to; nil for a document kept in memory.
  private let sink: Sink?

  /// Bytes a streaming writer gathers before it writes them.
  private static let chunk = 1 << 20

  /// A file being written, by a thread of its own (``ChunkWriter``: ``append(_:)`` does not
  /// throw; ``finish()`` throws the first error writing it).
  private final class Sink {
    let path: String
    let writer: ChunkWriter
    init(path: String, handle: FileHandle) {
      self.path = path
      writer = ChunkWriter(handle)
    }
  }

  /// The SHA-256 (lowercase hex) of a streaming document's bytes, once ``finish()`` has written
  /// them: hashed as they were written, so that the file need not be read back for it.
  package private(set) var sha256: String?

  /// An empty document with a header row, kept in memory until ``write(to:)``.
  package init(header: [String]) {
    sink = nil
    append(header)
  }

  /// A document written to `path` (created or truncated) as it grows, a megabyte at a time:
  /// ``finish()`` writes the rest.
  ///
  /// For the outputs whose rows grow with the data (`chargeback.csv` keeps the task, and there can
  /// be a task per call: 1 M lines made a 218 MB document, held twice while it was written).
  ///
  /// `jsonColumns` names the columns whose values are JSON documents the writer built with
  /// ``JSONText`` (FOCUS `Tags`): their values are already safe (controls and invisible characters
  /// in JSON's own `\u` escapes, and an object cannot start like a formula), and escaping them again
  /// would double JSON's backslashes and break the document; only their `;`s are written `\u003b`
  /// (``SafeText/csvJSONField(_:)``). A value there that does not start with `{` or `[` is made safe
  /// like any other.
  package init(streamingTo path: String, header: [String], jsonColumns: Set<String> = []) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let handle = FileHandle(forWritingAtPath: path)
    else { throw OutputError(path: path, reason: "cannot create file") }
    sink = Sink(path: path, handle: handle)
    bytes.reserveCapacity(Self.chunk + 4096)
    append(header)
    json = header.map { jsonColumns.contains($0) }
  }

  /// For each column, whether it holds JSON documents (see ``init(streamingTo:header:jsonColumns:)``).
  private var json: [Bool] = []

  /// Appends a row.
  package mutating func append(_ fields: [String]) {
    Self.append(fields, json: json, to: &bytes)
    if let sink, bytes.count >= Self.chunk { flush(sink) }
  }

  /// Hands the bytes gathered to the writing thread, and goes on in an empty buffer.
  private mutating func flush(_ sink: Sink) {
    sink.writer.hand(&bytes)
    if bytes.capacity < Self.chunk + 4096 { bytes.reserveCapacity(Self.chunk + 4096) }
  }

  /// Writes what is left of a streaming document and closes its file (``sha256`` is then its
  /// hash); throws the first error met while writing it.
  ///
  /// Once finished, does nothing.
  package mutating func finish() throws {
    guard let sink, !sink.writer.isFinished else { return }
    if !bytes.isEmpty { sink.writer.hand(&bytes) }
    do {
      sha256 = try sink.writer.finish()
    } catch {
      throw OutputError(path: sink.path, reason: "cannot write: \(OutputError.reason(error))")
    }
  }

  /// The bytes ``append(_:)`` writes for `field` (made safe, then quoted when it must be), for a
  /// writer that makes a field once and writes it on many rows (``append(encoded:)``); `json` as
  /// for a column of `jsonColumns`.
  package static func encoded(_ field: String, json: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    appendField(field, json: json, to: &out)
    return out
  }

  /// Appends one field, made safe (a JSON document of a JSON column as one) and quoted.
  private static func appendField(_ f: String, json: Bool, to out: inout [UInt8]) {
    let first = f.utf8.first
    let document = json && (first == UInt8(ascii: "{") || first == UInt8(ascii: "["))
    appendQuoted(document ? SafeText.csvJSONField(f) : SafeText.csvField(f), to: &out)
  }

  /// Appends a row of fields made by ``encoded(_:json:)``, as they are.
  package mutating func append(encoded fields: [[UInt8]]) {
    for (i, f) in fields.enumerated() {
      if i > 0 { bytes.append(44) }
      bytes.append(contentsOf: f)
    }
    bytes.append(10)
    if let sink, bytes.count >= Self.chunk { flush(sink) }
  }

  /// Appends a row whose fields `write` appends to the document's bytes, each made as
  /// ``encoded(_:json:)`` makes it and separated by commas; the line's end is added here.
  ///
  /// For rows of millions whose fields are mostly kept already encoded (`focus.csv`): no array of
  /// fields per row.
  package mutating func appendRow(_ write: (inout [UInt8]) throws -> Void) rethrows {
    try write(&bytes)
    bytes.append(10)
    if let sink, bytes.count >= Self.chunk { flush(sink) }
  }

  /// Appends a row to `out` field by field: no array of quoted fields and no joined row per line.
  private static func append(_ fields: [String], json: [Bool] = [], to out: inout [UInt8]) {
    for (i, f) in fields.enumerated() {
      if i > 0 { out.append(44) }
      appendField(f, json: i < json.count && json[i], to: &out)
    }
    out.append(10)
  }

  /// Appends `s`, quoted when it holds a comma, quote or line break (as ``quote(_:)``).
  private static func appendQuoted(_ s: String, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { u in
      guard u.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else {
        out.append(contentsOf: u)
        return
      }
      out.append(34)
      for b in u {
        out.append(b)
        if b == 34 { out.append(34) }
      }
      out.append(34)
    }
  }

  /// The document (of a writer kept in memory).
  package var contents: String {
    precondition(sink == nil, "a streaming writer's document is in its file")
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Writes the document (of a writer kept in memory) to `path`; returns the SHA-256 (lowercase
  /// hex) of its bytes.
  @discardableResult
  package func write(to path: String) throws -> String {
    precondition(sink == nil, "a streaming writer writes its own file: finish() it")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return SHA256.hash(data: bytes).lowercaseHex
  }

  /// Quotes a field when it holds a comma, quote or line break (what the writer does to each field).
  package static func quote(_ s: String) -> String {
    var out: [UInt8] = []
    appendQuoted(s, to: &out)
    return String(decoding: out, as: UTF8.self)
  }
}
