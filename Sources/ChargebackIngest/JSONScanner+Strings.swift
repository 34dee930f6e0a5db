import ChargebackModel
import Foundation

/// The string lexer of ``JSONScanner``: a string's bytes checked as JSON text (escapes, surrogate
/// pairs, UTF-8) and, when it holds escapes, decoded.
extension JSONScanner {
  /// What an unterminated string is called: the record ends inside it, which in JSON Lines is a
  /// line cut short (a download or a copy that stopped) or a raw line break inside a string.
  static let unterminated =
    "unterminated string: the record ends inside it, a line cut short or a raw line break in a string"

  /// The bytes between the quotes of a string (escapes left as they are), and whether it holds an
  /// escape.
  ///
  /// Checks the whole string as JSON text: every escape well-formed, surrogate escapes paired, and
  /// the bytes valid UTF-8 (no overlong forms, no encoded surrogates, nothing above U+10FFFF).
  mutating func rawStringNoting() throws -> (UnsafeBufferPointer<UInt8>, Bool) {
    i += 1  // opening quote
    let start = i
    var escaped = false
    while i < b.count {
      // Eight bytes at a time while none needs a look: ingest reads every byte of every request and
      // response body here (callgrind, 50,000 Bedrock records: 564 M instructions byte by byte,
      // 229 M eight at a time).
      if let base = b.baseAddress {
        while i + 8 <= b.count {
          let look = Self.bytesNeedingALook(
            UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)))
          // Straight to the first byte that needs one (most strings end within the word).
          guard look == 0 else {
            i += look.trailingZeroBitCount >> 3
            break
          }
          i += 8
        }
        guard i < b.count else { break }
      }
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        let s = UnsafeBufferPointer(rebasing: b[start..<i])
        i += 1
        return (s, escaped)
      }
      if c == UInt8(ascii: "\\") {
        escaped = true
        try skipEscape()
        continue
      }
      if c < 0x20 { throw fail("control character in a string at byte \(i + 1)") }
      if c >= 0x80 {
        try skipUTF8Sequence()
        continue
      }
      i += 1
    }
    throw fail(Self.unterminated)
  }

  /// The high bit of each of the eight bytes of `w` (the first byte lowest) that ends the string
  /// or must be checked: a quote, a backslash, a control character (below 0x20) or a byte of a
  /// multi-byte UTF-8 sequence.
  ///
  /// Zero exactly when all eight are plain ASCII text, and the lowest bit set is exactly the first
  /// such byte; a bit above it may be wrong (a borrow), which does not matter: the byte loop reads
  /// on from the first.
  @inline(__always)
  static func bytesNeedingALook(_ w: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    // A byte below n (n ≤ 0x80) sets its high bit in (w − n·ones) & ~w; a byte equal to c is one
    // below 1 in w ^ c·ones.
    func below(_ x: UInt64, _ n: UInt64) -> UInt64 { (x &- n &* ones) & ~x & highs }
    let quote = below(w ^ (0x22 &* ones), 1)
    let backslash = below(w ^ (0x5C &* ones), 1)
    return (w & highs) | below(w, 0x20) | quote | backslash
  }

  /// Moves over one escape at `i` (the backslash), checking it.
  private mutating func skipEscape() throws {
    let at = i
    guard i + 1 < b.count else { throw fail(Self.unterminated) }
    switch b[i + 1] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
      UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      i += 2
    case UInt8(ascii: "u"):
      let v = try hex4(i + 2)
      i += 6
      if (0xDC00..<0xE000).contains(v) { throw unpaired(at) }
      guard (0xD800..<0xDC00).contains(v) else { return }
      // A high surrogate must be followed by an escaped low one.
      guard i < b.count else { throw fail(Self.unterminated) }
      guard b[i] == UInt8(ascii: "\\") else { throw unpaired(at) }
      guard i + 1 < b.count else { throw fail(Self.unterminated) }
      guard b[i + 1] == UInt8(ascii: "u") else { throw unpaired(at) }
      let low = try hex4(i + 2)
      guard (0xDC00..<0xE000).contains(low) else { throw unpaired(at) }
      i += 6
    default:
      let e = b[i + 1]
      let shown = e < 0x80 ? String(Character(Unicode.Scalar(e))) : String(format: "\\x%02X", e)
      throw Failure(kind: .malformed, offset: at, message: "bad escape '\\\(shown)' at byte \(at + 1)")
    }
  }

  private func unpaired(_ at: Int) -> Failure {
    // Named as U+XXXX, not as its `\uXXXX`: an error's text is escaped for the terminal, and the
    // backslash then showed doubled, which reads as another value (a trial).
    let digits = String(
      decoding: UnsafeBufferPointer(rebasing: b[min(at + 2, b.count)..<min(at + 6, b.count)]), as: UTF8.self)
    return Failure(
      kind: .text(
        "holds an unpaired surrogate escape (U+\(digits.uppercased()) at byte \(at + 1)), which is no character"),
      offset: at, message: "")
  }

  /// The value of four hex digits at `at`; malformed when they are missing or not hex.
  private func hex4(_ at: Int) throws -> UInt32 {
    guard at + 4 <= b.count else { throw Failure(kind: .malformed, offset: at, message: Self.unterminated) }
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

  /// Moves over one multi-byte UTF-8 sequence at `i`, checking it (Unicode Table 3-7).
  private mutating func skipUTF8Sequence() throws {
    let c = b[i]
    let n: Int
    var lo: UInt8 = 0x80
    var hi: UInt8 = 0xBF
    switch c {
    case 0xC2...0xDF: n = 2
    case 0xE0:
      n = 3
      lo = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: n = 3
    case 0xED:
      n = 3
      hi = 0x9F
    case 0xF0:
      n = 4
      lo = 0x90
    case 0xF1...0xF3: n = 4
    case 0xF4:
      n = 4
      hi = 0x8F
    default: throw invalidUTF8(i)
    }
    guard i + n <= b.count else {
      // Cut short by the end of the buffer: invalid unless more bytes could follow in a string.
      throw i + 1 < b.count && !(lo...hi).contains(b[i + 1]) ? invalidUTF8(i) : fail(Self.unterminated)
    }
    guard (lo...hi).contains(b[i + 1]) else { throw invalidUTF8(i) }
    for k in 2..<n where b[i + k] & 0xC0 != 0x80 { throw invalidUTF8(i) }
    i += n
  }

  private func invalidUTF8(_ at: Int) -> Failure {
    return Failure(
      kind: .text("holds invalid UTF-8 (byte 0x\(String(format: "%02X", b[at])) at byte \(at + 1))"), offset: at,
      message: "")
  }

  /// Decodes the escapes of a string already checked by `rawStringNoting`.
  func unescape(from start: Int, count: Int) throws -> String {
    var out: [UInt8] = []
    out.reserveCapacity(count)
    var k = start
    let end = start + count
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
        if (0xD800..<0xDC00).contains(scalar), k + 6 <= end {
          let low = try hex4(k + 2)
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          k += 6
        }
        guard let u = Unicode.Scalar(scalar) else { throw unpaired(k - 6) }
        UTF8.encode(u) { out.append($0) }
      default:
        throw Failure(kind: .malformed, offset: k - 1, message: "bad escape '\\\(Character(Unicode.Scalar(e)))'")
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
