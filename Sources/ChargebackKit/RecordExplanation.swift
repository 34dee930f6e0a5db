import ChargebackDetect
import ChargebackIdentity
import ChargebackIngest
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import ChargebackSupport
import Foundation

/// `chargeback explain`: the chain from one stored record to what it cost and who pays (SPEC §2).
package enum RecordExplanation {
  /// A readable account of the record with this request id or natural key; nil when not stored.
  ///
  /// The findings of the record's period are `keptFindings`' when it has them (``KeptFindings``),
  /// else those of the period built again with `labels` and `settings`.
  package static func explain(
    _ id: String, store: any ChargebackStore, identities: IdentityDirectory?, labels: Labels = Labels(),
    settings: DetectionSettings = DetectionSettings(), settingsNote: String? = nil, prices: PriceTable,
    noIdentities: String = "no identity folder given", keptFindings: (Period) throws -> [Finding]? = { _ in nil }
  ) throws -> String? {
    // As given, else as an output showed it (escaped, or with the `'` a CSV puts before `=`).
    let asGiven = try store.record(matching: id)
    let asShown = try SafeText.unescaped(id).flatMap { try store.record(matching: $0) }
    guard let stored = asGiven ?? asShown else { return nil }
    let r = stored.record
    var out: [String] = []
    // Both: the text is one record's key and how the outputs show another's (`req;'=1` is a key,
    // and how a CSV shows `req;=1`). The one spelled as given is explained; say so, and how to ask
    // for the other.
    if asGiven != nil, let other = asShown, other.id != stored.id {
      out.append(
        "note                this text is also how the outputs show record \(SafeText.terminal(other.record.naturalKey));"
          + " this is the record spelled exactly so. For the other, give its key as stored (above)")
    }
    /// One line: the values come from logs and the directory, so each is escaped here
    /// (``SafeText/terminal(_:)``): a newline in a credential id would start a line of its own.
    func line(_ k: String, _ v: String?, escape: (String) -> String = SafeText.terminal) {
      out.append(k.padding(toLength: 20, withPad: " ", startingAt: 0) + escape(v ?? "—"))
    }
    let file = try store.files().first { $0.id == stored.fileID }
    line("record", r.naturalKey)
    line("source", (file?.path ?? "?") + (r.line.map { ":\($0)" } ?? "") + (r.jsonPath.map { " " + $0 } ?? ""))
    line("file sha256", file?.sha256)
    line("format", "\(r.format) (\(r.level.rawValue) level)")
    line("time", Timestamp.iso(r.time) + (r.bucketEnd.map { " – " + Timestamp.iso($0) } ?? ""))
    line("provider", r.provider.rawValue)
    line("model", r.model)
    line("tier", r.tier.rawValue)
    line("credential", r.credential ?? r.project.map { "project " + $0 })
    if let alias = r.credentialAlias { line("credential alias", alias) }
    line("tokens", TokenClass.allCases.map { "\($0.rawValue)=\(r.tokens[$0])" }.joined(separator: " "))
    line("requests", "\(r.requests)\(r.failed ? " (failed: \(r.errorCode ?? "error"))" : "")")
    line(
      "metadata",
      "agent_id=\(r.metadata.agentID ?? "") task_id=\(r.metadata.taskID ?? "") scope_id=\(r.metadata.scopeID ?? "") parent=\(r.metadata.parentID ?? "")"
    )
    if let path = file?.path, let raw = try? RecordSource.text(path: path, line: r.line, jsonPath: r.jsonPath) {
      // As the file has it (its backslashes not doubled), unless it holds a hidden character.
      line("raw", raw.count > 2000 ? String(raw.prefix(2000)) + "…" : raw, escape: SafeText.terminalIfHidden)
    }
    let charged = Charger(identities: identities ?? IdentityDirectory(), prices: prices).charge(r)
    if let identities {
      let a = charged.attribution
      switch a.status {
      case .agentCredential, .sharedAgent, .sharedCostCentre:
        line("matched credential", a.credentialID.map { $0 + " (credentials.csv)" })
      case .agentMetadata:
        line("matched credential", "none: the source names no credential; charged to the agent its metadata names")
      case .unregisteredCredential, .unattributed:
        let provider = r.credentialProviderID
        if let id = a.credentialID, identities.credentials.contains(where: { $0.id == id && $0.provider == provider }) {
          // A registered row that charges nobody (its agent unknown, or shared without a cost centre).
          line("matched credential", id + " (credentials.csv), which charges no cost centre")
        } else if let shown = a.credentialID, let own = r.credential, shown != own, shown.hasSuffix("/*") {
          // An unregistered role session, charged and reported as its role (SPEC §11).
          line("matched credential", "none: no row of credentials.csv matches \(own); charged as its role \(shown)")
        } else {
          line(
            "matched credential",
            a.credentialID.map { "none: \($0) is not in credentials.csv" } ?? "none: the record names no credential")
        }
      case .allocation, .idleCapacity: break  // never the status of a record
      }
      line("agent", a.agentID)
      line("owner", a.ownerID)
      line("cost centre", a.costCentre)
      line("task", a.taskID)
      line("scope", a.scopeID)
      line("attribution", a.status.rawValue)
      // The attribution's own checks (lifecycle, identity), not the detectors' findings listed below:
      // "signals none" above a retry storm's finding that cites the call read as a contradiction.
      line(
        "identity checks",
        a.signals.isEmpty ? "none raised" : "raised " + a.signals.map(\.rawValue).joined(separator: ", "))
      // The findings of the record's period that cite it, or that concern its credential or agent.
      let period = Period(containing: r.time)
      if let settingsNote { line("findings of", settingsNote) }
      let findings: [Finding]
      if let kept = try keptFindings(period) {
        findings = kept
      } else {
        var builder = ReportBuilder(
          store: store, identities: identities, prices: prices, labels: labels, settings: settings,
          progress: ProgressReporter(force: false))
        builder.keepsTasks = false  // only the findings are read
        findings = try builder.build(period: period).findings
      }
      let citing = findings.filter { $0.evidence.contains(r.naturalKey) }
      let related = findings.filter {
        !$0.evidence.contains(r.naturalKey)
          && (($0.credentialID != nil && $0.credentialID == a.credentialID)
            || ($0.agentID != nil && $0.agentID == a.agentID)
            // A finding on several credentials names none as its own (a review: it was no longer listed).
            || a.credentialID.map($0.credentialIDs.contains) == true)
      }
      for f in citing {
        line("finding", "\(f.id) \(f.kind.rawValue) (\(f.severity.rawValue)), cites this record: \(f.explanation)")
      }
      for f in related.prefix(10) {
        // A finding's evidence lists its first calls only: one whose span holds this call may
        // count it among the others (a trial's 11th and 12th calls of a storm read as unrelated).
        // Only a finding of the call's cost centre (several kinds are one finding per cost
        // centre), and of a kind the call raises or a behaviour one.
        let within =
          f.evidenceCount > Int128(f.evidence.count) && f.firstTime <= r.time && r.time <= f.lastTime
            && f.costCentre == a.costCentre
            && (a.signals.contains(f.kind) || [.retryStorm, .recursiveLoop].contains(f.kind))
          ? " [this call is within its span, and its evidence lists only the first \(f.evidence.count) of its"
            + " \(f.evidenceCount) calls: it may be one of the others]" : ""
        line("related finding", "\(f.id) \(f.kind.rawValue) (\(f.severity.rawValue))\(within): \(f.explanation)")
      }
      if citing.isEmpty && related.isEmpty { line("findings", "none in \(period)") }
    } else {
      line("attribution", "not shown: " + noIdentities)
    }
    line("canonical model", charged.modelResolved ? charged.model : nil)
    for part in charged.parts {
      let p = prices.rows[part.row]
      line(
        "price row",
        "\(p.location): \(p.usageType.rawValue) \(p.tier.rawValue) ≥\(p.minInputTokens) tokens: \(p.rate) USD/M × \(part.units) = \(part.listCost.formatted(decimals: 12)) USD"
      )
    }
    if let id = charged.commitmentID, let c = identities?.commitments.first(where: { $0.id == id }) {
      switch c.kind {
      case .discount:
        line(
          "commitment",
          "\(id) (commitments.csv line \(c.line)): discount of \(Money.format(units: c.discount, decimals: 6)) %")
      case .provisioned:
        line(
          "commitment",
          "\(id) (commitments.csv line \(c.line)): provisioned capacity; the call's share of the fee is its list cost "
            + "× min(1, fee ÷ list of all the commitment's calls in the month), in the report")
      }
      line("list cost", charged.listCost.map { $0.formatted(decimals: 12) + " USD (exact)" })
    }
    // A provisioned commitment's call costs its share of the fee, known once the month is summed:
    // its list price here read as what it was charged (a trial).
    let atList = charged.feeCommitment != nil ? " at list, before its share of the fee (see commitment)" : ""
    line(
      "cost",
      charged.cost.map { $0.formatted(decimals: 12) + " USD (exact)" + atList }
        ?? "unpriced: " + (charged.unpricedReason ?? ""))
    if r.level == .request, r.requestID != nil {
      // The report skips a copy of a call another log holds (``ChargebackStore/crossFormatDuplicates(from:to:)``):
      // its span's copy read as charged, in its own finding (a trial).
      let period = Period(containing: r.time)
      if try store.crossFormatDuplicates(from: period.startMillis, to: period.endMillis).contains(stored.id) {
        line(
          "not charged",
          "the same call (request id \(r.requestID ?? "")) is in another log, whose copy is charged (a provider's own"
            + " log before a gateway's, a gateway's before a trace's): this copy is left out of every total and finding;"
            + " the cost above is what it would have been")
      }
    }
    if r.level == .report {
      let period = Period(containing: r.time)
      let widths = try BucketWidths(
        store: store, from: period.startMillis, to: period.endMillis, canonical: CanonicalModels(prices: prices))
      switch widths.role(of: r) {
      case .superseded:
        line("not charged", "rows of a finer bucket width of the same group lie within this bucket; they are charged")
      case .dropped:
        line(
          "not charged",
          "a coarser bucket of the same group holds this bucket's time, and the finer pages loaded cover only part"
            + " of it; the coarser row is charged")
      case .finest, .chargedCoarse, .untouched: break
      }
    }
    return out.joined(separator: "\n")
  }

}
