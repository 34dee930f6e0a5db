import ChargebackModel
import Foundation

/// A pull scanner over the bytes of one JSON value, for the hot request-level formats.
///
/// `JSONDecoder` builds a whole tree of every line (request and response bodies included) before
/// decoding the dozen fields we keep; on 800-byte Bedrock lines that was 45 % of ingest time. This
/// scanner reads the fields a format asks for and skips the rest, while still validating that the
/// whole line is well-formed JSON, so a malformed line is rejected exactly as before.
struct JSONScanner {
  /// A scanning failure: `type` when a value had the wrong type, `invalid` when a value of the
  /// right type cannot be used (its message says why), `text` when a string holds invalid UTF-8 or
  /// an unpaired surrogate escape, otherwise malformed JSON (a duplicate key included).
  struct Failure: Error {
    enum Kind {
      case malformed, type(expected: String), null(expected: String), invalid(String), text(String)
    }
    var kind: Kind
    var offset: Int
    var message: String
    /// The field at fault when the failure knows it better than the reader's tracked field.
    var field: String?
  }

  /// The bytes scanned and the offset reached (the string lexer, `JSONScanner+Strings.swift`, reads
  /// and moves them too).
  let b: UnsafeBufferPointer<UInt8>
  var i = 0
  /// Nesting guard against hostile input.
  private var depth = 0
  /// Start and length of the member names of the objects being read, innermost last, to refuse
  /// duplicate keys; a length is stored negated when the name holds an escape.
  private var keys: [Int] = []

  init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

  func fail(_ message: String) -> Failure { Failure(kind: .malformed, offset: i, message: message) }

  mutating func skipWhitespace() {
    while i < b.count {
      let c = b[i]
      guard c == 32 || c == 10 || c == 13 || c == 9 else { return }
      i += 1
    }
  }

  /// Throws unless only whitespace remains.
  mutating func end() throws {
    skipWhitespace()
    if i != b.count { throw fail("unexpected data after the JSON value at byte \(i + 1)") }
  }

  var peek: UInt8? {
    mutating get {
      skipWhitespace()
      return i < b.count ? b[i] : nil
    }
  }

  /// The next non-blank byte, not consumed.
  mutating func next() -> UInt8? { peek }

  /// A string, or nil for `null`.
  mutating func optionalString() throws -> String? {
    try consumeNull() ? nil : string()
  }

  /// An integer, or nil for `null`.
  mutating func optionalInt64() throws -> Int64? {
    try consumeNull() ? nil : int64()
  }

  /// A count of at most `max` `unit` (a JSON number, never a string), or nil for `null`; a
  /// negative or larger number is an `invalid` failure that says so.
  mutating func optionalCount(max: Int64 = Bounds.tokens, unit: String = "tokens") throws -> Int64? {
    _ = peek
    let offset = i
    guard let v = try optionalInt64() else { return nil }
    if let problem = Bounds.countProblem(v, max: max, unit: unit) {
      throw Failure(kind: .invalid(problem), offset: offset, message: "")
    }
    return v
  }

  /// Consumes `null` if it is next.
  mutating func consumeNull() throws -> Bool {
    guard peek == UInt8(ascii: "n") else { return false }
    try literal("null")
    return true
  }

