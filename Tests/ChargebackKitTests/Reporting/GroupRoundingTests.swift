import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A workbook's groups of lines (agents, tasks, models) show their own exact cost rounded down or
/// up, not the sum of their lines' rounded cents, and still add up to the cost centre's total.
@Suite struct GroupRoundingTests {
  /// An agent of many lines that each round down shows its own cost, not $0.00.
  ///
  /// One cost centre, two agents, ten tasks each (a line per task): each of agent-a's calls costs
  /// $0.0049 (4,900 input tokens at $1/M) and each of agent-b's $0.0051. The cost centre owes
  /// $0.10. Its twenty lines of 0.49 and 0.51 cents, apportioned to 10 cents, give one cent to each
  /// of agent-b's lines and none to agent-a's: summed by agent, that showed $0.00 and $0.10.
  /// Writes a month of one Bedrock call per task for each `(role, input tokens)` (at $1/M) and
  /// runs it; returns the run's folder.
  static func run(
    calls: [(role: String, tokens: Int)], agents: String, credentials: String, centres: String,
    allocation: String? = nil
  ) throws -> String {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = (dir + "/usage", dir + "/identities", dir + "/pricing")
    for d in [usage, ids, pricing] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    let model = OutputSafetyTests.model
    var files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": centres,
      ids + "/agents.csv": agents,
      ids + "/credentials.csv": credentials,
      ids + "/tasks.csv": "task_id\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,\(model),input,standard,0,1,2024-01-01,,test\n"
        + "bedrock,\(model),output,standard,0,1,2024-01-01,,test\n",
    ]
    if let allocation { files[ids + "/allocation.csv"] = allocation }
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    var lines: [String] = []
    for (k, c) in calls.enumerated() {
      let ts = Timestamp.iso((OutputSafetyTests.day + Int64(k) * 60) * 1000)
      lines.append(
        "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"\(ts)\",\"identity\":{\"arn\":\"arn:aws:iam::1:role/\(c.role)\"},"
          + "\"requestId\":\"req-\(k)\",\"modelId\":\"\(model)\",\"input\":{\"inputTokenCount\":\(c.tokens)},"
          + "\"output\":{\"outputTokenCount\":0},\"requestMetadata\":{\"task_id\":\"T-\(k)\"}}")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: usage + "/log.jsonl", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--out",
      dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    return dir
  }

  @Test func agentsShowTheirExactCostRoundedToTheCent() throws {
    let dir = try Self.run(
      calls: (0..<20).map { $0 < 10 ? ("ra", 4_900) : ("rb", 5_100) },
      agents: "agent_id,owner,cost_centre\nagent-a,p-1,CC-1\nagent-b,p-1,CC-1\n",
      credentials:
        "credential_id,provider,agent_id\narn:aws:iam::1:role/ra,bedrock,agent-a\narn:aws:iam::1:role/rb,bedrock,agent-b\n",
      centres: "cost_centre,name\nCC-1,One\n")
    let wb = try WorkbookTests.read(dir + "/out/CC-1.xlsx")
    // Exact: agent-a 4.9 cents, agent-b 5.1; 10 cents to share: 4 + 5, and the larger remainder
    // (agent-a's 0.9) takes the last cent.
    let agents = try WorkbookTests.cents(wb, "Agents", "Cost (USD)")
    #expect(agents["agent-a"] == 5)
    #expect(agents["agent-b"] == 5)
    #expect(agents["TOTAL"] == 10)
    // The Lines sheet still adds up to the cost centre's 10 cents.
    let linesSheet = try #require(wb["Lines"])
    let lineCost = try #require(linesSheet.column("Cost (USD)"))
    #expect(WorkbookTests.dataCents(linesSheet, lineCost).reduce(0, +) == 10)
    // chargeback.csv keeps the exact amounts the agents' cents round.
    let csv = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let exact = csv.filter { $0["agent_id"] == "agent-a" }.compactMap { Decimal(string: $0["cost_usd"] ?? "") }
    #expect(exact.reduce(0, +) == Decimal(string: "0.049"))
  }

  /// The Summary's top agents show the Agents sheet's cents, allocated amounts and a shared
  /// credential's own spend included.
  ///
  /// CC-1: agent-a 10 × 0.44 = 4.4 cents, agent-b 10 × 0.51 = 5.1, the shared role's call naming
  /// no agent 0.3, and R1's allocation of CC-2's 0.3 (agent-c's one call): 10.1 cents, shown 10.
  /// Floors 4 + 5 + 0 + 0 = 9; the last cent goes to the largest remainder, agent-a's 0.4. Had the
  /// Summary put the shared call and the allocation together under "(none)" (0.6), that group
  /// would have taken it from agent-a.
  @Test func theSummaryAndTheAgentsSheetAgree() throws {
    let calls: [(role: String, tokens: Int)] =
      (0..<10).map { _ in ("ra", 4_400) } + (0..<10).map { _ in ("rb", 5_100) } + [("rs", 3_000), ("rc", 3_000)]
    let dir = try Self.run(
      calls: calls,
      agents: "agent_id,owner,cost_centre\nagent-a,p-1,CC-1\nagent-b,p-1,CC-1\nagent-c,p-1,CC-2\n",
      credentials: "credential_id,provider,agent_id,cost_centre\narn:aws:iam::1:role/ra,bedrock,agent-a,\n"
        + "arn:aws:iam::1:role/rb,bedrock,agent-b,\narn:aws:iam::1:role/rc,bedrock,agent-c,\n"
        + "arn:aws:iam::1:role/rs,bedrock,,CC-1\n",
      centres: "cost_centre,name\nCC-1,One\nCC-2,Two\n",
      allocation: "rule_id,source,method,basis,targets,shares,effective_from,effective_to\n"
        + "R1,cost_centre:CC-2,even,,CC-1,,,\n")
    let wb = try WorkbookTests.read(dir + "/out/CC-1.xlsx")
    let agents = try WorkbookTests.cents(wb, "Agents", "Cost (USD)")
    #expect(agents["agent-a"] == 5)
    #expect(agents["agent-b"] == 5)
    #expect(agents["(allocated: R1)"] == 0)
    #expect(agents["(none)"] == 0)
    #expect(agents["TOTAL"] == 10)
    let summary = try #require(wb["Summary"])
    let top = try #require(summary.rows.firstIndex { $0.count > 3 && $0[3]?.text == "Top agents" })
    var shown: [String: Int] = [:]
    for row in summary.rows[(top + 1)...] {
      guard row.count > 4, let name = row[3]?.text, name != "TOTAL" else { break }
      shown[name] = row[4]?.cents
    }
    #expect(shown == agents.filter { $0.key != "TOTAL" && !$0.key.isEmpty })
  }
}
