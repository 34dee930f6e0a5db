import Foundation
import Testing

@testable import ChargebackDetect
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// What a finding says of its calls: unknown (empty, never 0) when its records count none, and the
/// agents its calls name even when the directory lacks them.
@Suite struct FindingCallsTests {
  static let revoked = Credential(
    id: "apikey_R", provider: "anthropic", agentID: "agent-a", costCentre: "CC-A", revokedAt: 1_000)

  /// A usage report row on a credential: `requests` as the source gives it (Anthropic's: none).
  static func row(_ credential: String, provider: Provider, requests: Int64, time: Int64, agent: String? = nil)
    -> ChargedRecord
  {
    let r = UsageRecord(
      provider: provider, level: .report, format: "t", naturalKey: "\(provider):\(credential):\(time)", time: time,
      credential: credential, model: "m", tokens: TokenCounts(input: 1000), requests: requests,
      metadata: CallMetadata(agentID: agent))
    let a = Attribution(
      costCentre: "CC-A", agentID: "agent-a", credentialID: credential, status: .agentCredential,
      signals: [.revokedCredential])
    return ChargedRecord(record: r, attribution: a, model: "m", cost: Money(pico: 200_000_000_000))
  }

  @Test func callsAreUnknownWhenNoRecordCountsThem() throws {
    let zero = Credential(id: "apikey_Z", provider: "openai", agentID: "agent-a", costCentre: "CC-A", revokedAt: 1_000)
    var policy = PolicyFindings(credentials: [Self.revoked, zero])
    // Anthropic usage report rows: no request count. 16 days × $0.20 = $3.20.
    for d in 0..<16 { policy.observe(Self.row("apikey_R", provider: .anthropic, requests: 0, time: 2_000 + Int64(d))) }
    // OpenAI usage report rows count theirs: 3 + 4.
    policy.observe(Self.row("apikey_Z", provider: .openai, requests: 3, time: 2_000))
    policy.observe(Self.row("apikey_Z", provider: .openai, requests: 4, time: 3_000))
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .revokedCredential }
    let r = try #require(findings.first { $0.credentialID == "apikey_R" })
    let z = try #require(findings.first { $0.credentialID == "apikey_Z" })
    #expect(r.callsKnown == false && r.cost == TestSupport.usd("3.2"))
    #expect(z.callsKnown && z.calls == 7)

    let dir = try TestSupport.tempDir("finding-calls")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try CSVReports.findings(findings, to: dir + "/findings.csv")
    let table = try CSVTable(file: "findings.csv", text: String(contentsOfFile: dir + "/findings.csv", encoding: .utf8))
    let calls = Dictionary(
      uniqueKeysWithValues: table.rows.map {
        (table.value($0.fields, "credential_id") ?? "", table.value($0.fields, "calls"))
      })
    #expect(calls["apikey_R"] == .some(nil))  // empty, never 0
    #expect(calls["apikey_Z"] == "7")
    let sheet = WorkbookReports.findingsTable(findings, costCentre: false)
    let column = try #require(sheet.columns.firstIndex { $0.header == "Calls" })
    for (n, f) in findings.enumerated() {
      if case .empty = sheet.row(n)[column] { #expect(!f.callsKnown) } else { #expect(f.callsKnown) }
    }
  }

  /// A shared key's calls that name agents the directory lacks are named with them, not "(none)";
  /// a name from a log is cut, as any name in an explanation.
  @Test func agentsTheDirectoryLacksAreNamed() throws {
    let key = Credential(id: "key_S", provider: "openai", agentID: nil, costCentre: "CC-S")
    var policy = PolicyFindings(credentials: [key])
    func call(_ agent: String?, _ time: Int64) -> ChargedRecord {
      let r = UsageRecord(
        provider: .openai, level: .request, format: "t", naturalKey: "openai:\(time)", time: time, credential: "key_S",
        model: "m", tokens: TokenCounts(input: 10), metadata: CallMetadata(agentID: agent))
      let a = Attribution(
        costCentre: "CC-S", agentID: nil, credentialID: "key_S", status: .sharedCostCentre, signals: [.sharedCredential]
      )
      return ChargedRecord(record: r, attribution: a, model: "m", cost: Money(pico: 1))
    }
    policy.observe(call("=HYPERLINK(\"http://x\",\"y\")", 1))
    policy.observe(call("=HYPERLINK(\"http://x\",\"y\")", 2))
    policy.observe(call(nil, 3))
    policy.observe(call(String(repeating: "z", count: 500), 4))
    let f = try #require(policy.findings(period: Period(year: 2026, month: 10)).first { $0.kind == .sharedCredential })
    #expect(f.explanation.contains("; calls by agent =HYPERLINK(\"http://x\",\"y\") (not in agents.csv) (2), "))
    #expect(f.explanation.contains("(none) (1)"))
    #expect(f.explanation.contains(String(repeating: "z", count: 63) + "… (not in agents.csv) (1)"))
    #expect(!f.explanation.contains(String(repeating: "z", count: 65)))
  }
}
