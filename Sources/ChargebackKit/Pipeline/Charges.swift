/// Where a chargeback line's usage was seen.
package enum LineSource: String, Sendable, CaseIterable {
  /// Request-level logs.
  case request
  /// The provider's usage report, for credentials and days no request log covers.
  case report
  /// Report usage beyond what the request logs show (SPEC §3.1).
  case unlogged
}

/// The running totals of one report pass: every charged record goes through ``charge(_:source:)``,
/// which attributes it, prices it and adds it to the lines, days, cost centres and findings.
final class Charges {
  private let identities: IdentityDirectory
  private let attributor: Attributor
  private let pricer: Pricer
  private(set) var lines: [ChargebackLine.Key: ChargebackLine] = [:]
  private(set) var daily: [DayKey: DailyTotal] = [:]
  private var dayNames: [Int64: String] = [:]
  private(set) var centres: [String: CostCentreSummary] = [:]
  private(set) var scopeCost: [String: Money] = [:]
  private(set) var rowsUsed = Set<Int>()
  /// Findings raised so far; the builder adds its own.
  var findings = PolicyFindings()
  /// Records that could not be priced.
  private(set) var unpriced: Int64 = 0
  /// Priced usage per day × credential × model × tier × cost centre × agent × task, split by token
  /// class and price row (`focus.csv`'s grain); see ``classChargeList()``.
  private var classCharges: [ClassGroup: [ClassAmount]] = [:]
  private let collectClassCharges: Bool

  /// `classCharges: false` for passes that only feed the detectors.
  init(identities: IdentityDirectory, attributor: Attributor, pricer: Pricer, classCharges: Bool = true) {
    self.identities = identities
    self.attributor = attributor
    self.pricer = pricer
    collectClassCharges = classCharges
  }

  /// What charging one record decided.
  struct Charged {
    var attribution: Attribution
    /// Canonical model, or the raw name when it did not resolve.
    var model: String
    /// nil when unpriced.
    var cost: Money?
    /// The exact cost of each token class (empty when unpriced).
    var parts: [PriceQuote.Part] = []
  }

