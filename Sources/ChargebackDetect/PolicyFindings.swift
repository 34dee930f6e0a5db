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
    /// finding.
    var agents = Counts()
    /// Calls per credential, once a call of another credential than the first's came (an unknown
    /// agent claimed through four keys named only the first: a trial).
    var credentials = Counts()
    /// Calls on ``credentialID`` (the first record's credential).
    var firstCredentialCalls: Int128 = 0
  }

  /// Calls per name (agent, credential), at most ``agentLimit`` names, the others' calls together.
  private struct Counts {
    var names: [String: Int128] = [:]
    var others: Int128 = 0

    /// The names, most calls first, then by name.
    var ranked: [(name: String, calls: Int128)] {
      names.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Adds `calls` to `name`'s count (one hash: changed in place), or to ``others`` when full.
    mutating func add(_ name: String, _ calls: Int128) {
      if let j = names.index(forKey: name) {
        names.values[j] += calls
      } else if names.count < PolicyFindings.agentLimit {
        names[name] = calls
      } else {
        others += calls
      }
    }
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
  let tasks: [String: TaskEntry]
  /// The credentials of the directory by provider and id, for a shared credential's own cost centre.
  let credentials: [String: Credential]
  /// Each scope's (the task's, else the agent's) priced cost per cost centre, and its calls (scope
  /// budget findings).
  var scopeCentres: [String: [String: Money]] = [:]
  /// The part of each scope's cost per cost centre at list under provisioned commitments.
  var scopeCentresAtList: [String: [String: AtListUnderFee]] = [:]
  var scopeCalls: [String: Int128] = [:]
  /// The providers each credential id is registered under, to say so when a call's provider is
  /// another (`key_x` registered for `openai`, called through `anthropic`).
  let providersByID: [String: [String]]
  /// The scopes of the directory, to say whether a call out of scope was so by its provider.
  let scopes: [String: Scope]

  /// Each agent's cost centre in its last agents.csv row in effect before the period's end.
  ///
  /// The home of a lifecycle finding about it or its credential (``lifecycleSubject``). Not a
  /// later row: a move after the period must not change its findings' ids when it is reported
  /// again.
  let agentCentres: [String: String]

  /// Each agent's agents.csv rows: an unknown agent's finding says when the call's agent is one
  /// whose rows are not in effect at its time.
  let agentVersions: [String: [AgentVersion]]

  /// When each offboarded person left (people.csv's `offboarded_at`, UTC epoch ms).
  let offboarded: [String: Int64]

  /// The cost centre of `agent` at `event` (a revocation, an expiry, an offboarding: a fixed fact
  /// of the directory), or in its last row before the period's end when no row is in effect then.
  ///
  /// The home of a lifecycle finding (``lifecycleSubject``). With the last row alone, a move
  /// recorded ahead of time (a row from the 20th, after a revocation on the 10th) changed the
  /// home, and with it the ids of findings whose calls had not changed: each was alerted again by
  /// the next daily run (a trial).
  func centre(of agent: String, at event: Int64?) -> String? {
    if let event, let row = agentVersions[agent]?.last(where: { $0.covers(event) }) { return row.costCentre }
    return agentCentres[agent]
  }

  /// Findings over a directory with these tasks, credentials, scopes, agents and offboarding times,
  /// for calls before `end` (UTC epoch ms: the period's end).
  package init(
    tasks: [String: TaskEntry] = [:], credentials: [Credential] = [], scopes: [String: Scope] = [:],
    agents: [String: [AgentVersion]] = [:], offboarded: [String: Int64] = [:], end: Int64 = .max
  ) {
    self.tasks = tasks
    self.offboarded = offboarded
    self.scopes = scopes
    agentVersions = agents
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
    if a.credentialID == acc.values[i].credentialID {
      acc.values[i].firstCredentialCalls += Int128(r.requests)
    } else {
      acc.values[i].credentials.add(a.credentialID ?? "(none)", Int128(r.requests))
    }
    if kind == .sharedCredential || kind == .unregisteredCredential {
      // An agent the call names but the directory does not have is named as such, not "(none)"
      // (a trial: three calls naming agents read as calls naming none).
      let agent = a.agentID ?? r.metadata.agentID.map { "\(Self.cut($0)) (not in agents.csv)" } ?? "(none)"
      acc.values[i].agents.add(agent, Int128(r.requests))
    }
  }

  /// "; calls by agent a (12), b (3) and 2 more agents (5)": the agents charged, most calls first
  /// (then by id), five named; empty when none were counted.
  private static func agentsText(_ a: Accumulator) -> String {
    countsText(
      a.agents.ranked, others: a.agents.others, counted: a.countedCalls, noun: "agent", heads: ("calls by", "charged"))
  }

  /// "; calls on credential k1 (3), k2 (1)": the credentials of a finding whose calls came on more
  /// than one, ranked as ``agentsText(_:)``; empty when all came on the first record's.
  private static func credentialsText(_ a: Accumulator) -> String {
    let all = allCredentials(a)
    guard !all.isEmpty else { return "" }
    return countsText(
      all.map { (cut($0.name), $0.calls) }, others: a.credentials.others, counted: a.countedCalls, noun: "credential",
      heads: ("calls on", "used"))
  }

  /// Every credential of a finding whose calls came on more than one, with its calls, ranked (the
  /// first record's among them); empty when all came on the first record's.
  private static func allCredentials(_ a: Accumulator) -> [(name: String, calls: Int128)] {
    guard !a.credentials.names.isEmpty else { return [] }
    var all = a.credentials
    all.names[a.credentialID ?? "(none)", default: 0] += a.firstCredentialCalls
    return all.ranked
  }

  /// `counts` ranked (most calls first, then by name), five named and the rest counted; with
  /// `heads.0` before them ("calls by agent …") when calls were counted, else `heads.1` after the
  /// plural ("agents charged: …": usage report rows that give no call count name them alone).
  private static func countsText(
    _ ranked: [(name: String, calls: Int128)], others: Int128, counted: Bool, noun: String, heads: (String, String)
  ) -> String {
    guard !ranked.isEmpty else { return "" }
    let named = ranked.prefix(5).map { counted ? "\($0.name) (\($0.calls))" : $0.name }
    let rest = ranked.dropFirst(5)
    let restCount = rest.count + (others > 0 ? 1 : 0)
    let restCalls = rest.reduce(others) { $0 + $1.calls }
    var text = (counted ? "; \(heads.0) \(noun) " : "; \(noun)s \(heads.1): ") + named.joined(separator: ", ")
    if restCount > 0 {
      text += " and \(rest.count)\(others > 0 ? "+" : "") more \(noun)s" + (counted ? " (\(restCalls))" : "")
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
        // Calls on several credentials: none is the finding's (the text names them).
        credentialID: a.credentials.names.isEmpty ? a.credentialID : nil, ownerID: a.ownerID, taskApprover: a.approver,
        firstTime: a.first, lastTime: a.last, calls: a.calls, cost: fees.effective(a.cost, atList: a.atList),
        avoidableCost: .zero, evidence: a.evidence, evidenceCount: a.count,
        explanation: a.detail + Self.agentsText(a) + Self.credentialsText(a) + Self.unpricedText(a))
      f.credentialIDs = Self.allCredentials(a).map(\.name)
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
