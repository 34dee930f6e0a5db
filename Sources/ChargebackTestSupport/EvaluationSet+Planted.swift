// MARK: - Planted cases

extension EvaluationSet.Generator {
  /// The four retry storms.
  mutating func plantStorms() {
    // incident-bot: 14 identical Sonnet 4 calls, 12 throttled, the last two succeed.
    var t = at(Self.stormDays.incident, 13, 41, 7)
    let incident = agent("incident-bot")
    for i in 0..<14 {
      var c = call(incident, at: t, tag: "storm-incident")
      c.session = "incident-pager"
      c.input = 24_816
      c.cacheRead = 0
      if i < 12 {
        c.errorCode = "ThrottlingException"
        c.output = 0
      } else {
        c.output = 1_184 + Int64(rng.below(40))
      }
      add(c)
      t += Int64(3 + rng.below(23)) * 1000
    }
    // ticket-router: 20 identical Haiku calls; failures in runs of three with a success after
    // each run, one gap of exactly 60 s.
    t = at(Self.stormDays.router, 9, 5, 0)
    let router = agent("ticket-router")
    for i in 0..<20 {
      var c = call(router, at: t, tag: "storm-router")
      c.session = "router-pod-" + String(i % 2)
      c.input = 5_200
      c.cacheRead = 0
      if i % 4 != 3 {
        c.errorCode = i % 3 == 0 ? "ServiceUnavailableException" : "ThrottlingException"
        c.output = 0
      } else {
        c.output = 180 + Int64(rng.below(20))
      }
      add(c)
      t += i == 9 ? 60_000 : Int64(1 + rng.below(10)) * 1000
    }
    // doc-extractor: 12 identical Nova Pro calls that all time out with their input billed.
    t = at(Self.stormDays.extractor, 2, 10, 30)
    let extractor = agent("doc-extractor")
    for _ in 0..<12 {
      var c = call(extractor, at: t, tag: "storm-extractor")
      c.session = "extract-batch"
      c.input = 41_000
      c.output = 0
      c.errorCode = "ModelTimeoutException"
      add(c)
      t += Int64(4 + rng.below(27)) * 1000
    }
    // support-chat: a stream storm as Bedrock logs it: 5 throttles that report no tokens, 3
    // streams that broke after billing, 2 more throttles, then 2 successes, all one request.
    t = at(Self.stormDays.stream, 4, 2, 11)
    let chat = agent("support-chat")
    for i in 0..<12 {
      var c = call(chat, at: t, tag: "storm-stream")
      c.session = "chat-pod"
      c.cacheRead = 0
      switch i {
      case 0..<5, 8..<10:
        c.input = 0
        c.output = 0
        c.errorCode = "ThrottlingException"
      case 5..<8:
        c.input = 2_600
        c.output = 40 + Int64(rng.below(30))
        c.errorCode = "ModelStreamErrorException"
      default:
        c.input = 2_600
        c.output = 180 + Int64(rng.below(20))
      }
      add(c)
      t += Int64(2 + rng.below(19)) * 1000
    }
  }

  /// The planner ⇄ critic cycle and the code-fixer repeat.
  mutating func plantLoops() {
    // planner → critic → planner → … (the planner is its own ancestor from the third call).
    var t = at(Self.loopDays.cycle, 10, 12)
    var parent: String?
    let planner = agent("research-planner")
    let critic = agent("research-critic")
    for i in 0..<10 {
      var c = call(i % 2 == 0 ? planner : critic, at: t, tag: "loop-cycle")
      c.input = 6_000 + Int64(i) * 3_000 + rng.int(0...400)
      c.cacheRead = 0
      c.output = 900 + rng.int(0...600)
      c.parent = parent
      parent = c.requestID
      add(c)
      t += Int64(8 + rng.below(33)) * 1000
    }
    // orchestrator → code-fixer × 7 along one path, same model and input size class.
    t = at(Self.loopDays.repeats, 16, 0)
    var root = call(agent("build-orchestrator"), at: t, tag: "loop-repeat")
    root.cacheRead = 0
    add(root)
    parent = root.requestID
    let fixer = agent("code-fixer")
    for _ in 0..<7 {
      t += Int64(10 + rng.below(31)) * 1000
      var c = call(fixer, at: t, tag: "loop-repeat")
      c.input = 9_000 + rng.int(0...900)
      c.cacheRead = 0
      c.output = 1_200 + rng.int(0...600)
      c.parent = parent
      parent = c.requestID
      add(c)
    }
  }

