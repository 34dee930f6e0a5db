import ChargebackModel
import Foundation

// MARK: - Bedrock demo traffic

extension DemoGenerator {
  /// One invocation-log record.
  struct Call {
    var seq: UInt64
    var time: Int64
    var arn: String
    var region: String
    var inferenceRegion: String?
    var requestID: String
    var model: String
    var input: Int64
    var cacheRead: Int64
    var cacheWrite: Int64
    var oneHour: Bool
    var output: Int64
    var errorCode: String?
    var metadata: [(String, String)]
    var prompt: String?
    var latency: Int64
  }

  private static let inferenceRegions = ["us-east-1", "us-east-2", "us-west-2"]

  /// Bedrock offers the 1-hour cache TTL only for the 4.5 generation of Claude models; older
  /// models' cache writes are always 5-minute writes (no `cacheDetails`).
  static func supportsOneHourCache(_ model: String) -> Bool {
    model.contains("anthropic.claude-") && model.contains("-4-5-")
  }

  /// A call of `s` at `time` with the stream's token profile (or `model` when given).
  func makeCall(
    _ s: BedrockStream, time: Int64, model: String? = nil, rng: inout DemoRandom, counter: inout UInt64, idMask: UInt64
  ) -> Call {
    let model = model ?? s.models[rng.weighted(s.weights)]
    let claude = model.contains("anthropic")
    let allowsOneHour = Self.supportsOneHourCache(model)
    let t = s.tokens
    let input = rng.skewed(t.input)
    var cacheRead: Int64 = 0, cacheWrite: Int64 = 0
    var oneHour = false
    if claude {
      if t.cacheReadPct > 0, rng.percent(t.cacheReadPct) { cacheRead = rng.int(t.cacheRead) }
      if t.cacheWritePct > 0, rng.percent(t.cacheWritePct) {
        cacheWrite = rng.int(t.cacheWrite)
        oneHour = allowsOneHour && rng.percent(t.oneHourPct)
      }
    }
    let output = rng.skewed(t.output)
    let failed = rng.perMille(4)
    counter += 1
    let id = rng.requestID(counter: counter, mask: idMask)
    var metadata: [(String, String)] = []
    if let a = s.agent { metadata.append(("agent_id", a)) }
    if let task = s.task { metadata.append(("task_id", task)) }
    let session = s.sessions[s.sessions.count == 1 ? 0 : rng.below(s.sessions.count)]
    var prompt: String?
    if rng.percent(25) {
      let template = s.prompts[s.prompts.count == 1 ? 0 : rng.below(s.prompts.count)]
      prompt = template.replacingOccurrences(of: "%n", with: String(1000 + rng.below(9000)))
    }
    let inference = model.hasPrefix("us.") ? Self.inferenceRegions[rng.below(3)] : nil
    return Call(
      seq: counter, time: time, arn: Self.arnPrefix + s.role + "/" + session, region: s.region,
      inferenceRegion: inference, requestID: id, model: model, input: input, cacheRead: cacheRead,
      cacheWrite: cacheWrite, oneHour: oneHour, output: failed ? 0 : output,
      errorCode: failed ? "ThrottlingException" : nil, metadata: metadata, prompt: prompt,
      latency: failed ? Int64(40 + rng.below(200)) : 300 + output * Int64(8 + rng.below(12)))
  }

  /// A second-aligned instant of day `day` drawn from `hours`.
  private func timeOfDay(_ day: Int, _ hours: DemoCalendar.Hours, rng: inout DemoRandom) -> Int64 {
    let h = rng.weighted(hours.weights)
    let s = h * 3600 + rng.below(3600)
    return dayStart(day) + Int64(s) * 1000
  }

