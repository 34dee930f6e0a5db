import ChargebackDetect
import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import ChargebackSupport

/// The detectors' look at the store before the period: the spike baseline and the storm look-back,
/// the subjects known before, and a loop's ancestors.
extension ReportBuilder {
  /// The detectors' view of the days before the period.
  ///
  /// A pass that attributes and prices the `baselineDays` before it, feeding the spike baseline.
  /// It feeds the storm detector the calls of its last minutes (``RetryStorms/lookingBack``), in
  /// time order, before the period's pass.
  func baseline(period: Period, charger: Charger, storms: inout RetryStorms) throws -> UsageSpikes {
    var spikes = UsageSpikes(settings: settings, period: period)
    let from = period.startMillis - Int64(settings.baselineDays) * Timestamp.millisPerDay
    spikes.expect(records: try store.recordCount(from: from, to: period.endMillis))
    let stormsFrom = period.startMillis - storms.lookBackMillis
    // The same call from another log, as the pass leaves it out.
    let duplicates = try store.crossFormatDuplicates(from: stormsFrom, to: period.startMillis)
    storms.lookingBack = true
    defer { storms.lookingBack = false }
    let widths = try BucketWidths(
      store: store, from: from, to: period.startMillis, canonical: CanonicalModels(prices: prices))
    try store.forEachRecord(from: min(from, stormsFrom), to: period.startMillis) { stored in
      let r = stored.record
      guard r.level != .cost else { return }
      if !widths.isEmpty {
        switch widths.role(of: r) {
        case .superseded, .dropped: return  // charged from the other side
        case .finest, .chargedCoarse, .untouched: break
        }
      }
      let charged = charger.charge(r)
      if r.level == .request, r.time >= stormsFrom, !duplicates.contains(stored.id) {
        storms.observe(charged, row: stored.id)
      }
      if r.time >= from { spikes.observe(charged, row: stored.id) }
    }
    return spikes
  }

  /// Agents and credentials with usage in the store before the baseline window (so not new).
  func knownSubjects(_ period: Period) throws -> Set<String> {
    let charger = Charger(identities: identities, prices: prices)
    let before = period.startMillis - Int64(settings.baselineDays) * Timestamp.millisPerDay
    var known = Set<String>()
    try store.identitiesSeen(before: before) { r in
      let a = charger.charge(r).attribution
      if let agent = a.agentID { known.insert("agent:" + agent) }
      if let cred = a.credentialID { known.insert("credential:" + cred) }
    }
    return known
  }

  /// Looks up a parent call in the store by its node id (`provider:request id`) and charges it.
  func ancestorLookup(_ charger: Charger) -> (String) throws -> RecursiveLoops.Node? {
    { nodeID in
      guard let colon = nodeID.firstIndex(of: ":") else { return nil }
      let id = String(nodeID[nodeID.index(after: colon)...])
      guard let stored = try store.record(matching: nodeID) ?? store.record(matching: id) else { return nil }
      let r = stored.record
      return RecursiveLoops.node(charger.charge(r), id: r.spanID ?? r.requestID ?? id, parent: r.metadata.parentID)
    }
  }
}
