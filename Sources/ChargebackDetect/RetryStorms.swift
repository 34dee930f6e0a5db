import ChargebackModel

/// Retry storms (SPEC §6, §10): within one credential and agent, at least `stormMinCalls` calls
/// with the same request fingerprint, every gap at most `stormMaxGapMillis`, and at least one
/// retry trigger: a failure that makes clients retry (429, 5xx, timeouts), a failed call that was
/// billed (a stream that broke after billing), or a source's retry marker.
///
/// The fingerprint is provider, credential, agent, model, task, parent, prompt hash and input size
/// class. A failed call that reports no tokens has no size class: it joins the open run of its
/// other fields (the throttles before a request finally goes through), so a storm is one finding
/// with its throttles, its billed failures and its successes together.
///
/// Avoidable cost: every call except the last successful one (failed calls with billed tokens
/// included).
///
/// Streaming over time-ordered request-level records: only runs still open are kept, and runs
/// that can no longer grow are closed as time moves on, so memory stays bounded.
package struct RetryStorms {
  /// Everything of the fingerprint but the input size class.
  ///
  /// Its hash is computed once, when the
  /// call is observed: every open run is looked up, inserted and swept by it, and hashing seven
  /// strings each time was a tenth of a report pass (perf, the cardinality bench shape).
  private struct Fingerprint: Hashable {
    let provider: Provider
    let credential: String
    let agent: String
    let model: String
    let task: String
    let parent: String
    let prompt: String
    private let hash: Int

    init(
      provider: Provider, credential: String, agent: String, model: String, task: String, parent: String,
      prompt: String
    ) {
      self.provider = provider
      self.credential = credential
      self.agent = agent
      self.model = model
      self.task = task
      self.parent = parent
      self.prompt = prompt
      var h = Hasher()
      h.combine(provider)
      h.combine(credential)
      h.combine(agent)
      h.combine(model)
      h.combine(task)
      h.combine(parent)
      h.combine(prompt)
      hash = h.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    static func == (a: Fingerprint, b: Fingerprint) -> Bool {
      a.hash == b.hash && a.provider == b.provider && a.credential == b.credential && a.agent == b.agent
        && a.model == b.model && a.task == b.task && a.parent == b.parent && a.prompt == b.prompt
    }
  }

  /// An open run of one fingerprint, in ``runs``.
  ///
  /// Kept in one array and read where it lies (`runs[p].last`), never copied while it is open: a
  /// copy retains and releases its six strings and its evidence. It was a class, one allocation per
  /// run, and each fingerprint's runs an array, another: with a session per call (a fingerprint per
  /// call) both were made and freed for every call (perf, the 1 M cardinality `report`).
  private struct Run {
    /// Input size class of the run's calls with tokens; nil while it holds only token-less failures.
    var size: Int?
    var costCentre: String
    var agent: String?
    var credential: String?
    var owner: String?
    var first: Int64
    var last: Int64
    var calls: Int128 = 0
    /// Retry triggers: retryable failures and billed failures.
    var triggers: Int128 = 0
    var failed: Int128 = 0
    var retried = false
    var cost = Money.zero
    var lastSuccessCost: Money?
    /// The first call's natural key, apart: most runs hold one call, and an array for it was an
    /// allocation per call.
    var firstEvidence: String?
    var moreEvidence: [String] = []
    var evidence: [String] { (firstEvidence.map { [$0] } ?? []) + moreEvidence }
    var model: String
    var task: String?

    init(
      size: Int?, costCentre: String, agent: String?, credential: String?, owner: String?, first: Int64,
      last: Int64, model: String, task: String?
    ) {
      self.size = size
      self.costCentre = costCentre
      self.agent = agent
      self.credential = credential
      self.owner = owner
      self.first = first
      self.last = last
      self.model = model
      self.task = task
    }
  }

  private let settings: DetectionSettings
  private let period: Period
  /// The places in ``runs`` of each fingerprint's open runs (one per size class seen; a handful at
  /// most), oldest first.
  private var open: [Fingerprint: Places] = Dictionary(minimumCapacity: RetryStorms.minimumSweepAt)
  /// The runs; a closed run's place is in ``freePlaces`` until a new run takes it.
  private var runs: [Run] = []
  private var freePlaces: [Int32] = []
  /// Open fingerprints at which the next call sweeps.
  ///
  /// Twice those left by the last sweep (at least ``minimumSweepAt``), so that sweeping costs O(1) a
  /// call and the dictionary stays about the size of the runs that can still grow. Every 50,000 calls, a month with a fingerprint per call (a
  /// prompt or task per call) rebuilt a dictionary of 50,000 entries each time, in pages the kernel
  /// faulted in afresh (perf: an eighth of the summing thread, `report` of 1 M calls).
  private var sweepAt = RetryStorms.minimumSweepAt
  package private(set) var findings: [Finding] = []

  package init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// Adds one charged request-level record (records arrive in time order).
  package mutating func observe(_ c: ChargedRecord) {
    guard c.record.level == .request else { return }
    let fp = Fingerprint(
      provider: c.record.provider, credential: c.attribution.credentialID ?? c.record.credential ?? "",
      agent: c.attribution.agentID ?? "",
      model: c.model, task: c.record.metadata.taskID ?? "", parent: c.record.metadata.parentID ?? "",
      prompt: c.record.promptHash ?? "")
    let tokenless = c.record.failed && c.record.tokens.isZero
    let size: Int? = tokenless ? nil : SizeClass.of(c.record.tokens)
    guard let entry = open.index(forKey: fp) else {
      open[fp] = Places(first: newRun(c, size: size))
      sweepIfDue(now: c.record.time)
      return
    }
    // Runs of this fingerprint that this call cannot extend are over.
    let maxGap = settings.stormMaxGapMillis
    var kept = Places()
    for p in open.values[entry] {
      if c.record.time - runs[Int(p)].last > maxGap {
        close(at: p)
        freePlaces.append(p)
      } else {
        kept.append(p)
      }
    }
    var target: Int32?
    if size == nil {
      // A token-less failure joins the most recent run of its fingerprint, whatever its size (the
      // first of them on a tie).
      for p in kept where target.map({ runs[Int($0)].last < runs[Int(p)].last }) ?? true { target = p }
    } else {
      target = kept.first { runs[Int($0)].size == size } ?? kept.first { runs[Int($0)].size == nil }
    }
    if let t = target.map(Int.init) {
      runs[t].last = c.record.time
      if runs[t].size == nil { runs[t].size = size }
      Self.add(c, to: &runs[t])
    } else {
      kept.append(newRun(c, size: size))
    }
    open.values[entry] = kept
    sweepIfDue(now: c.record.time)
  }

  /// A new run of the call `c`, in a free place of ``runs`` if there is one; returns its place.
  private mutating func newRun(_ c: ChargedRecord, size: Int?) -> Int32 {
    var run = Run(
      size: size, costCentre: c.attribution.costCentre, agent: c.attribution.agentID,
      credential: c.attribution.credentialID, owner: c.attribution.ownerID,
      first: c.record.time, last: c.record.time, model: c.model, task: c.record.metadata.taskID)
    Self.add(c, to: &run)
    if let p = freePlaces.popLast() {
      runs[Int(p)] = run
      return p
    }
    runs.append(run)
    return Int32(runs.count - 1)
  }

  /// Sweeps when the open fingerprints have reached ``sweepAt``.
  private mutating func sweepIfDue(now: Int64) {
    guard open.count >= sweepAt else { return }
    sweep(before: now - settings.stormMaxGapMillis)
    sweepAt = max(Self.minimumSweepAt, 2 * open.count)
    // Room for the fingerprints until the next sweep, given once: growing by doubling rehashed
    // every entry at each step (perf: 2.5 % of the 1 M cardinality month's report in the
    // dictionary's resizing, each entry hashed again through a fresh `Hasher`).
    open.reserveCapacity(sweepAt)
  }

  /// The fewest open fingerprints that make the next call sweep.
  private static let minimumSweepAt = 4_096

  private static func add(_ c: ChargedRecord, to run: inout Run) {
    let cost = c.costOrZero
    run.calls += Int128(c.record.requests)
    run.cost += cost
    if c.record.failed {
      run.failed += Int128(c.record.requests)
      if isRetryable(c.record.errorCode) || !c.record.tokens.isZero { run.triggers += Int128(c.record.requests) }
    } else {
      run.lastSuccessCost = cost
    }
    if (c.record.retries ?? 0) > 0 { run.retried = true }
    if run.firstEvidence == nil, PolicyFindings.evidenceLimit > 0 {
      run.firstEvidence = c.record.naturalKey
    } else if run.moreEvidence.count + 1 < PolicyFindings.evidenceLimit {
      run.moreEvidence.append(c.record.naturalKey)
    }
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
  ///
  /// The open runs are rebuilt from the fingerprints that still have one: on a month where most
  /// calls have a fingerprint of their own (a session or prompt per call), nearly every entry has
  /// ended by the next sweep, and removing them one by one cost a lookup and a copy of the
  /// fingerprint's seven strings each (perf: 6 % of the 1 M cardinality month's report, in sweeps).
  /// An ended entry's key is not copied; it dies with the old dictionary.
  private mutating func sweep(before cutoff: Int64) {
    var kept: [Fingerprint: Places] = [:]
    for i in open.indices {
      let places = open.values[i]
      if places.allSatisfy({ runs[Int($0)].last >= cutoff }) {
        kept[open.keys[i]] = places
        continue
      }
      var remaining = Places()
      for p in places {
        if runs[Int(p)].last < cutoff {
          close(at: p)
          freePlaces.append(p)
        } else {
          remaining.append(p)
        }
      }
      if !remaining.isEmpty { kept[open.keys[i]] = remaining }
    }
    open = kept
  }

  /// Closes every open run; call once after the last record.
  package mutating func finish() {
    let ended = open.values.flatMap { $0 }.map { runs[Int($0)] }.sorted {
      ($0.credential ?? "", $0.agent ?? "", $0.model, $0.first) < (
        $1.credential ?? "", $1.agent ?? "", $1.model, $1.first
      )
    }
    for run in ended { close(run) }
    (open, runs, freePlaces) = ([:], [], [])
    findings = Self.distinctIDs(findings, period: period)
  }

  /// Gives every storm an id of its own.
  ///
  /// Two storms of one credential, agent and model that start in the same millisecond (other
  /// tasks, parents or prompts) have one subject, so one id, and their order in the outputs then
  /// followed the per-process hash seed. All but the one whose first call's key sorts first get an
  /// id made from that id and their own first call's key: the same from run to run, and unchanged
  /// for every storm that shares its id with none.
  static func distinctIDs(_ findings: [Finding], period: Period) -> [Finding] {
    var byID: [String: [Int]] = [:]
    for (i, f) in findings.enumerated() { byID[f.id, default: []].append(i) }
    var out = findings
    for positions in byID.values where positions.count > 1 {
      let ordered = positions.sorted { (findings[$0].evidence.first ?? "") < (findings[$1].evidence.first ?? "") }
      for i in ordered.dropFirst() {
        out[i].id = FindingID.make(
          kind: .retryStorm, period: period, subject: findings[i].id + "|" + (findings[i].evidence.first ?? ""))
      }
    }
    return out
  }

  /// Closes the run at place `p` of ``runs`` (read where it lies: most runs are a single call, and
  /// no finding, and are not copied).
  private mutating func close(at p: Int32) {
    if isStorm(runs[Int(p)]) { close(runs[Int(p)]) }
  }

  /// A run is a storm with enough calls and a retry trigger or marker.
  private func isStorm(_ run: borrowing Run) -> Bool {
    run.calls >= settings.stormMinCalls && (run.triggers > 0 || run.retried)
  }

  private mutating func close(_ run: Run) {
    guard isStorm(run) else { return }
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

extension RetryStorms {
  /// The places of one fingerprint's open runs in ``RetryStorms/runs``, oldest first: most
  /// fingerprints have one run, kept without an array.
  fileprivate struct Places: Sequence {
    private var firstPlace: Int32 = -1
    private var more: [Int32] = []

    init() {}

    init(first: Int32) { firstPlace = first }

    var isEmpty: Bool { firstPlace < 0 }

    mutating func append(_ p: Int32) {
      if firstPlace < 0 { firstPlace = p } else { more.append(p) }
    }

    func makeIterator() -> Iterator { Iterator(places: self) }

    struct Iterator: IteratorProtocol {
      let places: Places
      var position = 0

      mutating func next() -> Int32? {
        defer { position += 1 }
        if position == 0 { return places.firstPlace < 0 ? nil : places.firstPlace }
        return position - 1 < places.more.count ? places.more[position - 1] : nil
      }
    }
  }
}