  func bedrockCalls(
    day: Int, streams: [BedrockStream], rng: inout DemoRandom, counter: inout UInt64, idMask: UInt64
  ) -> [Call] {
    var calls: [Call] = []
    let weekend = isWeekend(day)
    let dayEnd = dayStart(day) + Timestamp.millisPerDay - 1000
    for s in streams where s.days.contains(day) {
      let base = weekend ? s.weekend : s.weekday
      var n = base * (80 + rng.below(41)) / 100
      if base > 0 && n == 0 { n = 1 }
      if s.agent == "eval-runner" && day == Self.spikeDay { n *= 20 }
      for _ in 0..<n {
        var stream = s
        if s.role == "support-refunds" && day >= Self.revokeDay && !rng.percent(25) {
          stream.role = "support-refunds-v2"
        }
        let t = timeOfDay(day, s.hours, rng: &rng)
        var c = makeCall(stream, time: t, rng: &rng, counter: &counter, idMask: idMask)
        if s.role == "legacy-etl-runner" && rng.below(3) == 0 {
          c.metadata = []
        }
        calls.append(c)
        // The planner hands about half of its calls to the summarizer (a child call).
        if s.agent == "research-planner" && c.errorCode == nil && rng.percent(50),
          let child = streams.first(where: { $0.agent == "paper-summarizer" })
        {
          var cs = child
          cs.task = "T-1013"
          let ct = min(t + Int64(5 + rng.below(55)) * 1000, dayEnd)
          var cc = makeCall(cs, time: ct, rng: &rng, counter: &counter, idMask: idMask)
          cc.metadata.append(("parent_request_id", c.requestID))
          calls.append(cc)
        }
      }
    }
    planted(day: day, streams: streams, into: &calls, rng: &rng, counter: &counter, idMask: idMask)
    return calls
  }

  /// Appends one invocation-log JSON object (no newline).
  static func appendBedrockLine(_ c: Call, to s: inout String) {
    s += "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\""
    s += Timestamp.iso(c.time)
    s += "\",\"accountId\":\"\(accountID)\",\"identity\":{\"arn\":\(DemoText.jsonQuoted(c.arn))}"
    s += ",\"region\":\"\(c.region)\""
    if let ir = c.inferenceRegion { s += ",\"inferenceRegion\":\"\(ir)\"" }
    s += ",\"requestId\":\"\(c.requestID)\",\"operation\":\"Converse\",\"modelId\":\"\(c.model)\""
    s += ",\"input\":{\"inputContentType\":\"application/json\""
    if let p = c.prompt {
      s += ",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\(DemoText.jsonQuoted(p))}]}],"
      s += "\"inferenceConfig\":{\"maxTokens\":4096}}"
    }
    s += ",\"inputTokenCount\":\(c.input),\"cacheReadInputTokenCount\":\(c.cacheRead)"
    s += ",\"cacheWriteInputTokenCount\":\(c.cacheWrite)}"
    if c.errorCode != nil {
      s += ",\"output\":{\"outputContentType\":\"application/json\",\"outputTokenCount\":0}"
    } else {
      let total = c.input + c.output + c.cacheRead + c.cacheWrite
      s += ",\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"output\":{\"message\":"
      s += "{\"role\":\"assistant\",\"content\":[{\"text\":\"Done.\"}]}},\"stopReason\":\"end_turn\","
      s += "\"metrics\":{\"latencyMs\":\(c.latency)},\"usage\":{\"inputTokens\":\(c.input),\"outputTokens\":\(c.output)"
      s += ",\"totalTokens\":\(total),\"cacheReadInputTokens\":\(c.cacheRead),\"cacheWriteInputTokens\":\(c.cacheWrite)"
      if c.oneHour && c.cacheWrite > 0 {
        s += ",\"cacheDetails\":[{\"ttl\":\"1h\",\"inputTokens\":\(c.cacheWrite)}]"
      }
      s += "}},\"outputTokenCount\":\(c.output)}"
    }
    if !c.metadata.isEmpty {
      s += ",\"requestMetadata\":{"
      s += c.metadata.map { "\(DemoText.jsonQuoted($0.0)):\(DemoText.jsonQuoted($0.1))" }.joined(separator: ",")
      s += "}"
    }
    if let e = c.errorCode { s += ",\"errorCode\":\"\(e)\"" }
    s += "}"
  }

}
