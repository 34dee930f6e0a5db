import ChargebackDemo
import ChargebackModel
import ChargebackStore
import ChargebackSupport

// MARK: - Generator

extension EvaluationSet {
  /// Builds the calls, the identities and the labels.
  struct Generator {
    /// One invocation-log record.
    struct Call {
      var seq: Int
      var time: Int64
      /// The agent actually making the call (ground truth, not written).
      var agent: String
      var role: String
      var session: String
      var requestID: String
      var model: String
      var input: Int64
      var cacheRead: Int64 = 0
      var output: Int64
      var errorCode: String?
      /// `requestMetadata.agent_id` (nil = not sent).
      var claim: String?
      var task: String?
      var parent: String?
      /// The planted episode this call belongs to.
      var tag: String?

      var tokens: TokenCounts {
        TokenCounts(input: input, cachedInput: cacheRead, output: output)
      }
    }

    let period: Period
    let previous: Period
    var rng: DemoRandom
    let idMask: UInt64
    var counter = 0
    var calls: [Call] = []
    /// Per agent, time windows kept free of background calls (planted episodes).
    var reserved: [String: [ClosedRange<Int64>]] = [:]
    let agents: [Agent]

    // Planted days of the period.
    static let stormDays = (incident: 8, router: 15, extractor: 26, stream: 27)
    static let loopDays = (cycle: 21, repeats: 11, branch: 5)
    static let spikeDays = (eval: 12, report: 23)
    static let newSpenderDay = 6
    static let revokeDay = 10
    static let expiryDay = 15
    static let offboardDay = 12
    static let mismatchDay = 9
    static let ghostDays = 17...18
    static let outOfScopeDay = 14
    static let unapprovedFrom = 18
    static let internDays = 15...17
    static let returningDays = 20...22

    init(period: Period, seed: UInt64) {
      self.period = period
      previous = period.previous
      var rng = DemoRandom(seed: seed)
      idMask = rng.next()
      self.rng = rng
      agents = Self.roster()
    }

    // MARK: Calendar

    func start(_ month: Period, _ day: Int) -> Int64 {
      month.startMillis + Int64(day - 1) * Timestamp.millisPerDay
    }

    func at(_ day: Int, _ h: Int, _ m: Int, _ s: Int = 0) -> Int64 {
      start(period, day) + Int64(h * 3600 + m * 60 + s) * 1000
    }

    func date(_ day: Int) -> String { Timestamp.day(start(period, day)) }

    func daysBefore(_ n: Int) -> String {
      Timestamp.day(period.startMillis - Int64(n) * Timestamp.millisPerDay)
    }

    func agent(_ id: String) -> Agent {
      guard let a = agents.first(where: { $0.id == id }) else { preconditionFailure("no evaluation agent \(id)") }
      return a
    }

    // MARK: Calls

    /// The next request id (counts the call).
    mutating func requestID() -> String {
      counter += 1
      return rng.requestID(counter: UInt64(counter), mask: idMask)
    }

    /// A call of `a` at `time` with its usual sizes (override what you need afterwards).
    mutating func call(_ a: Agent, at time: Int64, tag: String? = nil) -> Call {
      var input = rng.int(a.input)
      var cacheRead: Int64 = 0
      if a.cacheReadPct > 0, rng.percent(a.cacheReadPct) {
        cacheRead = rng.int(2_000...20_000)
        input = max(200, input / 4)
      }
      let output = rng.int(a.output)
      let session = a.role == EvaluationSet.sharedRole ? a.id : a.id + "-" + String(rng.below(2))
      return Call(
        seq: 0, time: time, agent: a.id, role: a.role, session: session, requestID: requestID(),
        model: a.model, input: input, cacheRead: cacheRead, output: output, errorCode: nil, claim: a.id, task: a.task,
        parent: nil, tag: tag)
    }

    /// Appends a call; `seq` (the tie-break of equal times) is its position.
    mutating func add(_ c: Call) {
      var c = c
      c.seq = calls.count
      calls.append(c)
    }

    private func isReserved(_ agent: String, _ t: Int64) -> Bool {
      reserved[agent]?.contains { $0.contains(t) } ?? false
    }

    /// Keeps background calls of `agent` out of `[from − 5 min, to + 5 min]`.
    private mutating func reserve(_ agent: String, from: Int64, to: Int64) {
      reserved[agent, default: []].append((from - 300_000)...(to + 300_000))
    }

    // MARK: Generation

    mutating func generate() {
      reserveEpisodes()
      for (month, isPeriod) in [(previous, false), (period, true)] {
        for day in 1...month.dayCount {
          for a in agents {
            guard let days = isPeriod ? a.periodDays : a.previousDays, days.contains(day) else { continue }
            background(a, month: month, day: day, scale: isPeriod ? a.periodScale : 100)
          }
          let dayStart = start(month, day)
          if !DemoCalendar.isWeekend(dayStart) { workflowTree(day: dayStart) }
        }
      }
      plantStorms()
      plantLoops()
      plantBranchLoop()
      plantSpikes()
      plantLifecycle()
      plantDecoys()
    }

