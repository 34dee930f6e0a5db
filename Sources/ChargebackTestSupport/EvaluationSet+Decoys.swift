import ChargebackModel
import ChargebackSupport

// MARK: - Decoys

extension EvaluationSet.Generator {
  /// Plants the legitimate look-alikes listed at the top of EvaluationSet.swift.
  mutating func plantDecoys() {
    // notify-worker: six ordinary throttles, each retried once or twice.
    let notify = agent("notify-worker")
    for day in [3, 7, 11, 16, 22, 27] {
      var t = at(day, 11, 0) + Int64(rng.below(6 * 3600)) * 1000
      let first = call(notify, at: t, tag: "single-retry")
      let attempts = 2 + rng.below(2)
      for i in 0..<attempts {
        var c = first
        c.requestID = i == 0 ? first.requestID : requestID()
        c.time = t
        if i < attempts - 1 {
          c.errorCode = "ThrottlingException"
          c.output = 0
        }
        add(c)
        t += Int64(5 + rng.below(16)) * 1000
      }
    }
    // sync-worker: 12 identical calls with backoff (gaps 61–240 s), 11 throttled.
    let sync = agent("sync-worker")
    var t = at(16, 3, 0)
    let gaps: [Int64] = [61, 75, 90, 120, 150, 180, 240, 240, 240, 240, 240]
    for i in 0..<12 {
      var c = call(sync, at: t, tag: "backoff")
      c.session = "sync-batch"
      c.input = 3_300
      c.cacheRead = 0
      if i < 11 {
        c.errorCode = "ThrottlingException"
        c.output = 0
      }
      add(c)
      if i < gaps.count { t += gaps[i] * 1000 }
    }
    // batch-summarizer bursts.
    let summarizer = agent("batch-summarizer")
    let sizes: [Int64] = [1_500, 6_000, 24_000]
    let tasks = ["T-222", "T-223", "T-224", "T-225", "T-226"]
    t = at(7, 14, 0)
    for task in tasks.prefix(4) {
      for size in sizes {
        var c = call(summarizer, at: t, tag: "burst-distinct")
        c.task = task
        c.input = size + rng.int(0...200)
        c.cacheRead = 0
        add(c)
        t += Int64(1 + rng.below(2)) * 1000
      }
    }
    t = at(19, 14, 0)
    var index = 0
    for task in tasks {
      for size in sizes {
        var c = call(summarizer, at: t, tag: "burst-throttle")
        c.task = task
        c.input = size + rng.int(0...200)
        c.cacheRead = 0
        if index == 4 {
          var failed = c
          failed.errorCode = "ThrottlingException"
          failed.output = 0
          add(failed)
          c.requestID = requestID()
          c.time = t + 3_000
        }
        add(c)
        t += Int64(1 + rng.below(3)) * 1000
        index += 1
      }
    }
    t = at(25, 14, 0)
    for _ in 0..<12 {
      var c = call(summarizer, at: t, tag: "burst-same")
      c.input = 5_000 + rng.int(0...1_500)
      c.cacheRead = 0
      add(c)
      t += Int64(1 + rng.below(3)) * 1000
    }
  }

  /// The labels of the decoys.
  func decoys() -> [EvaluationDecoy] {
    let behaviour: [FindingKind] = [.retryStorm, .recursiveLoop, .usageSpike]
    return [
      EvaluationDecoy(
        decoyKind: "single_retry", agentID: "notify-worker", agents: ["notify-worker"], mustNotRaise: [.retryStorm],
        note: "six throttles in the period, each retried once or twice (2–3 calls of one fingerprint)"),
      EvaluationDecoy(
        decoyKind: "backoff_retries", agentID: "sync-worker", agents: ["sync-worker"], mustNotRaise: [.retryStorm],
        note: "12 identical calls on \(date(16)), 11 throttled, every gap 61–240 s (exponential backoff)"),
      EvaluationDecoy(
        decoyKind: "burst_distinct_inputs", agentID: "batch-summarizer", agents: ["batch-summarizer"],
        mustNotRaise: [.retryStorm],
        note:
          "12 calls within 30 s over 4 tasks × 3 input size classes on \(date(7)); 15 calls over 5 tasks × 3 sizes with one throttle retried once on \(date(19))"
      ),
      EvaluationDecoy(
        decoyKind: "burst_same_fingerprint_no_failure", agentID: "batch-summarizer", agents: ["batch-summarizer"],
        mustNotRaise: [.retryStorm], note: "12 successful calls of one fingerprint within 25 s on \(date(25))"),
      EvaluationDecoy(
        decoyKind: "deep_acyclic_tree", agentID: "wf-intake", agents: Self.workflow.map(\.0),
        mustNotRaise: behaviour,
        note: "every weekday: a tree of depth 8 with distinct agents on every path and four wf-rank siblings"),
      EvaluationDecoy(
        decoyKind: "steady_heavy", agentID: "heavy-batch", agents: ["heavy-batch"],
        mustNotRaise: behaviour + [.newSpender], note: "flat ≈ 27 USD every day of both months"),
      EvaluationDecoy(
        decoyKind: "weekday_weekend_heavy", agentID: "weekday-analyst", agents: ["weekday-analyst"],
        mustNotRaise: behaviour + [.newSpender], note: "≈ 27 USD on weekdays, ≈ 5 USD on weekends"),
      EvaluationDecoy(
        decoyKind: "periodic_heavy", agentID: "weekly-reporter", agents: ["weekly-reporter"],
        mustNotRaise: behaviour + [.newSpender],
        note: "≈ 30 USD every Monday and Thursday of both months, nothing on other days"),
      EvaluationDecoy(
        decoyKind: "heavy_last_month", agentID: "migration-runner", agents: ["migration-runner"],
        mustNotRaise: behaviour + [.newSpender], note: "≈ 30 USD/day last month, ≈ 25 USD/day this month"),
      EvaluationDecoy(
        decoyKind: "returning_user", agentID: "quarterly-close", agents: ["quarterly-close"],
        mustNotRaise: behaviour + [.newSpender],
        note:
          "heavy on the first two days of last month (before the 28-day baseline window), back on days 20–22 of this month"
      ),
      EvaluationDecoy(
        decoyKind: "small_new_agent", agentID: "intern-bot", agents: ["intern-bot"],
        mustNotRaise: behaviour + [.newSpender], note: "first used on \(date(15)), total far below the 25 USD floor"),
    ]
  }
}
