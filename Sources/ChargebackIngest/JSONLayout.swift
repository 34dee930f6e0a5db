import ChargebackModel
import Foundation

/// The layouts a JSON export comes in (JSON Lines, or a document of one or more JSON values) and
/// the byte-level helpers the request-level JSON formats share.
///
/// A file is JSON Lines unless its first non-blank line opens a JSON value that goes on past the
/// line (a first line longer than the detection head is JSON Lines too); that is the streaming
/// fast path. Otherwise it is a document, read whole (at most 512 MiB): a sequence of top-level
/// JSON values separated by blanks, such as one pretty-printed record or several pasted one after
/// another. Each value that is an array yields its elements (`$[3]`); an
/// object holding `arrayKey` as an array (a paginated API response, `{"data":[…]}`) yields that
/// array's elements (`$.data[3]`); any other object is one record (`$` when it is the only value
/// in the file, otherwise named by its line alone). Records keep the 1-based line they start on,
/// so errors name a line in every layout.
///
/// With `timestampPrefix`, JSON Lines may carry the prefix CloudWatch Logs exports write before
/// each message (`2025-09-01T10:15:42.123Z {…}`); see ``timestampPrefixLength(_:)``.
enum JSONLayout {
  /// Calls `body` with each record's bytes, its starting line and its JSON path (nil for lines).
  ///
  /// `head` is the file's head when the caller has read it already (``InputFile/head(limit:)``).
  static func forEachRecord(
    in file: InputFile, head: [UInt8]? = nil, arrayKey: StaticString? = nil, timestampPrefix: Bool = false,
    _ body: (UnsafeBufferPointer<UInt8>, _ line: Int, _ path: String?) throws -> Void
  ) throws {
    let head = try head ?? file.head()
    var layout = firstLine(of: head, arrayKey: arrayKey, timestampPrefix: timestampPrefix)
    if case .none = layout, head.count >= FormatRegistry.headBytes {
      // Blank to the head's end, and the file goes on: its first record is further in. It was read
      // as no record and counted as loaded, its calls dropped without a word (a review: a log
      // record under 64 KiB of line ends, which format detection had found in its longer head).
      let longer = try file.head(limit: FormatRegistry.longHeadBytes)
      layout = firstLine(of: longer, arrayKey: arrayKey, timestampPrefix: timestampPrefix)
      if case .none = layout, longer.count >= FormatRegistry.longHeadBytes { layout = .document }
    }
    switch layout {
    case .none:
      return
    case .lines(let layout):
      return try file.forEachLine { n, bytes in try body(layout.record(in: bytes), n, nil) }
    case .pages(let arrayKey):
      // Pages of an API, one per line (`curl … > page.json` writes one on a single line): each
      // line's records are its `arrayKey` array's elements.
      return try file.forEachLine { n, bytes in
        var lines = LineCounter(bytes)
        var s = JSONScanner(bytes)
        do {
          try forEachValue(&s, in: bytes, lines: &lines, arrayKey: arrayKey) { record, _, path in
            try body(record, n, path)
          }
        } catch let f as JSONScanner.Failure {
          throw ingestError(f, field: nil, file: file.path, line: n, path: nil, record: bytes)
        }
      }
    case .document:
      break
    }
    let data = try file.readAll()
    // A record over many lines (a pretty-printed OTLP export) whose reader names a value inside it
    // (`$.resourceSpans[0].scopeSpans[0].spans[3]`) is told at that value's line, not the record's
    // first (a trial's error said line 1 of a span on line 19).
    func located(_ record: UnsafeBufferPointer<UInt8>, _ line: Int, _ path: String?) throws {
      do {
        try body(record, line, path)
      } catch let e as InputError where e.file == file.path && e.line == line {
        throw relocated(e, record: record, line: line, root: path ?? "$")
      }
    }
    try data.withUnsafeBytes { raw in
      let b = raw.bindMemory(to: UInt8.self)
      var lines = LineCounter(b)
      var s = JSONScanner(b)
      do {
        try forEachValue(&s, in: b, lines: &lines, arrayKey: arrayKey, located)
      } catch let f as JSONScanner.Failure {
        throw ingestError(f, field: nil, file: file.path, line: lines.line(at: f.offset), path: nil, record: b)
      }
    }
  }

