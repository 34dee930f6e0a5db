import ChargebackModel
import ChargebackSupport
import Foundation

/// A month of shared costs and contract terms whose every figure is computed by hand in
/// `CostSharingTests` (SPEC §12): four cost centres and `UNATTRIBUTED`, a shared credential, an
/// unknown one, a 20 % discount on Claude from the 16th, a Bedrock provisioned model from the 10th
/// (under-used: an idle line) and a Vertex provisioned throughput (over-used: savings).
package enum CostSharingMonth {
  /// Writes `identities/`, `pricing/` and `usage/` under `dir`.
  package static func write(to dir: String, allocation: String = allocation, commitments: String = commitments) throws {
    let files: [(String, String)] = [
      ("identities/people.csv", "person_id,name\np-1,Ana\n"),
      (
        "identities/cost_centres.csv",
        "cost_centre,name,owner\nAPP1,App one,p-1\nAPP2,App two,p-1\nAPP3,App three,p-1\nPLAT,Platform,p-1\n"
      ),
      (
        "identities/agents.csv",
        "agent_id,owner,cost_centre\na1,p-1,APP1\na2,p-1,APP2\na3,p-1,APP3\np1,p-1,PLAT\n"
      ),
      (
        "identities/credentials.csv",
        """
        credential_id,provider,agent_id,cost_centre,description
        arn:aws:iam::111122223333:user/a1,bedrock,a1,,
        arn:aws:iam::111122223333:user/a2,bedrock,a2,,
        arn:aws:iam::111122223333:user/a3,bedrock,a3,,
        arn:aws:iam::111122223333:user/p1,bedrock,p1,,
        arn:aws:iam::111122223333:user/shared,bedrock,,PLAT,shared batch user

        """
      ),
      ("identities/tasks.csv", "task_id\n"),
      ("identities/scopes.csv", "scope_id\n"),
      ("identities/allocation.csv", allocation),
      ("identities/commitments.csv", commitments),
      (
        "pricing/bedrock.csv",
        """
        provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
        bedrock,claude-x,input,standard,0,3,2025-01-01,,test
        bedrock,claude-x,output,standard,0,15,2025-01-01,,test
        bedrock,nova-x,input,standard,0,1,2025-01-01,,test
        bedrock,nova-x,output,standard,0,4,2025-01-01,,test

        """
      ),
      (
        "pricing/vertex.csv",
        """
        provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
        vertex,gemini-p,input,standard,0,1,2025-01-01,,test
        vertex,gemini-p,output,standard,0,2,2025-01-01,,test

        """
      ),
      ("pricing/aliases.csv", "provider,pattern,model\nbedrock,arn:aws:bedrock:*:provisioned-model/pt-abc,nova-x\n"),
      ("usage/bedrock.jsonl", bedrock.map(bedrockLine).joined(separator: "\n") + "\n"),
      ("usage/vertex.jsonl", vertex.map(vertexLine).joined(separator: "\n") + "\n"),
    ]
    for (name, text) in files {
      let path = dir + "/" + name
      try FileManager.default.createDirectory(
        atPath: PathText.parent(of: path), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
  }

  /// The rules: UNATTRIBUTED evenly to everyone with spend, the shared credential by tokens, the
  /// platform by fixed shares, a $100 gateway overhead by cost.
  package static let allocation = """
    rule_id,source,method,basis,targets,shares,effective_from,effective_to
    R1-unattributed,UNATTRIBUTED,even,,*,,2026-01-01,
    R2-shared,credential:arn:aws:iam::111122223333:user/shared,proportional,tokens,APP1;APP2,,,
    R3-platform,cost_centre:PLAT,fixed,,APP1;APP2;APP3,APP1=50;APP2=30;APP3=20,,
    R4-gateway,fixed:100,proportional,cost,APP1;APP2;APP3,,2026-10-01,2026-11-01

    """

  /// The contract terms.
  package static let commitments = """
    commitment_id,provider,kind,models,amount_usd,discount_percent,owner_cost_centre,effective_from,effective_to,description
    D-CLAUDE,bedrock,discount,*claude*,,20,,2026-10-16,,Claude private pricing
    PT-BR,bedrock,provisioned,arn:aws:bedrock:*:provisioned-model/pt-abc,31,,PLAT,2026-10-10,,Bedrock provisioned model
    PT-VX,vertex,provisioned,gemini-p*,3,,PLAT,,,Vertex provisioned throughput

    """

  /// (request id, time, credential user, model, input, output).
  static let bedrock: [(String, String, String, String, Int, Int)] = [
    ("b1", "2026-10-05T09:00:00Z", "a1", "claude-x", 240_000, 20_000),
    ("b2", "2026-10-20T09:00:00Z", "a1", "claude-x", 200_000, 40_000),
    ("b3", "2026-10-18T09:00:00Z", "a2", "claude-x", 100_000, 0),
    ("b4", "2026-10-03T09:00:00Z", "a3", "nova-x", 1_000_000, 100_000),
    (
      "b5", "2026-10-12T09:00:00Z", "p1", "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt-abc", 2_000_000,
      500_000
    ),
    ("b6", "2026-10-09T23:59:59Z", "a2", "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt-abc", 650_000, 0),
    (
      "b7", "2026-10-25T09:00:00Z", "a2", "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt-abc", 1_000_000,
      250_000
    ),
    ("b8", "2026-10-14T09:00:00Z", "shared", "nova-x", 3_000_000, 0),
    ("b9", "2026-10-07T09:00:00Z", "ghost", "nova-x", 600_000, 100_000),
  ]

  /// (response id, time, agent label, traffic type, prompt, candidates).
  static let vertex: [(String, String, String, String, Int, Int)] = [
    ("v1", "2026-10-11T10:00:00Z", "a1", "PROVISIONED_THROUGHPUT", 2_000_000, 500_000),
    ("v2", "2026-10-21T10:00:00Z", "a3", "PROVISIONED_THROUGHPUT", 1_000_000, 0),
    ("v3", "2026-10-22T10:00:00Z", "a3", "ON_DEMAND", 1_000_000, 0),
  ]

  static func bedrockLine(_ c: (String, String, String, String, Int, Int)) -> String {
    """
    {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"\(c.1)","accountId":"111122223333",\
    "identity":{"arn":"arn:aws:iam::111122223333:user/\(c.2)"},"region":"us-east-1","requestId":"\(c.0)",\
    "operation":"Converse","modelId":"\(c.3)","input":{"inputContentType":"application/json",\
    "inputTokenCount":\(c.4),"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":0},\
    "output":{"outputContentType":"application/json","outputTokenCount":\(c.5)}}
    """
  }

  static func vertexLine(_ c: (String, String, String, String, Int, Int)) -> String {
    """
    {"responseId":"\(c.0)","modelVersion":"gemini-p","createTime":"\(c.1)","usageMetadata":{"promptTokenCount":\(c.4),\
    "candidatesTokenCount":\(c.5),"totalTokenCount":\(c.4 + c.5),"trafficType":"\(c.3)"},"labels":{"agent_id":"\(c.2)"}}
    """
  }
}
