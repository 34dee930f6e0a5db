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
  private let settings: DetectionSettings

  package init(
    store: UsageStore, identities: IdentityDirectory, prices: PriceTable, labels: Labels = Labels(),
    settings: DetectionSettings = DetectionSettings(), progress: Progress = Progress()
  ) {
    self.store = store
    self.identities = identities
    self.prices = prices
    self.labels = labels
    self.settings = settings
    self.progress = progress
  }

  /// Builds the report of `period`.
  ///
  /// Request-level records are charged as they are. Report-level rows are charged as they are too,
  /// unless request-level records of the same provider and credential cover that day: then only
  /// the report's usage in excess of the logs is charged, as unlogged usage (SPEC §3.1, §10).
  /// Cost-level rows are never charged; they feed the reconciliation.
  /// - Complexity: O(n) in the period's records, plus sorting the lines.
  package func build(period: Period) throws -> ChargebackReport {
    let charges = Charges(
      identities: identities, attributor: Attributor(directory: identities), pricer: Pricer(table: prices))
    let overlap = try Overlap(store: store, period: period, prices: prices)
    var reconciliation = Reconciliation(prices: prices)
    var storms = RetryStorms(settings: settings, period: period)
    var loops = RecursiveLoops(settings: settings, period: period)
    var spikes = try baseline(period: period)
    let duplicates = try store.crossFormatDuplicates(from: period.startMillis, to: period.endMillis)
    var files = Set<Int64>()
    var count: Int64 = 0

    try store.forEachRecordConcurrently(from: period.startMillis, to: period.endMillis) { stored in
      let r = stored.record
      files.insert(stored.fileID)
      if r.level == .cost {
        reconciliation.addBilled(r)
        return
      }
      if !duplicates.isEmpty, duplicates.contains(stored.id) { return }  // the same call from another log
      count += 1
      if count % 100_000 == 0 { progress.update("pricing \(period): \(count) records") }
      if r.level == .report, overlap.covers(r) {
        overlap.addReport(r, id: stored.id)
        return
      }
      let charged = charges.charge(r, source: r.level == .request ? .request : .report)
      reconciliation.addComputed(r, model: charged.model, cost: charged.cost)
      storms.observe(r, charged.attribution, model: charged.model, cost: charged.cost)
      loops.observe(r, charged.attribution, model: charged.model, cost: charged.cost)
      spikes.observe(r, charged.attribution, model: charged.model, cost: charged.cost, parts: charged.parts)
    }
    let unlogged = overlap.unloggedRecords()
    var summaries: [String: [String]] = [:]
    for u in unlogged { summaries[Self.unloggedSubject(u.record), default: []].append(u.summary) }
    for u in unlogged {
      let charged = charges.charge(u.record, source: .unlogged)
      reconciliation.addComputed(u.record, model: charged.model, cost: charged.cost)
      let subject = Self.unloggedSubject(u.record)
      let parts = summaries[subject] ?? []
      let shown = parts.prefix(3).joined(separator: "; ") + (parts.count > 3 ? "; and \(parts.count - 3) more" : "")
      charges.findings.note(
        .unloggedUsage, subject: subject, record: u.record, attribution: charged.attribution, cost: charged.cost,
        detail:
          "\(u.record.provider.rawValue) reports usage on credential \(u.record.credential ?? "?") beyond what the request logs show (\(shown)): calls that bypassed the gateway or logging path"
      )
    }

    storms.finish()
    try loops.finish(lookup: ancestorLookup())
    for f in storms.findings + loops.findings + spikes.spikes() + spikes.newSpenders(known: try knownSubjects(period)) {
      charges.findings.add(f)
    }
    var findings = charges.findings
    addBudgetFindings(period: period, centres: charges.centres, scopeCost: charges.scopeCost, findings: &findings)
    var allFindings = labels.apply(to: findings.findings(period: period))
    allFindings.sort {
      $0.severity != $1.severity ? $0.severity > $1.severity : ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id)
    }
    var centres = charges.centres
    for f in allFindings {
      guard let c = f.costCentre, centres[c] != nil else { continue }
      centres[c]?.findings += 1
      centres[c]?.avoidableCost += f.avoidableCost
    }
    let inputs = try store.files().filter { files.contains($0.id) }.map {
      InputFileSummary(path: $0.path, sha256: $0.sha256, format: $0.format, level: $0.level, records: $0.records)
    }
    progress.done("priced \(count) records of \(period)")
    return ChargebackReport(
      period: period, lines: charges.lines.values.sorted { $0.key < $1.key },
      costCentres: centres.values.sorted { $0.id < $1.id },
      daily: charges.daily.values.sorted { ($0.costCentre, $0.day) < ($1.costCentre, $1.day) },
      findings: allFindings, priceRowsUsed: charges.rowsUsed.sorted().map { prices.rows[$0] }, inputs: inputs,
      identityHash: identities.contentHash, pricingHash: prices.contentHash, recordCount: count,
      unpricedRecords: charges.unpriced, duplicateRecords: Int64(duplicates.count),
      reconciliation: reconciliation.rows(), classCharges: charges.classChargeList())
  }

  /// The detectors' view of the days before the period: a pass that attributes and prices the
  /// `baselineDays` before it, feeding the spike baseline.
  private func baseline(period: Period) throws -> UsageSpikes {
    var spikes = UsageSpikes(settings: settings, period: period)
    let charges = Charges(
      identities: identities, attributor: Attributor(directory: identities), pricer: Pricer(table: prices),
      classCharges: false)
    let from = period.startMillis - Int64(settings.baselineDays) * Timestamp.millisPerDay
    try store.forEachRecord(from: from, to: period.startMillis) { stored in
      let r = stored.record
      guard r.level != .cost else { return }
      let charged = charges.charge(r, source: .request)
      spikes.observe(r, charged.attribution, model: charged.model, cost: charged.cost, parts: charged.parts)
    }
    return spikes
  }

  /// Agents and credentials with usage in the store before the baseline window (so not new).
  private func knownSubjects(_ period: Period) throws -> Set<String> {
    let attributor = Attributor(directory: identities)
    let before = period.startMillis - Int64(settings.baselineDays) * Timestamp.millisPerDay
    var known = Set<String>()
    try store.identitiesSeen(before: before) { r in
      let a = attributor.attribute(r)
      if let agent = a.agentID { known.insert("agent:" + agent) }
      if let cred = a.credentialID { known.insert("credential:" + cred) }
    }
    return known
  }

  /// Looks up a parent call in the store by its node id (`provider:request id`).
  private func ancestorLookup() -> (String) throws -> RecursiveLoops.Node? {
    let attributor = Attributor(directory: identities)
    let pricer = Pricer(table: prices)
    return { nodeID in
      guard let colon = nodeID.firstIndex(of: ":") else { return nil }
      let id = String(nodeID[nodeID.index(after: colon)...])
      guard let stored = try store.record(matching: nodeID) ?? store.record(matching: id) else { return nil }
      let r = stored.record
      let a = attributor.attribute(r)
      let q = pricer.price(
        provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
        totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
      return RecursiveLoops.node(
        r, a, model: q.canonicalModel ?? r.model, cost: q.cost, id: r.spanID ?? r.requestID ?? id,
        parent: r.metadata.parentID)
    }
  }

  private static func unloggedSubject(_ r: UsageRecord) -> String {
    r.provider.rawValue + "|" + (r.credential ?? "-")
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
      a.tier.rawValue, a.status.rawValue, a.priced ? "1" : "0", a.source.rawValue,
    ]
    let r = [
      b.costCentre, b.agentID ?? "", b.credentialID ?? "", b.taskID ?? "", b.provider.rawValue, b.model,
      b.tier.rawValue, b.status.rawValue, b.priced ? "1" : "0", b.source.rawValue,
    ]
    return l.lexicographicallyPrecedes(r)
  }
}
