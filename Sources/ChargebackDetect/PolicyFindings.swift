import ChargebackModel
import ChargebackSupport

/// Collects lifecycle, identity, policy and budget findings (SPEC §4, §6), one finding per kind and
/// subject (a credential, an agent, a task, a model, a scope), with the text a reader acts on.
///
/// Fed every charged record of the period through ``observe(_:)``; budgets are judged at the end
/// from the totals (``addBudgetFindings(period:costCentres:directory:)``).
package struct PolicyFindings {
  private struct Accumulator {
    var kind: FindingKind
    var subject: String
    var costCentre: String?
    var agentID: String?
    var credentialID: String?
    var ownerID: String?
    var approver: String?
    var first: Int64
    var last: Int64
    var calls: Int128 = 0
    /// Whether a record counted its calls: a request-level record does, a usage report row that
    /// gives a request count does; Anthropic's usage report rows give none.
    var countedCalls = false
    var cost = Money.zero
    /// The part of ``cost`` at list under provisioned commitments (``ProvisionedFees``).
    var atList = AtListUnderFee()
    /// Records noted without a price (counted by records: a report row counts no requests).
    var unpricedRecords: Int128 = 0
    var evidence: [String] = []
    var count: Int128 = 0
    var detail: String
    /// Calls per agent charged (`(none)` for none), for a shared or unregistered credential's
    /// finding; at most ``agentLimit`` agents, the others counted together.
    var agents: [String: Int128] = [:]
    var otherAgents: Int128 = 0
  }

  /// Agents counted one by one per finding of a shared or unregistered credential, whose text
  /// names the agents charged and their calls (who used it is the first question).
  private static let agentLimit = 100

  /// A finding's identity: its kind and subject (a key with no text joined per call).
  private struct Key: Hashable {
    var kind: FindingKind
    var subject: String
  }

  private var acc: [Key: Accumulator] = [:]
  /// Evidence keys kept per finding.
  package static let evidenceLimit = 10
  /// The tasks of the directory, for the requester of an unapproved task.
  private let tasks: [String: TaskEntry]
  /// The credentials of the directory by provider and id, for a shared credential's own cost centre.
  private let credentials: [String: Credential]
  /// Priced cost per scope (the task's, else the agent's), for scope budgets.
  private(set) var scopeCost: [String: Money] = [:]
  /// Each scope's cost per cost centre, and its calls (scope budget findings).
  private(set) var scopeCentres: [String: [String: Money]] = [:]
  /// The part of each scope's cost per cost centre at list under provisioned commitments.
  private(set) var scopeCentresAtList: [String: [String: AtListUnderFee]] = [:]
  private(set) var scopeCalls: [String: Int128] = [:]
  /// The providers each credential id is registered under, to say so when a call's provider is
  /// another (`key_x` registered for `openai`, called through `anthropic`).
  private let providersByID: [String: [String]]
  /// The scopes of the directory, to say whether a call out of scope was so by its provider.
  private let scopes: [String: Scope]

  /// Each agent's cost centre in its last agents.csv row in effect before the period's end.
  ///
  /// The home of a lifecycle finding about it or its credential (``lifecycleSubject``). Not a
  /// later row: a move after the period must not change its findings' ids when it is reported
  /// again.
  private let agentCentres: [String: String]

  /// Findings over a directory with these tasks, credentials, scopes and agents, for calls before
  /// `end` (UTC epoch ms: the period's end).
  package init(
    tasks: [String: TaskEntry] = [:], credentials: [Credential] = [], scopes: [String: Scope] = [:],
    agents: [String: [AgentVersion]] = [:], end: Int64 = .max
  ) {
    self.tasks = tasks
    self.scopes = scopes
    agentCentres = agents.compactMapValues { versions in
      versions.last { ($0.validFrom ?? .min) < end }?.costCentre
    }
    var byID: [String: Credential] = [:]
    var providers: [String: [String]] = [:]
    for c in credentials where byID[c.provider + "\u{0}" + c.id] == nil {
      byID[c.provider + "\u{0}" + c.id] = c
      providers[c.id, default: []].append(c.provider)
    }
    self.credentials = byID
    self.providersByID = providers
  }

  /// Notes one record under a finding of `kind` about `subject`.
  ///
  /// The finding names the cost centre and agent of its first record, unless `owner` names the
  /// subject's own (a shared credential belongs to its cost centre, not to the first caller).
  package mutating func note(
    _ kind: FindingKind, subject: String, record r: UsageRecord, attribution a: Attribution, cost: Money?,
    fee: Int? = nil, detail: @autoclosure () -> String, approver: String? = nil,
    owner: @autoclosure () -> (costCentre: String?, agentID: String?)? = nil
  ) {
    // One lookup per call; what only the finding's first record fills in is worked out then.
    let key = Key(kind: kind, subject: subject)
    var found = acc.index(forKey: key)
    if found == nil {
      let owner = owner()
      acc[key] = Accumulator(
        kind: kind, subject: subject, costCentre: owner.map(\.costCentre) ?? a.costCentre,
        agentID: owner.map(\.agentID) ?? a.agentID,
        credentialID: a.credentialID, ownerID: a.ownerID, approver: approver, first: r.time, last: r.time,
        detail: detail())
      found = acc.index(forKey: key)
    }
    guard let i = found else { return }
    // Mutated in place: one lookup, and no copy of the evidence array.
    acc.values[i].calls += Int128(r.requests)
    if r.level == .request || r.requests > 0 { acc.values[i].countedCalls = true }
    if let cost {
      acc.values[i].cost += cost
      if fee != nil { acc.values[i].atList.add(cost, commitment: fee) }
    } else {
      acc.values[i].unpricedRecords += 1
    }
    acc.values[i].count += 1
    acc.values[i].first = min(acc.values[i].first, r.time)
    acc.values[i].last = max(acc.values[i].last, r.time)
    if acc.values[i].evidence.count < Self.evidenceLimit { acc.values[i].evidence.append(r.naturalKey) }
    if kind == .sharedCredential || kind == .unregisteredCredential {
      // One hash of the agent: its count is changed in place.
      // An agent the call names but the directory does not have is named as such, not "(none)"
      // (a trial: three calls naming agents read as calls naming none).
      let agent = a.agentID ?? r.metadata.agentID.map { "\(Self.cut($0)) (not in agents.csv)" } ?? "(none)"
      if let j = acc.values[i].agents.index(forKey: agent) {
        acc.values[i].agents.values[j] += Int128(r.requests)
      } else if acc.values[i].agents.count < Self.agentLimit {
        acc.values[i].agents[agent] = Int128(r.requests)
      } else {
        acc.values[i].otherAgents += Int128(r.requests)
      }
    }
  }

  /// "; calls by agent a (12), b (3) and 2 more agents (5)": the agents charged, most calls first
  /// (then by id), five named; empty when none were counted.
  private static func agentsText(_ a: Accumulator) -> String {
    guard !a.agents.isEmpty else { return "" }
    let ranked = a.agents.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    // Without counted calls (usage report rows that give none) the agents are named alone.
    let named = ranked.prefix(5).map { a.countedCalls ? "\($0.key) (\($0.value))" : $0.key }
    let rest = ranked.dropFirst(5)
    let restAgents = rest.count + (a.otherAgents > 0 ? 1 : 0)
    let restCalls = rest.reduce(a.otherAgents) { $0 + $1.value }
    var text = (a.countedCalls ? "; calls by agent " : "; agents charged: ") + named.joined(separator: ", ")
    if restAgents > 0 {
      text +=
        " and \(rest.count)\(a.otherAgents > 0 ? "+" : "") more agents" + (a.countedCalls ? " (\(restCalls))" : "")
    }
    return text
  }

  /// A name from a log as an explanation shows it: at most 64 characters, cut with `…`.
  static func cut(_ name: String) -> String { name.count > 64 ? String(name.prefix(63)) + "…" : name }

  /// Adds a finding not tied to single records (a budget).
  package mutating func add(_ f: Finding) { extra.append(f) }
  private var extra: [Finding] = []

  /// The findings, with stable ids, their costs at the provisioned commitments' effective price
  /// (`fees`).
  package func findings(period: Period, fees: ProvisionedFees = ProvisionedFees()) -> [Finding] {
    acc.values.map { a in
      var f = Finding(
        id: FindingID.make(kind: a.kind, period: period, subject: a.subject), kind: a.kind,
        severity: a.kind.severity, period: period.description, costCentre: a.costCentre, agentID: a.agentID,
        credentialID: a.credentialID, ownerID: a.ownerID, taskApprover: a.approver, firstTime: a.first,
        lastTime: a.last, calls: a.calls, cost: fees.effective(a.cost, atList: a.atList), avoidableCost: .zero,
        evidence: a.evidence,
        evidenceCount: a.count, explanation: a.detail + Self.agentsText(a) + Self.unpricedText(a))
      f.hasPricedRecords = a.kind != .unpricedModel && a.unpricedRecords < a.count
      f.callsKnown = a.countedCalls
      return f
    } + extra
  }

  /// "; 3 of 20 usage records have no price: the cost shown is the others'" when some (not all)
  /// of a finding's records are unpriced (counted by records: a report row counts no requests);
  /// empty otherwise (all unpriced: the cost is shown empty).
  private static func unpricedText(_ a: Accumulator) -> String {
    guard a.kind != .unpricedModel, a.unpricedRecords > 0, a.unpricedRecords < a.count else { return "" }
    return "; \(a.unpricedRecords) of \(a.count) usage records have no price: the cost shown is the others'"
  }
}

