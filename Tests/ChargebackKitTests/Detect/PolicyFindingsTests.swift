import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// The lifecycle and identity findings name the right subject.
@Suite struct PolicyFindingsTests {
  static func charged(_ credential: String, agent: String?, costCentre: String, time: Int64) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(time)", time: time,
      credential: credential, model: "gpt-4.1-mini", tokens: TokenCounts(input: 10),
      metadata: CallMetadata(agentID: agent))
    let a = Attribution(
      costCentre: costCentre, agentID: agent, credentialID: credential,
      status: agent == nil ? .sharedCostCentre : .sharedAgent, signals: [.sharedCredential])
    return ChargedRecord(record: r, attribution: a, model: "gpt-4.1-mini", cost: Money(pico: 4_000_000))
  }

  /// A shared credential is a finding of each cost centre its calls are charged to, with that cost
  /// centre's calls and agents only (a cost centre's workbook shows no other's spend), each naming
  /// the credential's own cost centre, which binds it, and no agent.
  @Test func aSharedCredentialIsAFindingOfEachCostCentreCharged() throws {
    let key = Credential(id: "key_S", provider: "openai", agentID: nil, costCentre: "CC-SHARED")
    var policy = PolicyFindings(credentials: [key])
    policy.observe(Self.charged("key_S", agent: "agent-y", costCentre: "CC-B", time: 1_000))
    policy.observe(Self.charged("key_S", agent: nil, costCentre: "CC-SHARED", time: 2_000))
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .sharedCredential }
    #expect(findings.count == 2)
    let b = try #require(findings.first { $0.costCentre == "CC-B" })
    let own = try #require(findings.first { $0.costCentre == "CC-SHARED" })
    for f in [b, own] {
      #expect(f.agentID == nil && f.credentialID == "key_S" && f.calls == 1)
      #expect(f.cost.pico == 4_000_000)
      #expect(f.explanation.contains("its cost centre CC-SHARED"))
    }
    #expect(b.explanation.hasSuffix("; calls by agent agent-y (1)"))
    #expect(own.explanation.hasSuffix("; calls by agent (none) (1)"))
    #expect(!own.explanation.contains("agent-y") && !own.explanation.contains("CC-B"))
    #expect(b.id != own.id)
  }

  /// A key registered for one provider and called through another is named as such, not as
  /// missing from credentials.csv (a trial went looking for a row that was there).
  @Test func aKeyRegisteredForAnotherProviderIsSaidToBe() throws {
    let key = Credential(id: "key_O", provider: "openai", agentID: "agent-o", costCentre: nil)
    var policy = PolicyFindings(credentials: [key])
    let r = UsageRecord(
      provider: .anthropic, level: .request, format: "t", naturalKey: "anthropic:1", time: 1_000,
      credential: "key_O", model: "claude-sonnet-4", tokens: TokenCounts(input: 10))
    let a = Attribution(
      costCentre: "UNATTRIBUTED", agentID: nil, credentialID: "key_O", status: .unattributed, signals: [.unattributed])
    policy.observe(ChargedRecord(record: r, attribution: a, model: "claude-sonnet-4", cost: Money(pico: 5)))
    var unknown = r
    unknown.credential = "key_U"
    var b = a
    b.credentialID = "key_U"
    policy.observe(ChargedRecord(record: unknown, attribution: b, model: "claude-sonnet-4", cost: Money(pico: 5)))
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .unattributed }
    let o = try #require(findings.first { $0.credentialID == "key_O" })
    let u = try #require(findings.first { $0.credentialID == "key_U" })
    #expect(o.explanation.contains("key_O is in credentials.csv for openai only, not for anthropic"))
    #expect(u.explanation.contains("key_U is not in credentials.csv"))
  }

  /// A shared credential's finding names the agents charged, most calls first, with their calls;
  /// past five it counts the rest.
  @Test func aSharedCredentialsFindingNamesWhoUsedIt() throws {
    let key = Credential(id: "key_S", provider: "openai", agentID: nil, costCentre: "CC-SHARED")
    var policy = PolicyFindings(credentials: [key])
    // CC-B: kb-writer 3 calls, doc-indexer 2, then seven agents of one call each; CC-SHARED: one
    // call naming no agent.
    var t: Int64 = 1_000
    for agent in ["kb-writer", "doc-indexer", "kb-writer", nil, "doc-indexer", "kb-writer"] + (1...7).map({ "a\($0)" })
    {
      policy.observe(Self.charged("key_S", agent: agent, costCentre: agent == nil ? "CC-SHARED" : "CC-B", time: t))
      t += 1_000
    }
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .sharedCredential }
    let f = try #require(findings.first { $0.costCentre == "CC-B" })
    #expect(f.calls == 12)
    // Five named: the two of most calls, then the one-call agents by id, and the other four counted.
    #expect(
      f.explanation.hasSuffix(
        "; calls by agent kb-writer (3), doc-indexer (2), a1 (1), a2 (1), a3 (1) and 4 more agents (4)"))
    let own = try #require(findings.first { $0.costCentre == "CC-SHARED" })
    #expect(own.calls == 1 && own.explanation.hasSuffix("; calls by agent (none) (1)"))
  }

  /// Past a hundred agents on one credential, the others are counted together, and the text says
  /// the count is a floor.
  @Test func aCredentialOfManyAgentsCountsThemPastAHundred() throws {
    let key = Credential(id: "key_S", provider: "openai", agentID: nil, costCentre: "CC-SHARED")
    var policy = PolicyFindings(credentials: [key])
    // 105 agents, one call each, observed in id order: a001…a100 counted one by one, a101…a105 not.
    for k in 1...105 {
      let agent = "a" + String(String(1000 + k).dropFirst())
      policy.observe(Self.charged("key_S", agent: agent, costCentre: "CC-B", time: Int64(k) * 1_000))
    }
    let f = try #require(policy.findings(period: Period(year: 2026, month: 10)).first { $0.kind == .sharedCredential })
    #expect(f.calls == 105)
    // Five named, then 95 counted agents and the 5 beyond them: 100 calls.
    #expect(
      f.explanation.hasSuffix(
        "; calls by agent a001 (1), a002 (1), a003 (1), a004 (1), a005 (1) and 95+ more agents (100)"))
  }

  /// An unpriced model is a finding in each cost centre its calls are charged to, so each cost
  /// centre's workbook explains its own unpriced requests.
  @Test func anUnpricedModelIsAFindingOfEachCostCentre() throws {
    var policy = PolicyFindings()
    for (t, cc) in [(1_000, "CC-A"), (2_000, "CC-B"), (3_000, "CC-A")] {
      var c = Self.charged("key_S", agent: nil, costCentre: cc, time: Int64(t))
      c.cost = nil
      policy.observe(c)
    }
    let unpriced = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .unpricedModel }
    #expect(
      Dictionary(uniqueKeysWithValues: unpriced.map { ($0.costCentre ?? "", $0.calls) }) == ["CC-A": 2, "CC-B": 1])
    #expect(Set(unpriced.map(\.id)).count == 2)
  }

  /// Findings whose calls are charged where each call's claim puts them (an unknown agent, an
  /// unregistered credential, an unapproved task) are one per cost centre charged, each with that
  /// cost centre's calls and cost: the agent `ghost` claimed through keys of CC-A (1 call) and CC-B
  /// (2 calls) at 4 micro-USD a call.
  @Test(arguments: [FindingKind.unknownAgent, .unregisteredCredential, .unapprovedTask])
  func aClaimChargedToSeveralCostCentresIsAFindingOfEach(signal: FindingKind) throws {
    var policy = PolicyFindings()
    for (t, cc, key) in [(1_000, "CC-A", "key_1"), (2_000, "CC-B", "key_2"), (3_000, "CC-B", "key_2")] {
      var c = Self.charged(key, agent: "ghost", costCentre: cc, time: Int64(t))
      c.attribution.signals = [signal]
      c.attribution.taskID = "T-1"
      policy.observe(c)
    }
    let found = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == signal }
    let byCentre = Dictionary(uniqueKeysWithValues: found.map { ($0.costCentre ?? "", ($0.calls, $0.cost)) })
    #expect(byCentre.count == 2, "\(found)")
    #expect(byCentre["CC-A"]?.0 == 1 && byCentre["CC-A"]?.1 == Money(pico: 4_000_000))
    #expect(byCentre["CC-B"]?.0 == 2 && byCentre["CC-B"]?.1 == Money(pico: 8_000_000))
    #expect(Set(found.map(\.id)).count == 2)
  }

  /// A call out of its agent's scope says why: the model, or the provider when the scope does not
  /// allow the provider (whatever the model); a call that names no model is out of scope only by
  /// its provider (no model glob can be judged on it).
  @Test func outOfScopeSaysWhetherTheModelOrTheProvider() throws {
    let scopes = [
      "models": Scope(id: "models", allowedModels: ["claude-*"], allowedProviders: []),
      "providers": Scope(id: "providers", allowedModels: ["gpt-*"], allowedProviders: ["openai", "azure"]),
    ]
    var policy = PolicyFindings(scopes: scopes)
    func call(_ scope: String, provider: Provider, model: String, time: Int64) {
      var c = Self.charged("key_S", agent: "bot", costCentre: "CC-A", time: time)
      c.record.provider = provider
      c.model = model
      c.attribution.scopeID = scope
      c.inScope = false
      policy.observe(c)
    }
    call("models", provider: .openai, model: "gpt-4.1-mini", time: 1_000)
    call("providers", provider: .bedrock, model: "gpt-oss-120b", time: 2_000)
    call("models", provider: .openai, model: "", time: 3_000)
    call("providers", provider: .anthropic, model: "", time: 4_000)
    let found = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .outOfScopeModel }
      .sorted { $0.firstTime < $1.firstTime }
    #expect(
      found.map(\.firstTime) == [1_000, 2_000, 4_000], "no finding for the model-less call of an allowed provider")
    guard found.count == 3 else { return }
    #expect(found[0].explanation.contains("called model gpt-4.1-mini, which scope models does not allow"))
    #expect(
      found[1].explanation.contains(
        "called model gpt-oss-120b through provider bedrock, which scope providers does not allow (it allows openai, azure)"
      ))
    #expect(found[2].explanation.contains("called a model through provider anthropic"))
  }

  /// A finding whose calls came on several credentials names them all, and none as its own.
  ///
  /// Four unregistered keys claimed one unknown agent: the finding counted 4 calls and named the
  /// first key only, in its column and its text (a trial). One credential's finding is unchanged.
  @Test func aFindingOnSeveralCredentialsNamesThemAll() throws {
    var policy = PolicyFindings()
    // key_A: 3 calls, key_B: 2, key_C..key_G: 1 each (seven keys, 10 calls), all claiming ghost-bot.
    let keys = ["key_A", "key_A", "key_A", "key_B", "key_B", "key_C", "key_D", "key_E", "key_F", "key_G"]
    for (i, key) in keys.enumerated() {
      let r = UsageRecord(
        provider: .openai, level: .request, format: "t", naturalKey: "openai:\(i)", time: 1_000 + Int64(i),
        credential: key, model: "gpt-4.1-mini", tokens: TokenCounts(input: 10),
        metadata: CallMetadata(agentID: "ghost-bot"))
      let a = Attribution(
        costCentre: "UNATTRIBUTED", agentID: nil, credentialID: key, status: .unattributed, signals: [.unknownAgent])
      policy.observe(ChargedRecord(record: r, attribution: a, model: "gpt-4.1-mini", cost: Money(pico: 3)))
    }
    // One call of another agent on one key: its finding keeps the key.
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:x", time: 2_000, credential: "key_Z",
      model: "gpt-4.1-mini", tokens: TokenCounts(input: 10), metadata: CallMetadata(agentID: "lone-bot"))
    let a = Attribution(
      costCentre: "UNATTRIBUTED", agentID: nil, credentialID: "key_Z", status: .unattributed, signals: [.unknownAgent])
    policy.observe(ChargedRecord(record: r, attribution: a, model: "gpt-4.1-mini", cost: Money(pico: 3)))
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .unknownAgent }
    let ghost = try #require(findings.first { $0.explanation.contains("ghost-bot") })
    #expect(ghost.calls == 10 && ghost.credentialID == nil)
    // All seven, most calls first (what `explain` matches a call's credential against).
    #expect(ghost.credentialIDs == ["key_A", "key_B", "key_C", "key_D", "key_E", "key_F", "key_G"])
    #expect(
      ghost.explanation.hasSuffix(
        "; calls on credential key_A (3), key_B (2), key_C (1), key_D (1), key_E (1) and 2 more credentials (2)"))
    let lone = try #require(findings.first { $0.explanation.contains("lone-bot") })
    #expect(
      lone.credentialID == "key_Z" && lone.credentialIDs.isEmpty && !lone.explanation.contains("calls on credential"))
  }

  /// An agent that calls after its agents.csv row ended is an unknown agent on that date, and the finding says when its
  /// rows are in effect (a trial: a retired agent's calls were charged to its owner without a word).
  @Test func aRetiredAgentsFindingSaysWhenItsRowsWereInEffect() throws {
    let oct15: Int64 = 1_792_022_400_000  // 2026-10-15T00:00Z
    let row = AgentVersion(
      id: "old-bot", owner: "ana", costCentre: "CC-OLD", validFrom: oct15 - 14 * 86_400_000, validTo: oct15)
    var policy = PolicyFindings(agents: ["old-bot": [row]])
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:1", time: oct15 + 5 * 86_400_000,
      credential: "key_O", model: "gpt-4.1-mini", tokens: TokenCounts(input: 10))
    let a = Attribution(
      costCentre: "CC-ANA", agentID: "old-bot", ownerID: "ana", credentialID: "key_O", status: .agentCredential,
      signals: [.unknownAgent])
    policy.observe(ChargedRecord(record: r, attribution: a, model: "gpt-4.1-mini", cost: Money(pico: 7)))
    let f = try #require(policy.findings(period: Period(year: 2026, month: 10)).first { $0.kind == .unknownAgent })
    #expect(f.costCentre == "CC-ANA" && f.agentID == "old-bot" && f.calls == 1)
    #expect(f.explanation.contains("agent old-bot ran on 2026-10-20"))
    #expect(f.explanation.contains("from 2026-10-01 until 2026-10-15"))
    #expect(f.explanation.contains("charged to CC-ANA, its owner's or its credential's"))
    #expect(!f.explanation.contains("not in agents.csv"))

    // A call of the retired agent claiming an agent not in agents.csv, charged to UNATTRIBUTED (its owner has no
    // cost centre): a finding of each, the call counted once in each, and the text says where it went.
    var both = PolicyFindings(agents: ["old-bot": [row]])
    var claim = r
    claim.metadata.agentID = "ghost"
    let unattributed = Attribution(
      costCentre: Attribution.unattributed, agentID: "old-bot", ownerID: "ana", credentialID: "key_O",
      status: .agentCredential, signals: [.agentMismatch, .unknownAgent])
    both.observe(ChargedRecord(record: claim, attribution: unattributed, model: "gpt-4.1-mini", cost: Money(pico: 7)))
    let found = both.findings(period: Period(year: 2026, month: 10)).filter { $0.kind == .unknownAgent }
    #expect(found.count == 2 && found.allSatisfy { $0.calls == 1 && $0.cost == Money(pico: 7) })
    #expect(found.contains { $0.explanation.contains("charged to UNATTRIBUTED: its owner has no cost centre") })
    #expect(found.contains { $0.explanation.contains("calls name agent ghost, which is not in agents.csv") })
  }
}
