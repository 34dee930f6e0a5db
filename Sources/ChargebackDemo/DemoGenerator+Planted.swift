// MARK: - Planted anomalies

extension DemoGenerator {
  /// Adds the anomalies listed at the top of DemoGenerator.swift that fall on `day`.
  func planted(
    day: Int, streams: [BedrockStream], into calls: inout [Call], rng: inout DemoRandom, counter: inout UInt64,
    idMask: UInt64
  ) {
    func stream(_ agent: String) -> BedrockStream {
      guard let s = streams.first(where: { $0.agent == agent }) else {
        preconditionFailure("demo stream \(agent) is not defined")
      }
      return s
    }
    if day == Self.stormDay {
      // Retry storm: same model, task, input size and prompt; gaps of 3–25 s; 12 throttled.
      let s = stream("incident-responder")
      var t = dayStart(day) + Int64(13 * 3600 + 41 * 60 + 7) * 1000
      for i in 0..<14 {
        var c = makeCall(s, time: t, model: Models.sonnet4, rng: &rng, counter: &counter, idMask: idMask)
        c.input = 24_816
        c.cacheRead = 0
        c.cacheWrite = 0
        c.oneHour = false
        c.arn = Self.arnPrefix + "sre-incident-responder/ir-pager"
        c.prompt = "Summarise the alerts for incident INC-4471 and propose a mitigation"
        if i < 12 {
          c.errorCode = "ThrottlingException"
          c.output = 0
          c.latency = Int64(30 + rng.below(60))
        } else {
          c.errorCode = nil
          c.output = 1_184 + Int64(rng.below(40))
          c.latency = 9_000 + Int64(rng.below(3000))
        }
        calls.append(c)
        t += Int64(3 + rng.below(23)) * 1000
      }
    }
    if day == Self.outOfScopeDay {
      // Out-of-scope model: the triage agent (Haiku/Nova scope) calls Sonnet 4.5.
      let s = stream("support-triage")
      for _ in 0..<9 {
        let t = dayStart(day) + Int64(15 * 3600 + rng.below(7200)) * 1000
        var c = makeCall(s, time: t, model: Models.sonnet45, rng: &rng, counter: &counter, idMask: idMask)
        c.errorCode = nil
        if c.output == 0 { c.output = 400 }
        c.input = 6_000 + Int64(rng.below(6000))
        calls.append(c)
      }
    }
    if day == Self.loopDay {
      // Recursive loop: planner → summarizer → planner → … linked by parent_request_id.
      let planner = stream("research-planner")
      var summarizer = stream("paper-summarizer")
      summarizer.task = "T-1013"
      var t = dayStart(day) + Int64(10 * 3600 + 12 * 60) * 1000
      var parent: String?
      for i in 0..<12 {
        var c = makeCall(
          i % 2 == 0 ? planner : summarizer, time: t, model: Models.sonnet45, rng: &rng, counter: &counter,
          idMask: idMask)
        c.errorCode = nil
        c.input = 6_000 + Int64(i) * 3_000 + Int64(rng.below(500))
        c.cacheRead = 0
        c.cacheWrite = 0
        c.oneHour = false
        c.output = 900 + Int64(rng.below(600))
        c.latency = 300 + c.output * 12
        if let parent { c.metadata.append(("parent_request_id", parent)) }
        parent = c.requestID
        calls.append(c)
        t += Int64(8 + rng.below(33)) * 1000
      }
    }
    if Self.longContextDays.contains(day), day <= period.dayCount {
      // Long context: more than 200k input tokens in one call.
      let s = stream("paper-summarizer")
      let t = dayStart(day) + Int64(11 * 3600 + rng.below(6 * 3600)) * 1000
      var c = makeCall(s, time: t, model: Models.sonnet45, rng: &rng, counter: &counter, idMask: idMask)
      c.errorCode = nil
      c.input = 150_000 + Int64(rng.below(90_000))
      c.cacheRead = 60_000 + Int64(rng.below(90_000))
      c.cacheWrite = 0
      c.oneHour = false
      c.output = 2_000 + Int64(rng.below(4_000))
      c.latency = 20_000 + c.output * 15
      calls.append(c)
    }
  }
}
