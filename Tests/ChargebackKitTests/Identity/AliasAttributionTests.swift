import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// LiteLLM virtual keys registered in `credentials.csv` by their `user_api_key_alias` rather than
/// by the hash: the lookup order, and a month run end to end whose every pico-dollar is worked out
/// below from a price table the test writes.
@Suite struct AliasAttributionTests {
  // MARK: The identity directory

  static let people = """
    person_id,name,email,cost_centre,offboarded_at
    alice,Alice,alice@example.com,CC-A,
    bob,Bob,bob@example.com,CC-B,
    """

  static let costCentres = """
    cost_centre,name,owner,monthly_budget_usd
    CC-A,Agent A's team,alice,
    CC-B,Agent B's team,bob,
    CC-SHARED,Shared keys,,
    """

  static let agents = """
    agent_id,name,kind,owner,team,cost_centre,scope_id,valid_from,valid_to
    agent-a,Agent A,agent,alice,,CC-A,,,
    agent-b,Agent B,agent,bob,,CC-B,,,
    """

  /// `team-a-key` is revoked at 2026-10-16T00:00Z, `nightly-a-key` expires at 2026-10-10T00:00Z.
  static let credentials = """
    credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
    team-a-key,litellm,agent-a,,2026-09-01,,2026-10-16,LiteLLM virtual key registered by its alias
    nightly-a-key,litellm,agent-a,,2026-01-01,2026-10-10,,expired alias key
    """

  /// Extra rows for the lookup-order tests.
  static let lookupCredentials = """
    \(hashB),litellm,agent-b,,,,,registered by its hash
    9f0*,litellm,agent-b,,,,,a hash prefix
    team-*,litellm,,CC-SHARED,,,,an alias prefix
    openai-only,openai,agent-b,,,,,another provider's id
    """

  static let hashA = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"
  static let hashB = "b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78"
  static let hashNightly = "8c2574892063f995fdf756bce07f46c1a5193e54cd52837ed91e32008ccf41ac"
  static let hashStray = "c0ffee254729296a45a3885639ac7f2dbe0b82c6ef1b8e6f9a3d6c8b0e1f2a3b"

