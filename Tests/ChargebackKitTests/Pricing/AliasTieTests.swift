import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackTestSupport

/// Aliases that tie (two patterns of one provider that match one raw name with as many literal
/// characters each) must map to the same model: the table is refused otherwise, as
/// `pricing/README.md` promises, since file order would settle the tie in silence.
@Suite struct AliasTieTests {
  /// `Glob.overlaps` against brute force: every pair of patterns up to three characters over
  /// `a`, `b`, `*` and `?`, and every text up to six characters over `a`, `b` and `c` (two such
  /// patterns that share a text share one of at most six characters).
  @Test func overlapsAgreesWithBruteForce() {
    let alphabet: [Character] = ["a", "b", "*", "?"]
    var patterns = [""]
    var frontier = [""]
    for _ in 0..<3 {
      frontier = frontier.flatMap { p in alphabet.map { p + String($0) } }
      patterns += frontier
    }
    var texts = [""]
    frontier = [""]
    for _ in 0..<6 {
      frontier = frontier.flatMap { t in ["a", "b", "c"].map { t + $0 } }
      texts += frontier
    }
    let globs = patterns.map(Glob.init)
    let matched = globs.map { g in Set(texts.indices.filter { g.matches(texts[$0]) }) }
    var disagreements: [String] = []
    for i in globs.indices {
      for j in globs.indices {
        let brute = !matched[i].isDisjoint(with: matched[j])
        if globs[i].overlaps(globs[j]) != brute { disagreements.append("\(patterns[i]) ~ \(patterns[j]): \(brute)") }
      }
    }
    #expect(disagreements.count == 0, "first disagreements: \(disagreements.prefix(10))")
  }

  @Test(arguments: [
    ("claude-?", "claude-??", false), ("a*", "*b", true), ("x*y", "*z*", true), ("AMB-X", "amb-x", true),
    ("caf\u{E9}-m", "cafe\u{301}-m", true), ("gpt-4o-20??-??-??", "gpt-4o-mini-20??-??-??", false),
  ])
  func namedCases(a: String, b: String, overlap: Bool) {
    #expect(Glob(a).overlaps(Glob(b)) == overlap)
    #expect(Glob(b).overlaps(Glob(a)) == overlap)
  }

  func load(_ aliases: String) throws -> PriceTable {
    let dir = try TestSupport.tempDir()
    try "provider,pattern,model\n\(aliases)".write(toFile: dir + "/aliases.csv", atomically: true, encoding: .utf8)
    return try PriceTable(directory: dir)
  }

  /// Ties to two models are refused, naming the later row's file, line and field and the earlier
  /// row; one spelling of each kind: case, canonical equivalence, and wildcards in other places.
  @Test(arguments: [
    "bedrock,AMB2-X,nova-lite\nbedrock,amb2-x,nova-pro\n",
    "bedrock,caf\u{E9}-m,nova-lite\nbedrock,cafe\u{301}-m,nova-pro\n",
    "bedrock,amb-?x,nova-lite\nbedrock,amb-x?,nova-pro\n",
  ])
  func aTieToTwoModelsIsRefused(aliases: String) throws {
    let error = try #require(throws: InputError.self) { try load(aliases) }
    #expect(error.line == 3)
    #expect(error.field == "pattern")
    #expect(error.file.hasSuffix("aliases.csv"))
    #expect(error.description.contains("aliases.csv:2"), "\(error.description)")
  }

  /// Allowed: a tie to the same model, overlapping patterns of which one is more specific (it wins),
  /// the same pattern for two providers, and patterns that share no name.
  @Test func aliasesThatDoNotTieLoad() throws {
    let table = try load(
      """
      bedrock,amb-?x,nova-lite
      bedrock,amb-x?,nova-lite
      openai,gpt-4o*,gpt-4o
      openai,gpt-4o-mini*,gpt-4o-mini
      anthropic,amb-?x,claude-x
      openai,o1-20??-??-??,o1
      openai,o3-20??-??-??,o3

      """)
    #expect(table.canonicalModel(provider: .openai, raw: "gpt-4o-mini-2024-07-18") == "gpt-4o-mini")
    #expect(table.canonicalModel(provider: .openai, raw: "gpt-4o-2024-08-06") == "gpt-4o")
    #expect(table.canonicalModel(provider: .bedrock, raw: "amb-xx") == "nova-lite")
  }
}
