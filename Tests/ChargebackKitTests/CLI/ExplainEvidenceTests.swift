import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `explain` of a call that a finding counts but does not list: a finding's evidence lists its
/// first ten calls, and the others read as unrelated before (a trial's 11th and 12th calls of a
/// storm).
@Suite struct ExplainEvidenceTests {
  @Test func aCallPastTheListedEvidenceIsSaidToBeWithinTheFindingsSpan() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try OutputSafetyTests.hostileMonth(dir)
    // Role r5's credential was revoked before the month: each of its calls is in the finding.
    var creds = "credential_id,provider,agent_id,revoked_at\n"
    for k in 0..<6 { creds += "arn:aws:iam::1:role/r\(k),bedrock,agent-\(k),\(k == 5 ? "2026-09-01" : "")\n" }
    try creds.write(toFile: ids + "/credentials.csv", atomically: true, encoding: .utf8)
    // Twelve more calls of r5, after the month's others (the evidence lists the first ten).
    let calls = (0..<12).map { OutputSafetyTests.line(500 + $0, arn: "arn:aws:iam::1:role/r5", metadata: "") }
    try (calls.joined(separator: "\n") + "\n").write(
      toFile: usage + "/revoked.jsonl", atomically: true, encoding: .utf8)
    let result = try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    let finding = try #require(result.report.findings.first { $0.kind == .revokedCredential })
    #expect(finding.evidenceCount > Int128(finding.evidence.count))
    let last = "bedrock:req-511"
    #expect(!finding.evidence.contains(last))
    let out = try TestSupport.runCLI([
      "explain", last, "--db", dir + "/s.sqlite", "--identities", ids, "--pricing", pricing,
    ])
    #expect(out.status == 0, "\(out.err)")
    let line = out.out.split(separator: "\n").first { $0.contains(finding.id) }
    #expect(line?.contains("related finding") == true, "\(out.out)")
    #expect(
      line?.contains("within its span, and its evidence lists only the first 10 of its \(finding.evidenceCount) calls")
        == true, "\(out.out)")
    // A listed call is cited.
    let first = try #require(finding.evidence.first)
    let cited = try TestSupport.runCLI([
      "explain", first, "--db", dir + "/s.sqlite", "--identities", ids, "--pricing", pricing,
    ])
    #expect(
      cited.out.contains("\(finding.id) revoked_credential (\(finding.severity.rawValue)), cites this record"),
      "\(cited.out)")
  }
}
