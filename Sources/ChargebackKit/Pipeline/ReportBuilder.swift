/// Attributes, prices and aggregates one period of the store into a ``ChargebackReport``.
///
/// One streaming pass over the period's records; memory grows with the number of distinct lines,
/// days and findings, never with the number of records.
package struct ReportBuilder {
  private let store: UsageStore
  private let identities: IdentityDirectory
  private let prices: PriceTable
  private let labels: Labels
  private let progress: Progress

  package init(
    store: UsageStore, identities: IdentityDirectory, prices: PriceTable, labels: Labels = Labels(),
    progress: Progress = Progress()
  ) {
    self.store = store
    self.identities = identities
    self.prices = prices
    self.labels = labels
    self.progress = progress
  }

  /// Builds the report of `period`.
  /// - Complexity: O(n) in the period's records, plus sorting the lines.
  package func build(period: Period) throws -> ChargebackReport {
    let attributor = Attributor(directory: identities)
    let pricer = Pricer(table: prices)
    var lines: [ChargebackLine.Key: ChargebackLine] = [:]
    var daily: [DayKey: DailyTotal] = [:]
    var dayNames: [Int64: String] = [:]
    var centres: [String: CostCentreSummary] = [:]
    var scopeCost: [String: Money] = [:]
    var rowsUsed = Set<Int>()
    var files = Set<Int64>()
    var findings = PolicyFindings()
    var count: Int64 = 0
    var unpriced: Int64 = 0

    try store.forEachRecord(from: period.startMillis, to: period.endMillis) { stored in
      let r = stored.record
      guard r.level != .cost else { return }  // cost reports reconcile; they are never charged
      count += 1
      if count % 100_000 == 0 { progress.update("pricing \(period): \(count) records") }
      files.insert(stored.fileID)
      let a = attributor.attribute(r)
      let quote = pricer.price(
        provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
        totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
      rowsUsed.formUnion(quote.rows)
      let cost = quote.cost ?? .zero
      let model = quote.canonicalModel ?? r.model

      let key = ChargebackLine.Key(
        costCentre: a.costCentre, agentID: a.agentID, credentialID: a.credentialID, taskID: a.taskID,
        provider: r.provider, model: model, tier: r.tier, status: a.status, priced: quote.cost != nil)
      lines[key, default: ChargebackLine(key: key)].add(r, cost: cost)

      let dayNumber = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
      daily[
        DayKey(costCentre: a.costCentre, day: dayNumber),
        default: DailyTotal(costCentre: a.costCentre, day: dayName(dayNumber, &dayNames))
      ]
      .add(r, cost: cost)
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
      noteSignals(a, r, cost: quote.cost, findings: &findings, attributor: attributor)
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
    }

    addBudgetFindings(period: period, centres: centres, scopeCost: scopeCost, findings: &findings)
    var allFindings = labels.apply(to: findings.findings(period: period))
    allFindings.sort {
      $0.severity != $1.severity ? $0.severity > $1.severity : ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id)
    }
    for f in allFindings {
      guard let c = f.costCentre, centres[c] != nil else { continue }
      centres[c]!.findings += 1
      centres[c]!.avoidableCost += f.avoidableCost
    }
    let inputs = try store.files().filter { files.contains($0.id) }.map {
      InputFileSummary(path: $0.path, sha256: $0.sha256, format: $0.format, level: $0.level, records: $0.records)
    }
    progress.done("priced \(count) records of \(period)")
    return ChargebackReport(
      period: period, lines: lines.values.sorted { $0.key < $1.key },
      costCentres: centres.values.sorted { $0.id < $1.id },
      daily: daily.values.sorted { ($0.costCentre, $0.day) < ($1.costCentre, $1.day) }, findings: allFindings,
      priceRowsUsed: rowsUsed.sorted().map { prices.rows[$0] }, inputs: inputs,
      identityHash: identities.contentHash, pricingHash: prices.contentHash, recordCount: count,
      unpricedRecords: unpriced)
  }

  private struct DayKey: Hashable {
    var costCentre: String
    var day: Int64
  }

  private func dayName(_ day: Int64, _ cache: inout [Int64: String]) -> String {
    if let s = cache[day] { return s }
    let s = Timestamp.day(day * Timestamp.millisPerDay)
    cache[day] = s
    return s
  }

  private func noteSignals(
    _ a: Attribution, _ r: UsageRecord, cost: Money?, findings: inout PolicyFindings, attributor: Attributor
  ) {
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

  private func addBudgetFindings(
    period: Period, centres: [String: CostCentreSummary], scopeCost: [String: Money], findings: inout PolicyFindings
  ) {
    for cc in centres.values.sorted(by: { $0.id < $1.id }) {
      guard let budget = cc.budget, cc.cost > budget else { continue }
      findings.add(
        budgetFinding(
          .costCentreBudgetExceeded, period: period, subject: cc.id, costCentre: cc.id, cost: cc.cost, budget: budget,
          text:
            "cost centre \(cc.id) spent \(cc.cost.formatted(decimals: 2)) USD against a monthly budget of \(budget.formatted(decimals: 2)) USD"
        ))
    }
    for (scope, cost) in scopeCost.sorted(by: { $0.key < $1.key }) {
      guard let budget = identities.scopes[scope]?.monthlyBudget, cost > budget else { continue }
      findings.add(
        budgetFinding(
          .scopeBudgetExceeded, period: period, subject: scope, costCentre: nil, cost: cost, budget: budget,
          text:
            "scope \(scope) spent \(cost.formatted(decimals: 2)) USD against a monthly budget of \(budget.formatted(decimals: 2)) USD"
        ))
    }
  }

  private func budgetFinding(
    _ kind: FindingKind, period: Period, subject: String, costCentre: String?, cost: Money, budget: Money, text: String
  ) -> Finding {
    Finding(
      id: FindingID.make(kind: kind, period: period, subject: subject), kind: kind, severity: kind.severity,
      period: period.description, costCentre: costCentre, agentID: nil, credentialID: nil,
      ownerID: costCentre.flatMap { identities.costCentres[$0]?.owner },
      taskApprover: nil, firstTime: period.startMillis, lastTime: period.endMillis - 1, calls: 0, cost: cost,
      avoidableCost: .zero, evidence: [], evidenceCount: 0, explanation: text)
  }
}

extension ChargebackLine {
  mutating func add(_ r: UsageRecord, cost: Money) {
    tokens += r.tokens
    requests += r.requests
    if r.failed { failedRequests += r.requests }
    self.cost += cost
  }
}

extension DailyTotal {
  mutating func add(_ r: UsageRecord, cost: Money) {
    tokens += r.tokens
    requests += r.requests
    self.cost += cost
  }
}

extension ChargebackLine.Key: Comparable {
  package static func < (a: Self, b: Self) -> Bool {
    let l = [
      a.costCentre, a.agentID ?? "", a.credentialID ?? "", a.taskID ?? "", a.provider.rawValue, a.model,
      a.tier.rawValue, a.status.rawValue, a.priced ? "1" : "0",
    ]
    let r = [
      b.costCentre, b.agentID ?? "", b.credentialID ?? "", b.taskID ?? "", b.provider.rawValue, b.model,
      b.tier.rawValue, b.status.rawValue, b.priced ? "1" : "0",
    ]
    return l.lexicographicallyPrecedes(r)
  }
}
