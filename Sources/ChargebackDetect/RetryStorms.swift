import ChargebackModel

/// Retry storms (SPEC §6, §10): within one credential and agent, at least `stormMinCalls` calls
/// with the same request fingerprint, every gap at most `stormMaxGapMillis`, and at least one
/// retry trigger: a failure that makes clients retry (429, 5xx, timeouts), a failed call that was
/// billed (a stream that broke after billing), or a source's retry marker.
///
/// The fingerprint is provider, credential, agent, model, task, parent, prompt hash and input size
/// class (SPEC §6: within one credential and agent). A failed call that reports no tokens has no
/// size class: it joins the open run of its other fields (the throttles before a request finally
/// goes through), so a storm is one finding with its throttles, its billed failures and its
/// successes together.
///
/// A storm is a finding of each cost centre its calls in the period were charged to (a run across
/// a change of the directory, an agent moved mid-run, is one storm: split into two runs by cost
/// centre, neither had the calls to be one, a trial), each with its own calls, cost, avoidable
/// cost and evidence; and a storm across the month's first midnight is this month's with this
/// month's calls only (the month before's are charged, and were found, there).
///
/// Avoidable cost: every call except the last successful one (failed calls with billed tokens
/// included); of successes in the same last millisecond, the dearest.
///
/// Streaming over time-ordered request-level records: only runs still open are kept, and runs
/// that can no longer grow are closed as time moves on, so memory stays bounded.
///
/// It runs on the report pass's summing thread, beside the thread that decodes, charges and later
/// frees the records, and keeps none of a record's strings while a run may still come to nothing:
/// a run is numbers, its fingerprint two hashes, its evidence the store's row ids (resolved to
/// natural keys by ``finish(naturalKey:)``), and its names are taken from the call that brings it
/// to `stormMinCalls`. Retaining each call's strings here (and releasing them when the run ended)
/// made both threads write the same reference counts and free each other's memory: taking this
/// detector out of the 1 M cardinality `report` took 28 % of the pass's CPU away, its own work
/// being 10 % (perf; the decoding thread's `malloc` 620 → 263 samples with its code unchanged).
package struct RetryStorms {
  /// The names a storm is shown with, equal for every call of a run (its fingerprint holds them);
  /// the cost centre and owner are each part's (``Part``).
  struct Names {
    var agent: String?
    var credential: String?
    var model: String
    var task: String?
  }

  /// An open run of one fingerprint, in ``runs``.
  ///
  /// Kept in one array and read where it lies (`runs[p].last`), never copied while it is open.
  /// It was a class, one allocation per run, and each fingerprint's runs an array, another: with a
  /// session per call (a fingerprint per call) both were made and freed for every call (perf, the
  /// 1 M cardinality `report`).
  struct Run {
    /// Input size class of the run's calls with tokens; nil while it holds only token-less failures.
    var size: Int?
    var first: Int64
    var last: Int64
    /// Its calls, from before the period too (a storm is found whole).
    var calls: Int128 = 0
    /// Retry triggers: retryable failures and billed failures.
    var triggers: Int128 = 0
    var failed: Int128 = 0
    var retried = false
    /// Its calls from before the period (``lookingBack``).
    var callsBefore: Int128 = 0
    /// Of the period's last successful call (of the dearest, when several share its time): its
    /// cost, time, provisioned commitment and part.
    var lastSuccessCost: Money?
    var lastSuccessTime = Int64.min
    var lastSuccessFee: Int?
    var lastSuccessPart = -1
    /// The period's calls by the cost centre charged, in the order they came: most runs have one,
    /// kept without an array (an array per run was an allocation per call with a session per call).
    var firstPart: Part?
    var moreParts: [Part] = []
    /// Taken from the call that brings ``calls`` to `stormMinCalls`: a run with fewer is no storm.
    var names: Names?

    init(size: Int?, first: Int64) {
      self.size = size
      self.first = first
      self.last = first
    }

    var parts: [Part] { (firstPart.map { [$0] } ?? []) + moreParts }
  }

  /// The calls of a run in the period charged to one cost centre: what its finding shows.
  struct Part {
    /// The cost centre's and the owner's (of its first call) hashes, as the fingerprint has them
    /// (``Fingerprint/centre``); their names are in ``RetryStorms/centreNames`` and ``ownerNames``.
    var centre: Int
    var owner: Int
    var first: Int64
    var last: Int64
    var calls: Int128 = 0
    var cost = Money.zero
    /// The part of ``cost`` at list under provisioned commitments (``ProvisionedFees``).
    var atList = AtListUnderFee()
    /// Calls without a price (a model with none): a storm of them has no known cost.
    var unpricedCalls: Int128 = 0
    /// The store's row id of the first call, apart: most runs hold one call, and an array for it
    /// was an allocation per call; -1 before the first.
    var firstEvidence: Int64 = -1
    var moreEvidence: [Int64] = []
    var evidence: [Int64] { (firstEvidence >= 0 ? [firstEvidence] : []) + moreEvidence }

    init(centre: Int, owner: Int, time: Int64) {
      (self.centre, self.owner, first, last) = (centre, owner, time, time)
    }

    /// Adds the call `c`, of row `row` in the store.
    mutating func add(_ c: borrowing ChargedRecord, row: Int64) {
      let n = Int128(c.record.requests)
      calls += n
      cost += c.costOrZero
      if c.feeCommitment != nil { atList.add(c.cost, commitment: c.feeCommitment) }
      if c.cost == nil { unpricedCalls += n }
      first = min(first, c.record.time)
      last = max(last, c.record.time)
      if firstEvidence < 0, PolicyFindings.evidenceLimit > 0 {
        firstEvidence = row
      } else if moreEvidence.count + 1 < PolicyFindings.evidenceLimit {
        moreEvidence.append(row)
      }
    }
  }

  let settings: DetectionSettings
  let period: Period
  /// The names of the cost centres and owners the parts' hashes stand for, each taken once (a run
  /// keeps no string of a call).
  var centreNames: [Int: String] = [:]
  var ownerNames: [Int: String] = [:]
  /// The places in ``runs`` of each fingerprint's open runs (one per size class seen; a handful at
  /// most), oldest first.
  private var open: [Fingerprint: Places] = Dictionary(minimumCapacity: RetryStorms.minimumSweepAt)
  /// The runs; a closed run's place is in ``freePlaces`` until a new run takes it.
  private var runs: [Run] = []
  private var freePlaces: [Int32] = []
  /// Open fingerprints at which the next call sweeps.
  ///
  /// Twice those left by the last sweep (at least ``minimumSweepAt``), so that sweeping costs O(1) a
  /// call and the dictionary stays about the size of the runs that can still grow. Every 50,000
  /// calls, a month with a fingerprint per call (a prompt or task per call) rebuilt a dictionary of
  /// 50,000 entries each time, in pages the kernel faulted in afresh (perf: an eighth of the summing
  /// thread, `report` of 1 M calls).
  private var sweepAt = RetryStorms.minimumSweepAt
  /// The storms found, made by ``finish(fees:naturalKey:)``.
  package private(set) var findings: [Finding] = []
  /// The storms' runs as they closed: their findings are made once the provisioned fees are known.
  private var storms: [Run] = []

  package init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// True while the calls of the minutes before the period are fed.
  ///
  /// A storm that begins on the month before's last evening and goes on into this one is found
  /// with its whole run (each month saw a part too short to be one: a trial's 12 calls across
  /// midnight were no finding in either); its finding has this month's calls and cost only, and
  /// none when none of them could have been avoided. A run with no call in the period is none of
  /// this one's.
  package var lookingBack = false

  /// How far before the period ``lookingBack`` reaches: the longest run of `stormMinCalls` calls,
  /// each within the gap of the one before.
  package var lookBackMillis: Int64 { settings.stormMaxGapMillis * Int64(settings.stormMinCalls) }

  /// Adds one charged request-level record (records arrive in time order); `row` is its id in the
  /// store, the evidence a storm shows; `fingerprint`, when given, is `Fingerprint(c)` worked out
  /// beforehand (on another thread).
  package mutating func observe(_ c: borrowing ChargedRecord, row: Int64, fingerprint: Fingerprint? = nil) {
    guard c.record.level == .request else { return }
    let fp = fingerprint ?? Fingerprint(c)
    let tokenless = c.record.failed && c.record.tokens.isZero
    let size: Int? = tokenless ? nil : SizeClass.of(c.record.tokens)
    guard let entry = open.index(forKey: fp) else {
      open[fp] = Places(first: newRun(c, row: row, size: size, fingerprint: fp))
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
      add(c, row: row, to: t, fingerprint: fp)
    } else {
      kept.append(newRun(c, row: row, size: size, fingerprint: fp))
    }
    open.values[entry] = kept
    sweepIfDue(now: c.record.time)
  }

  /// A new run of the call `c`, in a free place of ``runs`` if there is one; returns its place.
  private mutating func newRun(_ c: borrowing ChargedRecord, row: Int64, size: Int?, fingerprint fp: Fingerprint)
    -> Int32
  {
    let run = Run(size: size, first: c.record.time)
    let p: Int32
    if let free = freePlaces.popLast() {
      p = free
      runs[Int(p)] = run
    } else {
      p = Int32(runs.count)
      runs.append(run)
    }
    add(c, row: row, to: Int(p), fingerprint: fp)
    return p
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

  /// Adds the call `c` (of fingerprint `fp`) to the run at place `p` of ``runs``, where it lies:
  /// to the run's counts, and, in the period, to the part of its cost centre.
  private mutating func add(_ c: borrowing ChargedRecord, row: Int64, to p: Int, fingerprint fp: Fingerprint) {
    let n = Int128(c.record.requests)
    let trigger = c.record.failed && (Self.isRetryable(c.record.errorCode) || !c.record.tokens.isZero)
    runs[p].calls += n
    if c.record.failed { runs[p].failed += n }
    if trigger { runs[p].triggers += n }
    if (c.record.retries ?? 0) > 0 { runs[p].retried = true }
    if runs[p].names == nil, runs[p].calls >= settings.stormMinCalls {
      runs[p].names = Names(
        agent: c.attribution.agentID, credential: c.attribution.credentialID, model: c.model,
        task: c.attribution.taskID)
    }
    if lookingBack {
      runs[p].callsBefore += n
      return
    }
    let q = part(of: p, fingerprint: fp, c)
    let cost = c.costOrZero
    let time = c.record.time
    if q == 0 { runs[p].firstPart?.add(c, row: row) } else { runs[p].moreParts[q - 1].add(c, row: row) }
    if !c.record.failed,
      time > runs[p].lastSuccessTime || cost > (runs[p].lastSuccessCost ?? .zero)
        || (cost == runs[p].lastSuccessCost && (c.feeCommitment ?? -1) > (runs[p].lastSuccessFee ?? -1))
    {
      // Of successes in the same millisecond, the dearest is the one not avoidable: which came
      // last is the order the records were loaded in, and the avoidable cost must not depend on
      // it (a trial: 0.0405 or 0.114 USD for one storm, its lines reversed).
      runs[p].lastSuccessCost = cost
      runs[p].lastSuccessTime = time
      runs[p].lastSuccessFee = c.feeCommitment
      runs[p].lastSuccessPart = q
    }
  }

  /// The index in the run at place `p` of the part of the call `c`'s cost centre, made when it is
  /// the first call charged there (its cost centre's and owner's names kept once).
  private mutating func part(of p: Int, fingerprint fp: Fingerprint, _ c: borrowing ChargedRecord) -> Int {
    // Read where it lies: a copy of the part (its evidence array) was a retain and release a call.
    if let centre = runs[p].firstPart?.centre {
      if centre == fp.centre { return 0 }
      if let i = runs[p].moreParts.firstIndex(where: { $0.centre == fp.centre }) { return i + 1 }
    }
    if centreNames[fp.centre] == nil { centreNames[fp.centre] = c.attribution.costCentre }
    if let owner = c.attribution.ownerID, ownerNames[fp.owner] == nil { ownerNames[fp.owner] = owner }
    let part = Part(centre: fp.centre, owner: fp.owner, time: c.record.time)
    if runs[p].firstPart == nil {
      runs[p].firstPart = part
      return 0
    }
    runs[p].moreParts.append(part)
    return runs[p].moreParts.count
  }

  /// Closes runs that can no longer grow.
  ///
  /// The open runs are rebuilt from the fingerprints that still have one: on a month where most
  /// calls have a fingerprint of their own (a session or prompt per call), nearly every entry has
  /// ended by the next sweep, and removing them one by one cost a lookup each (perf: 6 % of the 1 M
  /// cardinality month's report, in sweeps).
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

  /// Closes every open run and makes the storms' findings, their costs at the provisioned
  /// commitments' effective price (`fees`) and their evidence the natural keys of their rows
  /// (`naturalKey` of a row id); call once after the last record.
  package mutating func finish(
    fees: ProvisionedFees = ProvisionedFees(), naturalKey: (Int64) throws -> String
  ) rethrows {
    // The storms among the open runs, in an order of their own (their names, then their first
    // call): the order of the dictionary changes with the per-process hash seed.
    let ended = open.values.flatMap { $0 }.filter { isStorm(runs[Int($0)]) }.sorted {
      let (a, b) = (runs[Int($0)], runs[Int($1)])
      let (ea, eb) = (a.firstPart?.firstEvidence ?? -1, b.firstPart?.firstEvidence ?? -1)
      return (a.names?.credential ?? "", a.names?.agent ?? "", a.names?.model ?? "", a.first, ea) < (
        b.names?.credential ?? "", b.names?.agent ?? "", b.names?.model ?? "", b.first, eb
      )
    }
    for p in ended { close(at: p) }
    (open, runs, freePlaces) = ([:], [], [])
    // A row is looked up once however many storms show it.
    var keys: [Int64: String] = [:]
    for run in storms {
      for (var storm, rows) in partFindings(run, fees: fees) {
        storm.evidence = try rows.map { row in
          if let key = keys[row] { return key }
          let key = try naturalKey(row)
          keys[row] = key
          return key
        }
        findings.append(storm)
      }
    }
    storms = []
    findings = Self.distinctIDs(findings, period: period)
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

  /// Keeps a storm's run with calls in the period for its findings.
  private mutating func close(_ run: Run) {
    guard isStorm(run), run.firstPart != nil else { return }
    storms.append(run)
  }
}
