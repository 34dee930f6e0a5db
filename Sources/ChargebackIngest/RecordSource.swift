import ChargebackModel
import ChargebackSupport
import Foundation

/// The text of one stored record in its source file, for `chargeback explain`: the line of a JSON
/// Lines or CSV record, or the element at the record's JSON path inside a document (an API page, a
/// JSON array, one OTLP export).
package enum RecordSource {
  /// The record's source text, or nil when the file no longer holds it (moved, changed).
  ///
  /// `line` is 1-based; `jsonPath` is `$`, `.name` and `[index]` steps (`$.data[0].results[2]`).
  package static func text(path: String, line: Int?, jsonPath: String?) throws -> String? {
    let file = InputFile(path: path)
    if let line, let raw = try physicalLine(file, line) {
      guard let jsonPath else {
        // A record pretty-printed over several lines starts with a line that is not a whole value.
        let t = raw.trimmingCharacters(in: .blanks)
        guard t.hasPrefix("{") || t.hasPrefix("["), element(at: "$", in: Array(raw.utf8)) == nil else { return raw }
        return try valueStarting(atLine: line, in: file) ?? raw
      }
      // A line that is a whole JSON value holds the record (JSON Lines; one OTLP export per line).
      if let element = element(at: jsonPath, in: Array(raw.utf8)) { return element }
    }
    guard let jsonPath else { return nil }
    let data = try file.readAll()
    return element(at: jsonPath, in: [UInt8](data))
  }

  /// The JSON value that starts on `line` (1-based) of a document, on one line.
  private static func valueStarting(atLine line: Int, in file: InputFile) throws -> String? {
    let bytes = [UInt8](try file.readAll())
    var offset = 0
    var n = 1
    while n < line {
      guard let nl = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
      offset = nl + 1
      n += 1
    }
    return bytes.withUnsafeBufferPointer { b -> String? in
      var s = JSONScanner(UnsafeBufferPointer(rebasing: b[offset...]))
      _ = s.next()
      let start = s.i
      guard (try? s.skipValue()) != nil else { return nil }
      return minified(UnsafeBufferPointer(rebasing: b[(offset + start)..<(offset + s.i)]))
    }
  }

  private static func physicalLine(_ file: InputFile, _ line: Int) throws -> String? {
    var found: String?
    struct Stop: Error {}
    do {
      try file.forEachLine { n, bytes in
        if n == line {
          found = String(decoding: bytes, as: UTF8.self)
          throw Stop()
        }
        if n > line { throw Stop() }
      }
    } catch is Stop {}
    return found
  }

  /// One step of a JSON path.
  private enum Step: Equatable {
    case member(String)
    case index(Int)
  }

  private static func steps(_ path: String) -> [Step]? {
    guard path.hasPrefix("$") else { return nil }
    var out: [Step] = []
    var rest = Substring(path.dropFirst())
    while let c = rest.first {
      if c == "." {
        rest = rest.dropFirst()
        let name = rest.prefix { $0 != "." && $0 != "[" }
        guard !name.isEmpty else { return nil }
        out.append(.member(String(name)))
        rest = rest.dropFirst(name.count)
      } else if c == "[" {
        guard let close = rest.firstIndex(of: "]"), let n = Int(rest[rest.index(after: rest.startIndex)..<close])
        else { return nil }
        out.append(.index(n))
        rest = rest[rest.index(after: close)...]
      } else {
        return nil
      }
    }
    return out
  }

  /// The raw text of the value at `path` in the JSON `bytes`; nil when the path does not lead to one.
  static func element(at path: String, in bytes: [UInt8]) -> String? {
    guard let steps = steps(path) else { return nil }
    return bytes.withUnsafeBufferPointer { b -> String? in
      var s = JSONScanner(b)
      var range: Range<Int>?
      func walk(_ s: inout JSONScanner, _ k: Int) throws {
        if k == steps.count {
          _ = s.next()
          let start = s.i
          try s.skipValue()
          range = start..<s.i
          return
        }
        switch steps[k] {
        case .member(let name):
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, key in
            guard range == nil, String(decoding: key, as: UTF8.self) == name else { return }
            try walk(&s, k + 1)
          }
        case .index(let n):
          guard s.next() == UInt8(ascii: "[") else { return try s.skipValue() }
          var i = 0
          try s.array { s in
            defer { i += 1 }
            guard range == nil, i == n else { return }
            try walk(&s, k + 1)
          }
        }
      }
      do { try walk(&s, 0) } catch { return nil }
      return range.map { minified(UnsafeBufferPointer(rebasing: b[$0])) }
    }
  }

  /// JSON text without the blanks between tokens, so a pretty-printed record shows on one line.
  private static func minified(_ b: UnsafeBufferPointer<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var inString = false
    var escaped = false
    for c in b {
      if inString {
        out.append(c)
        if escaped {
          escaped = false
        } else if c == UInt8(ascii: "\\") {
          escaped = true
        } else if c == UInt8(ascii: "\"") {
          inString = false
        }
      } else if c == UInt8(ascii: "\"") {
        inString = true
        out.append(c)
      } else if c != UInt8(ascii: " "), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r"), c != UInt8(ascii: "\t") {
        out.append(c)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
