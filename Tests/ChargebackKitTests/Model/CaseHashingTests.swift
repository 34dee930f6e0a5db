import Testing

@testable import ChargebackModel

/// The map-key enums hash their case tag instead of their raw text (`CaseHashing.swift`); that is
/// sound only while each case has its own one-byte tag and equal values hash alike.
@Suite struct CaseHashingTests {
  /// Every case of `E`: one byte in memory, a tag of its own, hashed by its case (not by its raw
  /// text), alike for a copy rebuilt from its raw text, and apart from the other cases in a set.
  private func check<E: RawRepresentable & Hashable & CaseIterable>(_: E.Type) where E.RawValue == String {
    let cases = Array(E.allCases)
    #expect(MemoryLayout<E>.size == 1)
    let tags = cases.map { c in withUnsafeBytes(of: c) { Array($0) } }
    #expect(Set(tags).count == cases.count, "two cases share a tag in \(E.self)")
    for c in cases {
      var byCase = Hasher()
      byCase.combineCase(c)
      // Fails if the type falls back to the standard library's default (its raw text).
      #expect(c.hashValue == byCase.finalize(), "\(E.self).\(c) does not hash its case")
      let rebuilt = E(rawValue: String(c.rawValue.utf8.map { Character(UnicodeScalar($0)) }))
      #expect(rebuilt == c)
      #expect(rebuilt?.hashValue == c.hashValue, "\(c) hashes unlike its copy")
    }
    var counts: [E: Int] = [:]
    for c in cases + cases { counts[c, default: 0] += 1 }
    #expect(counts.count == cases.count && counts.values.allSatisfy { $0 == 2 })
  }

  /// A token class's rank is its place in `allCases` (arrays by class are indexed by it).
  @Test func tokenClassRankIsItsPlaceAmongTheCases() {
    #expect(TokenClass.allCases.map(\.rank) == Array(0..<TokenClass.allCases.count))
  }

  @Test func everyKeyEnumHashesItsCase() {
    check(Provider.self)
    check(SourceLevel.self)
    check(Tier.self)
    check(TokenClass.self)
    check(AttributionStatus.self)
    check(LineSource.self)
    check(FindingKind.self)
    check(Severity.self)
  }
}
