import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Bad `allocation.csv` and `commitments.csv` rows stop the run with exit 65 and the exact error,
/// naming file, line and column (SPEC §12).
@Suite struct CostSharingFileTests {
  static let header = "rule_id,source,method,basis,targets,shares,effective_from,effective_to\n"
  static let commitmentsHeader =
    "commitment_id,provider,kind,models,amount_usd,discount_percent,owner_cost_centre,effective_from,effective_to\n"

  @Test(arguments: [
    (
      "R1,cost_centre:PLAT,fixed,,APP1;APP2,APP1=40;APP2=50,,\n",
      "allocation.csv:2: shares: add up to 90, not 100"
    ),
    ("R1,UNATTRIBUTED,even,,APP1;NOPE,,,\n", "allocation.csv:2: targets: \"NOPE\" is not in cost_centres.csv"),
    ("R1,cost_centre:NOPE,even,,*,,,\n", "allocation.csv:2: source: \"NOPE\" is not in cost_centres.csv"),
    (
      "R1,cost_centre:PLAT,even,,APP1;UNATTRIBUTED,,,\n",
      "allocation.csv:2: targets: \"UNATTRIBUTED\" is never a target: spend nobody can be charged for is only a source"
    ),
    (
      "R1,UNATTRIBUTED,proportional,hours,*,,,\n",
      "allocation.csv:2: basis: \"hours\" is not cost, tokens or requests"
    ),
    ("R1,UNATTRIBUTED,even,,*,,,\nR1,fixed:10,even,,*,,,\n", "allocation.csv:3: rule_id: duplicate id \"R1\""),
    (
      "R1,fixed:ten,even,,*,,,\n",
      "allocation.csv:2: source: \"ten\" is not a USD amount above 0 and at most 9000000"
    ),
    ("R1,cost_centre:PLAT,even,,APP1;PLAT,,,\n", "allocation.csv:2: targets: \"PLAT\" is the rule's own source"),
  ])
  func badAllocation(_ rows: String, _ message: String) throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir, allocation: Self.header + rows)
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir + "/identities") }
    #expect(error.description == dir + "/identities/" + message)
    #expect(error.exitStatus == 65)
  }

  /// Cost-centre ids that hold the separators of `allocation.csv`: one with `=` takes a fixed share
  /// (split at the last `=`, a percentage holding none); one with `;` cannot be named as a target,
  /// and the error says why instead of naming a piece of it (a helper's hostile month).
  @Test func idsHoldingTheSeparatorsAreSplitRightOrExplained() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try CostSharingMonth.write(
      to: dir, allocation: Self.header + "R1,cost_centre:PLAT,fixed,,=cc+1;APP1,=cc+1=50;APP1=50,,\n")
    let centres = dir + "/identities/cost_centres.csv"
    let text = try String(contentsOfFile: centres, encoding: .utf8)
    try (text + (text.hasSuffix("\n") ? "" : "\n") + "=cc+1,Formula-like\nA;B,Semicolon\n").write(
      toFile: centres, atomically: true, encoding: .utf8)
    let loaded = try IdentityDirectory(directory: dir + "/identities")
    let rule = try #require(loaded.allocationRules.first)
    guard case .fixed(let shares) = rule.method else {
      Issue.record("not a fixed rule: \(rule.method)")
      return
    }
    #expect(shares == ["=cc+1": 50 * Commitment.wholePercent / 100, "APP1": 50 * Commitment.wholePercent / 100])
    try (Self.header + "R1,cost_centre:PLAT,even,,A;B,,,\n").write(
      toFile: dir + "/identities/allocation.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir + "/identities") }
    #expect(
      error.description
        == dir + "/identities/allocation.csv:2: targets: \"A\" is not in cost_centres.csv; the cost centre \"A;B\""
        + " holds a \";\", which separates targets here: give it an id without one")
  }

  /// A `credential:` rule for a shared credential with no cost centre would move nothing (its calls
  /// are UNATTRIBUTED): refused, saying what to do (a helper's trial found it moved $0 silently).
  @Test func aCredentialRuleForACredentialWithoutACostCentreIsRefused() throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir, allocation: Self.header + "R1,credential:key_nobody,even,,*,,,\n")
    let creds = dir + "/identities/credentials.csv"
    let text = try String(contentsOfFile: creds, encoding: .utf8)
    try (text + (text.hasSuffix("\n") ? "" : "\n") + "key_nobody,openai,,,\n").write(
      toFile: creds, atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir + "/identities") }
    #expect(error.description.hasPrefix(dir + "/identities/allocation.csv:2: source: credential \"key_nobody\" has no"))
    #expect(error.description.contains("give it a cost_centre"))
    #expect(error.exitStatus == 65)
  }

  @Test(arguments: [
    (
      "C1,bedrock,discount,*claude*,,120,,,\n",
      "commitments.csv:2: discount_percent: \"120\" is not a percentage above 0 and at most 100 (6 decimals at most)"
    ),
    (
      "C1,bedrock,provisioned,pt-*,10,,NOPE,,\n",
      "commitments.csv:2: owner_cost_centre: \"NOPE\" is not in cost_centres.csv"
    ),
    ("C1,bedrock,reserved,pt-*,10,,PLAT,,\n", "commitments.csv:2: kind: \"reserved\" is not discount or provisioned"),
    (
      "C1,bedrock,provisioned,pt-*,10,,PLAT,2026-10-10T12:00:00Z,\n",
      "commitments.csv:2: effective_from: is not a UTC date (a midnight)"
    ),
    (
      "C1,bedrock,provisioned,pt-*,,,PLAT,,\n",
      "commitments.csv:2: amount_usd: is empty (provisioned capacity needs its monthly fee)"
    ),
  ])
  func badCommitments(_ rows: String, _ message: String) throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir, commitments: Self.commitmentsHeader + rows)
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir + "/identities") }
    #expect(error.description == dir + "/identities/" + message)
  }

  /// Two discounts that both cover `claude-x` from the 16th: the run stops before anything is written.
  @Test func overlappingCommitmentsAreRejected() throws {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(
      to: dir,
      commitments: Self.commitmentsHeader
        + "D1,bedrock,discount,*claude*,,20,,2026-10-01,\nD2,bedrock,discount,claude-?,,10,,2026-10-16,2026-11-01\n"
        + "D3,bedrock,discount,nothing-seen*,,10,,,\nD4,bedrock,discount,nothing-seen-either*,,10,,,\n")
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    let error = try #require(throws: InputError.self) { try job.run() }
    #expect(
      error.description
        == dir
        + "/identities/commitments.csv:3: models: commitment D2 overlaps D1 (line 2): both cover model \"claude-x\" from 2026-10-16"
    )
    #expect(!FileManager.default.fileExists(atPath: dir + "/out/summary.csv"))
  }
}
