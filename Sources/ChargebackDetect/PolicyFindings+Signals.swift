import ChargebackModel
import ChargebackSupport

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
    /// the cost centre of the credential's row or bound agent, or the agent's, when the credential
    /// was revoked or expired or the owner left, ``centre(of:at:)``):
    /// the subject itself for calls charged there, else one per cost centre charged, as
    /// ``perCentre(_:)``. One finding filed under its first call's cost centre showed another's
    /// spend on a revoked key, and none in the other's workbook (a trial); and which one was first
    /// followed the order the records were loaded in.
    func lifecycleSubject(_ subject: String, home: String?) -> String {
      home == a.costCentre ? subject : perCentre(subject)
    }
    /// A bound credential's home is its agent's at `event` (its revocation or expiry; credentials.csv's
    /// `cost_centre` is only a shared credential's, SPEC §4); a shared one's is that column.
    func credentialHome(_ event: (Credential) -> Int64?) -> String? {
      guard let row = credentials[r.credentialProviderID + "\u{0}" + cred] else { return nil }
      if let agent = row.agentID, !agent.isEmpty { return centre(of: agent, at: event(row)) }
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
        // The charged agent is registered, but none of its rows is in effect at the call's time.
        if let charged = a.agentID, let rows = agentVersions[charged], !rows.contains(where: { $0.covers(r.time) }) {
          let dates = rows.map { v in
            "from \(v.validFrom.map(Timestamp.day) ?? "the start") until \(v.validTo.map(Timestamp.day) ?? "further notice")"
          }
          let charge =
            a.costCentre == Attribution.unattributed
            ? "UNATTRIBUTED: its owner has no cost centre" : "\(a.costCentre), its owner's or its credential's"
          note(
            s, subject: perCentre(charged), record: r, attribution: a, cost: cost, fee: fee,
            detail:
              "agent \(charged) ran on \(Timestamp.day(r.time)), a date none of its agents.csv rows is in effect (\(dates.joined(separator: ", "))): "
              + "it was retired, or not yet registered; charged to \(charge). Revoke its credentials, or give it a row for"
              + " these dates")
          // A claim of an agent not in agents.csv besides is a finding of its own.
          guard let named = r.metadata.agentID, named != charged, agentVersions[named] == nil else { continue }
        }
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
          s, subject: lifecycleSubject(cred, home: credentialHome(\.revokedAt)), record: r, attribution: a, cost: cost,
          fee: fee, detail: "credential \(named()) was used after it was revoked: rotate it and find who holds it")
      case .expiredCredential:
        note(
          s, subject: lifecycleSubject(cred, home: credentialHome(\.expiresAt)), record: r, attribution: a, cost: cost,
          fee: fee, detail: "credential \(named()) was used after its expiry date")
      case .offboardedOwner:
        note(
          s,
          subject: lifecycleSubject(
            agent, home: a.agentID.flatMap { centre(of: $0, at: a.ownerID.flatMap { offboarded[$0] }) }),
          record: r, attribution: a,
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