  /// How a file whose head is `head` is read: what its first non-blank line says.
  private enum FirstLine {
    /// No record: the head is blank.
    case none
    /// One record per line.
    case lines(LineLayout)
    /// An API page per line, its records in its `arrayKey` array.
    case pages(StaticString)
    /// A document, read whole.
    case document
  }

  private static func firstLine(of head: [UInt8], arrayKey: StaticString?, timestampPrefix: Bool) -> FirstLine {
    guard let first = head.firstIndex(where: { !isBlank($0) }) else { return .none }
    guard head[first] != UInt8(ascii: "[") else { return .document }
    let lineEnd = head[first...].firstIndex(of: 10)
    let firstLine = head[first..<(lineEnd ?? head.endIndex)]
    if timestampPrefix, firstLine.withUnsafeBufferPointer(timestampPrefixLength) != nil { return .lines(.timestamped) }
    // JSON Lines unless the first line's value goes on past the line. A first line that is
    // malformed before its end is JSON Lines too, so that the error names that line.
    guard lineEnd == nil || !firstLine.withUnsafeBufferPointer(continuesPastLine) else { return .document }
    if let arrayKey, firstLine.withUnsafeBufferPointer({ wrapsArray($0, key: arrayKey) }) { return .pages(arrayKey) }
    return .lines(.plain)
  }

  /// The layout ``forEachRecord(in:head:arrayKey:timestampPrefix:_:)`` reads a file whose head is
  /// `head` in when it has one record per line (each line on its own: they can be read on several
  /// threads, ``LineChunks``); nil when it reads it otherwise.
  static func lineLayout(head: [UInt8], arrayKey: StaticString? = nil, timestampPrefix: Bool = false) -> LineLayout? {
    if case .lines(let layout) = firstLine(of: head, arrayKey: arrayKey, timestampPrefix: timestampPrefix) {
      return layout
    }
    return nil
  }

  /// `e`, raised for a value inside `record` (which starts on `line` at JSON path `root`), named at
  /// that value's line when the record spans lines and `e`'s path leads into it.
  static func relocated(_ e: InputError, record: UnsafeBufferPointer<UInt8>, line: Int, root: String) -> InputError {
    var e = e
    if let inner = e.path, inner.count > root.count, inner.hasPrefix(root), record.contains(10),
      let within = JSONLayout.line(ofPath: "$" + inner.dropFirst(root.count), in: Data(record))
    {
      e.line = line - 1 + within
    }
    return e
  }

  /// Walks the top-level values of a document one after another, handing on each record.
  private static func forEachValue(
    _ s: inout JSONScanner, in b: UnsafeBufferPointer<UInt8>, lines: inout LineCounter, arrayKey: StaticString?,
    _ body: (UnsafeBufferPointer<UInt8>, _ line: Int, _ path: String?) throws -> Void
  ) throws {
    func element(_ s: inout JSONScanner, _ path: String) throws {
      _ = s.next()
      let start = s.i
      try s.skipValue()
      try body(UnsafeBufferPointer(rebasing: b[start..<s.i]), lines.line(at: start), path)
    }
    var values = 0
    while let c = s.next() {
      let start = s.i
      values += 1
      if c == UInt8(ascii: "[") {
        var k = 0
        try s.array { s in
          try element(&s, "$[\(k)]")
          k += 1
        }
        continue
      }
      var wrapped = false
      if let arrayKey, c == UInt8(ascii: "{") {
        try s.object { s, key in
          guard key.equals(arrayKey) else { return }
          guard s.next() == UInt8(ascii: "[") else { return try s.skipValue() }
          wrapped = true
          var k = 0
          try s.array { s in
            try element(&s, "$.\(arrayKey)[\(k)]")
            k += 1
          }
        }
      } else {
        try s.skipValue()
      }
      if wrapped { continue }
      // `$` names the record only when it is the file's one value; in a sequence the line does.
      let only = values == 1 && s.next() == nil
      try body(UnsafeBufferPointer(rebasing: b[start..<s.i]), lines.line(at: start), only ? "$" : nil)
    }
  }

