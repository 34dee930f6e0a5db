import Testing

@testable import ChargebackReporting

/// How many lines a wrapped cell takes (its row height): width 10 holds 12 characters a line.
@Suite struct WrappedLinesTests {
  @Test(arguments: [
    ("", 1),
    ("short", 1),
    (String(repeating: "x", count: 12), 1),
    // 12 two-byte characters: 24 bytes, still 12 characters, one line.
    (String(repeating: "é", count: 12), 1),
    (String(repeating: "é", count: 13), 2),
    // aaaa bbbb (9) then cccc would make 14: a second line.
    ("aaaa bbbb cccc", 2),
    // One 30-character word is broken: 12 + 12 + 6.
    (String(repeating: "w", count: 30), 3),
    // A 20-character ARN-like word after a short one: "ab" alone, then 12 + 8.
    ("ab " + String(repeating: "r", count: 20), 3),
    // The same words with one accented letter (measured by characters, not bytes): the same lines.
    ("ab " + String(repeating: "r", count: 19) + "é", 3),
    ("aaaa bbbb ccçc", 2),
    // Spaces count; an empty word between two spaces is kept.
    ("aaaaa  bbbbb  ccccc", 2),
  ])
  func linesOfWrappedText(text: String, lines: Int) {
    #expect(Sheet.lines(text, width: 10) == lines)
  }
}