  /// Plants a loop inside a wider tree.
  ///
  /// `case-orchestrator` fans out to six `kb-search` calls spread over four minutes and hands the
  /// case to `policy-checker`, which loops with `answer-drafter`. Only the loop's calls are
  /// avoidable, not the concurrent searches.
  mutating func plantBranchLoop() {
    let t0 = at(Self.loopDays.branch, 13, 0)
    var root = call(agent("case-orchestrator"), at: t0, tag: "loop-branch")
    root.input = 4_000
    add(root)
    for i in 0..<6 {
      var k = call(agent("kb-search"), at: t0 + Int64(3 + i * 45) * 1000, tag: "loop-branch-search")
      k.input = 20_000 + rng.int(0...4_000)
      k.cacheRead = 0
      k.parent = root.requestID
      add(k)
    }
    var t = t0 + 5_000
    var parent = root.requestID
    for i in 0..<7 {
      var c = call(agent(i % 2 == 0 ? "policy-checker" : "answer-drafter"), at: t, tag: "loop-branch")
      c.cacheRead = 0
      c.parent = parent
      parent = c.requestID
      add(c)
      t += Int64(15 + rng.below(16)) * 1000
    }
  }

  /// The two usage spikes.
  mutating func plantSpikes() {
    // eval-runner: 90 extra, larger calls on one day (≈ 25× its usual cost).
    let eval = agent("eval-runner")
    for _ in 0..<90 {
      let t = at(Self.spikeDays.eval, 9, 0) + Int64(rng.below(8 * 3600)) * 1000
      var c = call(eval, at: t, tag: "spike-eval")
      c.input = rng.int(60_000...80_000)
      c.output = rng.int(2_000...4_000)
      add(c)
    }
    // report-writer: 160 extra, larger calls on one day (≈ 20×).
    let report = agent("report-writer")
    for _ in 0..<160 {
      let t = at(Self.spikeDays.report, 6, 0) + Int64(rng.below(12 * 3600)) * 1000
      var c = call(report, at: t, tag: "spike-report")
      c.input = rng.int(40_000...60_000)
      c.output = rng.int(4_000...6_000)
      add(c)
    }
  }

  /// The lifecycle and policy cases that need calls of their own.
  mutating func plantLifecycle() {
    // triage-agent's role, claiming to be ticket-router.
    let triage = agent("triage-agent")
    for _ in 0..<6 {
      var c = call(triage, at: at(Self.mismatchDay, 10, 0) + Int64(rng.below(7200)) * 1000, tag: "mismatch")
      c.claim = "ticket-router"
      c.task = "T-202"
      add(c)
    }
    // An unregistered agent on the shared runner role.
    let kb = agent("kb-indexer")
    for day in Self.ghostDays {
      for _ in 0..<8 {
        var c = call(kb, at: at(day, 20, 0) + Int64(rng.below(3 * 3600)) * 1000, tag: "ghost")
        c.agent = "ghost-agent"
        c.session = "ghost-agent"
        c.claim = "ghost-agent"
        c.task = nil
        add(c)
      }
    }
    // support-chat calls a model its scope does not allow.
    let chat = agent("support-chat")
    for _ in 0..<9 {
      var c = call(chat, at: at(Self.outOfScopeDay, 15, 0) + Int64(rng.below(7200)) * 1000, tag: "out-of-scope")
      c.model = Models.sonnet45
      c.input = rng.int(6_000...12_000)
      c.output = rng.int(400...900)
      add(c)
    }
    // sales-drafter works on an unapproved task every day from day 18.
    let drafter = agent("sales-drafter")
    for day in Self.unapprovedFrom...period.dayCount {
      for _ in 0..<3 {
        var c = call(drafter, at: at(day, 9, 0) + Int64(rng.below(9 * 3600)) * 1000, tag: "unapproved")
        c.task = "T-299"
        add(c)
      }
    }
    // Revoked, expired and offboarded cases need no extra calls: the background runs daily.
  }
}
