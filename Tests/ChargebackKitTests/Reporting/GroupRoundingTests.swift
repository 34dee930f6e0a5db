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
  @Test func agentsShowTheirExactCostRoundedToTheCent() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = (dir + "/usage", dir + "/identities", dir + "/pricing")
    for d in [usage, ids, pricing] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    let model = OutputSafetyTests.model
    let files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": "cost_centre,name\nCC-1,One\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\nagent-a,p-1,CC-1\nagent-b,p-1,CC-1\n",
      ids + "/credentials.csv":
        "credential_id,provider,agent_id\narn:aws:iam::1:role/ra,bedrock,agent-a\narn:aws:iam::1:role/rb,bedrock,agent-b\n",
      ids + "/tasks.csv": "task_id\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,\(model),input,standard,0,1,2024-01-01,,test\n"
        + "bedrock,\(model),output,standard,0,1,2024-01-01,,test\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    var lines: [String] = []
    for k in 0..<20 {
      let (role, tokens) = k < 10 ? ("ra", 4_900) : ("rb", 5_100)
      let ts = Timestamp.iso((OutputSafetyTests.day + Int64(k) * 60) * 1000)
      lines.append(
        "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"\(ts)\",\"identity\":{\"arn\":\"arn:aws:iam::1:role/\(role)\"},"
          + "\"requestId\":\"req-\(k)\",\"modelId\":\"\(model)\",\"input\":{\"inputTokenCount\":\(tokens)},"
          + "\"output\":{\"outputTokenCount\":0},\"requestMetadata\":{\"task_id\":\"T-\(k)\"}}")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: usage + "/log.jsonl", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--out",
      dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    let wb = try WorkbookTests.read(dir + "/out/CC-1.xlsx")
    func cents(_ sheetName: String, _ column: String) throws -> [String: Int] {
      let sheet = try #require(wb[sheetName])
      let col = try #require(sheet.column(column))
      return Dictionary(
        sheet.rows.dropFirst().map { ($0.first??.text ?? "", $0.count > col ? $0[col]?.cents ?? -1 : -1) },
        uniquingKeysWith: { a, _ in a })
    }
    // Exact: agent-a 4.9 cents, agent-b 5.1; 10 cents to share: 4 + 5, and the larger remainder
    // (agent-a's 0.9) takes the last cent.
    let agents = try cents("Agents", "Cost (USD)")
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
}