// MARK: - What one charged record raises

extension PolicyFindings {
  /// Notes the identity, lifecycle, price and scope findings one charged record raises.
  package mutating func observe(_ c: ChargedRecord) {
    // Through `c`: `let r = c.record` and `let a = c.attribution` copied them for every call.
    if c.cost == nil {
      // One per cost centre: each cost centre's workbook explains its own unpriced requests.
      note(
        .unpricedModel, subject: c.record.provider.rawValue + "|" + c.record.model + "|" + c.attribution.costCentre,
        record: c.record, attribution: c.attribution,
        cost: nil,
        detail: c.record.model.isEmpty
          ? "\(c.record.provider.rawValue) usage without a model has no price: \(c.unpricedReason ?? "unknown"); its calls"
            + " are left out of every total"
          : "\(c.record.provider.rawValue) model \"\(c.record.model)\" has no price: \(c.unpricedReason ?? "unknown"); its calls are left out of every total until a price or alias is added to pricing/"
      )
    }
    noteSignals(c.attribution, c.record, cost: c.cost, fee: c.feeCommitment)
    if let scope = c.attribution.scopeID {
      scopeCost[scope, default: .zero] += c.costOrZero
      scopeCentres[scope, default: [:]][c.attribution.costCentre, default: .zero] += c.costOrZero
      if c.feeCommitment != nil {
        scopeCentresAtList[scope, default: [:]][c.attribution.costCentre, default: AtListUnderFee()].add(
          c.cost, commitment: c.feeCommitment)
      }
      scopeCalls[scope, default: 0] += Int128(c.record.requests)
      if !c.inScope {
        let allowed = scopes[scope]?.allowedProviders ?? []
        let byProvider = !allowed.isEmpty && !allowed.contains(c.record.provider.rawValue)
        // A call that names no model is out of scope only by its provider: no model glob can be
        // judged on it (the unpriced finding says the model is missing).
        if byProvider || !c.model.isEmpty {
          note(
            .outOfScopeModel, subject: (c.attribution.agentID ?? "-") + "|" + scope + "|" + c.model, record: c.record,
            attribution: c.attribution,
            cost: c.cost, fee: c.feeCommitment,
            // The finding is the agent's, scope's and model's, whichever provider served the calls (a
            // model through Bedrock and through a gateway to Anthropic): the text names no provider
            // (it named the first call's, as if the other's calls were not in it), unless the
            // provider is what the scope does not allow.
            detail: byProvider
              ? "agent \(c.attribution.agentID ?? "?") called \(c.model.isEmpty ? "a model" : "model \(c.model)") through provider \(c.record.provider.rawValue), which scope \(scope) does not allow (it allows \(allowed.joined(separator: ", ")))"
              : "agent \(c.attribution.agentID ?? "?") called model \(c.model), which scope \(scope) does not allow")
        }
      }
    }
  }

