import ChargebackModel

/// Retry storms (SPEC §6): within one credential and agent, at least `stormMinCalls` calls with the same request
/// fingerprint, every gap at most `stormMaxGapMillis`, and at least one failure or retry marker.
///
/// Avoidable cost: every call except the last successful one.
///
/// Streaming over time-ordered request-level records: only runs still open are kept, and runs
/// that can no longer grow are closed as time moves on, so memory stays bounded.
package struct RetryStorms {
  private struct Fingerprint: Hashable {
    var provider: Provider
    var credential: String
    var agent: String
    var model: String
    var task: String
    var parent: String
    var size: Int
    var prompt: String
  }

  private struct Run {
    var costCentre: String
    var agent: String?
    var credential: String?
    var owner: String?
    var first: Int64
    var last: Int64
    var calls: Int64 = 0
    var failed: Int64 = 0
    var retried = false
    var cost = Money.zero
    var lastSuccessCost: Money?
    var evidence: [String] = []
    var model: String
    var task: String?
  }

  private let settings: DetectionSettings
  private let period: Period
  private var open: [Fingerprint: Run] = [:]
  private var seen: Int64 = 0
  package private(set) var findings: [Finding] = []

  package init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// Adds one charged request-level record (records arrive in time order).
  package mutating func observe(_ c: ChargedRecord) {
    let (r, a, model, cost) = (c.record, c.attribution, c.model, c.cost)
    guard r.level == .request else { return }
    let fp = Fingerprint(
      provider: r.provider, credential: a.credentialID ?? r.credential ?? "", agent: a.agentID ?? "", model: model,
      task: r.metadata.taskID ?? "", parent: r.metadata.parentID ?? "", size: SizeClass.of(r.tokens),
      prompt: r.promptHash ?? "")
    let callCost = cost ?? .zero
    if let i = open.index(forKey: fp), r.time - open.values[i].last <= settings.stormMaxGapMillis {
      // Mutated in place: copying the run out and back would copy its evidence array per call.
      open.values[i].last = r.time
      Self.add(r, cost: callCost, to: &open.values[i])
    } else {
      if let old = open[fp] { close(old) }
      var run = Run(
        costCentre: a.costCentre, agent: a.agentID, credential: a.credentialID, owner: a.ownerID, first: r.time,
        last: r.time, model: model, task: r.metadata.taskID)
      Self.add(r, cost: callCost, to: &run)
      open[fp] = run
    }
    seen += 1
    if seen % 50_000 == 0 { sweep(before: r.time - settings.stormMaxGapMillis) }
  }

  private static func add(_ r: UsageRecord, cost: Money, to run: inout Run) {
    run.calls += 1
    run.cost += cost
    if r.failed {
      if isRetryable(r.errorCode) { run.failed += 1 }
    } else {
      run.lastSuccessCost = cost
    }
    if (r.retries ?? 0) > 0 { run.retried = true }
    if run.evidence.count < PolicyFindings.evidenceLimit { run.evidence.append(r.naturalKey) }
  }

  /// True for the failures that trigger retries (SPEC §6: 429, 5xx, timeouts), or when the source
  /// gives no code; a client error (`ValidationException`, 400) is not a retry trigger.
  static func isRetryable(_ code: String?) -> Bool {
    guard let code = code?.lowercased(), !code.isEmpty else { return true }
    if let status = Int(code) { return status == 408 || status == 429 || status >= 500 }
    let markers = [
      "throttl", "ratelimit", "rate_limit", "too many", "429", "timeout", "timed out", "unavailable",
      "internalserver", "internal_server", "server_error", "overloaded", "5xx", "503", "502", "500", "504",
    ]
    return markers.contains { code.contains($0) }
  }

  /// Closes runs that can no longer grow.
  private mutating func sweep(before cutoff: Int64) {
    for (fp, run) in open where run.last < cutoff {
      close(run)
      open[fp] = nil
    }
  }

  /// Closes every open run; call once after the last record.
  package mutating func finish() {
    for key in open.keys.sorted(by: { ($0.credential, $0.agent, $0.model) < ($1.credential, $1.agent, $1.model) }) {
      if let run = open[key] { close(run) }
    }
    open.removeAll()
  }

  private mutating func close(_ run: Run) {
    guard run.calls >= settings.stormMinCalls, run.failed > 0 || run.retried else { return }
    let avoidable = run.cost - (run.lastSuccessCost ?? .zero)
    let seconds = (run.last - run.first) / 1000
    let subject = "\(run.credential ?? "-")|\(run.agent ?? "-")|\(run.model)|\(run.first)"
    findings.append(
      Finding(
        id: FindingID.make(kind: .retryStorm, period: period, subject: subject), kind: .retryStorm,
        severity: .medium, period: period.description, costCentre: run.costCentre, agentID: run.agent,
        credentialID: run.credential, ownerID: run.owner, taskApprover: nil, firstTime: run.first,
        lastTime: run.last, calls: run.calls, cost: run.cost, avoidableCost: avoidable, evidence: run.evidence,
        evidenceCount: run.calls,
        explanation:
          "agent \(run.agent ?? "?") sent the same \(run.model) request \(run.calls) times in \(seconds) s (\(run.failed) failed\(run.task.map { ", task \($0)" } ?? "")): retries without backoff; \(avoidable.formatted(decimals: 2)) USD could have been avoided"
      ))
  }
}
