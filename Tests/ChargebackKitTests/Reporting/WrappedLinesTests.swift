import Testing

@testable import ChargebackReporting

/// How many lines a wrapped cell takes (its row height), measured in digits of Calibri 11.
///
/// A column `width` wide holds `width` − 0.6 digits' width; a digit counts 1.05 (its advance,
/// plus 5 %): width 10 holds 8 digits a line (8.4 ≤ 9.4; 9 make 9.45). A word too long for a line
/// is broken, each line then holding at least the capacity less two digits.
@Suite struct WrappedLinesTests {
  @Test(arguments: [
    ("", 10.0, 1),
    ("12345678", 10, 1),
    ("123456789", 10, 2),
    // 4.2 + a space (0.47) + 4.2 = 8.87 fits; the third word makes 13.5: a second line.
    ("1234 5678 9012", 10, 2),
    // 30 digits (31.5): broken to 24.1, 16.7 and 9.3 (which fits): four lines; eight a line,
    // 30 ÷ 8 is four lines too.
    (String(repeating: "7", count: 30), 10, 4),
    // Nine CJK characters, two digits each (18): four a line, three lines.
    ("会計部門の共有費用", 10, 3),
    // A trial's ARN in the 20-wide Credential column of Findings (capacity 19.4): its first
    // piece "arn:aws:sts::111122223333:assumed-" is 31.88 wide (twelve digits, 12.6, most of
    // it), broken to 14.48; "role/" (4.12) joins it (18.60); "shared/" (6.53) starts a third line,
    // and "*" (1.03) joins it. Counted as characters at 1.2 a digit it was two lines, and the
    // row cut "shared/*" off the printout.
    ("arn:aws:sts::111122223333:assumed-role/shared/*", 20, 3),
    // A line break in made text starts a line.
    ("ab\ncd", 10, 2),
  ])
  func linesOfWrappedText(text: String, width: Double, lines: Int) {
    #expect(Sheet.lines(text, width: width) == lines)
  }

  /// Letters are narrower than digits, capitals and `m`/`w` wider: twelve `i` fit where nine
  /// digits do not, and eight `W` (1.84 each) take two lines.
  @Test func widthsFollowTheFont() {
    #expect(Sheet.lines(String(repeating: "i", count: 12), width: 10) == 1)
    #expect(Sheet.lines(String(repeating: "W", count: 8), width: 10) == 2)
  }
}
