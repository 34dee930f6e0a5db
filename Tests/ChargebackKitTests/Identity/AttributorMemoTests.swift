import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackModel

/// The attribution memo under per-call session names (issue 11): sessions share their row's
/// entry, answers never mix, and the longest prefix wins among many rows.
@Suite struct AttributorMemoTests {
  /// Sessions under one prefix row share its memo entry; a warm attributor, asked about sessions
  /// of every kind in turn (prefix rows, the exact row, unregistered roles, claimed agents), answers
  /// as a fresh one does, and an unregistered session is shown as its role.
  @Test func sessionsShareTheirRowsMemoWithoutMixingAnswers() throws {
    let warm = try AttributorFixture.attributor()
    let other = "arn:aws:sts::111122223333:assumed-role/other/"
    var calls: [UsageRecord] = []
    for i in 0..<50 {
      calls.append(
        AttributorFixture.call(
          .bedrock, credential: AttributorFixture.role + "batch-\(i)", agent: i % 2 == 0 ? "triage" : nil))
      calls.append(
        AttributorFixture.call(
          .bedrock, credential: AttributorFixture.role + "web-\(i)", agent: i % 3 == 0 ? "ghost" : nil))
      calls.append(AttributorFixture.call(.bedrock, credential: AttributorFixture.role + "batch-7", agent: "triage"))
      calls.append(AttributorFixture.call(.bedrock, credential: other + "s-\(i)", agent: i % 2 == 0 ? "triage" : nil))
    }
    for record in calls + calls.reversed() {
      let fresh = try AttributorFixture.attributor().attribute(record)
      #expect(warm.attribute(record) == fresh, "\(record.credential ?? "-") \(record.metadata.agentID ?? "-")")
    }
    // Worked out from the directory: the unregistered role `other` is shown as its prefix row,
    // whichever session called.
    #expect(warm.attribute(AttributorFixture.call(.bedrock, credential: other + "s-1")).credentialID == other + "*")
    #expect(warm.attribute(AttributorFixture.call(.bedrock, credential: other + "s-2")).credentialID == other + "*")
    #expect(
      warm.attribute(AttributorFixture.call(.bedrock, credential: AttributorFixture.role + "batch-9")).credentialID
        == AttributorFixture.role + "batch-*")
  }

  /// With more prefix rows than are scanned without a cache, the longest prefix still wins.
  ///
  /// On the first lookup of a name and on the cached one. Rows are nested paths `p/0/`, `p/0/1/`, …, listed
  /// shortest first, so the answer is the deepest level a name shares with them.
  @Test func longestPrefixWinsAmongManyRows() throws {
    var rows = ["credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description"]
    var path = "arn:p/"
    var levels: [String] = []
    for depth in 0..<40 {
      path += "\(depth)/"
      levels.append(path)
      rows.append("\(path)*,bedrock,,CC-ROLE,,,,")
    }
    let attributor = try AttributorFixture.attributor(credentials: rows.joined(separator: "\n"))
    for depth in [0, 1, 15, 16, 17, 39] {
      // A name under level `depth` but not under level `depth + 1`.
      let name = levels[depth] + "x-\(depth)"
      for _ in 0..<2 {
        #expect(
          attributor.attribute(AttributorFixture.call(.bedrock, credential: name)).credentialID == levels[depth] + "*")
      }
    }
    #expect(attributor.attribute(AttributorFixture.call(.bedrock, credential: "arn:p/x")).costCentre == "UNATTRIBUTED")
  }
}