  /// The length of a CloudWatch Logs export prefix at the start of `line`: an RFC 3339 instant
  /// with a zone (`2025-09-01T10:15:42.123Z`, `…+02:00`), one space, then `{`; nil when there is
  /// none.
  ///
  /// `CreateExportTask` writes every log event as `<timestamp> <message>`.
  static func timestampPrefixLength(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
    // The shortest instant is `2025-09-01T10:15Z` (17 bytes); a long fraction stays under 40.
    guard line.count > 18, line[0] >= 48, line[0] <= 57 else { return nil }
    guard let space = line.prefix(40).firstIndex(of: 32), space >= 17, space + 1 < line.count,
      line[space + 1] == UInt8(ascii: "{")
    else { return nil }
    let stamp = UnsafeBufferPointer(rebasing: line[0..<space])
    let last = stamp[space - 1]
    let zoned =
      last == UInt8(ascii: "Z") || last == UInt8(ascii: "z")
      || stamp[16...].contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
    guard zoned, stamp[10] == UInt8(ascii: "T") || stamp[10] == UInt8(ascii: "t"),
      Timestamp.parseMillis(bytes: stamp) != nil
    else { return nil }
    return space + 1
  }

  /// The text of the next value when it is a number or a string (numbers written as strings, as
  /// OTLP writes int64), for exact parsing; nil for `null`.
  static func scalarText(_ s: inout JSONScanner, in b: UnsafeBufferPointer<UInt8>) throws -> String? {
    guard let c = s.next() else { return try s.optionalString() }  // reports the missing value
    if c == UInt8(ascii: "\"") { return try s.string() }
    if try s.consumeNull() { return nil }
    guard c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else {
      throw JSONScanner.Failure(kind: .type(expected: "a number or a string"), offset: s.i, message: "")
    }
    let start = s.i
    try s.skipValue()
    return String(decoding: UnsafeBufferPointer(rebasing: b[start..<s.i]), as: UTF8.self)
  }

  /// A count from a number or a numeric string (`5230`, `"5230"`, `5230.0`) of at most `max`
  /// `unit`; nil for `null`.
  ///
  /// Throws an `invalid` failure that says what is wrong: not a whole number, negative, or out of
  /// bounds.
  static func count(
    _ s: inout JSONScanner, in b: UnsafeBufferPointer<UInt8>, max: Int64 = Bounds.tokens, unit: String = "tokens"
  ) throws -> Int64? {
    _ = s.next()
    let offset = s.i
    guard let text = try scalarText(&s, in: b) else { return nil }
    switch parseCount(text, max: max, unit: unit) {
    case .success(let v): return v
    case .failure(let problem): throw JSONScanner.Failure(kind: .invalid(problem.message), offset: offset, message: "")
    }
  }

  /// Why a count's text cannot be used.
  struct CountProblem: Error {
    /// What is wrong, as a sentence fragment (`is negative (-5)`).
    var message: String
  }