  /// Notes report usage beyond the request logs of a covered credential (SPEC §3.1); `excess` is
  /// every unlogged record of the same provider and credential, for the text.
  package mutating func noteUnlogged(_ c: ChargedRecord, excess: [ChargedRecord]) {
    let r = c.record
    let parts = excess.map { e in
      let u = e.record
      let classes = TokenClass.allCases.filter { u.tokens[$0] > 0 }.map { "\(u.tokens[$0]) \($0.rawValue)" }
      let window = u.contextWindow.map { " " + $0 } ?? ""
      return "\(Timestamp.day(u.time)) \(e.model) \(u.tier.rawValue)\(window): " + classes.joined(separator: ", ")
    }
    let shown = parts.prefix(3).joined(separator: "; ") + (parts.count > 3 ? "; and \(parts.count - 3) more" : "")
    note(
      .unloggedUsage, subject: Self.unloggedSubject(r), record: r, attribution: c.attribution, cost: c.cost,
      fee: c.feeCommitment,
      detail:
        "\(r.provider.rawValue) reports usage on credential \(r.credential ?? "?") beyond what the request logs show (\(shown)): calls that bypassed the gateway or logging path"
    )
  }

  /// The subject of an unlogged-usage finding: one per provider and credential.
  package static func unloggedSubject(_ r: UsageRecord) -> String {
    r.provider.rawValue + "|" + (r.credential ?? "-")
  }

