import ChargebackModel
import Foundation

/// The layouts a JSON export comes in (JSON Lines, one document, or a JSON array of records) and
/// the byte-level helpers the request-level JSON formats share.
///
/// A file is JSON Lines when its first non-blank line is a whole JSON value (or longer than the
/// detection head); otherwise it is one document, read whole. A document that is an array yields
/// its elements (`$[3]`); an object holding `arrayKey` as an array (a paginated API response,
/// `{"data":[…]}`) yields that array's elements (`$.data[3]`); any other object is one record (`$`).
/// Records keep the 1-based line they start on, so errors name a line in every layout.
enum JSONLayout {
  /// Calls `body` with each record's bytes, its starting line and its JSON path (nil for lines).
  static func forEachRecord(
    in file: InputFile, arrayKey: StaticString? = nil,
    _ body: (UnsafeBufferPointer<UInt8>, _ line: Int, _ path: String?) throws -> Void
  ) throws {
    let head = try file.head()
    guard let first = head.firstIndex(where: { !isBlank($0) }) else { return }
    if head[first] != UInt8(ascii: "[") {
      let lineEnd = head[first...].firstIndex(of: 10)
      let whole = lineEnd.map { end in head[first..<end].withUnsafeBufferPointer(isOneValue) } ?? true
      if whole {
        return try file.forEachLine { n, bytes in try body(bytes, n, nil) }
      }
    }
    let data = try file.readAll()
    try data.withUnsafeBytes { raw in
      let b = raw.bindMemory(to: UInt8.self)
      var lines = LineCounter(b)
      var s = JSONScanner(b)
      func element(_ s: inout JSONScanner, _ path: String) throws {
        _ = s.next()
        let start = s.i
        try s.skipValue()
        try body(UnsafeBufferPointer(rebasing: b[start..<s.i]), lines.line(at: start), path)
      }
      do {
        if s.next() == UInt8(ascii: "[") {
          var k = 0
          try s.array { s in
            try element(&s, "$[\(k)]")
            k += 1
          }
        } else if let arrayKey, s.next() == UInt8(ascii: "{") {
          let start = s.i
          var wrapped = false
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
          if !wrapped { try body(UnsafeBufferPointer(rebasing: b[start..<s.i]), lines.line(at: start), "$") }
        } else {
          try element(&s, "$")
        }
        try s.end()
      } catch let f as JSONScanner.Failure {
        throw ingestError(f, field: nil, file: file.path, line: lines.line(at: f.offset), path: nil)
      }
    }
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

  /// A token count from a number or a numeric string (`5230`, `"5230"`, `5230.0`); nil for `null`.
  ///
  /// Throws a type failure for fractions, exponents and other text.
  static func count(_ s: inout JSONScanner, in b: UnsafeBufferPointer<UInt8>) throws -> Int64? {
    let offset = s.i
    guard let text = try scalarText(&s, in: b) else { return nil }
    guard let v = integer(text) else {
      throw JSONScanner.Failure(kind: .type(expected: "an integer"), offset: offset, message: "")
    }
    return v
  }

  /// Parses `[-]digits[.0…]` exactly into Int64; nil for anything else (blanks included) or on
  /// overflow.
  static func integer(_ text: String) -> Int64? {
    var v: Int64 = 0
    var digits = 0
    var negative = false
    var fraction = false
    for c in text.utf8 {
      if fraction {
        guard c == 48 else { return nil }
      } else if c >= 48 && c <= 57 {
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
        guard !o1 && !o2 else { return nil }
        v = a
        digits += 1
      } else if c == 45 && digits == 0 && !negative {
        negative = true
      } else if c == 46 && digits > 0 {
        fraction = true
      } else {
        return nil
      }
    }
    guard digits > 0 else { return nil }
    return negative ? -v : v
  }

  /// An ``InputError`` for a scanning failure at `field` (nil: the record itself is malformed).
  static func ingestError(
    _ f: JSONScanner.Failure, field: String?, file: String, line: Int?, path: String?
  ) -> InputError {
    let field = f.field ?? field
    switch f.kind {
    case .malformed:
      return InputError(file: file, line: line, path: path, message: "malformed JSON (\(f.message))")
    case .type(let expected):
      return InputError(
        file: file, line: line, path: path, field: field, message: "has the wrong type, expected \(expected)")
    case .null(let expected):
      return InputError(file: file, line: line, path: path, field: field, message: "is null, expected \(expected)")
    case .invalid(let message):
      return InputError(file: file, line: line, path: path, field: field, message: message)
    }
  }

  private static func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 10 || c == 13 || c == 9 }

  private static func isOneValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var s = JSONScanner(bytes)
    do {
      try s.skipValue()
      try s.end()
      return true
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
