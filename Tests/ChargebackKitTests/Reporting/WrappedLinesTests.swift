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
    // A spreadsheet breaks after a hyphen or a slash too: "arn:aws:iam::1234/" (18) is broken,
    // 12 + 6; "fin-" joins the 6 (10); "close-" starts a line, "batch/" fills it (12); "*" is a
    // fourth line. Broken only where a line is full it was 3 (35 characters), and the row cut.
    ("arn:aws:iam::1234/fin-close-batch/*", 4),
    // The same with an accented letter (measured by characters).
    ("arn:aws:iam::1234/fin-clôse-batch/*", 4),
    // "(allocated:" (11): " R-" would make 14, so a line; "R-GATEWAY" (9): " from" would make 14,
    // a line; "from" (4); "cost_centre:TAB-" (16) starts a line and is broken, 12 + 4; "CC)" joins
    // the 4: five lines.
    ("(allocated: R-GATEWAY from cost_centre:TAB-CC)", 5),
  ])
  func linesOfWrappedText(text: String, lines: Int) {
    #expect(Sheet.lines(text, width: 10) == lines)
  }
}