  private mutating func noteSignals(_ a: Attribution, _ r: UsageRecord, cost: Money?, fee: Int?) {
    // Locals (a retain each): the texts below read them while `note` changes `self`.
    let credentials = credentials
    let providersByID = providersByID
    /// "is not in credentials.csv", or, when the id is registered under other providers than the
    /// call's, says so: the short text had sent a trial looking for a row that was there.
    func notListed(_ id: String, _ r: UsageRecord) -> String {
      guard let others = providersByID[id], !others.isEmpty else { return "is not in credentials.csv" }
      return "is in credentials.csv for \(others.sorted().joined(separator: ", ")) only, not for "
        + "\(r.credentialProviderID) (a credential needs a row for each provider it calls)"
    }
    /// The cost centre credentials.csv gives the record's credential `cred`.
    func ownCostCentre(_ r: UsageRecord, _ cred: String) -> String? {
      credentials[r.credentialProviderID + "\u{0}" + cred]?.costCentre
    }
    let cred = a.credentialID ?? "(none)"
    /// The credential as the texts name it: its id, then what a person knows it by, when the id is
    /// a hash or a key (a LiteLLM virtual key is logged as its SHA-256): the `description` of its
    /// credentials.csv row, and the alias the call was logged with (LiteLLM's
    /// `user_api_key_alias`). Without them, a finding asking to rotate a key named only 64 hex
    /// digits. Made for a finding's first call only (the texts are autoclosures).
    func named() -> String {
      var also: [String] = []
      if let d = credentials[r.credentialProviderID + "\u{0}" + cred]?.description, !d.isEmpty { also.append(d) }
      if let alias = r.credentialAlias, !alias.isEmpty, alias != cred, !also.contains(alias) {
        also.append("alias " + alias)
      }
      return also.isEmpty ? cred : "\(cred) (\(also.joined(separator: "; ")))"
    }
    /// Whether an unregistered credential is shown as its role (Attributor.unregisteredID): the
    /// record's own name is one session of it. Read only in the texts (autoclosures: first call).
    func asRole() -> Bool { cred.hasSuffix("/*") && r.credential != cred }
    let agent = a.agentID ?? "(none)"
    /// The subject of a finding whose calls are charged where each call's claim puts them (an
    /// unregistered credential, an unknown agent, an unapproved task): one finding per cost centre
    /// charged, so that each owner's workbook shows its own part (one finding filed under the first
    /// call's cost centre showed another's spend there, and none in the other's). The cost centre
    /// comes first with its length, so no two (subject, cost centre) pairs give the same text.
    func perCentre(_ subject: String) -> String {
      let cc = a.costCentre
      return "\(cc.utf8.count):\(cc)|\(subject)"
    }
    /// The subject of a revoked or expired credential's finding, or an offboarded owner's (`home`:
    /// the cost centre of the credential's row or bound agent, or the agent's, in its latest row):
    /// the subject itself for calls charged there, else one per cost centre charged, as
    /// ``perCentre(_:)``. One finding filed under its first call's cost centre showed another's
    /// spend on a revoked key, and none in the other's workbook (a trial); and which one was first
    /// followed the order the records were loaded in.
    func lifecycleSubject(_ subject: String, home: String?) -> String {
      home == a.costCentre ? subject : perCentre(subject)
    }
    /// A bound credential's home is its agent's (credentials.csv's `cost_centre` is only a
    /// shared credential's, SPEC §4); a shared one's is that column.
    func credentialHome() -> String? {
      guard let row = credentials[r.credentialProviderID + "\u{0}" + cred] else { return nil }
      if let agent = row.agentID, !agent.isEmpty { return agentCentres[agent] }
      return row.costCentre.flatMap { $0.isEmpty ? nil : $0 }
    }
    for s in a.signals {
      switch s {
      case .unattributed:
        note(
          s, subject: cred, record: r, attribution: a, cost: cost, fee: fee,
          detail: credentials[r.credentialProviderID + "\u{0}" + cred] != nil
            ? "calls on credential \(named()) charge agent \(agent), which has no agents.csv row in effect at the call's time and no owner with a cost centre: spend charged to UNATTRIBUTED"
            : asRole()
              ? "the sessions of role \(cred) are not in credentials.csv and their calls name no registered agent: spend charged to UNATTRIBUTED"
              : "credential \(named()) \(notListed(cred, r)) and its calls name no registered agent: spend charged to UNATTRIBUTED"
        )
      case .unregisteredCredential:
        note(
          s, subject: perCentre(cred), record: r, attribution: a, cost: cost, fee: fee,
          detail: asRole()
            ? "the sessions of role \(cred) are not in credentials.csv; their calls claim agent \(agent), which is charged: register the role (that row, or its IAM role ARN) or revoke it"
            : a.credentialID == nil
              ? "calls that name no credential claim agent \(agent), which is charged on that claim alone: have the caller log its credential (for OTel spans, chargeback.credential_id)"
              : "credential \(named()) \(notListed(cred, r)); its calls claim agent \(agent), which is charged: register or revoke the credential"
        )
      case .sharedCredential:
        // One finding per cost centre charged, as for an unregistered credential: filed whole under
        // the credential's own cost centre, its workbook showed the other cost centres' agents and
        // spend (a trial). Each names the credential's own cost centre, which binds it (looked up
        // for the finding's first call only: the arguments are autoclosures), and no agent.
        note(
          s, subject: perCentre(cred), record: r, attribution: a, cost: cost, fee: fee,
          detail:
            "credential \(named()) is shared (no agent bound): calls are charged to the agent they name, or else to "
            + (ownCostCentre(r, cred).map { "its cost centre \($0)" }
              ?? "nobody: credentials.csv gives it no cost centre"),
          owner: (a.costCentre, nil))
      case .agentMismatch:
        let claimed = r.metadata.agentID ?? "?"
        note(
          s, subject: cred + "|" + claimed, record: r, attribution: a, cost: cost, fee: fee,
          detail:
            "calls on credential \(named()), bound to agent \(agent), claim to come from agent \(claimed); charged to \(agent)"
        )
      case .unknownAgent:
        let claimed = r.metadata.agentID ?? a.agentID ?? "?"
        // The agent the credential is bound to (credentials.csv's agent_id), when the calls name
        // no other: the text blamed the calls' claim for a typo in the binding.
        let bound = a.agentID.flatMap { b in r.metadata.agentID == nil || r.metadata.agentID == b ? b : nil }
        note(
          s, subject: perCentre(claimed), record: r, attribution: a, cost: cost, fee: fee,
          detail: bound != nil
            ? "credential \(named()) is bound to agent \(claimed) in credentials.csv, which is not in agents.csv"
            : "calls name agent \(claimed), which is not in agents.csv")
      case .revokedCredential:
        note(
          s, subject: lifecycleSubject(cred, home: credentialHome()), record: r, attribution: a, cost: cost, fee: fee,
          detail: "credential \(named()) was used after it was revoked: rotate it and find who holds it")
      case .expiredCredential:
        note(
          s, subject: lifecycleSubject(cred, home: credentialHome()), record: r, attribution: a, cost: cost, fee: fee,
          detail: "credential \(named()) was used after its expiry date")
      case .offboardedOwner:
        note(
          s, subject: lifecycleSubject(agent, home: a.agentID.flatMap { agentCentres[$0] }), record: r, attribution: a,
          cost: cost, fee: fee,
          detail:
            "agent \(agent) ran after its owner \(a.ownerID ?? "?") was offboarded: assign a new owner or retire it")
      case .unapprovedTask:
        let task = a.taskID ?? "?"
        let tasks = tasks  // read by the text, made for the finding's first call only
        note(
          s, subject: perCentre(task), record: r, attribution: a, cost: cost, fee: fee,
          detail:
            "task \(task) has no approver in tasks.csv but ran calls\(tasks[task]?.requestedBy.map { " (requested by \($0))" } ?? "")"
        )
      default:
        break
      }
    }
  }
}