    /// Windows of the planted episodes, known before the background is drawn.
    private mutating func reserveEpisodes() {
      reserve("incident-bot", from: at(Self.stormDays.incident, 13, 41), to: at(Self.stormDays.incident, 13, 50))
      reserve("ticket-router", from: at(Self.stormDays.router, 9, 5), to: at(Self.stormDays.router, 9, 10))
      reserve("doc-extractor", from: at(Self.stormDays.extractor, 2, 10), to: at(Self.stormDays.extractor, 2, 20))
      reserve("support-chat", from: at(Self.stormDays.stream, 4, 0), to: at(Self.stormDays.stream, 4, 10))
      reserve("sync-worker", from: at(16, 3, 0), to: at(16, 3, 40))
      for id in ["case-orchestrator", "policy-checker", "answer-drafter", "kb-search"] {
        reserve(id, from: at(Self.loopDays.branch, 13, 0), to: at(Self.loopDays.branch, 13, 5))
      }
      for d in [7, 19, 25] { reserve("batch-summarizer", from: at(d, 14, 0), to: at(d, 14, 2)) }
    }

    private mutating func background(_ a: Agent, month: Period, day: Int, scale: Int) {
      let dayStart = start(month, day)
      if let runsOn = a.runsOn, !runsOn.contains(DemoCalendar.weekday(dayStart)) { return }
      let base = (DemoCalendar.isWeekend(dayStart) && a.runsOn == nil ? a.weekend : a.weekday) * scale / 100
      guard base > 0 else { return }
      let n = max(1, base * (85 + rng.below(31)) / 100)
      let dayEnd = dayStart + Timestamp.millisPerDay - 1000
      for _ in 0..<n {
        let h = rng.weighted(a.hours.weights)
        let t = dayStart + Int64(h * 3600 + rng.below(3600)) * 1000
        if isReserved(a.id, t) { continue }
        var c = call(a, at: t)
        if rng.perMille(3) {
          // An ordinary throttle, retried once or twice a few seconds later.
          let retries = 1 + rng.below(2)
          var failed = c
          failed.errorCode = "ThrottlingException"
          failed.output = 0
          add(failed)
          var rt = t
          for i in 0..<retries {
            rt = min(rt + Int64(2 + rng.below(19)) * 1000, dayEnd)
            var r = c
            r.requestID = requestID()
            r.time = rt
            if i < retries - 1 {
              r.errorCode = "ThrottlingException"
              r.output = 0
            }
            add(r)
          }
          c = calls[calls.count - 1]
        } else {
          add(c)
        }
        // Ordinary two-level trees: the planner asks the critic, the orchestrator the fixer.
        if a.id == "research-planner", rng.percent(35) {
          var child = call(agent("research-critic"), at: min(c.time + Int64(5 + rng.below(45)) * 1000, dayEnd))
          child.parent = c.requestID
          add(child)
        }
        if a.id == "build-orchestrator", rng.percent(40) {
          var child = call(agent("code-fixer"), at: min(c.time + Int64(5 + rng.below(45)) * 1000, dayEnd))
          child.parent = c.requestID
          add(child)
        }
      }
    }

    /// One deep but acyclic workflow tree (depth 8, distinct agents on every path, a fan-out of
    /// four `wf-rank` siblings).
    private mutating func workflowTree(day dayStart: Int64) {
      var t = dayStart + Int64(9 * 3600 + rng.below(8 * 3600)) * 1000
      func step(_ id: String, parent: String?, _ g: inout Generator) -> Call {
        var c = g.call(g.agent(id), at: t)
        c.parent = parent
        c.tag = "workflow"
        g.add(c)
        t += Int64(3 + g.rng.below(20)) * 1000
        return c
      }
      let intake = step("wf-intake", parent: nil, &self)
      let classify = step("wf-classify", parent: intake.requestID, &self)
      let retrieve = step("wf-retrieve", parent: classify.requestID, &self)
      var ranks: [Call] = []
      for _ in 0..<4 {
        let r = step("wf-rank", parent: retrieve.requestID, &self)
        // Similar candidates: one input size class, so the siblings share a fingerprint.
        calls[calls.count - 1].input = 3_000 + rng.int(0...500)
        calls[calls.count - 1].cacheRead = 0
        ranks.append(r)
      }
      let draft = step("wf-draft", parent: ranks[0].requestID, &self)
      let review = step("wf-review", parent: draft.requestID, &self)
      let format = step("wf-format", parent: review.requestID, &self)
      _ = step("wf-publish", parent: format.requestID, &self)
    }
  }
}
