import ChargebackModel
import Foundation

/// Where in a JSON export an error is, for its message: the field's JSON path inside a record,
/// and the line a document's value starts on. Only for errors: they walk bytes already read.
extension JSONLayout {
  /// An ``InputError`` for a scanning failure at `field` (nil: the record itself is malformed).
  ///
  /// `record` is the bytes the failure's offset points into: for malformed JSON and bad text the
  /// field is the JSON path at that offset (`input.inputBodyJson.messages[0].content`), since the
  /// reader's own field is only known for the values it reads.
  static func ingestError(
    _ f: JSONScanner.Failure, field: String?, file: String, line: Int?, path: String?,
    record: UnsafeBufferPointer<UInt8>? = nil
  ) -> InputError {
    let readerField = f.field ?? (field?.isEmpty == false ? field : nil)
    func located() -> String? {
      if let given = f.field { return given }
      guard let record else { return nil }
      return fieldPath(in: record, at: f.offset)
    }
    switch f.kind {
    case .malformed:
      var e = InputError(file: file, line: line, path: path, field: located(), message: "malformed JSON (\(f.message))")
      // Cut short: nothing but blanks from the failure to the record's end, or a string left open.
      if let record {
        let rest = record[min(max(f.offset, 0), record.count)...]
        e.endsEarly =
          f.message == JSONScanner.unterminated || rest.allSatisfy { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
      }
      return e
    case .text(let message):
      return InputError(file: file, line: line, path: path, field: located() ?? readerField, message: message)
    case .type(let expected):
      return InputError(
        file: file, line: line, path: path, field: readerField, message: "has the wrong type, expected \(expected)")
    case .null(let expected):
      return InputError(
        file: file, line: line, path: path, field: readerField, message: "is null, expected \(expected)")
    case .invalid(let message):
      return InputError(file: file, line: line, path: path, field: readerField, message: message)
    }
  }

  /// The JSON path, inside the value `b` holds, of the member or element at byte `offset`
  /// (`input.cacheDetails[0].ttl`); nil at the top level.
  ///
  /// Only for errors: it walks the bytes before `offset`, which the scanner has already read. A
  /// member name that `offset` points into is part of the path (a duplicate key names itself).
  static func fieldPath(in b: UnsafeBufferPointer<UInt8>, at offset: Int) -> String? {
    enum Frame {
      case object(String?)
      case array(Int)
    }
    var stack: [Frame] = []
    var keyNext = false
    var i = 0
    walk: while i < b.count, i <= offset {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        var j = i + 1
        while j < b.count, b[j] != UInt8(ascii: "\"") { j += b[j] == UInt8(ascii: "\\") ? 2 : 1 }
        if keyNext, case .object = stack.last {
          let raw = UnsafeBufferPointer(rebasing: b[(i + 1)..<min(j, b.count)])
          stack[stack.count - 1] = .object(String(decoding: raw, as: UTF8.self))
          keyNext = false
        }
        if offset <= j { break walk }
        i = j + 1
        continue
      }
      if i == offset { break }
      switch c {
      case UInt8(ascii: "{"):
        stack.append(.object(nil))
        keyNext = true
      case UInt8(ascii: "["): stack.append(.array(0))
      case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
      case UInt8(ascii: ","):
        switch stack.last {
        case .array(let n)?: stack[stack.count - 1] = .array(n + 1)
        case .object?:
          stack[stack.count - 1] = .object(nil)
          keyNext = true
        case nil: break
        }
      default: break
      }
      i += 1
    }
    var out = ""
    for frame in stack {
      switch frame {
      case .object(let key?): out += out.isEmpty ? key : "." + key
      case .object(nil): break
      case .array(let n): out += "[\(n)]"
      }
    }
    return out.isEmpty ? nil : out
  }

  /// The 1-based line on which the value at `path` (`$.data[0].results[1]`, `$[2]`) starts.
  ///
  /// Nil when the path leads to no value in the document. Only for errors.
  static func line(ofPath path: String, in data: Data) -> Int? {
    var steps: [(key: String?, index: Int?)] = []
    var rest = Substring(path)
    guard rest.first == "$" else { return nil }
    rest = rest.dropFirst()
    while let c = rest.first {
      if c == "." {
        rest = rest.dropFirst()
        let name = rest.prefix { $0 != "." && $0 != "[" }
        steps.append((String(name), nil))
        rest = rest.dropFirst(name.count)
      } else if c == "[", let close = rest.firstIndex(of: "]"),
        let n = Int(rest[rest.index(after: rest.startIndex)..<close])
      {
        steps.append((nil, n))
        rest = rest[rest.index(after: close)...]
      } else {
        return nil
      }
    }
    return data.withUnsafeBytes { raw -> Int? in
      let b = raw.bindMemory(to: UInt8.self)
      var s = JSONScanner(b)
      var found: Int?
      func walk(_ s: inout JSONScanner, _ k: Int) throws {
        if k == steps.count {
          _ = s.next()
          found = s.i
          return
        }
        if let key = steps[k].key {
          guard s.next() == UInt8(ascii: "{") else { return }
          try s.object { s, name in
            guard found == nil, String(decoding: name, as: UTF8.self) == key else { return }
            try walk(&s, k + 1)
          }
        } else if let n = steps[k].index {
          guard s.next() == UInt8(ascii: "[") else { return }
          var i = 0
          try s.array { s in
            defer { i += 1 }
            guard found == nil, i == n else { return }
            try walk(&s, k + 1)
          }
        }
      }
      try? walk(&s, 0)
      guard let offset = found else { return nil }
      var line = 1
      for k in 0..<offset where b[k] == 10 { line += 1 }
      return line
    }
  }
}
