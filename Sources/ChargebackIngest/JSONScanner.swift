import Foundation

/// A pull scanner over the bytes of one JSON value, for the hot request-level formats.
///
/// `JSONDecoder` builds a whole tree of every line (request and response bodies included) before
/// decoding the dozen fields we keep; on 800-byte Bedrock lines that was 45 % of ingest time. This
/// scanner reads the fields a format asks for and skips the rest, while still validating that the
/// whole line is well-formed JSON, so a malformed line is rejected exactly as before.
struct JSONScanner {
  /// A scanning failure: `type` when a value had the wrong type, `invalid` when a value of the
  /// right type cannot be used (its message says why), otherwise malformed JSON.
  struct Failure: Error {
    enum Kind { case malformed, type(expected: String), null(expected: String), invalid(String) }
    var kind: Kind
    var offset: Int
    var message: String
    /// The field at fault when the failure knows it better than the reader's tracked field.
    var field: String?
  }

  private let b: UnsafeBufferPointer<UInt8>
  private(set) var i = 0
  /// Nesting guard against hostile input.
  private var depth = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

  private func fail(_ message: String) -> Failure { Failure(kind: .malformed, offset: i, message: message) }

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

  private var peek: UInt8? {
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
    while true {
      guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name at byte \(i + 1)") }
      let key = try rawString()
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
        return
      default: throw fail("expected ',' or '}' at byte \(i + 1)")
      }
    }
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
    let raw = try rawString()
    if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw, as: UTF8.self) }
    return try unescape(from: start, count: raw.count)
  }

  /// A whole-number value (no fraction, no exponent) that fits in Int64.
  mutating func int64() throws -> Int64 {
    guard let c = peek, c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else { throw typeFailure("an integer") }
    var negative = false
    if c == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    var v: Int64 = 0
    var digits = 0
    while i < b.count, b[i] >= 48, b[i] <= 57 {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int64(b[i] - 48))
      if o1 || o2 { throw Failure(kind: .type(expected: "an integer within 64 bits"), offset: i, message: "") }
      v = s
      i += 1
      digits += 1
    }
    guard digits > 0 else { throw fail("malformed number at byte \(i + 1)") }
    if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
      // A JSON number with a fraction or exponent: whole values (12.0) are accepted.
      var j = i
      if b[j] == UInt8(ascii: ".") {
        j += 1
        while j < b.count, b[j] == 48 { j += 1 }
        if j < b.count, b[j] >= 49, b[j] <= 57 {
          throw Failure(kind: .type(expected: "an integer"), offset: i, message: "")
        }
        if j < b.count, b[j] == UInt8(ascii: "e") || b[j] == UInt8(ascii: "E") {
          throw Failure(kind: .type(expected: "an integer"), offset: i, message: "")
        }
        i = j
      } else {
        throw Failure(kind: .type(expected: "an integer"), offset: i, message: "")
      }
    }
    return negative ? -v : v
  }

  /// Skips any value, checking that it is well-formed.
  mutating func skipValue() throws {
    guard let c = peek else { throw fail("unexpected end of line: a value is missing") }
    switch c {
    case UInt8(ascii: "{"): try object { _, _ in }
    case UInt8(ascii: "["): try array { _ in }
    case UInt8(ascii: "\""): _ = try rawString()
    case UInt8(ascii: "t"): try literal("true")
    case UInt8(ascii: "f"): try literal("false")
    case UInt8(ascii: "n"): try literal("null")
    case UInt8(ascii: "-"), 48...57: try skipNumber()
    default: throw fail("unexpected character '\(Character(Unicode.Scalar(c)))' at byte \(i + 1)")
    }
  }

  private mutating func skipNumber() throws {
    let start = i
    if b[i] == UInt8(ascii: "-") { i += 1 }
    var digits = 0
    while i < b.count, b[i] >= 48, b[i] <= 57 {
      i += 1
      digits += 1
    }
    if i < b.count, b[i] == UInt8(ascii: ".") {
      i += 1
      while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
    }
    if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
      i += 1
      if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
      while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
    }
    if digits == 0 { throw Failure(kind: .malformed, offset: start, message: "malformed number at byte \(start + 1)") }
  }

  /// The bytes between the quotes of a string (escapes left as they are).
  private mutating func rawString() throws -> UnsafeBufferPointer<UInt8> {
    i += 1  // opening quote
    let start = i
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        let s = UnsafeBufferPointer(rebasing: b[start..<i])
        i += 1
        return s
      }
      if c == UInt8(ascii: "\\") {
        i += 2
        continue
      }
      if c < 0x20 { throw fail("control character in a string at byte \(i + 1)") }
      i += 1
    }
    throw fail("unterminated string")
  }

  private func unescape(from start: Int, count: Int) throws -> String {
    var out: [UInt8] = []
    out.reserveCapacity(count)
    var k = start
    let end = start + count
    func hex4(_ at: Int) throws -> UInt32 {
      guard at + 4 <= end else { throw Failure(kind: .malformed, offset: at, message: "bad \\u escape") }
      var v: UInt32 = 0
      for j in at..<(at + 4) {
        let c = b[j]
        let d: UInt8
        switch c {
        case 48...57: d = c - 48
        case 65...70: d = c - 55
        case 97...102: d = c - 87
        default: throw Failure(kind: .malformed, offset: j, message: "bad \\u escape at byte \(j + 1)")
        }
        v = v << 4 | UInt32(d)
      }
      return v
    }
    while k < end {
      let c = b[k]
      guard c == UInt8(ascii: "\\") else {
        out.append(c)
        k += 1
        continue
      }
      guard k + 1 < end else { throw Failure(kind: .malformed, offset: k, message: "bad escape") }
      let e = b[k + 1]
      k += 2
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "u"):
        var scalar = try hex4(k)
        k += 4
        if (0xD800..<0xDC00).contains(scalar), k + 6 <= end, b[k] == UInt8(ascii: "\\"), b[k + 1] == UInt8(ascii: "u") {
          let low = try hex4(k + 2)
          if (0xDC00..<0xE000).contains(low) {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            k += 6
          }
        }
        let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default:
        throw Failure(kind: .malformed, offset: k - 1, message: "bad escape '\\\(Character(Unicode.Scalar(e)))'")
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  private mutating func typeFailure(_ expected: String) -> Failure {
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