  private mutating func literal(_ word: StaticString) throws {
    let n = word.utf8CodeUnitCount
    guard i + n <= b.count else { throw fail("truncated literal") }
    for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("invalid literal at byte \(i + 1)") }
    i += n
  }

  /// Iterates the members of an object; `body` gets the raw key bytes and must consume the value.
  ///
  /// An object that names a key twice is malformed (the failure points into the second one).
  mutating func object(_ body: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
    guard peek == UInt8(ascii: "{") else { throw typeFailure("an object") }
    depth += 1
    guard depth < 128 else { throw fail("nesting too deep") }
    i += 1
    if peek == UInt8(ascii: "}") {
      i += 1
      depth -= 1
      return
    }
    let base = keys.count
    while true {
      guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name at byte \(i + 1)") }
      let keyStart = i + 1
      let (key, escaped) = try rawStringNoting()
      keys.append(keyStart)
      keys.append(escaped ? -key.count : key.count)
      guard peek == UInt8(ascii: ":") else { throw fail("expected ':' at byte \(i + 1)") }
      i += 1
      // Past the blanks first: a body that only peeks (`next()`) moves over them, and must still
      // count as not having consumed the value.
      skipWhitespace()
      let before = i
      try body(&self, key)
      if i == before { try skipValue() }
      switch peek {
      case UInt8(ascii: ","): i += 1
      case UInt8(ascii: "}"):
        i += 1
        depth -= 1
        try checkDuplicateKeys(from: base)
        keys.removeSubrange(base...)
        return
      default: throw fail("expected ',' or '}' at byte \(i + 1)")
      }
    }
  }

  /// Throws when two of the keys recorded since `base` are the same name.
  ///
  /// Small objects compare pairwise (lengths first); large ones, or ones with escaped names, compare
  /// decoded names in a set, so a hostile object of a million keys costs O(n), not O(n²).
  private func checkDuplicateKeys(from base: Int) throws {
    let n = (keys.count - base) / 2
    guard n > 1, let bytes = b.baseAddress else { return }
    // The hot path (a record's objects have a handful of keys): lengths first, then the first
    // byte, then memcmp; an escaped name (negative length) sends the object to the slow path.
    let small: Failure?? =
      n > 24
      ? .none
      : keys.withUnsafeBufferPointer { k -> Failure?? in
        guard k[base + 1] >= 0 else { return .none }
        for a in 1..<n {
          let ac = k[base + 2 * a + 1]
          guard ac >= 0 else { return .none }
          let astart = k[base + 2 * a]
          for j in 0..<a where k[base + 2 * j + 1] == ac {
            let js = k[base + 2 * j]
            if ac == 0 || (bytes[js] == bytes[astart] && memcmp(bytes + js, bytes + astart, ac) == 0) {
              return .some(duplicate(at: astart, count: ac))
            }
          }
        }
        return .some(nil)
      }
    if let checked = small {
      if let failure = checked { throw failure }
      return
    }
    var seen = Set<String>()
    for k in 0..<n {
      let start = keys[base + 2 * k]
      let count = abs(keys[base + 2 * k + 1])
      let name = (try? unescape(from: start, count: count)) ?? ""
      if !seen.insert(name).inserted { throw duplicate(at: start, count: count) }
    }
  }

  private func duplicate(at start: Int, count: Int) -> Failure {
    let name = String(decoding: UnsafeBufferPointer(rebasing: b[start..<(start + count)]), as: UTF8.self)
    let shown = name.count > 60 ? String(name.prefix(60)) + "…" : name
    return Failure(kind: .malformed, offset: start, message: "duplicate key \"\(shown)\": an object names it twice")
  }

  /// Iterates the elements of an array; `body` must consume each element.
  mutating func array(_ body: (inout JSONScanner) throws -> Void) throws {
    guard peek == UInt8(ascii: "[") else { throw typeFailure("an array") }
    depth += 1
    guard depth < 128 else { throw fail("nesting too deep") }
    i += 1
    if peek == UInt8(ascii: "]") {
      i += 1
      depth -= 1
      return
    }
    while true {
      skipWhitespace()
      let before = i
      try body(&self)
      if i == before { try skipValue() }
      switch peek {
      case UInt8(ascii: ","): i += 1
      case UInt8(ascii: "]"):
        i += 1
        depth -= 1
        return
      default: throw fail("expected ',' or ']' at byte \(i + 1)")
      }
    }
  }

  /// A string value, escapes decoded.
  mutating func string() throws -> String {
    guard peek == UInt8(ascii: "\"") else { throw typeFailure("a string") }
    let start = i + 1
    let (raw, escaped) = try rawStringNoting()
    // The bytes were checked to be UTF-8 (and the escapes well-formed) by `rawString`, so
    // `String(decoding:)` never replaces anything here.
    if !escaped { return String(decoding: raw, as: UTF8.self) }
    return try unescape(from: start, count: raw.count)
  }

  /// A whole-number value that fits in Int64: JSON number grammar, no fraction other than zeros
  /// (`12.0`), no exponent.
  ///
  /// A fraction, an exponent or a number beyond 64 bits is an `invalid` failure that says which.
  mutating func int64() throws -> Int64 {
    guard let c = peek, c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else { throw typeFailure("an integer") }
    let start = i
    let negative = c == UInt8(ascii: "-")
    if negative { i += 1 }
    guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("malformed number at byte \(start + 1)") }
    // Accumulated as a negative value, so that -2^63 is read too.
    var v: Int64 = 0
    var overflow = false
    if b[i] == 48 {
      i += 1
      if i < b.count, b[i] >= 48, b[i] <= 57 {
        throw Failure(kind: .malformed, offset: start, message: "number with a leading zero at byte \(start + 1)")
      }
    } else {
      while i < b.count, b[i] >= 48, b[i] <= 57 {
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.subtractingReportingOverflow(Int64(b[i] - 48))
        if o1 || o2 { overflow = true } else { v = s }
        i += 1
      }
    }
    var fractional = false
    if i < b.count, b[i] == UInt8(ascii: ".") {
      i += 1
      guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("malformed number at byte \(start + 1)") }
      while i < b.count, b[i] >= 48, b[i] <= 57 {
        if b[i] != 48 { fractional = true }
        i += 1
      }
    }
    var exponent = false
    if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
      try skipExponent(start)
      exponent = true
    }
    if !negative && !fractional && !exponent && !overflow && v != Int64.min { return -v }  // the common case
    let text = Self.shown(UnsafeBufferPointer(rebasing: b[start..<i]))
    if fractional { throw Failure(kind: .invalid("is not a whole number (\(text))"), offset: start, message: "") }
    if exponent {
      throw Failure(kind: .invalid("is not a whole number written in digits (\(text))"), offset: start, message: "")
    }
    if !negative {
      if v == Int64.min { overflow = true } else { v = -v }
    }
    if overflow {
      throw Failure(kind: .invalid("is out of bounds (\(text) does not fit in 64 bits)"), offset: start, message: "")
    }
    return v
  }

  /// The text of a number for a message, cut at 40 characters.
  static func shown(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    let s = String(decoding: bytes.prefix(40), as: UTF8.self)
    return bytes.count > 40 ? s + "…" : s
  }

  /// Skips any value, checking that it is well-formed.
  mutating func skipValue() throws {
    guard let c = peek else { throw fail("unexpected end of line: a value is missing") }
    switch c {
    case UInt8(ascii: "{"): try object { _, _ in }
    case UInt8(ascii: "["): try array { _ in }
    case UInt8(ascii: "\""): _ = try rawStringNoting()
    case UInt8(ascii: "t"): try literal("true")
    case UInt8(ascii: "f"): try literal("false")
    case UInt8(ascii: "n"): try literal("null")
    case UInt8(ascii: "-"), 48...57: try skipNumber()
    default: throw fail("unexpected character '\(Character(Unicode.Scalar(c)))' at byte \(i + 1)")
    }
  }

  /// Skips a number, following the JSON grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
  private mutating func skipNumber() throws {
    let start = i
    if b[i] == UInt8(ascii: "-") { i += 1 }
    guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("malformed number at byte \(start + 1)") }
    if b[i] == 48 {
      i += 1
      if i < b.count, b[i] >= 48, b[i] <= 57 {
        throw Failure(kind: .malformed, offset: start, message: "number with a leading zero at byte \(start + 1)")
      }
    } else {
      while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
    }
    if i < b.count, b[i] == UInt8(ascii: ".") {
      i += 1
      guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("malformed number at byte \(start + 1)") }
      while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
    }
    if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { try skipExponent(start) }
  }

  /// Skips `[eE][+-]?[0-9]+` at `i`.
  private mutating func skipExponent(_ start: Int) throws {
    i += 1
    if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
    guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("malformed number at byte \(start + 1)") }
    while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
  }

  mutating func typeFailure(_ expected: String) -> Failure {
    if peek == UInt8(ascii: "n") { return Failure(kind: .null(expected: expected), offset: i, message: "") }
    if peek == nil { return fail("unexpected end of line: \(expected) is missing") }
    return Failure(kind: .type(expected: expected), offset: i, message: "")
  }
}

extension UnsafeBufferPointer where Element == UInt8 {
  /// True when the bytes equal the ASCII text of `s`.
  func equals(_ s: StaticString) -> Bool {
    guard count == s.utf8CodeUnitCount else { return false }
    guard let base = baseAddress else { return count == 0 }
    return memcmp(base, s.utf8Start, count) == 0
  }
}
