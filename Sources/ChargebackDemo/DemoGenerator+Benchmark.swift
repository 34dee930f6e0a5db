import ChargebackModel
import Foundation

// MARK: - Benchmark lines

/// The shape of a benchmark month (`make bench` measures several).
package enum BenchShape: String, Sendable, CaseIterable {
  /// The demo's callers: one session per role mostly, one task per agent, calls in time order.
  case friendly
  /// Every call under its own IAM role session (as on Lambda or ECS) and one of 5,000 task ids.
  case cardinality
  /// As `friendly`, but each call at a random time within its day, so files are not in time order.
  case unsorted
  /// As `cardinality`, but a ticket id of its own per call: a chargeback line per call (the
  /// lines, and `chargeback.csv`, grow with the calls; the rest of the outputs must not).
  case tickets
  /// A large directory: 20,000 service accounts in 300 cost centres besides the demo's, each an
  /// IAM user of its own, calling in turn: the outputs (FOCUS rows, spike cells) grow with
  /// directory × days, up to a million and more (a trial's month had 998 k FOCUS rows).
  case directory
}

extension DemoGenerator {
  /// Writes `count` Bedrock invocation-log lines spread evenly over the period, in files of at most `perFile`
  /// lines under `directory/usage/bedrock/`, plus the demo identities.
  ///
  /// Streams: each line is built into a reusable byte buffer that is flushed in large chunks.
  package func writeBenchmark(
    to directory: String, records count: Int, perFile: Int = 250_000, shape: BenchShape = .friendly
  ) throws -> DemoLayout {
    let count = max(0, count)
    let perFile = max(1, perFile)
    let usage = DemoText.join(directory, "usage")
    let identities = DemoText.join(directory, "identities")
    let bedrockDir = DemoText.join(usage, "bedrock")
    for d in [bedrockDir, identities] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    try writeIdentities(to: identities)
    if shape == .directory { try Self.appendLargeDirectory(to: identities) }

    var rng = DemoRandom(seed: seed ^ 0xB5AD_4ECE_DA1C_E2A9)
    let idMask = rng.next() ^ Self.idSalt(period)
    let profiles = Self.benchmarkProfiles(dayCount: period.dayCount)
    let prompts = Self.benchmarkPrompts.map { Array(DemoText.jsonQuoted($0).utf8) }
    let start = period.startMillis
    let span = period.endMillis - start
    let flushAt = 8 << 20
    var buf = ByteBuffer(capacity: flushAt + 8192)
    var files: [String] = []
    var written = 0
    var fileIndex = 0
    var cachedDay: Int64 = .min
    var dayBytes: [UInt8] = []

    while written < count {
      fileIndex += 1
      let name = "part-" + Self.zeroPad(fileIndex, 5) + ".jsonl"
      let path = DemoText.join(bedrockDir, name)
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
      }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      files.append(path)
      let end = min(count, written + perFile)
      do {
        while written < end {
          let i = written
          var t = start + Int64(i) * span / Int64(max(count, 1))
          if shape == .unsorted {
            // Anywhere in the same UTC day.
            let dayStart = Timestamp.floorDiv(t, Timestamp.millisPerDay) * Timestamp.millisPerDay
            t = dayStart + rng.int(0...(Timestamp.millisPerDay - 1))
          }
          let dayNumber = Timestamp.floorDiv(t, Timestamp.millisPerDay)
          if dayNumber != cachedDay {
            cachedDay = dayNumber
            dayBytes = Array(Timestamp.day(t).utf8)
          }
          let p = profiles[i % profiles.count]
          let modelIndex = p.models.count == 1 ? 0 : rng.below(p.models.count)
          let model = p.models[modelIndex]
          Self.appendBenchmarkLine(
            &buf, index: UInt64(i), time: t, day: dayBytes, dayMillis: dayNumber * Timestamp.millisPerDay,
            profile: p, model: model, isNova: p.novaFlags[modelIndex], oneHourAllowed: p.oneHourFlags[modelIndex],
            prompts: prompts, idMask: idMask, rng: &rng, cardinality: shape == .cardinality || shape == .tickets,
            ticketPerCall: shape == .tickets,
            serviceAccount: shape == .directory ? (i &* 7_919) % Self.directoryAccounts : nil)
          written += 1
          if buf.count >= flushAt {
            try buf.flush(to: handle)
          }
        }
        try buf.flush(to: handle)
      } catch {
        try? handle.close()
        throw error
      }
      try handle.close()
    }
    return DemoLayout(
      usageDirectory: usage, identityDirectory: identities, files: files.sorted(), bedrockRecords: written,
      openAIRows: 0)
  }

  private static func zeroPad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  /// A precomputed caller of benchmark lines.
  struct BenchProfile {
    /// `"identity":{"arn":"…"},"region":"…"` as bytes.
    var identity: [UInt8]
    /// The same up to the role's `/` (for a session name per call), and what follows the session.
    var identityRole: [UInt8]
    var identityEnd: [UInt8]
    /// `,"requestMetadata":{…}}` closing the record, as bytes.
    var metadata: [UInt8]
    /// `,"requestMetadata":{"agent_id":"…",` (or `{`), before a task id of the call's own.
    var metadataAgent: [UInt8]
    /// `"modelId":"…"` bytes per model, and which are Nova (no cache fields).
    var models: [[UInt8]]
    var novaFlags: [Bool]
    /// Which models may write 1-hour cache entries.
    var oneHourFlags: [Bool]
    var tokens: TokenProfile
  }

  static let benchmarkPrompts = [
    "Reconcile invoice INV-20931 against the purchase order and list every mismatch",
    "Classify this support ticket and suggest the queue it belongs to",
    "Review the attached pull request for correctness, style and missing tests",
    "Summarise the error log window and name the most likely root cause",
    "Summarise the attached paper in five bullet points for a research digest",
    "Grade the candidate answer against the rubric and explain the score",
    "Enrich this lead with firmographic data and a short company summary",
    "Draft the accrual journal entries for the open purchase orders",
  ]

  /// Registered callers of the demo (bound roles and the shared role); the refund assistant uses
  /// its replacement role, so the benchmark has no revoked-credential calls.
  static func benchmarkProfiles(dayCount: Int) -> [BenchProfile] {
    var out: [BenchProfile] = []
    for s in bedrockStreams(dayCount: dayCount) {
      guard s.role != "legacy-etl-runner", s.agent != "hackathon-bot" else {
        continue
      }
      let role = s.role == "support-refunds" ? "support-refunds-v2" : s.role
      for session in s.sessions {
        var identity = "\"identity\":{\"arn\":\"" + arnPrefix + role + "/" + session + "\"},\"region\":\""
        identity += s.region + "\""
        var meta = ""
        var pairs: [String] = []
        if let a = s.agent { pairs.append("\"agent_id\":\"\(a)\"") }
        if let t = s.task { pairs.append("\"task_id\":\"\(t)\"") }
        if !pairs.isEmpty { meta = ",\"requestMetadata\":{" + pairs.joined(separator: ",") + "}" }
        meta += "}\n"
        let agentPart = s.agent.map { ",\"requestMetadata\":{\"agent_id\":\"\($0)\"," } ?? ",\"requestMetadata\":{"
        out.append(
          BenchProfile(
            identity: Array(identity.utf8),
            identityRole: Array(("\"identity\":{\"arn\":\"" + arnPrefix + role + "/").utf8),
            identityEnd: Array(("\"},\"region\":\"" + s.region + "\"").utf8), metadata: Array(meta.utf8),
            metadataAgent: Array(agentPart.utf8),
            models: s.models.map { Array(("\"modelId\":\"" + $0 + "\"").utf8) },
            novaFlags: s.models.map { $0.hasPrefix("amazon.nova") }, oneHourFlags: s.models.map(supportsOneHourCache),
            tokens: s.tokens))
      }
    }
    return out
  }

  /// Appends one benchmark invocation-log line (with its newline).
  static func appendBenchmarkLine(
    _ b: inout ByteBuffer, index: UInt64, time: Int64, day: [UInt8], dayMillis: Int64, profile p: BenchProfile,
    model: [UInt8], isNova: Bool, oneHourAllowed: Bool, prompts: [[UInt8]], idMask: UInt64, rng: inout DemoRandom,
    cardinality: Bool = false, ticketPerCall: Bool = false, serviceAccount: Int? = nil
  ) {
    let t = p.tokens
    let input = rng.skewed(t.input)
    var cacheRead: Int64 = 0, cacheWrite: Int64 = 0
    var oneHour = false
    if !isNova {
      if t.cacheReadPct > 0, rng.percent(t.cacheReadPct) { cacheRead = rng.int(t.cacheRead) }
      if t.cacheWritePct > 0, rng.percent(t.cacheWritePct) {
        cacheWrite = rng.int(t.cacheWrite)
        oneHour = oneHourAllowed && rng.percent(t.oneHourPct)
      }
    }
    let output = rng.skewed(t.output)
    let failed = rng.perMille(4)
    let r = rng.next()

    b.put("{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"")
    b.put(day)
    b.byte(84)  // T
    let ms = time - dayMillis
    let secs = ms / 1000
    b.two(secs / 3600)
    b.byte(58)
    b.two(secs / 60 % 60)
    b.byte(58)
    b.two(secs % 60)
    b.byte(46)
    let frac = ms % 1000
    b.byte(UInt8(truncatingIfNeeded: 48 + frac / 100))
    b.two(frac % 100)
    b.put("Z\",\"accountId\":\"123456789012\",")
    if let serviceAccount {
      // One of the large directory's IAM users (``appendLargeDirectory(to:)``).
      b.put("\"identity\":{\"arn\":\"arn:aws:iam::123456789012:user/svc-")
      b.int(Int64(serviceAccount))
      b.put("\"},\"region\":\"us-east-1\"")
    } else if cardinality {
      // A session name of its own, as per-invocation credentials give.
      b.put(p.identityRole)
      b.put("inv-")
      b.hex((index ^ idMask) & 0xFFFF_FFFF_FFFF, 12)
      b.put(p.identityEnd)
    } else {
      b.put(p.identity)
    }
    b.put(",\"requestId\":\"")
    b.hex(r >> 32, 8)
    b.byte(45)
    b.hex((r >> 16) & 0xFFFF, 4)
    b.put("-4")
    b.hex(r & 0xFFF, 3)
    b.byte(45)
    b.hex(DemoRandom.variantGroup(index), 4)
    b.byte(45)
    b.hex((index ^ idMask) & 0xFFFF_FFFF_FFFF, 12)
    b.put("\",\"operation\":\"Converse\",")
    b.put(model)
    b.put(",\"input\":{\"inputContentType\":\"application/json\",")
    if index & 3 == 0 {
      b.put("\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":")
      b.put(prompts[Int((index >> 2) % UInt64(prompts.count))])
      b.put("}]}],\"inferenceConfig\":{\"maxTokens\":4096}},")
    }
    b.put("\"inputTokenCount\":")
    b.int(input)
    b.put(",\"cacheReadInputTokenCount\":")
    b.int(cacheRead)
    b.put(",\"cacheWriteInputTokenCount\":")
    b.int(cacheWrite)
    if failed {
      b.put("},\"output\":{\"outputContentType\":\"application/json\",\"outputTokenCount\":0}")
    } else {
      b.put("},\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"stopReason\":\"end_turn\",")
      b.put("\"metrics\":{\"latencyMs\":")
      b.int(300 + output * 11)
      b.put("},\"usage\":{\"inputTokens\":")
      b.int(input)
      b.put(",\"outputTokens\":")
      b.int(output)
      b.put(",\"totalTokens\":")
      b.int(input + output + cacheRead + cacheWrite)
      b.put(",\"cacheReadInputTokens\":")
      b.int(cacheRead)
      b.put(",\"cacheWriteInputTokens\":")
      b.int(cacheWrite)
      if oneHour && cacheWrite > 0 {
        b.put(",\"cacheDetails\":[{\"ttl\":\"1h\",\"inputTokens\":")
        b.int(cacheWrite)
        b.put("}]")
      }
      b.put("}},\"outputTokenCount\":")
      b.int(output)
      b.byte(125)  // }
    }
    if failed {
      b.put(",\"errorCode\":\"ThrottlingException\"")
    }
    if serviceAccount != nil {
      // A service account's calls name no agent or task: it is its own agent.
      b.put("}\n")
    } else if cardinality {
      // One of 5,000 tasks (a ticket per job), or a ticket per call.
      b.put(p.metadataAgent)
      b.put("\"task_id\":\"TKT-")
      b.int(ticketPerCall ? Int64(index) : Int64((index &* 2_654_435_761) % 5_000))
      b.put("\"}}\n")
    } else {
      b.put(p.metadata)
    }
  }

  /// Service accounts of the `directory` shape, and the cost centres they are spread over.
  static let directoryAccounts = 20_000
  static let directoryCostCentres = 300

  /// Appends the `directory` shape's 300 cost centres and 20,000 service accounts (an agent and
  /// its IAM user each, owned by the demo's first person) to the demo's identity files.
  static func appendLargeDirectory(to identities: String) throws {
    func append(_ name: String, _ rows: [String]) throws {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: DemoText.join(identities, name)))
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: Data((rows.joined(separator: "\n") + "\n").utf8))
    }
    let centres = (0..<directoryCostCentres).map { "CC-S\(zeroPad($0, 3))" }
    try append("cost_centres.csv", centres.map { "\($0),Service group \($0.dropFirst(4)),p-ana," })
    let accounts = 0..<directoryAccounts
    try append(
      "agents.csv",
      accounts.map {
        "svc-\($0),Service account \($0),service_account,p-ana,services,\(centres[$0 % centres.count]),,,"
      })
    try append(
      "credentials.csv",
      accounts.map { "arn:aws:iam::123456789012:user/svc-\($0),bedrock,svc-\($0),,2026-01-05,,,IAM user of svc-\($0)" })
  }
}
