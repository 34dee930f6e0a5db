import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Findings over calls under a provisioned commitment show what their cost centre is charged for
/// those calls (SPEC §12), not their list price: a retry storm under a fee of a third of its list
/// had shown three times what it cost (a trial).
///
/// The month, worked by hand. Every call is 1M input tokens of `pt-abc` (nova-x, 1 USD per million
/// in): 1.00 USD at list, and all of them are under PT, 10 USD for October.
/// - a storm: agent a1 (APP1, scope S1), 12 calls 10 s apart on 5 Oct; the first 11 failed after
///   billing (a trigger), the 12th succeeded. List 12.00, avoidable at list 11.00.
/// - a loop: a2 → a3 → a2 → a3 (APP2, scope S2), parent-linked on 6 Oct; a2 is its own ancestor at
///   the third call, so the third and fourth are in the loop. List 4.00, avoidable 2.00.
/// - a revoked key: `old` (APP3, agent a4), revoked on 1 Oct, 3 calls on 7 Oct. List 3.00.
///
/// PT's calls list 12 + 4 + 3 = 19 > 10: each costs 10/19 of its list. In pico-USD, rounded half up:
/// storm 12e12 × 10/19 = 6,315,789,473,684.2 → 6,315,789,473,684; its last success 1e12 × 10/19 =
/// 526,315,789,473.7 → 526,315,789,474; avoidable 6,315,789,473,684 − 526,315,789,474 =
/// 5,789,473,684,210. Loop 40e12/19 = 2,105,263,157,894.7 → 2,105,263,157,895; avoidable
/// 20e12/19 = 1,052,631,578,947.4 → 1,052,631,578,947. Revoked 30e12/19 = 1,578,947,368,421.1 →
/// 1,578,947,368,421.
///
/// Budgets: S1 (the storm) 5.00 USD: 6.32 > 5, raised; S2 (the loop) 3.00 USD: list 4.00 would
/// exceed it, but it costs 2.11: not raised.
@Suite struct ProvisionedFindingTests {
  static let model = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt-abc"

  /// (request id, time, user, failed, parent request id).
  static var calls: [(String, String, String, Bool, String?)] {
    var out: [(String, String, String, Bool, String?)] = []
    for i in 0..<12 {
      out.append(("s\(i)", String(format: "2026-10-05T10:00:%02dZ", i * 5), "a1", i < 11, nil))
    }
    out += [
      ("l1", "2026-10-06T10:00:00Z", "a2", false, nil),
      ("l2", "2026-10-06T10:00:01Z", "a3", false, "l1"),
      ("l3", "2026-10-06T10:00:02Z", "a2", false, "l2"),
      ("l4", "2026-10-06T10:00:03Z", "a3", false, "l3"),
      ("r1", "2026-10-07T10:00:00Z", "old", false, nil),
      ("r2", "2026-10-07T11:00:00Z", "old", false, nil),
      ("r3", "2026-10-07T12:00:00Z", "old", false, nil),
    ]
    return out
  }