  /// Writes the six identity files (plus `extraCredentials`) into `dir`.
  static func writeIdentities(_ dir: String, extraCredentials: String = "") throws {
    let files = [
      ("people.csv", people), ("cost_centres.csv", costCentres), ("agents.csv", agents),
      ("credentials.csv", credentials + (extraCredentials.isEmpty ? "" : "\n" + extraCredentials)),
      ("tasks.csv", "task_id,agent_id,requested_by,approved_by,scope_id,opened_at,closed_at,ticket"),
      ("scopes.csv", "scope_id,description,allowed_models,allowed_providers,monthly_budget_usd"),
    ]
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, text) in files { try (text + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
  }

  static func attributor() throws -> Attributor {
    let dir = try TestSupport.tempDir("alias-identities")
    try writeIdentities(dir, extraCredentials: lookupCredentials)
    return Attributor(directory: try IdentityDirectory(directory: dir))
  }

  /// A LiteLLM call on 2026-10-05T09:00Z with the hashed key `hash` and the alias `alias`.
  static func call(hash: String?, alias: String?, agent: String? = nil, at time: Int64 = 1_791_190_800_000)
    -> UsageRecord
  {
    var r = UsageRecord(
      provider: .openai, level: .request, format: "litellm-spend-logs", naturalKey: "litellm:x", time: time,
      credential: hash, model: "gpt-4o-mini", tokens: TokenCounts(input: 10, output: 1),
      metadata: CallMetadata(agentID: agent))
    r.credentialProvider = "litellm"
    r.credentialAlias = alias
    return r
  }

  // MARK: Lookup order

  @Test(
    arguments: [
      // The hash first, exact: its row wins over the alias's.
      (hashB, "team-a-key", "\(hashB)", "CC-B"),
      // The hash by prefix still comes before the alias.
      ("9f0123abcd", "team-a-key", "9f0*", "CC-B"),
      // An unknown hash: the alias, exact (not the shorter `team-*`).
      (hashA, "team-a-key", "team-a-key", "CC-A"),
      // The alias by its longest prefix.
      (hashA, "team-ops", "team-*", "CC-SHARED"),
      // No hash in the record: the alias alone.
      (nil, "team-a-key", "team-a-key", "CC-A"),
    ] as [(String?, String, String, String)])
  func hashThenAlias(hash: String?, alias: String, matched: String, costCentre: String) throws {
    let a = try Self.attributor().attribute(Self.call(hash: hash, alias: alias))
    #expect(a.credentialID == matched)
    #expect(a.costCentre == costCentre)
    #expect(!a.signals.contains(.unattributed))
  }

  @Test func unmatchedAliasKeepsTheHashAsTheId() throws {
    let attributor = try Self.attributor()
    let both = attributor.attribute(Self.call(hash: Self.hashStray, alias: "stray-key"))
    #expect(both.credentialID == Self.hashStray)
    #expect(both.status == .unattributed)
    let aliasOnly = attributor.attribute(Self.call(hash: nil, alias: "stray-key"))
    #expect(aliasOnly.credentialID == "stray-key")
    #expect(aliasOnly.status == .unattributed)
    // An alias is looked up under the record's credential provider only.
    #expect(attributor.attribute(Self.call(hash: nil, alias: "openai-only")).status == .unattributed)
  }

  @Test func lookupsAreCachedPerAlias() throws {
    let attributor = try Self.attributor()
    // The same hash with two aliases: the cache must not hand the first answer to the second.
    #expect(attributor.attribute(Self.call(hash: Self.hashA, alias: "team-a-key")).costCentre == "CC-A")
    #expect(attributor.attribute(Self.call(hash: Self.hashA, alias: "stray-key")).status == .unattributed)
    #expect(attributor.attribute(Self.call(hash: Self.hashA, alias: "team-a-key")).costCentre == "CC-A")
  }

  @Test(arguments: [
    // 2026-10-15T23:59:59.999Z, the last instant before revocation; then 2026-10-16T00:00Z.
    ("team-a-key", Int64(1_792_108_799_999), [FindingKind]()),
    ("team-a-key", Int64(1_792_108_800_000), [.revokedCredential]),
    // 2026-10-09T23:59:59.999Z, then 2026-10-10T00:00Z: expires_at is exclusive.
    ("nightly-a-key", Int64(1_791_590_399_999), [FindingKind]()),
    ("nightly-a-key", Int64(1_791_590_400_000), [.expiredCredential]),
  ])
  func aliasKeysHaveTheirLifecycle(alias: String, time: Int64, signals: [FindingKind]) throws {
    let a = try Self.attributor().attribute(Self.call(hash: Self.hashA, alias: alias, at: time))
    #expect(a.signals == signals)
    #expect(a.agentID == "agent-a")
    #expect(a.credentialID == alias)
  }

  @Test func aliasKeyBoundToAnAgentChargesItWhateverTheCallClaims() throws {
    let a = try Self.attributor().attribute(Self.call(hash: Self.hashA, alias: "team-a-key", agent: "agent-b"))
    #expect(a.agentID == "agent-a")
    #expect(a.costCentre == "CC-A")
    #expect(a.status == .agentCredential)
    #expect(a.signals == [.agentMismatch])
  }

  // MARK: A month, end to end

  /// One call of the month, as LiteLLM's Pub/Sub logger sends it.
  struct Call {
    var id: String
    var start: String
    var hash: String
    var alias: String
    var prompt: Int64
    var cached: Int64
    var completion: Int64
    var agentInMetadata: String?
    var tags: [String] = []
    var provider = "openai"
    var model = "gpt-4o-mini"

    /// The cost in pico-USD at the test's gpt-4o-mini rates: the uncached prompt, the cache reads
    /// and the output.
    var pico: Int64 {
      (prompt - cached) * AliasAttributionTests.inputPico + cached * AliasAttributionTests.cachedPico
        + completion * AliasAttributionTests.outputPico
    }
  }

  /// $ per million tokens of gpt-4o-mini in the test's price table, as pico-USD per token.
  static let inputPico: Int64 = 150_000  // $0.15
  static let cachedPico: Int64 = 75_000  // $0.075
  static let outputPico: Int64 = 600_000  // $0.60

  static let calls: [Call] = [
    Call(
      id: "chatcmpl-a1", start: "2026-10-05 10:00:00.120000", hash: hashA, alias: "team-a-key", prompt: 12_000,
      cached: 2000, completion: 800, agentInMetadata: "agent-a"),
    // To a provider without shipped prices: kept under `other`, unpriced, still agent A's.
    Call(
      id: "chatcmpl-g1", start: "2026-10-06 13:00:00.000000", hash: hashA, alias: "team-a-key", prompt: 4000,
      cached: 0, completion: 500, agentInMetadata: "agent-a", provider: "groq", model: "llama-3.3-70b-versatile"),
    // Claims agent B through a request tag: agent_mismatch, charged to agent A.
    Call(
      id: "chatcmpl-a2", start: "2026-10-08 14:30:00.000000", hash: hashA, alias: "team-a-key", prompt: 5000,
      cached: 0, completion: 1000, tags: ["agent_id:agent-b", "team:research"]),
    // nightly-a-key the day before it expires, then after.
    Call(
      id: "chatcmpl-n1", start: "2026-10-09 12:00:00.000000", hash: hashNightly, alias: "nightly-a-key",
      prompt: 2000, cached: 0, completion: 200),
    Call(
      id: "chatcmpl-n2", start: "2026-10-12 08:00:00.000000", hash: hashNightly, alias: "nightly-a-key",
      prompt: 3000, cached: 0, completion: 300),
    // team-a-key after its revocation on the 16th.
    Call(
      id: "chatcmpl-a3", start: "2026-10-20 16:45:00.500000", hash: hashA, alias: "team-a-key", prompt: 7000,
      cached: 1000, completion: 2000, agentInMetadata: "agent-a"),
    // A key nobody registered, by hash or alias.
    Call(
      id: "chatcmpl-s1", start: "2026-10-21 09:00:00.000000", hash: hashStray, alias: "stray-key", prompt: 1000,
      cached: 0, completion: 100),
  ]

  /// The payload LiteLLM's Pub/Sub logger publishes for `c`: `metadata` and `request_tags` as JSON text.
  static func payload(_ c: Call) throws -> String {
    var spendLogsMetadata: Any = NSNull()
    if let agent = c.agentInMetadata { spendLogsMetadata = ["agent_id": agent] }
    let metadata: [String: Any] = [
      "user_api_key": c.hash, "user_api_key_alias": c.alias, "user_api_key_team_id": NSNull(),
      "spend_logs_metadata": spendLogsMetadata, "status": "success", "attempted_retries": 0,
      "additional_usage_values": ["cache_read_input_tokens": c.cached, "cache_creation_input_tokens": 0],
    ]
    func text(_ value: Any) throws -> String {
      String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
    let row: [String: Any] = [
      "request_id": c.id, "call_type": "acompletion", "api_key": c.hash, "cache_hit": "None",
      "startTime": c.start, "endTime": c.start, "model": c.model, "custom_llm_provider": c.provider,
      "spend": 0.001, "prompt_tokens": c.prompt, "completion_tokens": c.completion,
      "total_tokens": c.prompt + c.completion, "metadata": try text(metadata), "request_tags": try text(c.tags),
      "messages": "{}", "response": "{}", "status": "success", "user": "", "team_id": "",
    ]
    return try text(row)
  }

  static func runMonth() throws -> (ChargebackJob.Result, String) {
    let dir = try TestSupport.tempDir("alias-month")
    try writeIdentities(dir + "/identities")
    try FileManager.default.createDirectory(atPath: dir + "/pricing", withIntermediateDirectories: true)
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    openai,gpt-4o-mini,input,standard,0,0.15,2026-01-01,,test
    openai,gpt-4o-mini,cached_input,standard,0,0.075,2026-01-01,,test
    openai,gpt-4o-mini,output,standard,0,0.6,2026-01-01,,test

    """.write(toFile: dir + "/pricing/openai.csv", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let lines = try calls.map(payload).joined(separator: "\n") + "\n"
    try lines.write(toFile: dir + "/usage/litellm-pubsub.jsonl", atomically: true, encoding: .utf8)
    let job = ChargebackJob(
      options: .init(
        period: try #require(Period("2026-10")), usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    return (try job.run(), dir)
  }

  @Test func theMonthLandsOnAgentAsCostCentre() throws {
    let (result, dir) = try Self.runMonth()
    let priced = Self.calls.filter { $0.provider == "openai" }
    let ccA = priced.filter { $0.alias != "stray-key" }.map(\.pico).reduce(0, +)
    // By hand: a1 10,000×0.15 + 2,000×0.075 + 800×0.6 = 2,130,000,000; a2 5,000×0.15 + 1,000×0.6 =
    // 1,350,000,000; n1 2,000×0.15 + 200×0.6 = 420,000,000; n2 3,000×0.15 + 300×0.6 = 630,000,000;
    // a3 6,000×0.15 + 1,000×0.075 + 2,000×0.6 = 2,175,000,000 (pico-USD, rates in $ per million).
    #expect(ccA == 6_705_000_000)
    let stray = try #require(priced.first { $0.alias == "stray-key" }).pico
    #expect(stray == 210_000_000)
    let byCC = Dictionary(uniqueKeysWithValues: result.report.costCentres.map { ($0.id, $0.cost) })
    #expect(byCC["CC-A"] == Money(pico: Int128(ccA)))
    #expect(byCC["UNATTRIBUTED"] == Money(pico: Int128(stray)))
    #expect((byCC["CC-B"] ?? .zero) == .zero)
    #expect(result.report.totalCost == Money(pico: Int128(ccA + stray)))
    #expect(result.report.recordCount == 7)
    #expect(result.report.unpricedRecords == 1)

    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let cost = Dictionary(
      uniqueKeysWithValues: summary.compactMap { r in r["cost_centre"].map { ($0, r["cost_usd"]) } })
    #expect(cost["CC-A"] == "0.006705")
    #expect(cost["UNATTRIBUTED"] == "0.000210")
    #expect(cost["TOTAL"] == "0.006915")
    #expect((cost["CC-B"] ?? "0.000000") == "0.000000")
    let rowA = try #require(summary.first { $0["cost_centre"] == "CC-A" })
    #expect(rowA["requests"] == "6")
    #expect(rowA["unpriced_requests"] == "1")

    // Every line of the alias keys is agent A's, under the credentials.csv id.
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let keyLines = lines.filter { ["team-a-key", "nightly-a-key"].contains($0["credential_id"] ?? "") }
    #expect(keyLines.reduce(0) { $0 + (Int($1["requests"] ?? "") ?? 0) } == 6)
    #expect(keyLines.allSatisfy { $0["cost_centre"] == "CC-A" && $0["agent_id"] == "agent-a" })
    #expect(!lines.contains { $0["agent_id"] == "agent-b" })
    #expect(lines.contains { $0["credential_id"] == Self.hashStray && $0["cost_centre"] == "UNATTRIBUTED" })
    // The groq call: its own line, with its tokens and no cost.
    let groq = try #require(lines.first { $0["provider"] == "other" })
    #expect(groq["model"] == "groq/llama-3.3-70b-versatile")
    #expect(groq["price_status"] == "unpriced")
    #expect(groq["cost_usd"] == "")
    #expect(groq["input_tokens"] == "4000")
    #expect(groq["cost_centre"] == "CC-A")
    #expect(groq["credential_id"] == "team-a-key")
  }

  @Test func findingsNameTheAliasKeys() throws {
    let (_, dir) = try Self.runMonth()
    let findings = try TestSupport.readCSV(dir + "/out/findings.csv")
    func only(_ kind: String) throws -> [String: String] {
      let rows = findings.filter { $0["kind"] == kind }
      #expect(rows.count == 1, "\(kind): \(rows)")
      return try #require(rows.first)
    }
    // Only the call after the revocation on the 16th.
    let revoked = try only("revoked_credential")
    #expect(revoked["credential_id"] == "team-a-key")
    #expect(revoked["evidence"] == "litellm:chatcmpl-a3")
    #expect(revoked["calls"] == "1")
    #expect(revoked["cost_usd"] == "0.002175")
    #expect(revoked["cost_centre"] == "CC-A")
    // Only the call after the expiry on the 10th.
    let expired = try only("expired_credential")
    #expect(expired["credential_id"] == "nightly-a-key")
    #expect(expired["evidence"] == "litellm:chatcmpl-n2")
    #expect(expired["cost_usd"] == "0.000630")
    // The call that claimed agent B, charged to A.
    let mismatch = try only("agent_mismatch")
    #expect(mismatch["credential_id"] == "team-a-key")
    #expect(mismatch["evidence"] == "litellm:chatcmpl-a2")
    #expect(mismatch["cost_centre"] == "CC-A")
    #expect(mismatch["agent_id"] == "agent-a")
    #expect(mismatch["cost_usd"] == "0.001350")
    // The unregistered key is the only unattributed spend, shown by its hash.
    let unattributed = try only("unattributed")
    #expect(unattributed["credential_id"] == Self.hashStray)
    #expect(unattributed["evidence"] == "litellm:chatcmpl-s1")
    #expect(!findings.contains { $0["kind"] == "unregistered_credential" })
    // The texts name each key as people know it too: the unregistered hash by the alias its calls
    // were logged with, a registered key by its credentials.csv description.
    #expect(
      unattributed["explanation"]?.hasPrefix("credential \(Self.hashStray) (alias stray-key) is not in credentials.csv")
        == true, "\(unattributed["explanation"] ?? "")")
    #expect(
      revoked["explanation"]?.hasPrefix(
        "credential team-a-key (LiteLLM virtual key registered by its alias) was used after it was revoked") == true,
      "\(revoked["explanation"] ?? "")")
    #expect(expired["explanation"]?.hasPrefix("credential nightly-a-key (expired alias key) was used") == true)
    let unpriced = try only("unpriced_model")
    #expect(unpriced["evidence"] == "litellm:chatcmpl-g1")
    #expect(unpriced["explanation"]?.contains("groq/llama-3.3-70b-versatile") == true)
  }
}
