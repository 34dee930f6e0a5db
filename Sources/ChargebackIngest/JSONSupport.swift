import ChargebackModel
import ChargebackSupport
import Foundation

/// Helpers shared by the JSON-based formats: decoding with errors that name file, line and field.
enum JSONSupport {
  /// Decodes one JSON value; a failure becomes an ``InputError`` naming the line or record path
  /// and the field (`input.inputTokenCount`).
  ///
  /// The bytes are checked with ``JSONScanner`` first (``validate(_:file:line:path:)``), so what
  /// `JSONDecoder` lets pass (duplicate keys, invalid UTF-8, unpaired surrogates) is refused too.
  static func decode<T: Decodable>(
    _ type: T.Type, from data: Data, file: String, line: Int? = nil, path: String? = nil
  ) throws -> T {
    try validate(data, file: file, line: line, path: path)
    do {
      return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
      throw ingestError(error, file: file, line: line, path: path)
    }
  }

  /// Throws an ``InputError`` unless `data` is a sequence of well-formed JSON values.
  ///
  /// That is the JSON grammar, strings of valid UTF-8 with paired surrogate escapes, and objects
  /// without duplicate keys. The error names the line (counted from `line`, or from 1) and the field.
  static func validate(_ data: Data, file: String, line: Int? = nil, path: String? = nil) throws {
    try data.withUnsafeBytes { raw in
      let b = raw.bindMemory(to: UInt8.self)
      var s = JSONScanner(b)
      do {
        while s.next() != nil { try s.skipValue() }
      } catch let f as JSONScanner.Failure {
        var newlines = 0
        for k in 0..<min(f.offset, b.count) where b[k] == 10 { newlines += 1 }
        let at = line.map { $0 + newlines } ?? (newlines + 1)
        throw JSONLayout.ingestError(f, field: nil, file: file, line: at, path: path, record: b)
      }
    }
  }

  /// Turns a `DecodingError` into an ``InputError``.
  static func ingestError(_ error: DecodingError, file: String, line: Int?, path: String?) -> InputError {
    func field(_ codingPath: [any CodingKey], _ extra: (any CodingKey)? = nil) -> String? {
      var keys = codingPath
      if let extra { keys.append(extra) }
      guard !keys.isEmpty else { return nil }
      var s = ""
      for k in keys {
        if let i = k.intValue {
          s += "[\(i)]"
        } else {
          s += s.isEmpty ? k.stringValue : "." + k.stringValue
        }
      }
      return s
    }
    switch error {
    case .keyNotFound(let key, let ctx):
      return InputError(
        file: file, line: line, path: path, field: field(ctx.codingPath, key), message: "required field is missing")
    case .valueNotFound(let type, let ctx):
      return InputError(
        file: file, line: line, path: path, field: field(ctx.codingPath), message: "is null, expected \(describe(type))"
      )
    case .typeMismatch(let type, let ctx):
      return InputError(
        file: file, line: line, path: path, field: field(ctx.codingPath),
        message: "has the wrong type, expected \(describe(type))")
    case .dataCorrupted(let ctx):
      let detail = ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription
      let f = field(ctx.codingPath)
      return InputError(
        file: file, line: line, path: path, field: f,
        message: f == nil ? "malformed JSON (\(shorten(detail)))" : shorten(ctx.debugDescription))
    @unknown default:
      return InputError(file: file, line: line, path: path, message: "\(error)")
    }
  }

  private static func describe(_ type: Any.Type) -> String {
    switch type {
    case is Int64.Type, is Int.Type: "an integer"
    case is String.Type: "a string"
    case is Bool.Type: "true or false"
    default: "\(type)"
    }
  }

  private static func shorten(_ s: String) -> String {
    s.count > 160 ? String(s.prefix(160)) + "…" : s
  }
}

extension Optional where Wrapped == String {
  /// nil for nil, empty or whitespace-only strings.
  var nonEmpty: String? {
    guard let s = self?.trimmingCharacters(in: .blanks), !s.isEmpty else { return nil }
    return s
  }
}
