import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// The instants, directory and calls of ``AttributorFixture``, by their short names here.
private typealias At = AttributorFixture.At
private let role = AttributorFixture.role

private func attributor(credentials: String? = nil) throws -> Attributor {
  try AttributorFixture.attributor(credentials: credentials)
}

private func call(
  _ provider: Provider = .openai, credential: String?, project: String? = nil, agent: String? = nil,
  task: String? = nil, at time: Int64 = At.oct05
) -> UsageRecord {
  AttributorFixture.call(provider, credential: credential, project: project, agent: agent, task: task, at: time)
}

/// Signals in a fixed order, so that attributions compare whole.
private func normalised(_ a: Attribution) -> Attribution {
  var a = a
  a.signals.sort { $0.rawValue < $1.rawValue }
  return a
}

private func check(_ got: Attribution, _ expected: Attribution, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(normalised(got) == normalised(expected), sourceLocation: sourceLocation)
}

@Suite struct AttributorTests {
  // MARK: Step 1: which credential

  /// A task id spelled decomposed in a log (`e` and a combining accent) is the task spelled
  /// composed: one line and one fingerprint, shown composed (NFC, written out here as bytes; a
  /// `String` compares the two spellings equal, so the bytes are what is checked).
  @Test(arguments: [
    ("t-e\u{301}", [0x74, 0x2D, 0xC3, 0xA9] as [UInt8]), ("t-\u{E9}", [0x74, 0x2D, 0xC3, 0xA9]),
    // U+212B ANGSTROM SIGN composes to U+00C5.
    ("caf\u{65}\u{301}-\u{212B}", [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x2D, 0xC3, 0x85]), ("T-1", Array("T-1".utf8)),
  ])
  func taskIdsAreShownComposed(task: String, composed: [UInt8]) throws {
    let a = try attributor().attribute(call(credential: "key_triage", task: task))
    #expect(a.taskID.map { Array($0.utf8) } == composed)
  }

