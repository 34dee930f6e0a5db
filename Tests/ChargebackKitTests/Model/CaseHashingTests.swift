import Testing

@testable import ChargebackModel

/// The map-key enums hash their case tag instead of their raw text (`CaseHashing.swift`); that is
/// sound only while each case has its own one-byte tag and equal values hash alike.
@Suite struct CaseHashingTests {
  /// Every case of `cases`: one byte in memory, a tag of its own, the hash of the value rebuilt
  /// from its raw text, and a set of all of them as large as the list.
  private func check<E: RawRepresentable & Hashable>(_ cases: [E]) where E.RawValue == String {
    #expect(MemoryLayout<E>.size == 1)
    let tags = cases.map { c in withUnsafeBytes(of: c) { Array($0) } }
    #expect(Set(tags).count == cases.count, "two cases share a tag in \(E.self)")
    for c in cases {
      let rebuilt = E(rawValue: String(c.rawValue.utf8.map { Character(UnicodeScalar($0)) }))
      #expect(rebuilt == c)
      #expect(rebuilt?.hashValue == c.hashValue, "\(c) hashes unlike its copy")
      var hasher = Hasher()
      hasher.combine(c.rawValue)
      var byCase = Hasher()
      byCase.combineCase(c)
      // Not the raw text's hash (that was the slow default); the chance of a clash is 2^-64.
      #expect(hasher.finalize() != byCase.finalize())
    }
    #expect(Set(cases).count == cases.count)
    // Equal values as dictionary keys land together; distinct ones apart.
    var counts: [E: Int] = [:]
    for c in cases + cases { counts[c, default: 0] += 1 }
    #expect(counts.count == cases.count && counts.values.allSatisfy { $0 == 2 })
  }

  @Test func everyKeyEnumHashesItsCase() {
    check(Provider.allCases)
    check([SourceLevel.request, .report, .cost])
    check(Tier.allCases)
    check(TokenClass.allCases)
    check(AttributionStatus.allCases)
    check(LineSource.allCases)
    check(FindingKind.allCases)
    check([Severity.low, .medium, .high, .critical])
  }
}
