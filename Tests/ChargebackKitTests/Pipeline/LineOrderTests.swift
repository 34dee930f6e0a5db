import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel

/// Lines are sorted by their positions (`sortedByKey`), not moved while sorting; the order must be
/// the one the key's `<` defines, field by field, with absent ids as empty text, and ties keep
/// their place.
@Suite struct LineOrderTests {
  /// A line whose every field is drawn from a few values, absent and empty ones included, with
  /// non-ASCII text and a canonically equivalent pair ("é" precomposed and decomposed).
  static func randomLine(_ g: inout some RandomNumberGenerator, serial: Int) -> ChargebackLine {
    let texts: [String?] = [nil, "", "a", "B", "a-1", "a_1", "é", "e\u{301}", "zz", "Ω", "10", "9"]
    func pick() -> String? { texts.randomElement(using: &g) ?? nil }
    var line = ChargebackLine(
      key: .init(
        costCentre: ["CC-1", "CC-2", "UNATTRIBUTED"].randomElement(using: &g) ?? "CC-1", agentID: pick(),
        credentialID: pick(), taskID: pick(), provider: Provider.allCases.randomElement(using: &g) ?? .openai,
        model: pick() ?? "m", tier: Tier.allCases.randomElement(using: &g) ?? .standard,
        status: AttributionStatus.allCases.randomElement(using: &g) ?? .unattributed, priced: Bool.random(using: &g),
        source: LineSource.allCases.randomElement(using: &g) ?? .request, commitmentID: pick(), ruleID: pick()))
    line.requests = Int128(serial)  // tells equal keys apart, to check that ties keep their order
    return line
  }

  @Test func theOrderIsTheKeysOrderAndTiesKeepTheirPlace() {
    var g = DemoRandom(seed: 20_261_204)  // seeded: a failure can be run again
    for size in [0, 1, 2, 50, 3_000] {
      let lines = (0..<size).map { Self.randomLine(&g, serial: $0) }
      let expected = lines.sorted { $0.key < $1.key }  // the standard library's stable sort
      let got = lines.sortedByKey()
      #expect(got.map(\.requests) == expected.map(\.requests), "\(size) lines")
      #expect(got == expected, "\(size) lines: moved whole")
    }
  }

  /// The key's `<` against a reference written from the rule (fields in order, absent ids as "",
  /// unpriced first), on every pair of 400 random keys.
  @Test func keyOrderFollowsTheRuleFieldByField() {
    func fields(_ k: ChargebackLine.Key) -> [String] {
      [
        k.costCentre, k.agentID ?? "", k.credentialID ?? "", k.taskID ?? "", k.provider.rawValue, k.model,
        k.tier.rawValue, k.status.rawValue, k.priced ? "1" : "0", k.source.rawValue, k.commitmentID ?? "",
        k.ruleID ?? "",
      ]
    }
    func reference(_ a: ChargebackLine.Key, _ b: ChargebackLine.Key) -> Bool {
      for (x, y) in zip(fields(a), fields(b)) where x != y { return x < y }
      return false
    }
    var g = DemoRandom(seed: 20_261_204)  // seeded: a failure can be run again
    let keys = (0..<400).map { Self.randomLine(&g, serial: $0).key }
    var disagreements = 0
    for a in keys {
      for b in keys where (a < b) != reference(a, b) { disagreements += 1 }
    }
    #expect(disagreements == 0)
  }

  @Test func absentAndEmptyIdsSortTogetherBeforeText() {
    func line(_ agent: String?, _ n: Int) -> ChargebackLine {
      var l = ChargebackLine(
        key: .init(
          costCentre: "CC-1", agentID: agent, provider: .openai, model: "m", tier: .standard,
          status: .agentCredential, priced: true, source: .request))
      l.requests = Int128(n)
      return l
    }
    let sorted = [line("b", 0), line(nil, 1), line("a", 2), line("", 3), line(nil, 4)].sortedByKey()
    #expect(sorted.map(\.requests) == [1, 3, 4, 2, 0])
  }
}