  @Test func exactCredentialChargesItsAgentsCostCentre() throws {
    let a = try attributor().attribute(call(credential: "key_triage"))
    check(
      a,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_triage",
        scopeID: "scope-agent", status: .agentCredential))
  }

  @Test(arguments: [
    ("batch-42", "CC-BATCH", "batch-*"),  // the longer prefix wins, although listed second
    ("batch-", "CC-BATCH", "batch-*"),  // a prefix matches itself
    ("web-1", "CC-ROLE", "*"),  // only the shorter prefix matches
    ("batch-7", "CC-EXACT", "batch-7"),  // an exact id beats every prefix
    ("batch-70", "CC-BATCH", "batch-*"),  // an exact id is not a prefix
  ])
  func longestPrefixWins(session: String, costCentre: String, matched: String) throws {
    let a = try attributor().attribute(call(.bedrock, credential: role + session))
    check(
      a,
      Attribution(
        costCentre: costCentre, credentialID: role + matched, status: .sharedCostCentre, signals: [.sharedCredential]))
  }

  @Test func prefixesAndIdsBelongToTheirProvider() throws {
    let attributor = try attributor()
    // A Bedrock role prefix does not match an OpenAI call (unregistered, the session is shown as
    // its role, at OpenAI).
    check(
      attributor.attribute(call(.openai, credential: role + "web-1")),
      Attribution(
        costCentre: "UNATTRIBUTED", credentialID: role + "*", status: .unattributed, signals: [.unattributed]))
    // Text that stops short of the prefix does not match it.
    check(
      attributor.attribute(call(.bedrock, credential: "arn:aws:sts::111122223333:assumed-role/app")),
      Attribution(
        costCentre: "UNATTRIBUTED", credentialID: "arn:aws:sts::111122223333:assumed-role/app",
        status: .unattributed, signals: [.unattributed]))
    // `key_triage` is bound at OpenAI and shared at Anthropic, whatever order the calls come in.
    for _ in 0..<2 {
      #expect(attributor.attribute(call(.anthropic, credential: "key_triage")).costCentre == "CC-SHARED")
      #expect(attributor.attribute(call(.openai, credential: "key_triage")).costCentre == "CC-PLATFORM")
    }
  }

  @Test func projectAndWorkspaceRowsCatchReportRowsWithoutACredential() throws {
    let attributor = try attributor()
    check(
      attributor.attribute(call(credential: nil, project: "proj_1")),
      Attribution(
        costCentre: "CC-PROJECT", credentialID: "project:proj_1", status: .sharedCostCentre,
        signals: [.sharedCredential]))
    check(
      attributor.attribute(call(.anthropic, credential: nil, project: "wrk_1")),
      Attribution(
        costCentre: "CC-WORKSPACE", credentialID: "workspace:wrk_1", status: .sharedCostCentre,
        signals: [.sharedCredential]))
    // An unknown key is its own caller's, unregistered, not its project's (SPEC §10: project rows
    // are for rows grouped only by project); so is an unknown alias.
    let unknown = attributor.attribute(call(credential: "key_unknown", project: "proj_1"))
    #expect(unknown.costCentre == "UNATTRIBUTED")
    #expect(unknown.credentialID == "key_unknown")
    #expect(unknown.signals == [.unattributed])
    var aliased = call(credential: nil, project: "proj_1")
    aliased.credentialAlias = "alias_unknown"
    #expect(attributor.attribute(aliased).costCentre == "UNATTRIBUTED")
    // A known key is used before its project.
    #expect(attributor.attribute(call(credential: "key_triage", project: "proj_1")).costCentre == "CC-PLATFORM")
    // Projects belong to their provider too.
    #expect(attributor.attribute(call(.anthropic, credential: nil, project: "proj_1")).status == .unattributed)
    check(
      attributor.attribute(call(credential: nil, project: "proj_2")),
      Attribution(
        costCentre: "UNATTRIBUTED", credentialID: "project:proj_2", status: .unattributed, signals: [.unattributed]))
  }

  @Test func liteLLMVirtualKeysAreLookedUpUnderTheirOwnProvider() throws {
    let attributor = try attributor()
    let expected = Attribution(
      costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "vk_team", scopeID: "scope-agent",
      status: .agentCredential)
    check(attributor.attribute(call(.openai, credential: "vk_team"), credentialProvider: "litellm"), expected)
    var r = call(.openai, credential: "vk_team")
    r.credentialProvider = "litellm"
    check(attributor.attribute(r), expected)
    #expect(attributor.attribute(call(.openai, credential: "vk_team")).status == .unattributed)
  }

  // MARK: Steps 2–4: who is charged

  @Test func boundCredentialChargesItsAgentWhateverTheCallClaims() throws {
    let attributor = try attributor()
    check(
      attributor.attribute(call(credential: "key_triage", agent: "mover")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_triage",
        scopeID: "scope-agent", status: .agentCredential, signals: [.agentMismatch]))
    // Claiming the bound agent itself is no mismatch.
    #expect(attributor.attribute(call(credential: "key_triage", agent: "triage")).signals.isEmpty)
    // Claiming an agent the registry does not know is a mismatch and an unknown agent (SPEC §4).
    check(
      attributor.attribute(call(credential: "key_triage", agent: "ghost")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_triage",
        scopeID: "scope-agent", status: .agentCredential, signals: [.agentMismatch, .unknownAgent]))
  }

  /// A credential bound to an agent agents.csv does not have: its own cost_centre is for shared
  /// credentials only (SPEC §10), so nobody can be charged.
  @Test func boundCredentialOfAnUnknownAgentIsUnattributed() throws {
    let files = AttributorFixture.identityFiles.map { name, text in
      name == "credentials.csv" ? (name, text + "\nkey_ghost,openai,ghost,CC-SHARED,,,,bound to nobody") : (name, text)
    }
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in files { try (text + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
    let a = Attributor(directory: try IdentityDirectory(directory: dir)).attribute(call(credential: "key_ghost"))
    check(
      a,
      Attribution(
        costCentre: Attribution.unattributed, agentID: "ghost", credentialID: "key_ghost", status: .unattributed,
        signals: [.unknownAgent, .unattributed]))
  }

  @Test func sharedCredentialWithARegisteredClaimedAgentChargesTheAgent() throws {
    let attributor = try attributor()
    check(
      attributor.attribute(call(credential: "key_shared", agent: "triage")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_shared",
        scopeID: "scope-agent", status: .sharedAgent, signals: [.sharedCredential]))
    // The claimed agent's cost centre is the one in effect on the day.
    #expect(
      attributor.attribute(call(credential: "key_shared", agent: "mover", at: At.oct16)).costCentre == "CC-RESEARCH")
  }

  @Test func sharedCredentialWithAnUnregisteredClaimedAgentChargesItsCostCentre() throws {
    let attributor = try attributor()
    check(
      attributor.attribute(call(credential: "key_shared", agent: "ghost")),
      Attribution(
        costCentre: "CC-SHARED", credentialID: "key_shared", status: .sharedCostCentre,
        signals: [.sharedCredential, .unknownAgent]))
    check(
      attributor.attribute(call(credential: "key_shared")),
      Attribution(
        costCentre: "CC-SHARED", credentialID: "key_shared", status: .sharedCostCentre, signals: [.sharedCredential]))
  }

  @Test func unknownCredentialWithARegisteredClaimedAgent() throws {
    check(
      try attributor().attribute(call(credential: "key_nobody", agent: "triage")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_nobody",
        scopeID: "scope-agent", status: .unregisteredCredential, signals: [.unregisteredCredential]))
  }

  /// A Vertex response, which names no caller, is charged to its registered agent with no finding.
  ///
  /// There is no credential to register. A Vertex record that does name something (a project), or
  /// a record of a format that can name a caller but did not (an OTel span without
  /// `chargeback.credential_id`, whose charge rests on the caller's own claim), is an unregistered
  /// credential as before.
  @Test func aRecordOfAFormatNamingNoCallerIsChargedToItsAgentWithoutAFinding() throws {
    let attributor = try attributor()
    func vertex(credential: String? = nil, project: String? = nil, agent: String) -> UsageRecord {
      var r = call(.vertex, credential: credential, project: project, agent: agent)
      r.format = UsageRecord.vertexResponseFormat
      return r
    }
    check(
      attributor.attribute(vertex(agent: "triage")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", scopeID: "scope-agent",
        status: .agentMetadata, signals: []))
    check(
      attributor.attribute(vertex(project: "gcp-unknown", agent: "triage")),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "project:gcp-unknown",
        scopeID: "scope-agent", status: .unregisteredCredential, signals: [.unregisteredCredential]))
    // The same fields from an OTel span (also provider vertex, after the memo's hit above).
    var span = call(.vertex, credential: nil, agent: "triage")
    span.format = "otel-genai-spans"
    check(
      attributor.attribute(span),
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", scopeID: "scope-agent",
        status: .unregisteredCredential, signals: [.unregisteredCredential]))
    // Naming an agent nobody registered, a Vertex call is unattributed, as before.
    check(
      attributor.attribute(vertex(agent: "ghost")),
      Attribution(costCentre: "UNATTRIBUTED", status: .unattributed, signals: [.unattributed, .unknownAgent]))
  }

  @Test func unknownCredentialWithoutARegisteredAgentIsUnattributed() throws {
    let attributor = try attributor()
    check(
      attributor.attribute(call(credential: "key_nobody")),
      Attribution(
        costCentre: "UNATTRIBUTED", credentialID: "key_nobody", status: .unattributed, signals: [.unattributed]))
    check(
      attributor.attribute(call(credential: "key_nobody", agent: "ghost")),
      Attribution(
        costCentre: "UNATTRIBUTED", credentialID: "key_nobody", status: .unattributed,
        signals: [.unattributed, .unknownAgent]))
    check(
      attributor.attribute(call(credential: nil)),
      Attribution(costCentre: "UNATTRIBUTED", status: .unattributed, signals: [.unattributed]))
  }

  /// An unregistered STS session is shown as its role's prefix row (SPEC §11); any other name,
  /// including IAM users, roles by their IAM ARN and malformed session ARNs, as itself.
  @Test(arguments: [
    ("arn:aws:sts::444455556666:assumed-role/app/inv-1", "arn:aws:sts::444455556666:assumed-role/app/*"),
    ("arn:aws:sts::444455556666:assumed-role/app/jane@example.com", "arn:aws:sts::444455556666:assumed-role/app/*"),
    ("arn:aws-cn:sts::1:assumed-role/r.x=y,z/s", "arn:aws-cn:sts::1:assumed-role/r.x=y,z/*"),
    ("arn:aws:sts::1:assumed-role/rôle/s", "arn:aws:sts::1:assumed-role/rôle/*"),
    ("arn:aws:sts::1:assumed-role/app", "arn:aws:sts::1:assumed-role/app"),
    ("arn:aws:sts::1:assumed-role/app/", "arn:aws:sts::1:assumed-role/app/"),
    ("arn:aws:sts::1:assumed-role//s", "arn:aws:sts::1:assumed-role//s"),
    ("arn:aws:sts::1:federated-user/bob", "arn:aws:sts::1:federated-user/bob"),
    ("arn:aws:iam::1:user/bob", "arn:aws:iam::1:user/bob"),
    ("arn:aws:iam::1:role/app", "arn:aws:iam::1:role/app"),
    ("arn:aws:bedrock:us-east-1:1:assumed-role/app/s", "arn:aws:bedrock:us-east-1:1:assumed-role/app/s"),
    ("arn:aws:sts:1:assumed-role/app/s", "arn:aws:sts:1:assumed-role/app/s"),
    ("arn:aws:sts::1:assumed-role/app/a/b", "arn:aws:sts::1:assumed-role/app/*"),
    ("arn::sts::1:assumed-role/app/s", "arn::sts::1:assumed-role/app/s"),
    ("arn:aws:sts:us-east-1:1:assumed-role/app/s", "arn:aws:sts:us-east-1:1:assumed-role/app/s"),
    ("arn:aws:sts:::assumed-role/app/s", "arn:aws:sts:::assumed-role/app/s"),
    ("sk-proj-abc", "sk-proj-abc"),
    ("", ""),
  ])
  func unregisteredSessionsAreShownAsTheirRole(name: String, shown: String) throws {
    #expect(Attributor.unregisteredID(name) == shown)
    let attributor = try attributor()
    let a = attributor.attribute(call(.bedrock, credential: name, agent: "triage"))
    #expect(a.credentialID == shown)
    #expect(a.status == .unregisteredCredential)
    #expect(attributor.attribute(call(.bedrock, credential: name)).credentialID == shown)
  }

  /// A role registered by its IAM ARN (with or without a path) matches its assumed-role sessions,
  /// and only those: same partition, account and role name; an exact or prefix row of the session
  /// comes first.
  @Test func aRoleRegisteredByItsIAMARNMatchesItsSessions() throws {
    let attributor = try attributor(
      credentials: """
        credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
        arn:aws:iam::444455556666:role/service-role/app,bedrock,triage,,,,,
        arn:aws:iam::444455556666:role/batch,bedrock,,CC-BATCH,,,,
        arn:aws:sts::444455556666:assumed-role/batch/nightly-*,bedrock,,CC-NIGHTLY,,,,
        arn:aws:iam::444455556666:role/app,openai,,CC-OTHER,,,,
        """)
    let session = "arn:aws:sts::444455556666:assumed-role/app/inv-9"
    let a = attributor.attribute(call(.bedrock, credential: session))
    #expect(a.credentialID == "arn:aws:iam::444455556666:role/service-role/app")
    #expect(a.status == .agentCredential)
    #expect(a.costCentre == "CC-PLATFORM")
    #expect(
      attributor.attribute(call(.bedrock, credential: "arn:aws:sts::444455556666:assumed-role/batch/x")).costCentre
        == "CC-BATCH")
    #expect(
      attributor.attribute(call(.bedrock, credential: "arn:aws:sts::444455556666:assumed-role/batch/nightly-3"))
        .costCentre
        == "CC-NIGHTLY")
    // Another account, partition or role, a prefix of the role's name, another provider: no match.
    for other in [
      "arn:aws:sts::777788889999:assumed-role/app/inv-9", "arn:aws-cn:sts::444455556666:assumed-role/app/inv-9",
      "arn:aws:sts::444455556666:assumed-role/ap/inv-9", "arn:aws:sts::444455556666:assumed-role/app2/inv-9",
      "arn:aws:sts::444455556666:assumed-role/service-role/app",
    ] {
      let b = attributor.attribute(call(.bedrock, credential: other))
      #expect(b.status == .unattributed, "\(other)")
      #expect(b.credentialID == Attributor.unregisteredID(other))
    }
    #expect(attributor.attribute(call(.anthropic, credential: session)).status == .unattributed)
  }

  /// A role registered by its IAM ARN is as specific as its `…:assumed-role/<role>/*` row: a
  /// shorter prefix row (every role of the account) does not take its sessions; a longer one (into
  /// the session names) does, and so does an equal one, as before (a trial: the same registration
  /// went to the account's catch-all spelled as an IAM ARN, and to its agent spelled as a prefix).
  @Test func aRolesIAMRowIsAsSpecificAsItsAssumedRolePrefix() throws {
    let attributor = try attributor(
      credentials: """
        credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
        arn:aws:sts::444455556666:assumed-role/*,bedrock,,CC-BATCH,,,,
        arn:aws:iam::444455556666:role/app,bedrock,triage,,,,,
        arn:aws:sts::444455556666:assumed-role/app/nightly-*,bedrock,,CC-NIGHTLY,,,,
        """)
    func centre(_ session: String) -> String {
      attributor.attribute(call(.bedrock, credential: "arn:aws:sts::444455556666:assumed-role/" + session)).costCentre
    }
    #expect(centre("app/inv-9") == "CC-PLATFORM")
    #expect(centre("app/nightly-3") == "CC-NIGHTLY")
    #expect(centre("other/s-1") == "CC-BATCH")
  }

  // MARK: Step 5: cost centre as of the call

  @Test(arguments: [
    (At.oct05, "CC-PLATFORM"),
    (At.oct16 - 1, "CC-PLATFORM"),  // 2026-10-15T23:59:59.999Z: still the first row
    (At.oct16, "CC-RESEARCH"),  // valid_to is exclusive: the move takes effect at midnight
    (At.oct16 + 1, "CC-RESEARCH"),
    (At.sep30, "CC-ALICE"),  // before any row: the owner's cost centre, and an unknown agent on that date
  ])
  func agentRowsAreEffectiveDated(time: Int64, costCentre: String) throws {
    let a = try attributor().attribute(call(credential: "key_mover", at: time))
    check(
      a,
      Attribution(
        costCentre: costCentre, agentID: "mover", ownerID: "alice", credentialID: "key_mover",
        status: .agentCredential, signals: time == At.sep30 ? [.unknownAgent] : []))
  }

  @Test func aMoveOnThe16thSplitsTheMonth() throws {
    let attributor = try attributor()
    let on15th = attributor.attribute(call(credential: "key_mover", at: At.oct16 - 3_600_000))
    let on16th = attributor.attribute(call(credential: "key_mover", at: At.oct16 + 3_600_000))
    #expect(on15th.costCentre == "CC-PLATFORM")
    #expect(on16th.costCentre == "CC-RESEARCH")
  }

  /// An agent none of whose rows is in effect (`late` is registered from the 20th) is charged to its owner's cost
  /// centre and is an unknown agent on that date (the registry does not know it then).
  @Test func agentWithNoRowInEffectFallsBackToItsOwner() throws {
    let a = try attributor().attribute(call(credential: "key_late"))
    #expect(a.costCentre == "CC-ALICE")
    #expect(a.agentID == "late")
    #expect(a.ownerID == "alice")
    #expect(a.signals == [.unknownAgent])
    // Claiming an agent not in agents.csv besides: one signal, not two (a review: the call was counted twice).
    let claiming = try attributor().attribute(call(credential: "key_late", agent: "ghost"))
    #expect(claiming.signals.filter { $0 == .unknownAgent }.count == 1)
    #expect(claiming.signals.contains(.agentMismatch))
  }

  /// Either side of `mover`'s first `valid_from` (2026-10-01, inclusive): a millisecond before, no row is in effect.
  @Test func anAgentIsUnknownBeforeItsFirstRowAndKnownFromIt() throws {
    let attributor = try attributor()
    let firstDay = At.oct05 - 4 * 86_400_000 - 9 * 3_600_000  // 2026-10-01T00:00Z
    let before = attributor.attribute(call(credential: "key_mover", at: firstDay - 1))
    let from = attributor.attribute(call(credential: "key_mover", at: firstDay))
    #expect(before.costCentre == "CC-ALICE" && before.signals == [.unknownAgent])
    #expect(from.costCentre == "CC-PLATFORM" && from.signals.isEmpty)
  }

  // MARK: Lifecycle

  @Test(arguments: [
    (At.oct10 - 1, [FindingKind]()),
    (At.oct10, [.revokedCredential]),  // at the instant: revoked
    (At.oct11, [.revokedCredential]),
  ])
  func revokedCredential(time: Int64, signals: [FindingKind]) throws {
    let a = try attributor().attribute(call(credential: "key_revoked", at: time))
    check(
      a,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_revoked",
        scopeID: "scope-agent", status: .agentCredential, signals: signals))
  }

  @Test(arguments: [
    (At.oct10 - 1, [FindingKind]()),
    (At.oct10, [.expiredCredential]),  // expires_at is exclusive: expired at the instant
    (At.oct11, [.expiredCredential]),
  ])
  func expiredCredential(time: Int64, signals: [FindingKind]) throws {
    let a = try attributor().attribute(call(credential: "key_expired", at: time))
    check(
      a,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_expired",
        scopeID: "scope-agent", status: .agentCredential, signals: signals))
  }

  /// One attributor (its memo warm) asked about the same fields either side of every instant of
  /// the directory, in both orders, answers as a fresh one does each time.
  @Test func theMemoNeverCarriesAnAnswerAcrossAnInstant() throws {
    let warm = try attributor()
    let times = [At.oct05, At.oct10 - 1, At.oct10, At.oct10 + 1, At.oct11, At.oct16 - 1, At.oct16, At.oct16 + 1]
    for credential in ["key_revoked", "key_expired", "key_orphan", "key_mover"] {
      for t in times + times.reversed() {
        let fresh = try attributor().attribute(call(credential: credential, at: t))
        #expect(warm.attribute(call(credential: credential, at: t)) == fresh, "\(credential) at \(t)")
      }
    }
  }

  @Test func offboardedOwner() throws {
    let attributor = try attributor()
    let before = attributor.attribute(call(credential: "key_orphan", at: At.oct05))
    check(
      before,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "orphan", ownerID: "bob", credentialID: "key_orphan",
        status: .agentCredential))
    let after = attributor.attribute(call(credential: "key_orphan", at: At.oct11))
    check(
      after,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "orphan", ownerID: "bob", credentialID: "key_orphan",
        status: .agentCredential, signals: [.offboardedOwner]))
  }

  // MARK: Step 6: task and scope

  @Test func taskScopeOverridesTheAgentScope() throws {
    let a = try attributor().attribute(call(credential: "key_triage", task: "T-approved"))
    check(
      a,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_triage",
        taskID: "T-approved", scopeID: "scope-task", status: .agentCredential))
  }

  @Test func scopeComesFromWhicheverIsKnown() throws {
    let attributor = try attributor()
    // A task without a scope keeps the agent's.
    #expect(attributor.attribute(call(credential: "key_triage", task: "T-noscope")).scopeID == "scope-agent")
    // A task missing from tasks.csv keeps the agent's, and raises nothing.
    let missing = attributor.attribute(call(credential: "key_triage", task: "T-missing"))
    #expect(missing.taskID == "T-missing")
    #expect(missing.scopeID == "scope-agent")
    #expect(missing.signals.isEmpty)
    // An agent without a scope takes the task's, of a task for any agent.
    #expect(attributor.attribute(call(credential: "key_mover", task: "T-anyone")).scopeID == "scope-task")
    // No task, no agent scope: none.
    #expect(attributor.attribute(call(credential: "key_mover")).scopeID == nil)
    // The scope of a task for any agent applies to a call nobody can be charged for.
    let nobody = attributor.attribute(call(credential: "key_nobody", task: "T-anyone"))
    #expect(nobody.scopeID == "scope-task")
    #expect(nobody.status == .unattributed)
  }

  /// A task's scope is the call's only for the task's own agent and while the task is open.
  ///
  /// The task id is the caller's claim: else the agent's scope stays (a trial's agent named
  /// another agent's task, with a wider scope, and its out-of-scope model raised nothing). The
  /// call is still the task's.
  @Test func aTaskWidensNothingForAnotherAgentOrOutsideItsDates() throws {
    let attributor = try attributor()
    // T-approved is triage's: mover (no scope of its own) naming it gets none, nobody none.
    let other = attributor.attribute(call(credential: "key_mover", task: "T-approved"))
    #expect(other.taskID == "T-approved" && other.scopeID == nil)
    #expect(attributor.attribute(call(credential: "key_nobody", task: "T-approved")).scopeID == nil)
    // Opened 2026-10-01: on 09-30 triage keeps its own scope.
    #expect(
      attributor.attribute(call(credential: "key_triage", task: "T-approved", at: At.sep30)).scopeID == "scope-agent")
    // T-closed (scope-any) is open from 10-01 to 10-05, 00:00: not on the 5th at 09:00, nor after.
    #expect(
      attributor.attribute(call(credential: "key_triage", task: "T-closed", at: At.oct05)).scopeID == "scope-agent")
    #expect(
      attributor.attribute(call(credential: "key_triage", task: "T-closed", at: At.oct11)).scopeID == "scope-agent")
    // 2026-10-04T23:59:59.999Z, the last instant before it closes: the task's.
    let lastInstant = At.oct05 - 9 * 3_600_000 - 1
    #expect(
      attributor.attribute(call(credential: "key_triage", task: "T-closed", at: lastInstant)).scopeID == "scope-any")
  }

  @Test func unapprovedTask() throws {
    let a = try attributor().attribute(call(credential: "key_triage", task: "T-unapproved"))
    check(
      a,
      Attribution(
        costCentre: "CC-PLATFORM", agentID: "triage", ownerID: "alice", credentialID: "key_triage",
        taskID: "T-unapproved", scopeID: "scope-task", status: .agentCredential, signals: [.unapprovedTask]))
  }

  /// The task is applied to each call, not remembered with the credential: one attributor, one
  /// credential and agent, tasks changing from call to call.
  @Test func theTaskIsAppliedToEachCallNotRemembered() throws {
    let attributor = try attributor()
    let expected: [(task: String?, scope: String?, signals: [FindingKind])] = [
      ("T-unapproved", "scope-task", [.unapprovedTask]), (nil, "scope-agent", []), ("T-approved", "scope-task", []),
      ("T-unapproved", "scope-task", [.unapprovedTask]), ("T-noscope", "scope-agent", []), (nil, "scope-agent", []),
      ("T-missing", "scope-agent", []), ("T-unapproved", "scope-task", [.unapprovedTask]),
    ]
    for e in expected {
      let a = attributor.attribute(call(credential: "key_triage", task: e.task))
      #expect(a.taskID == e.task, "\(String(describing: e.task))")
      #expect(a.scopeID == e.scope, "\(String(describing: e.task))")
      #expect(a.signals == e.signals, "\(String(describing: e.task))")
      #expect(a.agentID == "triage" && a.costCentre == "CC-PLATFORM")
    }
  }

  // MARK: Scopes

  static let scopeCases: [(String, Provider, [String], Bool)] = [
    ("scope-agent", .openai, ["gpt-4.1-mini-2025-04-14"], true),
    ("scope-agent", .openai, ["GPT-4.1-MINI"], true),  // globs ignore case
    ("scope-agent", .openai, ["gpt-4o"], false),
    ("scope-agent", .anthropic, ["claude-sonnet-4-5"], true),  // `Anthropic` in scopes.csv: any case
    ("scope-agent", .anthropic, ["claude-sonnet-4-50"], false),  // `?` is one character
    ("scope-agent", .anthropic, ["claude-opus-4-1-20250805", "claude-sonnet-4-5"], true),  // raw or canonical
    ("scope-agent", .anthropic, ["claude-opus-4-1-20250805", "claude-opus-4-1"], false),
    ("scope-agent", .bedrock, ["gpt-4.1"], false),  // provider not allowed, though the model is
    ("scope-agent", .azure, ["gpt-4.1"], false),
    ("scope-task", .openai, ["gpt-4o-mini"], true),
    ("scope-task", .openai, ["gpt-4o-mini-2024-07-18"], false),  // a glob without `*` is the whole name
    ("scope-any", .vertex, ["gemini-2.5-pro"], true),  // no lists: anything
    ("scope-bedrock", .bedrock, ["amazon.nova-pro-v1:0"], true),
    ("scope-bedrock", .openai, ["gpt-4o"], false),
    ("scope-models", .bedrock, ["us.anthropic.claude-sonnet-4-20250514-v1:0"], true),  // trimmed list items
    ("scope-models", .anthropic, ["claude-haiku-4-5"], true),
    ("scope-models", .openai, ["gpt-4o"], false),
    // A gateway's call to a provider without prices (`<provider>/<model>`): the model after the
    // provider is judged, the provider by allowed_providers.
    ("scope-models", .other, ["groq/claude-haiku-like"], true),
    ("scope-models", .other, ["unknown/gpt-4o"], false),
    ("scope-models", .other, ["claude-x"], true),
    ("scope-agent", .other, ["unknown/gpt-4.1"], false),  // other is not openai or anthropic
    ("scope-models", .openai, ["groq/claude-haiku"], false),  // only `other` names its provider so
  ]

  @Test(arguments: scopeCases)
  func scopeAllows(scope: String, provider: Provider, models: [String], allowed: Bool) throws {
    #expect(
      try attributor().scopeAllows(scope, provider: provider, model: models[0], raw: models[models.count - 1])
        == allowed)
  }

  @Test func scopeAnswersDoNotLeakBetweenQuestions() throws {
    // One attributor, every question twice, in two orders: a cached answer must belong to its question.
    let attributor = try attributor()
    for cases in [Self.scopeCases, Self.scopeCases.reversed()] {
      for (scope, provider, models, allowed) in cases {
        #expect(
          attributor.scopeAllows(scope, provider: provider, model: models[0], raw: models[models.count - 1]) == allowed,
          "\(scope) \(models)")
      }
    }
  }
}
