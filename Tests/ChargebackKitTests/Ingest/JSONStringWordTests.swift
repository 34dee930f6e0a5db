import Testing

@testable import ChargebackIngest

/// The string lexer reads eight plain bytes at a time: every byte that ends or must check a string,
/// at every offset from its start and across the end of a word, is still seen.
@Suite struct JSONStringWordTests {
  /// The byte-by-byte rule the word test stands for: the place of the first byte (the lowest) that
  /// needs a look, nil when none does.
  static func firstNeedingALook(_ w: UInt64) -> Int? {
    (0..<8).first { k in
      let c = UInt8(truncatingIfNeeded: w >> (8 * UInt64(k)))
      return c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80
    }
  }

  /// The word test's answer in the same terms.
  static func firstByWord(_ w: UInt64) -> Int? {
    let look = JSONScanner.bytesNeedingALook(w)
    return look == 0 ? nil : look.trailingZeroBitCount >> 3
  }

  /// Each byte value at each of the eight places among plain text, and random words (of bytes
  /// drawn mostly from the edges: 0x1F/0x20, 0x21–0x23, 0x5B–0x5D, 0x7F/0x80, 0xFF): the first
  /// byte that needs a look is found exactly.
  @Test func theWordTestIsExact() {
    for place in 0..<8 {
      for value in 0...255 {
        var w: UInt64 = 0x6161_6161_6161_6161  // "aaaaaaaa"
        w &= ~(0xFF << (8 * UInt64(place)))
        w |= UInt64(value) << (8 * UInt64(place))
        #expect(Self.firstByWord(w) == Self.firstNeedingALook(w), "byte \(value) at \(place)")
      }
    }
    let edges: [UInt8] = [
      0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5B, 0x5C, 0x5D, 0x61, 0x7E, 0x7F, 0x80, 0xC3, 0xFF,
    ]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      var w: UInt64 = 0
      for k in 0..<8 {
        let c: UInt8 = Bool.random(using: &generator) ? edges.randomElement(using: &generator)! : 0x61
        w |= UInt64(c) << (8 * UInt64(k))
      }
      #expect(Self.firstByWord(w) == Self.firstNeedingALook(w), "word \(String(w, radix: 16))")
    }
  }

  /// A string whose special part (an escape, a multi-byte character, a control character, invalid
  /// UTF-8, its end) comes after 0 to 17 plain bytes reads as byte by byte: the same text, or the
  /// same failure at the same byte.
  @Test(arguments: [
    (#"\n"#, Optional("\n")), (#"\u00e9"#, "é"), ("é", "é"), ("😀", "😀"), (#"\""#, "\""), ("", ""),
    ("\u{1}", nil), ("\u{7F}", "\u{7F}"),
  ])
  func specialBytesAtEveryOffset(special: String, decoded: String?) throws {
    for before in 0...17 {
      for after in [0, 1, 7, 8, 9] {
        let plain = String(repeating: "a", count: before)
        let tail = String(repeating: "b", count: after)
        let text = "\"" + plain + special + tail + "\""
        if let decoded {
          #expect(try scan(text) { try $0.string() } == plain + decoded + tail, "\(before) + \(after)")
        } else {
          let f = failure(text) { _ = try $0.string() }
          #expect(f?.message.contains("control character in a string at byte \(before + 2)") == true, "\(before)")
        }
      }
    }
    // Invalid UTF-8 (a lone continuation byte) at every offset is refused, naming its byte.
    for before in 0...17 {
      let bytes =
        [0x22] + [UInt8](repeating: 0x61, count: before) + [0x80] + [UInt8](repeating: 0x62, count: 9) + [0x22]
      let message = badText(failure(bytes) { _ = try $0.string() })
      #expect(message?.contains("invalid UTF-8 (byte 0x80 at byte \(before + 2))") == true, "\(before)")
    }
    // A string cut off by the end of the input, with 0 to 17 plain bytes, is unterminated.
    for before in 0...17 {
      let f = failure("\"" + String(repeating: "a", count: before)) { _ = try $0.string() }
      #expect(f?.message.contains("unterminated string") == true, "\(before)")
    }
  }
}