  /// Parses a count written `[-]digits[.0…]` of at most `max` `unit`.
  ///
  /// The text is a CSV cell, a numeric string or a JSON number's text; the failure says what is
  /// wrong. Never traps: digits are accumulated with overflow-reporting arithmetic.
  static func parseCount(_ text: String, max: Int64 = Bounds.tokens, unit: String = "tokens") -> Result<
    Int64, CountProblem
  > {
    var v: Int64 = 0
    var digits = 0
    var negative = false
    var fraction = false
    var fractionalPart = false
    var overflow = false
    var wellFormed = true
    for c in text.utf8 {
      if fraction {
        guard c >= 48, c <= 57 else {
          wellFormed = false
          break
        }
        if c != 48 { fractionalPart = true }
      } else if c >= 48 && c <= 57 {
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
        if o1 || o2 { overflow = true } else { v = a }
        digits += 1
      } else if c == 45 && digits == 0 && !negative {
        negative = true
      } else if c == 46 && digits > 0 {
        fraction = true
      } else {
        wellFormed = false
        break
      }
    }
    let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
    guard wellFormed, digits > 0 else { return .failure(CountProblem(message: "\"\(shown)\" is not a whole number")) }
    if fractionalPart { return .failure(CountProblem(message: "is not a whole number (\(shown))")) }
    if negative && (v != 0 || overflow) { return .failure(CountProblem(message: "is negative (\(shown))")) }
    if overflow || v > max {
      return .failure(CountProblem(message: "is out of bounds (\(shown) is more than \(max) \(unit))"))
    }
    return .success(v)
  }

  static func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 10 || c == 13 || c == 9 }

  /// True when `line` is an object with a member `key` that is an array (a page of an API).
  ///
  /// `line` may be cut short (the head of a file whose first line is longer): the array seen
  /// before the cut is enough.
  private static func wrapsArray(_ line: UnsafeBufferPointer<UInt8>, key: StaticString) -> Bool {
    var s = JSONScanner(line)
    var found = false
    guard s.next() == UInt8(ascii: "{") else { return false }
    do {
      try s.object { s, name in
        if name.equals(key), s.next() == UInt8(ascii: "[") { found = true }
      }
    } catch {
      return found
    }
    return found
  }

  /// True when `line` is the start of a JSON value that continues on the next line: scanning it
  /// fails only because the line ended.
  private static func continuesPastLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var s = JSONScanner(line)
    do {
      try s.skipValue()
      try s.end()
      return false
    } catch let f as JSONScanner.Failure {
      guard case .malformed = f.kind else { return false }
      return f.offset >= line.count
    } catch {
      return false
    }
  }

  /// 1-based line numbers of increasing byte offsets, counted incrementally.
  private struct LineCounter {
    let b: UnsafeBufferPointer<UInt8>
    var offset = 0
    var current = 1

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func line(at target: Int) -> Int {
      if target < offset {
        offset = 0
        current = 1
      }
      let end = min(target, b.count)
      while offset < end {
        if b[offset] == 10 { current += 1 }
        offset += 1
      }
      return current
    }
  }
}

extension Optional where Wrapped == String {
  /// nil for nil, empty or blank strings; the string trimmed of spaces and tabs otherwise.
  ///
  /// Same as `nonEmpty`, but without Foundation on the common path (no surrounding blanks), which
  /// matters at millions of fields.
  var nonBlank: String? {
    guard let s = self, let first = s.utf8.first, let last = s.utf8.last else { return nil }
    if first != 32 && first != 9 && last != 32 && last != 9 { return s }
    return self.nonEmpty
  }
}

/// How a file of one record per line holds each record (``JSONLayout/lineLayout(head:arrayKey:timestampPrefix:)``).
package enum LineLayout: Sendable {
  /// The line is the record.
  case plain
  /// The record follows a CloudWatch Logs export's timestamp prefix on lines that have one
  /// (``JSONLayout/timestampPrefixLength(_:)``).
  case timestamped

  /// The record's bytes in `line`.
  package func record(in line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    switch self {
    case .plain: line
    case .timestamped: UnsafeBufferPointer(rebasing: line[(JSONLayout.timestampPrefixLength(line) ?? 0)...])
    }
  }
}
