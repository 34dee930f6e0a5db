import ChargebackDetect
import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import ChargebackSupport

/// Attributes, prices and aggregates one period of the store into a ``ChargebackReport``.
///
/// One streaming pass over the period's records; memory grows with the number of distinct lines,
/// days and findings, never with the number of records.
package struct ReportBuilder {
  let store: any ChargebackStore
  let identities: IdentityDirectory
  let prices: PriceTable
  private let labels: Labels
  private let progress: ProgressReporter
  let settings: DetectionSettings
  /// The instant the data runs to, when given (`--as-of`); else the store's latest record.
  private let asOf: Int64?
  /// Which thread charges the records of the pass (tests fix it; the report is the same).
  package var chargeSplit = ChargeSplit.balanced
  /// The most (line, task) pairs the pass holds in memory, the rest on disk (``TaskLedger``;
  /// tests make it small so that the disk is used; the report is the same).
  package var taskMemoryLimit = TaskLedger.defaultLimit
  /// The most FOCUS groups the pass holds in memory, the rest in runs on disk
  /// (``ClassChargeLedger``; tests make it small; the report is the same).
  package var focusGroupLimit = ClassChargeLedger.defaultGroupLimit
  /// Where they go on disk (``TaskLedger``, ``ClassChargeLedger``); nil for their default.
  package var taskDirectory: String?
  /// The `--out` folder, resolved (``ChargebackJob/absolute(_:)``): a month closed by a report into
  /// another folder is not kept closed here (``state(of:store:asOf:out:)``); nil for none.
  package var out: String?
  /// False when only the findings and totals are read (`explain`): the lines' tasks are not kept
  /// (``ChargebackReport/lineTasks`` nil; the previous period's pass never keeps them).
  package var keepsTasks = true

  package init(
    store: any ChargebackStore, identities: IdentityDirectory, prices: PriceTable, labels: Labels = Labels(),
    settings: DetectionSettings = DetectionSettings(), progress: ProgressReporter = ProgressReporter(),
    asOf: Int64? = nil
  ) {
    self.asOf = asOf
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
  /// with two exceptions, applied in this order:
  /// - a row whose bucket contains rows of a finer bucket width of its group is not charged; the
  ///   finest rows are, and the difference goes to the reconciliation (``BucketWidths``);
  /// - when request-level records of the same provider and credential cover that day, only the
  ///   report's usage in excess of the logs is charged, as unlogged usage (SPEC §3.1, §10).
  ///
  /// Cost-level rows are never charged; they feed the reconciliation.
  ///
  /// Every read is made in one read transaction, so the report is one snapshot of the store even
  /// while another process loads files into it.
  /// - Complexity: O(n) in the period's records, plus sorting the lines.
  package func build(period: Period) throws -> ChargebackReport {
    try store.snapshot {
      var report = try build(period: period, detect: true)
      report.context = try context(of: period)
      // Usage missing before the data's end (another source runs later): a run rate over the
      // whole time would count the missing days as idle, so no forecast (a trial). A cost
      // report's pages are the bill, never charged; a gap where the data ends leaves the forecast.
      if report.context.isOpen, let asOf = report.context.asOf,
        let from = report.missingPages.filter({ !ExportPage.isCostFormat($0.after.format) }).map(\.from).min(),
        from < asOf
      {
        report.context.forecastWithheldFrom = from
      }
      report.context.closedEarly = try Self.closedEarly(report.context, period: period, store: store, asOf: asOf)
      return report
    }
  }

  /// The report of `period`; without `detect`, only what is charged (lines and totals), for the
  /// previous period's comparison.
  private func build(period: Period, detect: Bool) throws -> ChargebackReport {
    try identities.checkCommitmentOverlaps(period: period) { provider in
      try store.distinctModels(provider: provider.rawValue, from: period.startMillis, to: period.endMillis)
    }
    let charger = Charger(identities: identities, prices: prices)
    let totals = ReportTotals(
      identities: identities, prices: prices, taskLimit: detect && keepsTasks ? taskMemoryLimit : nil,
      classLimit: detect ? focusGroupLimit : nil, taskDirectory: taskDirectory)
    totals.expect(records: try store.recordCount(from: period.startMillis, to: period.endMillis))
    var policy = PolicyFindings(
      tasks: identities.tasks, credentials: identities.credentials, scopes: identities.scopes,
      agents: identities.agents, offboarded: identities.people.compactMapValues(\.offboardedAt),
      end: period.endMillis)
    let widths = try BucketWidths(
      store: store, from: period.startMillis, to: period.endMillis, canonical: CanonicalModels(prices: prices))
    let overlap = try Overlap(store: store, period: period, prices: prices)
    var reconciliation = Reconciliation(prices: prices)
    var upstream = UpstreamEcho()
    let watchUpstream = try detect && UpstreamEcho.possible(store.files())
    var storms = RetryStorms(settings: settings, period: period)
    var loops = RecursiveLoops(settings: settings, period: period)
    var spikes =
      detect
      ? try baseline(period: period, charger: charger, storms: &storms)
      : UsageSpikes(settings: settings, period: period)
    // Each chargeback line's place among the spike detector's cells, by the line's position.
    var spikePlaces: [UsageSpikes.LinePlace?] = []
    let duplicates = try store.crossFormatDuplicates(from: period.startMillis, to: period.endMillis)
    var files = Set<Int64>()
    var count: Int64 = 0
    // Priced report rows whose input per request is past the long-context threshold
    // (``Pricer/averagesPastLongContext(_:)``), charged at the base rate as SPEC §5.3 says: counted
    // for the console and the manifest, so the shortfall is not silent.
    var longContext: (rows: Int64, cost: Money) = (0, .zero)
    func noteLongContext(_ charged: ChargedRecord) {
      guard let cost = charged.cost, charger.averagesPastLongContext(charged.record) else { return }
      longContext.rows += 1
      longContext.cost += cost
    }

    // Records are decoded on the reading thread and summed and watched on this one, so both cores
    // share the pass. Each is charged on whichever of the two has time to spare (``ChargeSplit``;
    // each thread has a Charger of its own: it caches; a charge is the same on either).
    let (ids, table, split) = (identities, prices, chargeSplit)
    try store.forEachRecordConcurrently(
      from: period.startMillis, to: period.endMillis, mainPass: detect,
      prepare: {
        let charger = Charger(identities: ids, prices: table)
        return { stored, batch, consumerBehind in
          PreparedRecord(
            stored, charger: split.chargesOnReader(consumerBehind: consumerBehind, batch: batch) ? charger : nil,
            detect: detect)
        }
      }
    ) { (prepared: inout PreparedRecord) in
      files.insert(prepared.fileID)
      // The charged record is lent to `add` where it lies (in the pipe's batch), never copied out:
      // a copy is a retain and a release of each of its thirty-odd strings.
      func add(_ charged: ChargedRecord, _ hashes: PreparedRecord.Hashes?) throws {
        assert(charged.unpricedReason != ChargedRecord.notCharged, "a record summed before it was charged")
        let level = charged.record.level
        if !duplicates.isEmpty, duplicates.contains(prepared.id) { return }  // the same call from another log
        // Request-level calls reach the retry-storm detector whole (the width and overlap rules below
        // are for report rows). It runs on this thread, in time order; the charge is what moves
        // between the threads to keep both busy.
        if detect, level == .request { storms.observe(charged, row: prepared.id, fingerprint: hashes?.fingerprint) }
        count += 1
        if count % 100_000 == 0 { progress.update("pricing \(period): \(count) records") }
        // The width rule first: a superseded coarse row never reaches the overlap comparison.
        var coarse: [Int] = []
        if level == .report, !widths.isEmpty {
          switch widths.role(of: charged.record) {
          case .superseded(let entry):
            widths.addCoarse(entry, charged.record, cost: charged.cost)
            return
          case .dropped(let entry):
            widths.addFiner([entry], charged.record, cost: charged.cost)
            return
          case .finest(let entries): coarse = entries
          case .chargedCoarse(let entry, let finestOf):
            widths.addCoarse(entry, charged.record, cost: charged.cost)
            coarse = finestOf
          case .untouched: break
          }
        }
        if level == .report, overlap.covers(charged.record) {
          overlap.addReport(charged.record, id: prepared.id)
          if !coarse.isEmpty { widths.addFiner(coarse, charged.record, cost: charged.cost) }
          return
        }
        if level == .report { overlap.noteUnmatchable(charged.record) }
        if !coarse.isEmpty { widths.addFiner(coarse, charged.record, cost: charged.cost) }
        if level == .report { noteLongContext(charged) }
        let line = try totals.add(charged, source: level == .request ? .request : .report, lineHash: hashes?.line)
        policy.observe(charged)
        if watchUpstream { upstream.observe(charged) }
        reconciliation.addComputed(
          charged.record, model: charged.model, cost: charged.cost, commitmentID: charged.commitmentID,
          webSearch: charged.record.tokens.webSearch > 0 && charged.feeCommitment == nil
            ? Self.webSearchCost(charged.parts) : .zero)
        guard detect else { return }
        loops.observe(charged)
        if line == spikePlaces.count { spikePlaces.append(nil) }
        spikes.observe(charged, row: prepared.id, line: &spikePlaces[line])
      }
      // Charged in place and lent where it lies: binding an enum's payload copied it out.
      switch prepared.state {
      case .billed: reconciliation.addBilled(prepared.charged.record, file: prepared.fileID)
      case .charged: try add(prepared.charged, prepared.hashes)
      case .uncharged:
        charger.charge(&prepared.charged)
        prepared.state = .charged
        try add(prepared.charged, nil)
      }
    }
    let unlogged = overlap.unloggedRecords().map { charger.charge($0) }
    let unloggedBySubject = Dictionary(grouping: unlogged) { PolicyFindings.unloggedSubject($0.record) }
    // Not for unlogged records: their tokens and requests are two differences (report less logs),
    // which say nothing of one call's size.
    for charged in unlogged {
      try totals.add(charged, source: .unlogged)
      policy.observe(charged)
      reconciliation.addComputed(
        charged.record, model: charged.model, cost: charged.cost, commitmentID: charged.commitmentID,
        webSearch: charged.feeCommitment == nil ? Self.webSearchCost(charged.parts) : .zero)
      policy.noteUnlogged(charged, excess: unloggedBySubject[PolicyFindings.unloggedSubject(charged.record)] ?? [])
    }

    // The spike detector's series are worked out on a thread of their own while this one lists the
    // FOCUS charges beside their groups (perf, the `directory` month's report: each took 2 s of one
    // core, the other idle). It reads nothing but its own cells; the store is read on this thread.
    // Moved, not copied: a copy left here would make the preparing copy the cells it changes.
    var handed = UsageSpikes(settings: settings, period: period)
    swap(&handed, &spikes)
    let preparing = detect ? BackgroundChange(consume handed) { $0.prepare() } : nil

    // Contract terms and allocation, on the finished totals (SPEC §12).
    var classCharges: any ClassChargeSource = try totals.takeClassCharges()
    var daily = totals.dailyTotals()
    var centres = totals.centreSummaries()
    let priceRowsUsed = totals.priceRowsUsed()
    // Room for the lines added below: allocation moves money out of and into cost centres, a
    // commitment's idle fee goes to cost centres (and the lines are handed over, so read last).
    var lines = totals.takeLineList(
      room: (identities.allocationRules.count + identities.commitments.count) * 2 * (identities.costCentres.count + 2))
    let lineTasks = try totals.takeLineTasks()
    let commitmentUses = try Commitments(period: period, rows: identities.commitments).apply(
      lines: &lines, classCharges: &classCharges, daily: &daily, committedDaily: totals.committedDailyTotals(),
      centres: &centres, identities: identities)
    reconciliation.applyProvisioned(commitmentUses, period: period)
    // The findings once the provisioned fees are known: their calls under a commitment cost what
    // the lines charge for them, not their list price.
    let fees = ProvisionedFees(
      identities.commitments.indices.compactMap { i in
        commitmentUses.first { $0.commitment == identities.commitments[i] && $0.commitment.kind == .provisioned }
          .map { (i, $0.fee, $0.list) }
      })
    // The spike findings, and the detector's cells let go.
    var spiked: [Finding] = []
    if let preparing {
      spikes = try preparing.finished()
      spiked = try spikes.spikes { row in try store.record(id: row)?.record.naturalKey ?? "row \(row)" }
      spiked += spikes.newSpenders(known: try knownSubjects(period))
    }
    spikes = UsageSpikes(settings: settings, period: period)
    var conflictingKeys: Int64 = 0
    // The files of the copies a conflict refused: inputs of the period too, though no record of
    // theirs was stored (a trial's finding cited a page the manifest did not list).
    var refusedSources = Set<String>()
    if detect {
      (conflictingKeys, refusedSources) = try noteConflicts(period: period, charger: charger, fees: fees, into: &policy)
      // A storm's evidence is its calls' row ids until here (the detector keeps no strings of a
      // call): their natural keys are read in the pass's snapshot, a row that is in it.
      try storms.finish(fees: fees) { row in try store.record(id: row)?.record.naturalKey ?? "row \(row)" }
      try loops.finish(fees: fees, lookup: ancestorLookup(charger))
      for f in storms.findings + loops.findings + spiked { policy.add(f) }
    }
    let allocations = try Allocation(period: period, identities: identities).apply(lines: &lines, centres: &centres)
    if !commitmentUses.isEmpty || !allocations.isEmpty { lines.sortByKey() }
    policy.addBudgetFindings(
      period: period,
      costCentres: centres.values.map { ($0.id, $0.cost, $0.requests, $0.allocatedIn - $0.allocatedOut) },
      directory: (identities.costCentres, identities.scopes), fees: fees)
    var allFindings = labels.apply(to: policy.findings(period: period, fees: fees))
    allFindings.sort {
      $0.severity != $1.severity ? $0.severity > $1.severity : ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id)
    }
    for f in allFindings {
      guard let c = f.costCentre, centres[c] != nil else { continue }
      centres[c]?.findings += 1
      centres[c]?.avoidableCost += f.avoidableCost
    }
    files.formUnion(try store.spanFiles(from: period.startMillis, to: period.endMillis))
    let stored = try store.files()
    let inputs = stored.filter {
      files.contains($0.id) || refusedSources.contains($0.sha256) || refusedSources.contains($0.path)
    }.map {
      InputFileSummary(path: $0.path, sha256: $0.sha256, format: $0.format, level: $0.level, records: $0.records)
    }
    progress.done("priced \(count) records of \(period)")
    var agents: [String: AgentVersion] = [:]
    let tasks = totals.taskEntries
    lines.forEachLent { _, l in
      if let a = l.pointee.key.agentID, agents[a] == nil, let v = identities.agents[a]?.last { agents[a] = v }
    }
    RunRate.apply(lines: lines, allocations: allocations, identities: identities, centres: &centres)
    let inputPaths = Set(stored.map(\.path))
    let pages = try store.exportPages()
    let reconciled = reconciliation.rows(billedSpans: Reconciliation.billedSpans(pages))
    var report = ChargebackReport(
      period: period, lines: lines,
      costCentres: centres.values.sorted { $0.id < $1.id },
      daily: daily.values.sorted { ($0.costCentre, $0.day) < ($1.costCentre, $1.day) },
      findings: allFindings, priceRowsUsed: priceRowsUsed, inputs: inputs,
      identityHash: identities.contentHash, agents: agents, tasks: tasks, pricingHash: prices.contentHash,
      recordCount: count,
      unpricedRecords: totals.unpriced, duplicateRecords: Int64(duplicates.count),
      reconciliation: reconciled.rows, classCharges: classCharges,
      // A path skipped once (an empty file, later filled) and loaded since is an input, not both.
      skippedInputs: try store.skippedFiles().filter { !inputPaths.contains($0.path) })
    report.lineTasks = lineTasks
    report.providerAccounts = identities.accounts
    report.granularity = widths.rows()
    report.supersededReportRows = widths.supersededRows
    report.unmatchableReportRows = overlap.unmatchableRows
    // Not for the month before's pass (its lines are compared with, its warnings never shown).
    if detect {
      let groupings = try ReportGroupings(store: store, from: period.startMillis, to: period.endMillis)
      report.reportBucketsGroupedTwice = groupings.groupedTwice
      report.reportBucketsMisaligned = groupings.misaligned
      report.reportBucketWarnings = groupings.warnings
      report.gatewayEchoes = try store.gatewayEchoes(from: period.startMillis, to: period.endMillis)
      let (keys, calls) = upstream.matches()
      report.gatewayCallsInUsageReports = Int64(calls)
      report.upstreamKeyWarnings = keys.map { m in
        "\(m.provider.rawValue) usage report rows of key \(m.key) equal the gateway's (LiteLLM, Azure APIM) calls to"
          + " \(m.provider.rawValue) of the same models, to the token, on \(m.days) day\(m.days == 1 ? "" : "s") (\(m.calls)"
          + " calls): if it is the gateway's upstream key, those calls are charged twice, once from each; leave that"
          + " key's usage report out of --usage (docs/formats.md)"
      }
    }
    report.longContextReportRows = longContext.rows
    report.longContextReportCost = longContext.cost
    report.unbilledDays = reconciled.unbilled
    report.missingPages = ExportPage.gaps(pages, period: period)
    report.conflictingDuplicates = conflictingKeys
    report.commitments = commitmentUses
    report.allocations = allocations
    return report
  }

  /// The web searches' part of a call's cost (``Reconciliation`` compares it with a bill's web
  /// search line).
  ///
  /// Not taken for a call under a provisioned commitment: its fee is put on its cells after the
  /// pass, in proportion to list cost, and the searches' list cost moved out of a cell would then
  /// not be what the fee left in it. A discount's parts are discounted already (`Charger`): taken
  /// (a trial: under a 12.5 % discount every search stayed in its model's cell, and the bill's
  /// web-search line read as −100 %).
  private static func webSearchCost(_ parts: [PriceQuote.Part]) -> Money {
    parts.reduce(Money.zero) { $1.tokenClass == .webSearch ? $0 + $1.cost : $0 }
  }

  /// Raises a `conflicting_duplicate` finding for each natural key of the period that was stored
  /// with other content in another source, with the kept copy charged; returns how many keys, and
  /// the refused copies' files (by SHA-256, or path when the conflict has none).
  private func noteConflicts(
    period: Period, charger: Charger, fees: ProvisionedFees, into policy: inout PolicyFindings
  ) throws -> (Int64, Set<String>) {
    let conflicts = try store.conflicts(from: period.startMillis, to: period.endMillis)
    var byKept: [Int64: [DuplicateConflict]] = [:]
    var order: [Int64] = []
    var sources = Set<String>()
    for c in conflicts {
      if byKept[c.keptID] == nil { order.append(c.keptID) }
      byKept[c.keptID, default: []].append(c.conflict)
      sources.insert(c.conflict.other.sha256 ?? c.conflict.other.path)
    }
    for id in order {
      guard let kept = try store.record(id: id) else { continue }
      policy.noteConflict(charger.charge(kept.record), conflicts: byKept[id] ?? [], fees: fees)
    }
    return (Int64(order.count), sources)
  }

  /// The month in context: the previous period's totals (as its last report charged them, else
  /// charged now when the store holds usage of it) and how far the data runs.
  private func context(of period: Period) throws -> PeriodContext {
    var context = PeriodContext()
    let previous = period.previous
    if let reported = try store.reportedTotals(previous) {
      context.previous = reported
      context.previousSource = "reported"
    } else if try store.hasUsage(from: previous.startMillis, to: previous.endMillis) {
      context.previous = PeriodContext.Totals(lines: try build(period: previous, detect: false).lines)
      context.previousSource = "computed"
    }
    (context.asOf, context.isOpen) = try Self.state(of: period, store: store, asOf: asOf, out: out)
    return context
  }
}