  /// Attributes, prices and adds one record.
  @discardableResult
  func charge(_ r: UsageRecord, source: LineSource) -> Charged {
    let a = attributor.attribute(r)
    let quote = pricer.price(
      provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
      totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
    rowsUsed.formUnion(quote.rows)
    let cost = quote.cost ?? .zero
    let model = quote.canonicalModel ?? r.model

    let key = ChargebackLine.Key(
      costCentre: a.costCentre, agentID: a.agentID, credentialID: a.credentialID, taskID: a.taskID,
      provider: r.provider, model: model, tier: r.tier, status: a.status, priced: quote.cost != nil, source: source)
    lines[key, default: ChargebackLine(key: key)].add(r, cost: cost)

    let dayNumber = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
    let dayKey = DayKey(costCentre: a.costCentre, day: dayNumber)
    if daily[dayKey] == nil { daily[dayKey] = DailyTotal(costCentre: a.costCentre, day: dayName(dayNumber)) }
    daily[dayKey]?.add(r, cost: cost)
    if collectClassCharges, quote.cost != nil, !quote.parts.isEmpty {
      let group = ClassGroup(
        day: dayNumber, credentialID: a.credentialID, provider: r.provider, model: model, tier: r.tier,
        costCentre: a.costCentre, agentID: a.agentID, taskID: a.taskID)
      Self.merge(quote.parts, into: &classCharges[group, default: []])
    }
    var cc =
      centres[a.costCentre]
      ?? CostCentreSummary(
        id: a.costCentre, name: identities.costCentres[a.costCentre]?.name ?? a.costCentre,
        budget: identities.costCentres[a.costCentre]?.monthlyBudget)
    cc.requests += r.requests
    cc.tokens += r.tokens
    cc.cost += cost
    if quote.cost == nil { cc.unpricedRequests += r.requests }
    centres[a.costCentre] = cc

    if quote.cost == nil {
      unpriced += 1
      findings.note(
        .unpricedModel, subject: r.provider.rawValue + "|" + r.model, record: r, attribution: a, cost: nil,
        detail:
          "\(r.provider.rawValue) model \"\(r.model)\" has no price: \(quote.unpricedReason ?? "unknown"); its calls are left out of every total until a price or alias is added to pricing/"
      )
    }
    noteSignals(a, r, cost: quote.cost)
    if let scope = a.scopeID {
      scopeCost[scope, default: .zero] += cost
      if !attributor.scopeAllows(scope, provider: r.provider, models: [model, r.model]) {
        findings.note(
          .outOfScopeModel, subject: (a.agentID ?? "-") + "|" + scope + "|" + model, record: r, attribution: a,
          cost: quote.cost,
          detail:
            "agent \(a.agentID ?? "?") called \(r.provider.rawValue)/\(model), which scope \(scope) does not allow")
      }
    }
    return Charged(attribution: a, model: model, cost: quote.cost, parts: quote.parts)
  }

  struct DayKey: Hashable {
    var costCentre: String
    var day: Int64
  }

  /// What a class charge is summed over, but its token class and price row.
  struct ClassGroup: Hashable {
    var day: Int64
    var credentialID: String?
    var provider: Provider
    var model: String
    var tier: Tier
    var costCentre: String
    var agentID: String?
    var taskID: String?
  }

  /// One token class and price row within a ``ClassGroup``.
  struct ClassAmount {
    var tokenClass: TokenClass
    var row: Int
    var units: Int64
    var cost: Money
  }

  /// Adds a record's per-class costs; a group holds a handful of classes, so a linear search.
  private static func merge(_ parts: [PriceQuote.Part], into amounts: inout [ClassAmount]) {
    for p in parts {
      if let i = amounts.firstIndex(where: { $0.tokenClass == p.tokenClass && $0.row == p.row }) {
        amounts[i].units += p.units
        amounts[i].cost += p.cost
      } else {
        amounts.append(ClassAmount(tokenClass: p.tokenClass, row: p.row, units: p.units, cost: p.cost))
      }
    }
  }

  /// The class charges of the pass, sorted (see ``ChargebackReport/classCharges``).
  func classChargeList() -> [ClassCharge] {
    var names: [String: String] = [:]
    for c in identities.credentials {
      if names[c.id] == nil, let d = c.description, !d.isEmpty { names[c.id] = d }
    }
    var list: [ClassCharge] = []
    list.reserveCapacity(classCharges.count * 3)
    for (g, amounts) in classCharges {
      let day = dayName(g.day)
      for a in amounts {
        list.append(
          ClassCharge(
            day: day, credentialID: g.credentialID, credentialName: g.credentialID.flatMap { names[$0] },
            provider: g.provider, model: g.model, tier: g.tier, tokenClass: a.tokenClass,
            price: pricer.table.rows[a.row], costCentre: g.costCentre, agentID: g.agentID, taskID: g.taskID,
            units: a.units, cost: a.cost))
      }
    }
    let classOrder = Dictionary(uniqueKeysWithValues: TokenClass.allCases.enumerated().map { ($1, $0) })
    list.sort { x, y in
      let a = (x.day, x.provider.rawValue, x.credentialID ?? "", x.model, x.tier.rawValue)
      let b = (y.day, y.provider.rawValue, y.credentialID ?? "", y.model, y.tier.rawValue)
      if a != b { return a < b }
      let c = (classOrder[x.tokenClass] ?? 0, x.price.minInputTokens, x.price.from, x.costCentre)
      let d = (classOrder[y.tokenClass] ?? 0, y.price.minInputTokens, y.price.from, y.costCentre)
      if c != d { return c < d }
      return (x.agentID ?? "", x.taskID ?? "") < (y.agentID ?? "", y.taskID ?? "")
    }
    return list
  }

  private func dayName(_ day: Int64) -> String {
    if let s = dayNames[day] { return s }
    let s = Timestamp.day(day * Timestamp.millisPerDay)
    dayNames[day] = s
    return s
  }

  private func noteSignals(_ a: Attribution, _ r: UsageRecord, cost: Money?) {
    let cred = a.credentialID ?? "(none)"
    let agent = a.agentID ?? "(none)"
    for s in a.signals {
      switch s {
      case .unattributed:
        findings.note(
          s, subject: cred, record: r, attribution: a, cost: cost,
          detail:
            "credential \(cred) is not in credentials.csv and its calls name no registered agent: spend charged to UNATTRIBUTED"
        )
      case .unregisteredCredential:
        findings.note(
          s, subject: cred, record: r, attribution: a, cost: cost,
          detail:
            "credential \(cred) is not in credentials.csv; its calls claim agent \(agent), which is charged: register or revoke the credential"
        )
      case .sharedCredential:
        findings.note(
          s, subject: cred, record: r, attribution: a, cost: cost,
          detail:
            "credential \(cred) is shared (no agent bound): calls are charged to the agent they name or to cost centre \(a.costCentre)"
        )
      case .agentMismatch:
        let claimed = r.metadata.agentID ?? "?"
        findings.note(
          s, subject: cred + "|" + claimed, record: r, attribution: a, cost: cost,
          detail:
            "calls on credential \(cred), bound to agent \(agent), claim to come from agent \(claimed); charged to \(agent)"
        )
      case .unknownAgent:
        let claimed = r.metadata.agentID ?? a.agentID ?? "?"
        findings.note(
          s, subject: claimed, record: r, attribution: a, cost: cost,
          detail: "calls name agent \(claimed), which is not in agents.csv")
      case .revokedCredential:
        findings.note(
          s, subject: cred, record: r, attribution: a, cost: cost,
          detail: "credential \(cred) was used after it was revoked: rotate it and find who holds it")
      case .expiredCredential:
        findings.note(
          s, subject: cred, record: r, attribution: a, cost: cost,
          detail: "credential \(cred) was used after its expiry date")
      case .offboardedOwner:
        findings.note(
          s, subject: agent, record: r, attribution: a, cost: cost,
          detail:
            "agent \(agent) ran after its owner \(a.ownerID ?? "?") was offboarded: assign a new owner or retire it")
      case .unapprovedTask:
        let task = a.taskID ?? "?"
        let requester = identities.tasks[task]?.requestedBy
        findings.note(
          s, subject: task, record: r, attribution: a, cost: cost,
          detail:
            "task \(task) has no approver in tasks.csv but ran calls\(requester.map { " (requested by \($0))" } ?? "")")
      default:
        break
      }
    }
  }

}
