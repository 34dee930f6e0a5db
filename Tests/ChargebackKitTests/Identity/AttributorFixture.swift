import Foundation

@testable import ChargebackIdentity
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The directory and calls the attributor tests share: one row for each SPEC §4 case.
enum AttributorFixture {
  /// Instants used below (UTC epoch ms, worked out by hand from the calendar).
  enum At {
    /// 2026-09-30T12:00Z, before the first `mover` row.
    static let sep30: Int64 = 1_790_769_600_000
    /// 2026-10-05T09:00Z, an ordinary day.
    static let oct05: Int64 = 1_791_190_800_000
    /// 2026-10-10T00:00Z: `revoked_at`, `expires_at` and `offboarded_at` of the directory below.
    static let oct10: Int64 = 1_791_590_400_000
    /// 2026-10-11T08:00Z.
    static let oct11: Int64 = 1_791_705_600_000
    /// 2026-10-16T00:00Z: `mover` changes cost centre.
    static let oct16: Int64 = 1_792_108_800_000
  }

  static let role = "arn:aws:sts::111122223333:assumed-role/app/"

  /// A directory with one row for each SPEC §4 case, written as the six CSV files.
  static let identityFiles: [(String, String)] = [
    (
      "people.csv",
      """
      person_id,name,email,cost_centre,offboarded_at
      alice,Alice,alice@example.com,CC-ALICE,
      bob,Bob,bob@example.com,CC-BOB,2026-10-10
      carol,Carol,,,
      """
    ),
    (
      "cost_centres.csv",
      """
      cost_centre,name,owner,monthly_budget_usd
      CC-ALICE,,alice,
      CC-BOB,,bob,
      CC-PLATFORM,Platform,alice,1000
      CC-RESEARCH,Research,carol,
      CC-SHARED,,,
      CC-ROLE,,,
      CC-BATCH,,,
      CC-EXACT,,,
      CC-PROJECT,,,
      CC-WORKSPACE,,,
      """
    ),
    (
      "agents.csv",
      """
      agent_id,name,kind,owner,team,cost_centre,scope_id,valid_from,valid_to
      triage,Triage,agent,alice,platform,CC-PLATFORM,scope-agent,,
      mover,Mover,agent,alice,platform,CC-PLATFORM,,2026-10-01,2026-10-16
      mover,Mover,agent,alice,research,CC-RESEARCH,,2026-10-16,
      orphan,Orphan,service_account,bob,,CC-PLATFORM,,,
      late,Late,workload,alice,,CC-RESEARCH,,2026-10-20,
      """
    ),
    (
      "credentials.csv",
      """
      credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
      key_triage,openai,triage,CC-SHARED,,,,bound: its own cost centre is not the one charged
      key_triage,anthropic,,CC-SHARED,,,,the same id at another provider is another credential
      key_shared,openai,,CC-SHARED,,,,
      key_mover,openai,mover,,,,,
      key_orphan,openai,orphan,,,,,
      key_late,openai,late,,,,,
      key_revoked,openai,triage,,,,2026-10-10,
      key_expired,openai,triage,,2026-01-01,2026-10-10,,
      \(role)*,bedrock,,CC-ROLE,,,,the shorter prefix comes first in the file
      \(role)batch-*,bedrock,,CC-BATCH,,,,
      \(role)batch-7,bedrock,,CC-EXACT,,,,
      project:proj_1,openai,,CC-PROJECT,,,,
      workspace:wrk_1,anthropic,,CC-WORKSPACE,,,,
      vk_team,litellm,triage,,,,,
      """
    ),
    (
      "tasks.csv",
      """
      task_id,agent_id,requested_by,approved_by,scope_id,opened_at,closed_at,ticket
      T-approved,triage,alice,carol,scope-task,2026-10-01,,OPS-1
      T-unapproved,triage,alice,,scope-task,,,
      T-noscope,triage,alice,carol,,,,
      T-anyone,,alice,carol,scope-task,,,
      T-closed,triage,alice,carol,scope-any,2026-10-01,2026-10-05,
      """
    ),
    (
      "scopes.csv",
      """
      scope_id,description,allowed_models,allowed_providers,monthly_budget_usd
      scope-agent,,gpt-4.1*;claude-sonnet-4-?,openai; Anthropic,
      scope-task,,gpt-4o-mini,openai,
      scope-any,,,,
      scope-bedrock,,,bedrock,
      scope-models,, CLAUDE-* ; us.anthropic.* ,,100
      """
    ),
  ]

  /// The directory above; `credentials`, when given, replaces its credentials.csv, and the cost
  /// centres its rows name are added to cost_centres.csv (every reference must name one).
  static func attributor(credentials: String? = nil) throws -> Attributor {
    Attributor(directory: try directory(credentials: credentials))
  }

  /// The directory of ``attributor(credentials:)``; `extra` files (name, text) are written beside
  /// its six (`commitments.csv`).
  static func directory(credentials: String? = nil, extra: [(String, String)] = []) throws -> IdentityDirectory {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var named: [String] = []
    if let credentials {
      let table = try CSVTable(file: "credentials.csv", text: credentials)
      named = table.rows.compactMap { table.value($0.fields, "cost_centre") }
    }
    for (name, text) in identityFiles {
      var body = name == "credentials.csv" ? credentials ?? text : text
      if name == "cost_centres.csv" {
        for cc in Set(named).sorted() where !text.contains("\n" + cc + ",") { body += "\n" + cc + ",,," }
      }
      try (body + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    for (name, text) in extra { try (text + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
    return try IdentityDirectory(directory: dir)
  }

  static func call(
    _ provider: Provider = .openai, credential: String?, project: String? = nil, agent: String? = nil,
    task: String? = nil, at time: Int64 = At.oct05
  ) -> UsageRecord {
    UsageRecord(
      provider: provider, level: .request, format: "test", naturalKey: "test:1", time: time, credential: credential,
      project: project, model: "gpt-4.1", tokens: TokenCounts(input: 100, output: 10),
      metadata: CallMetadata(agentID: agent, taskID: task))
  }
}
