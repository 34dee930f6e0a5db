import ChargebackModel

extension RetryStorms {
  /// The findings of a storm's run, one for each cost centre its calls in the period were charged
  /// to, with the rows of its evidence; their amounts at the provisioned commitments' effective
  /// price.
  ///
  /// Each has its part's calls, cost and avoidable cost: every call but the run's last successful
  /// one, which is in one part. The first part keeps the subject a storm of one cost centre has;
  /// the others put their cost centre, with its length, before it (as ``PolicyFindings``'
  /// per-cost-centre subjects: no two collide). A run with calls before the period is a finding of
  /// this one only for a part with a call here that could have been avoided: a storm whose last
  /// success alone came after midnight wasted nothing this month (a finding of 0 USD raised
  /// `--fail-on medium` on the 1st, a review).
  func partFindings(_ run: Run, fees: ProvisionedFees) -> [(Finding, [Int64])] {
    guard let names = run.names else { return [] }
    let parts = run.parts
    let seconds = (run.last - run.first) / 1000
    // What the calls are known to have done: come within the storm's gap of each other. "Retries
    // without backoff" was said of retries that backed off from 1 s to 60 s (a trial).
    let gap = settings.stormMaxGapMillis
    let gapText = gap % 1000 == 0 ? "\(gap / 1000) s" : "\(Double(gap) / 1000) s"
    let subject = "\(names.credential ?? "-")|\(names.agent ?? "-")|\(names.model)|\(run.first)"
    let lastSuccess = run.lastSuccessCost.map { c in run.lastSuccessFee.map { fees.effective(c, commitment: $0) } ?? c }
    return parts.enumerated().compactMap { q, part in
      let holdsLast = run.lastSuccessPart == q
      let avoidableCalls = part.calls - (holdsLast ? 1 : 0)
      if run.callsBefore > 0 && avoidableCalls <= 0 { return nil }
      let cc = centreNames[part.centre] ?? "?"
      let cost = fees.effective(part.cost, atList: part.atList)
      let avoidable = cost - (holdsLast ? (lastSuccess ?? .zero) : .zero)
      var scope = ""
      if run.callsBefore > 0 {
        scope += "\(run.callsBefore) of them were in the month before, charged there; "
      }
      if run.callsBefore > 0 || parts.count > 1 {
        scope += "of the \(part.calls) charged to \(cc) in \(period), "
      }
      var storm = Finding(
        id: FindingID.make(
          kind: .retryStorm, period: period, subject: q == 0 ? subject : "\(cc.utf8.count):\(cc)|\(subject)"),
        kind: .retryStorm, severity: .medium, period: period.description, costCentre: cc, agentID: names.agent,
        credentialID: names.credential, ownerID: ownerNames[part.owner], taskApprover: nil, firstTime: part.first,
        lastTime: part.last, calls: part.calls, cost: cost, avoidableCost: avoidable, evidence: [],
        evidenceCount: part.calls,
        explanation:
          "agent \(names.agent ?? "?") sent the same \(names.model) request \(run.calls) times in \(seconds) s (\(run.failed) failed\(names.task.map { ", task \($0)" } ?? "")), each within \(gapText) of the one before; "
          + scope
          + (part.unpricedCalls > 0
            ? "\(part.unpricedCalls) of its calls have no price, so what could have been avoided is not known"
            : "\(avoidable.inText) USD could have been avoided"))
      storm.hasPricedRecords = part.unpricedCalls < part.calls
      if part.unpricedCalls > 0 {
        // What could have been avoided is not known: none of it is counted (nor in the cost
        // centre's avoidable total).
        storm.avoidableCost = .zero
        storm.avoidableKnown = false
      }
      return (storm, part.evidence)
    }
  }
}