  static func line(_ c: (String, String, String, Bool, String?)) -> String {
    let agent = c.2 == "old" ? "a4" : c.2
    let parent = c.4.map { #","parent_request_id":"\#($0)""# } ?? ""
    let error = c.3 ? #""errorCode":"ModelStreamErrorException","# : ""
    return """
      {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"\(c.1)","accountId":"111122223333",\
      "identity":{"arn":"arn:aws:iam::111122223333:user/\(c.2)"},"region":"us-east-1","requestId":"\(c.0)",\
      "operation":"Converse","modelId":"\(model)",\(error)"requestMetadata":{"agent_id":"\(agent)"\(parent)},\
      "input":{"inputContentType":"application/json","inputTokenCount":1000000},\
      "output":{"outputContentType":"application/json","outputTokenCount":0}}
      """
  }

  static func runMonth(in dir: String? = nil) throws -> ChargebackJob.Result {
    let dir = try dir ?? TestSupport.tempDir()
    let files: [(String, String)] = [
      ("identities/people.csv", "person_id,name\np-1,Ana\n"),
      (
        "identities/cost_centres.csv",
        "cost_centre,name,owner\nAPP1,App one,p-1\nAPP2,App two,p-1\nAPP3,App three,p-1\nPLAT,Platform,p-1\n"
      ),
      (
        "identities/agents.csv",
        "agent_id,owner,cost_centre,scope_id\na1,p-1,APP1,S1\na2,p-1,APP2,S2\na3,p-1,APP2,S2\na4,p-1,APP3,\n"
      ),
      (
        "identities/credentials.csv",
        """
        credential_id,provider,agent_id,cost_centre,revoked_at
        arn:aws:iam::111122223333:user/a1,bedrock,a1,,
        arn:aws:iam::111122223333:user/a2,bedrock,a2,,
        arn:aws:iam::111122223333:user/a3,bedrock,a3,,
        arn:aws:iam::111122223333:user/old,bedrock,a4,,2026-10-01T00:00:00Z

        """
      ),
      ("identities/tasks.csv", "task_id\n"),
      (
        "identities/scopes.csv",
        "scope_id,allowed_models,monthly_budget_usd\nS1,*,5\nS2,*,3\n"
      ),
      (
        "identities/commitments.csv",
        """
        commitment_id,provider,kind,models,amount_usd,discount_percent,owner_cost_centre,effective_from,effective_to,description
        PT,bedrock,provisioned,\(model),10,,PLAT,,,provisioned model

        """
      ),
      (
        "pricing/bedrock.csv",
        """
        provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
        bedrock,nova-x,input,standard,0,1,2025-01-01,,test
        bedrock,nova-x,output,standard,0,4,2025-01-01,,test

        """
      ),
      ("pricing/aliases.csv", "provider,pattern,model\nbedrock,arn:aws:bedrock:*:provisioned-model/pt-abc,nova-x\n"),
      ("usage/bedrock.jsonl", calls.map(line).joined(separator: "\n") + "\n"),
    ]
    for (name, text) in files {
      let path = dir + "/" + name
      try FileManager.default.createDirectory(atPath: PathText.parent(of: path), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
    return try CostSharingTests.run(dir)
  }

  @Test func findingsShowTheEffectiveCostOfCallsUnderAFee() throws {
    let report = try #require(try Self.runMonth().report)
    // The month itself: the fee is what the calls cost together.
    #expect(
      report.lines.filter { $0.key.commitmentID == "PT" }.reduce(Money.zero) { $0 + $1.cost } == TestSupport.usd("10"))
    let findings = report.findings
    let storm = try #require(findings.first { $0.kind == .retryStorm })
    #expect(storm.calls == 12)
    #expect(storm.cost == Money(pico: 6_315_789_473_684))
    #expect(storm.avoidableCost == Money(pico: 5_789_473_684_210))
    #expect(storm.explanation.contains("5.79 USD could have been avoided"), "\(storm.explanation)")
    let loop = try #require(findings.first { $0.kind == .recursiveLoop })
    #expect(loop.calls == 4)
    #expect(loop.cost == Money(pico: 2_105_263_157_895))
    #expect(loop.avoidableCost == Money(pico: 1_052_631_578_947))
    #expect(loop.explanation.contains("1.05 USD in the loop"), "\(loop.explanation)")
    let revoked = try #require(findings.first { $0.kind == .revokedCredential })
    #expect(revoked.calls == 3)
    #expect(revoked.cost == Money(pico: 1_578_947_368_421))
    // S1 at its effective 6.32 USD is over 5; S2 at 2.11 is under 3 (its list, 4.00, is not).
    let budgets = findings.filter { $0.kind == .scopeBudgetExceeded }
    #expect(budgets.map(\.costCentre) == ["APP1"])
    #expect(budgets.first?.cost == Money(pico: 6_315_789_473_684))
    #expect(budgets.first?.explanation.contains("spent 6.32 USD") == true, "\(budgets.first?.explanation ?? "")")
    // The cost centre's avoidable total is its findings'.
    let app1 = try #require(report.costCentres.first { $0.id == "APP1" })
    #expect(app1.avoidableCost == Money(pico: 5_789_473_684_210))
  }

  /// `explain` of a call under the commitment says its cost is at list, before its share of the
  /// fee: a trial read 7.00 USD as what the call was charged (5.13 in every output).
  @Test func explainSaysTheCostIsAtListBeforeTheFee() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.runMonth(in: dir)
    let text = try ChargebackJob.explain(id: "r1", database: dir + "/store.sqlite", identities: nil, pricing: nil)
    let cost = try #require(text.split(separator: "\n").first { $0.hasPrefix("cost ") && $0.contains("USD") })
    #expect(cost.contains("1.000000000000 USD (exact) at list, before its share of the fee"), "\(cost)")
  }
}
