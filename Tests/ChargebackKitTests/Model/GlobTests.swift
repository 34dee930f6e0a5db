import Testing

@testable import ChargebackModel

@Suite struct GlobTests {
  @Test(arguments: [
    // Literals match only themselves, over the whole string.
    ("gpt-4.1", "gpt-4.1", true),
    ("gpt-4.1", "gpt-4.1-mini", false),  // anchored at the end
    ("4.1", "gpt-4.1", false),  // anchored at the start
    ("gpt-4.1", "gpt-4", false),
    ("", "", true),
    ("", "a", false),
    ("a.b", "aXb", false),  // `.` is a literal
    ("[ab]", "a", false),  // no character classes
    ("[ab]", "[ab]", true),
    // `*` matches any run, the empty run included.
    ("gpt-4.1*", "gpt-4.1-mini-2025-04-14", true),
    ("gpt-4.1*", "gpt-4.1", true),
    ("gpt-4.1*", "gpt-4o", false),
    ("*", "", true),
    ("*", "anything at all", true),
    ("**", "x", true),
    ("a**b", "ab", true),
    ("*sonnet*", "us.anthropic.claude-sonnet-4-20250514-v1:0", true),
    ("*sonnet*", "claude-haiku-4-5", false),
    ("*-v1:0", "us.anthropic.claude-v1:0", true),
    ("*-v1:0", "us.anthropic.claude-v1:0:200k", false),
    ("a*b*c", "aXXbYYc", true),
    ("a*b*c", "aXXcYYb", false),
    ("a*a*a", "aaa", true),
    ("a*a*a", "aa", false),
    ("*ab", "aab", true),  // the star has to give back what it took
    ("*aab", "aaab", true),
    ("*a", "bbbb", false),
    // `?` matches exactly one character.
    ("?", "", false),
    ("?", "a", true),
    ("?", "ab", false),
    ("claude-?-5", "claude-4-5", true),
    ("claude-?-5", "claude-45-5", false),
    ("claude-?-5", "claude--5", false),
    ("gpt-4?-*", "gpt-4o-mini", true),
    ("??*", "a", false),
    ("??*", "ab", true),
  ])
  func matches(pattern: String, text: String, expected: Bool) {
    #expect(Glob(pattern).matches(text) == expected)
  }

  @Test(arguments: [
    ("GPT-4O*", "gpt-4o-mini"), ("gpt-4o*", "GPT-4O-MINI"), ("Claude-?-5", "cLAUDE-X-5"),
    ("*SONNET*", "us.anthropic.Claude-Sonnet-4"),
  ])
  func ignoresCase(pattern: String, text: String) {
    #expect(Glob(pattern).matches(text))
  }

  @Test func keepsThePatternAsWritten() {
    #expect(Glob("GPT-4o*").pattern == "GPT-4o*")
  }

  @Test(arguments: [
    ("gpt-4.1*", 7), ("*", 0), ("?", 0), ("**??", 0), ("", 0), ("a?b*c", 3), ("us.anthropic.claude-*", 20),
    ("gpt-4o-mini", 11),
  ])
  func literalCount(pattern: String, count: Int) {
    #expect(Glob(pattern).literalCount == count)
  }

  @Test func moreLiteralCharactersAreMoreSpecific() {
    // Both match; the alias with more literal characters is the better one.
    let broad = Glob("claude-*"), narrow = Glob("claude-sonnet-4*")
    #expect(broad.matches("claude-sonnet-4-5") && narrow.matches("claude-sonnet-4-5"))
    #expect(narrow.literalCount > broad.literalCount)
  }

  @Test(arguments: [("gpt-4o", true), ("gpt-4o*", false), ("a?b", false), ("", true), ("*", false)])
  func isLiteral(pattern: String, literal: Bool) {
    #expect(Glob(pattern).isLiteral == literal)
  }

  @Test func equalPatternsAreEqual() {
    #expect(Glob("a*") == Glob("a*"))
    #expect(Glob("a*") != Glob("b*"))
    #expect(Set([Glob("a*"), Glob("a*"), Glob("?")]).count == 2)
  }

  /// A `*` in the pattern is a wildcard also where the text has a `*` (it was once taken as a
  /// literal there, and the wildcard never tried).
  @Test func aStarInTheTextDoesNotDefeatTheWildcard() {
    #expect(Glob("*x").matches("*ax"))
    #expect(Glob("a*-x").matches("a*-y-x"))
    #expect(Glob("*").matches("***"))
    #expect(Glob("a*").matches("a*"))
    #expect(!Glob("*x").matches("*ay"))
    // Without a `*` in the text the same shapes match.
    #expect(Glob("*x").matches("+ax"))
    #expect(Glob("a*-x").matches("a+-y-x"))
  }

  /// `?` is one character, whatever its UTF-8 length, and a character matches its other canonical
  /// spellings; the specificity of a pattern counts characters.
  @Test func questionMarkIsOneCharacter() {
    #expect(Glob("caf?").matches("café"))
    #expect(Glob("caf?").matches("cafe\u{301}"))
    #expect(Glob("café-*").matches("CAFE\u{301}-model"))
    #expect(!Glob("caf??").matches("café"))
    #expect(Glob("?-🤖").matches("ü-🤖"))
    #expect(Glob("é*").literalCount == 1)
    #expect(Glob("claude-?-*").literalCount == 8)
  }
}
