import Foundation

// A realistic demo month for `chargeback demo`, and large Bedrock fixtures for benchmarks.
//
// Everything is derived from the period and a SplitMix64 seed, so the same (period, seed) gives
// byte-identical files. Days below are days of the period (1-based, UTC).
//
// Identities (`identities/`): 5 cost centres (CC-1100 Finance Ops, CC-2200 Customer Support,
// CC-3300 Platform Engineering, CC-4400 Sales, CC-5500 Research), 10 people, 20 agents (21 rows),
// 20 credentials, 15 tasks (T-1001…T-1015), 4 scopes (S-FIN, S-SUPPORT, S-ENG, S-RESEARCH).
//
// Planted anomalies and policy cases:
// - retry storm: `incident-responder` (role `sre-incident-responder`, task T-1009) on day 8 from
//   13:41:07Z: 14 identical Converse calls to Claude Sonnet 4 (same input size and prompt, gaps
//   3–25 s), the first 12 failing with `ThrottlingException` (no output), the last 2 succeeding.
// - recursive loop: task T-1013 on day 22 from 10:12:00Z: 12 calls linked by
//   `parent_request_id`, alternating `research-planner` → `paper-summarizer` → `research-planner`…,
//   so `research-planner` is its own ancestor from the third call on.
// - usage spike: `eval-runner` (workload, flat daily load, role `research-eval-runner`) makes 20×
//   its usual number of calls on day 20.
// - unknown credential: role `legacy-etl-runner` (not in credentials.csv) runs nightly from day 5;
//   about 2/3 of its calls carry `agent_id=kb-indexer` (a registered agent), the rest no metadata.
// - revoked credential: role `support-refunds` (bound to `refund-assistant`) is revoked on day 10
//   and replaced by `support-refunds-v2`; about a quarter of the agent's later calls still use it.
// - out-of-scope model: `support-triage` (scope S-SUPPORT: Haiku, Nova, GPT-4.1-mini only) calls
//   Claude Sonnet 4.5 nine times on day 14 (15:00–17:00Z).
// - shared credential: role `shared-agent-runner` (no agent, CC-3300) is used by `kb-indexer`,
//   `pr-reviewer` and `release-notes-writer` (named in `requestMetadata.agent_id`), by calls with
//   no agent at all, and on days 17–18 by `hackathon-bot`, an agent that is not registered.
// - offboarded owner: `p-ivan` leaves on day 12; his agent `expense-auditor` keeps running.
// - cost-centre move: `deal-desk-analyst` moves from CC-4400 Sales to CC-1100 Finance Ops on the
//   16th (two agents.csv rows; its task T-1012 has no approver).
// - budget: CC-4400 Sales has a monthly budget below its demo spend.
// - long context: `paper-summarizer` makes one call of more than 200k input tokens on days 3, 9,
//   15, 21 and 27.
// - background failures: about 0.4% of ordinary Bedrock calls fail with `ThrottlingException`.
//
// OpenAI (`usage/openai/usage-completions-<day>.json`, one page of 24 one-hour buckets per day,
// grouped by project, key, model, batch and service tier): five keys bound to agents, nightly
// batch GPT-5 runs, o4-mini on the flex tier, and on days 3, 10, 17 and 24 a row with
// `api_key_id: null` charged through the `project:proj_Research5Tb1qGy` credential.

/// What a demo or benchmark generation wrote.
package struct DemoLayout: Sendable {
  /// `directory/usage`.
  package var usageDirectory: String
  /// `directory/identities`.
  package var identityDirectory: String
  /// Every usage file written, sorted.
  package var files: [String]
  /// Bedrock invocation-log lines written.
  package var bedrockRecords: Int
  /// OpenAI usage result rows written.
  package var openAIRows: Int

  package init(usageDirectory: String, identityDirectory: String, files: [String], bedrockRecords: Int, openAIRows: Int)
  {
    self.usageDirectory = usageDirectory
    self.identityDirectory = identityDirectory
    self.files = files
    self.bedrockRecords = bedrockRecords
    self.openAIRows = openAIRows
  }
}

/// Writes a deterministic demo month (identities and usage exports) for a period.
package struct DemoGenerator: Sendable {
  /// The month generated.
  package let period: Period
  /// Seed of the pseudo-random generator.
  package let seed: UInt64

  package init(period: Period, seed: UInt64 = 42) {
    self.period = period
    self.seed = seed
  }

  // MARK: Public entry points

  /// Writes a realistic demo month under `directory`: `usage/bedrock/<day>.jsonl`,
  /// `usage/openai/usage-completions-<day>.json`, and the identity CSVs under `identities/`.
  package func write(to directory: String) throws -> DemoLayout {
    let usage = Self.join(directory, "usage")
    let identities = Self.join(directory, "identities")
    let bedrockDir = Self.join(usage, "bedrock")
    let openAIDir = Self.join(usage, "openai")
    for d in [bedrockDir, openAIDir, identities] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    try writeIdentities(to: identities)

    var rng = Random(seed: seed)
    let idMask = rng.next()
    var counter: UInt64 = 0
    var files: [String] = []
    var bedrockCount = 0
    var openAICount = 0
    let streams = Self.bedrockStreams(dayCount: period.dayCount)
    let oStreams = Self.openAIStreams

    for day in 1...period.dayCount {
      var calls = bedrockCalls(day: day, streams: streams, rng: &rng, counter: &counter, idMask: idMask)
      calls.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
      var text = ""
      text.reserveCapacity(calls.count * 1200)
      for c in calls {
        Self.appendBedrockLine(c, to: &text)
        text += "\n"
      }
      let path = Self.join(bedrockDir, "\(date(day)).jsonl")
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      files.append(path)
      bedrockCount += calls.count

      let (page, rows) = openAIPage(day: day, streams: oStreams, rng: &rng)
      let oPath = Self.join(openAIDir, "usage-completions-\(date(day)).json")
      try Data(page.utf8).write(to: URL(fileURLWithPath: oPath))
      files.append(oPath)
      openAICount += rows
    }
    return DemoLayout(
      usageDirectory: usage, identityDirectory: identities, files: files.sorted(),
      bedrockRecords: bedrockCount, openAIRows: openAICount)
  }

  /// Writes `count` Bedrock invocation-log lines spread evenly over the period, in files of at most `perFile`
  /// lines under `directory/usage/bedrock/`, plus the demo identities.
  ///
  /// Streams: each line is built into a reusable byte buffer that is flushed in large chunks.
  package func writeBenchmark(to directory: String, records count: Int, perFile: Int = 250_000) throws -> DemoLayout {
    let count = max(0, count)
    let perFile = max(1, perFile)
    let usage = Self.join(directory, "usage")
    let identities = Self.join(directory, "identities")
    let bedrockDir = Self.join(usage, "bedrock")
    for d in [bedrockDir, identities] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    try writeIdentities(to: identities)

    var rng = Random(seed: seed ^ 0xB5AD_4ECE_DA1C_E2A9)
    let idMask = rng.next()
    let profiles = Self.benchmarkProfiles(dayCount: period.dayCount)
    let prompts = Self.benchmarkPrompts.map { Array(Self.jsonQuoted($0).utf8) }
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
      let path = Self.join(bedrockDir, name)
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
      }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      files.append(path)
      let end = min(count, written + perFile)
      do {
        while written < end {
          let i = written
          let t = start + Int64(i) * span / Int64(max(count, 1))
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
            prompts: prompts, idMask: idMask, rng: &rng)
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

  // MARK: Calendar helpers

  private static let accountID = "123456789012"
  private static let arnPrefix = "arn:aws:sts::123456789012:assumed-role/"

  /// Planted days (clamped to the month, which has at least 28 days).
  private static let stormDay = 8
  private static let revokeDay = 10
  private static let offboardDay = 12
  private static let outOfScopeDay = 14
  private static let moveDay = 16
  private static let hackathonDays = 17...18
  private static let spikeDay = 20
  private static let loopDay = 22
  private static let legacyFirstDay = 5
  private static let longContextDays = [3, 9, 15, 21, 27]
  private static let projectOnlyDays = [3, 10, 17, 24]

  /// First instant of day `d` (1-based) of the period, UTC ms.
  private func dayStart(_ d: Int) -> Int64 {
    period.startMillis + Int64(d - 1) * Timestamp.millisPerDay
  }

  /// `YYYY-MM-DD` of day `d` of the period.
  private func date(_ d: Int) -> String { Timestamp.day(dayStart(d)) }

  /// `YYYY-MM-DD` of `n` days before the period starts.
  private func daysBefore(_ n: Int) -> String {
    Timestamp.day(period.startMillis - Int64(n) * Timestamp.millisPerDay)
  }

  /// True on Saturdays and Sundays.
  private func isWeekend(_ d: Int) -> Bool {
    let days = Timestamp.floorDiv(dayStart(d), Timestamp.millisPerDay)
    let weekday = ((days + 3) % 7 + 7) % 7  // 0 = Monday (1970-01-01 was a Thursday)
    return weekday >= 5
  }

  private static func join(_ a: String, _ b: String) -> String {
    a.hasSuffix("/") ? a + b : a + "/" + b
  }

  private static func zeroPad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }
}

// MARK: - Pseudo-random numbers

extension DemoGenerator {
  /// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and fully deterministic.
  fileprivate struct Random {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (Lemire's multiply-high; the tiny bias is irrelevant here).
    mutating func below(_ n: Int) -> Int {
      Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `r`.
    mutating func int(_ r: ClosedRange<Int64>) -> Int64 {
      r.lowerBound + Int64(below(Int(r.upperBound - r.lowerBound) + 1))
    }

    /// Skewed towards the low end of `r` (product of two uniforms; mean at a quarter of the span).
    mutating func skewed(_ r: ClosedRange<Int64>) -> Int64 {
      let a = Int64(below(1001)), b = Int64(below(1001))
      return r.lowerBound + (r.upperBound - r.lowerBound) * a * b / 1_000_000
    }

    /// True with probability `p` percent.
    mutating func percent(_ p: Int) -> Bool { below(100) < p }

    /// True with probability `p` per mille.
    mutating func perMille(_ p: Int) -> Bool { below(1000) < p }

    /// An index drawn with the given non-negative integer weights.
    mutating func weighted(_ weights: [Int]) -> Int {
      let total = weights.reduce(0, +)
      var r = below(max(total, 1))
      for (i, w) in weights.enumerated() {
        if r < w { return i }
        r -= w
      }
      return weights.count - 1
    }
  }

  /// A UUID-looking request id: random except for the last group, which is a bijection of the
  /// counter, so ids never repeat within a run.
  fileprivate static func requestID(counter: UInt64, mask: UInt64, rng: inout Random) -> String {
    let a = rng.next()
    let tail = (counter ^ mask) & 0xFFFF_FFFF_FFFF
    return hex(a >> 32, 8) + "-" + hex((a >> 16) & 0xFFFF, 4) + "-4" + hex(a & 0xFFF, 3) + "-"
      + hex(variantGroup(counter), 4) + "-" + hex(tail, 12)
  }

  /// The fourth UUID group: RFC 4122 variant bits and 14 scrambled bits of the counter.
  @inline(__always) fileprivate static func variantGroup(_ counter: UInt64) -> UInt64 {
    0x8000 | ((counter &* 0x9E37_79B9_7F4A_7C15) >> 50)
  }

  fileprivate static func hex(_ v: UInt64, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }
}

// MARK: - Identities

extension DemoGenerator {
  fileprivate enum Models {
    static let sonnet4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    static let sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let haiku35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
    static let haiku45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    static let novaPro = "amazon.nova-pro-v1:0"
    static let novaLite = "amazon.nova-lite-v1:0"
  }

  /// Writes the six identity CSVs of SPEC §3.2 and an empty `labels.csv`.
  private func writeIdentities(to dir: String) throws {
    let files: [(String, String)] = [
      ("people.csv", peopleCSV()), ("cost_centres.csv", costCentresCSV()), ("agents.csv", agentsCSV()),
      ("credentials.csv", credentialsCSV()), ("tasks.csv", tasksCSV()), ("scopes.csv", scopesCSV()),
      ("labels.csv", "finding_id,label,note,who\n"),
    ]
    for (name, text) in files {
      try Data(text.utf8).write(to: URL(fileURLWithPath: Self.join(dir, name)))
    }
  }

  private static func csv(_ rows: [[String]]) -> String {
    var out = ""
    for row in rows {
      out += row.map { cell in
        cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
          ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
      }.joined(separator: ",")
      out += "\n"
    }
    return out
  }

  private func peopleCSV() -> String {
    Self.csv([
      ["person_id", "name", "email", "cost_centre", "offboarded_at"],
      ["p-ana", "Ana Silva", "ana.silva@example.com", "CC-1100", ""],
      ["p-ben", "Ben Okafor", "ben.okafor@example.com", "CC-2200", ""],
      ["p-chen", "Chen Wei", "chen.wei@example.com", "CC-3300", ""],
      ["p-dara", "Dara Murphy", "dara.murphy@example.com", "CC-4400", ""],
      ["p-eli", "Eli Cohen", "eli.cohen@example.com", "CC-5500", ""],
      ["p-fatima", "Fatima Khan", "fatima.khan@example.com", "CC-3300", ""],
      ["p-gus", "Gus Larsen", "gus.larsen@example.com", "CC-2200", ""],
      ["p-hana", "Hana Sato", "hana.sato@example.com", "CC-5500", ""],
      ["p-ivan", "Ivan Petrov", "ivan.petrov@example.com", "CC-1100", date(Self.offboardDay)],
      ["p-jo", "Jo Martin", "jo.martin@example.com", "CC-4400", ""],
    ])
  }

  private func costCentresCSV() -> String {
    Self.csv([
      ["cost_centre", "name", "owner", "monthly_budget_usd"],
      ["CC-1100", "Finance Ops", "p-ana", "150.00"],
      ["CC-2200", "Customer Support", "p-ben", "100.00"],
      ["CC-3300", "Platform Engineering", "p-chen", "250.00"],
      ["CC-4400", "Sales", "p-dara", "20.00"],
      ["CC-5500", "Research", "p-eli", "600.00"],
    ])
  }

  private func agentsCSV() -> String {
    let since = daysBefore(120)
    let header = ["agent_id", "name", "kind", "owner", "team", "cost_centre", "scope_id", "valid_from", "valid_to"]
    func row(
      _ id: String, _ name: String, _ kind: String, _ owner: String, _ team: String, _ cc: String, _ scope: String
    )
      -> [String]
    {
      [id, name, kind, owner, team, cc, scope, since, ""]
    }
    return Self.csv([
      header,
      row("invoice-reconciler", "Invoice reconciler", "agent", "p-ana", "finance-automation", "CC-1100", "S-FIN"),
      row("expense-auditor", "Expense auditor", "agent", "p-ivan", "finance-automation", "CC-1100", "S-FIN"),
      row("month-end-close", "Month-end close runner", "workload", "p-ana", "finance-platform", "CC-1100", "S-FIN"),
      row("forecast-analyst", "Cash-flow forecast analyst", "agent", "p-ana", "fpa", "CC-1100", "S-FIN"),
      row("support-triage", "Ticket triage agent", "agent", "p-ben", "support-tools", "CC-2200", "S-SUPPORT"),
      row("refund-assistant", "Refund assistant", "agent", "p-gus", "support-ops", "CC-2200", "S-SUPPORT"),
      row("kb-indexer", "Knowledge-base indexer", "workload", "p-gus", "support-tools", "CC-2200", "S-SUPPORT"),
      row("support-chat", "Customer chat assistant", "agent", "p-ben", "support-tools", "CC-2200", "S-SUPPORT"),
      row("pr-reviewer", "Pull-request reviewer", "agent", "p-chen", "devex", "CC-3300", "S-ENG"),
      row("release-notes-writer", "Release-notes writer", "agent", "p-fatima", "devex", "CC-3300", "S-ENG"),
      row("incident-responder", "Incident responder", "agent", "p-chen", "sre", "CC-3300", "S-ENG"),
      row("log-summarizer", "Log summarizer", "workload", "p-fatima", "sre", "CC-3300", "S-ENG"),
      row("dev-copilot", "Developer copilot", "service_account", "p-chen", "devex", "CC-3300", "S-ENG"),
      row("lead-enricher", "Lead enricher", "service_account", "p-dara", "sales-ops", "CC-4400", "S-SUPPORT"),
      row("sales-email-writer", "Sales email writer", "agent", "p-jo", "sales-ops", "CC-4400", "S-SUPPORT"),
      [
        "deal-desk-analyst", "Deal-desk analyst", "agent", "p-jo", "deal-desk", "CC-4400", "S-FIN", daysBefore(200),
        date(Self.moveDay),
      ],
      [
        "deal-desk-analyst", "Deal-desk analyst", "agent", "p-jo", "deal-desk", "CC-1100", "S-FIN", date(Self.moveDay),
        "",
      ],
      row("research-planner", "Research planner", "agent", "p-hana", "research", "CC-5500", "S-RESEARCH"),
      row("paper-summarizer", "Paper summarizer", "agent", "p-eli", "research", "CC-5500", "S-RESEARCH"),
      row("eval-runner", "Evaluation runner", "workload", "p-eli", "research", "CC-5500", "S-RESEARCH"),
      row("research-batch-eval", "Batch evaluation jobs", "workload", "p-hana", "research", "CC-5500", "S-RESEARCH"),
    ])
  }

  /// OpenAI keys and projects of the demo.
  fileprivate enum Keys {
    static let supportChat = "key_Hq7vN2cRt5mXa9Lp"
    static let salesEmail = "key_Ws4eMn8bYt2kPq6J"
    static let devCopilot = "key_Dc9xL3pQa7rT1vBz"
    static let researchBatch = "key_Rb2kT9wEx4nMz6Hc"
    static let forecast = "key_Fa6yP1sLc8vQe3Nd"
    static let projSupport = "proj_Support3QxR8nWk2"
    static let projSales = "proj_SalesOps7Kd2hVc"
    static let projPlatform = "proj_Platform8Lm4sJe"
    static let projResearch = "proj_Research5Tb1qGy"
    static let projFinance = "proj_Finance2Wn6cXz"
  }

  private func credentialsCSV() -> String {
    let issued = daysBefore(150)
    func role(_ name: String, _ agent: String, _ description: String, issuedAt: String? = nil, revokedAt: String = "")
      -> [String]
    {
      [Self.arnPrefix + name + "/*", "bedrock", agent, "", issuedAt ?? issued, "", revokedAt, description]
    }
    func key(_ id: String, _ agent: String, _ description: String) -> [String] {
      [id, "openai", agent, "", issued, "", "", description]
    }
    return Self.csv([
      ["credential_id", "provider", "agent_id", "cost_centre", "issued_at", "expires_at", "revoked_at", "description"],
      role("fin-invoice-reconciler", "invoice-reconciler", "IAM role of the invoice reconciler"),
      role("fin-expense-auditor", "expense-auditor", "IAM role of the expense auditor"),
      role("fin-close-batch", "month-end-close", "IAM role of the month-end close batch"),
      role("support-triage", "support-triage", "IAM role of the triage agent"),
      role(
        "support-refunds", "refund-assistant", "IAM role of the refund assistant (rotated after a session-token leak)",
        revokedAt: date(Self.revokeDay)),
      role(
        "support-refunds-v2", "refund-assistant", "IAM role of the refund assistant (replacement)",
        issuedAt: date(Self.revokeDay)),
      [
        Self.arnPrefix + "shared-agent-runner/*", "bedrock", "", "CC-3300", issued, "", "",
        "Shared runner role used by several platform and support agents",
      ],
      role("sre-incident-responder", "incident-responder", "IAM role of the incident responder"),
      role("sre-log-summarizer", "log-summarizer", "IAM role of the log summarizer"),
      role("sales-lead-enricher", "lead-enricher", "IAM role of the lead enricher"),
      role("deal-desk-analyst", "deal-desk-analyst", "IAM role of the deal-desk analyst"),
      role("research-planner", "research-planner", "IAM role of the research planner"),
      role("research-paper-summarizer", "paper-summarizer", "IAM role of the paper summarizer"),
      role("research-eval-runner", "eval-runner", "IAM role of the evaluation runner"),
      key(Keys.supportChat, "support-chat", "OpenAI key of the customer chat assistant"),
      key(Keys.salesEmail, "sales-email-writer", "OpenAI key of the sales email writer"),
      key(Keys.devCopilot, "dev-copilot", "OpenAI key of the developer copilot"),
      key(Keys.researchBatch, "research-batch-eval", "OpenAI key of the batch evaluation jobs"),
      key(Keys.forecast, "forecast-analyst", "OpenAI key of the forecast analyst"),
      [
        "project:" + Keys.projResearch, "openai", "", "CC-5500", issued, "", "",
        "Research project usage reported without an API key (playground)",
      ],
    ])
  }

  private func tasksCSV() -> String {
    Self.csv([
      ["task_id", "agent_id", "requested_by", "approved_by", "scope_id", "opened_at", "closed_at", "ticket"],
      ["T-1001", "invoice-reconciler", "p-ana", "p-ivan", "S-FIN", daysBefore(45), "", "FIN-2041"],
      ["T-1002", "expense-auditor", "p-ivan", "p-ana", "S-FIN", daysBefore(60), "", "FIN-2057"],
      ["T-1003", "month-end-close", "p-ana", "p-ana", "S-FIN", daysBefore(90), "", "FIN-1988"],
      ["T-1004", "support-triage", "p-ben", "p-gus", "S-SUPPORT", daysBefore(30), "", "SUP-318"],
      ["T-1005", "refund-assistant", "p-gus", "p-ben", "S-SUPPORT", daysBefore(30), "", "SUP-322"],
      ["T-1006", "kb-indexer", "p-gus", "p-ben", "S-SUPPORT", daysBefore(75), "", "SUP-290"],
      ["T-1007", "pr-reviewer", "p-chen", "p-fatima", "S-ENG", daysBefore(20), "", "PLAT-1177"],
      ["T-1008", "release-notes-writer", "p-fatima", "p-chen", "S-ENG", daysBefore(20), "", "PLAT-1180"],
      ["T-1009", "incident-responder", "p-chen", "p-fatima", "S-ENG", daysBefore(10), "", "PLAT-1203"],
      ["T-1010", "log-summarizer", "p-fatima", "p-chen", "S-ENG", daysBefore(100), "", "PLAT-1011"],
      ["T-1011", "lead-enricher", "p-dara", "p-jo", "S-SUPPORT", daysBefore(40), "", "SALES-88"],
      ["T-1012", "deal-desk-analyst", "p-jo", "", "S-FIN", daysBefore(15), "", "SALES-92"],
      ["T-1013", "research-planner", "p-hana", "p-eli", "S-RESEARCH", daysBefore(25), "", "RES-455"],
      ["T-1014", "paper-summarizer", "p-eli", "p-hana", "S-RESEARCH", daysBefore(25), "", "RES-456"],
      ["T-1015", "eval-runner", "p-eli", "p-hana", "S-RESEARCH", daysBefore(50), "", "RES-431"],
    ])
  }

  /// Model globs match the canonical id or the raw model name, so both forms are covered.
  private func scopesCSV() -> String {
    Self.csv([
      ["scope_id", "description", "allowed_models", "allowed_providers", "monthly_budget_usd"],
      ["S-FIN", "Finance document processing", "*claude-*;*nova-*;gpt-4o*", "bedrock;openai", "250.00"],
      [
        "S-SUPPORT", "Customer-facing work on low-cost models only",
        "*claude-*haiku*;*nova-*;gpt-4.1-mini*;gpt-4o-mini*", "bedrock;openai", "150.00",
      ],
      ["S-ENG", "Engineering assistants", "*claude-*;*nova-*;gpt-*;o4-*", "bedrock;openai", "400.00"],
      ["S-RESEARCH", "Research and evaluation", "*claude-*;*nova-*;gpt-*;o4-*", "bedrock;openai", "1000.00"],
    ])
  }
}

// MARK: - Bedrock demo traffic

extension DemoGenerator {
  fileprivate enum Hours {
    case business, flat, night

    /// Relative call volume by UTC hour.
    var weights: [Int] {
      switch self {
      case .business: return [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 12, 10, 11, 12, 12, 11, 9, 6, 4, 3, 2, 1, 1]
      case .flat: return Array(repeating: 1, count: 24)
      case .night: return [0, 3, 4, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      }
    }
  }

  /// Token sizes of one kind of call.
  fileprivate struct TokenProfile {
    var input: ClosedRange<Int64>
    var cacheRead: ClosedRange<Int64> = 0...0
    var cacheReadPct = 0
    var cacheWrite: ClosedRange<Int64> = 0...0
    var cacheWritePct = 0
    var oneHourPct = 0
    var output: ClosedRange<Int64>
  }

  /// One source of ordinary Bedrock traffic.
  fileprivate struct BedrockStream {
    var agent: String?
    var task: String?
    var role: String
    var sessions: [String]
    var models: [String]
    var weights: [Int]
    var weekday: Int
    var weekend: Int
    var hours: Hours
    var tokens: TokenProfile
    var days: ClosedRange<Int>
    var region = "us-east-1"
    var prompts: [String]
  }

  /// One invocation-log record.
  fileprivate struct Call {
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

  fileprivate static func bedrockStreams(dayCount: Int) -> [BedrockStream] {
    let all = 1...dayCount
    return [
      BedrockStream(
        agent: "invoice-reconciler", task: "T-1001", role: "fin-invoice-reconciler",
        sessions: ["inv-rec-01", "inv-rec-02"],
        models: [Models.sonnet4, Models.haiku35], weights: [3, 2], weekday: 30, weekend: 6, hours: .business,
        tokens: TokenProfile(
          input: 1_500...12_000, cacheRead: 20_000...90_000, cacheReadPct: 70, cacheWrite: 8_000...30_000,
          cacheWritePct: 10,
          output: 300...2_500), days: all,
        prompts: [
          "Reconcile invoice INV-%n against the purchase order", "Match the remittance advice to open invoices",
        ]),
      BedrockStream(
        agent: "expense-auditor", task: "T-1002", role: "fin-expense-auditor", sessions: ["exp-audit-7c1e"],
        models: [Models.novaPro, Models.haiku45], weights: [3, 2], weekday: 20, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 3_000...18_000, cacheRead: 5_000...30_000, cacheReadPct: 50, output: 200...1_500), days: all,
        prompts: ["Check expense report EXP-%n against the travel policy"]),
      BedrockStream(
        agent: "month-end-close", task: "T-1003", role: "fin-close-batch", sessions: ["close-runner"],
        models: [Models.sonnet45], weights: [1], weekday: 10, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 4_000...20_000, cacheRead: 30_000...120_000, cacheReadPct: 80, cacheWrite: 10_000...40_000,
          cacheWritePct: 15, oneHourPct: 60, output: 800...4_000), days: all,
        prompts: ["Draft the accrual journal for ledger %n"]),
      BedrockStream(
        agent: "support-triage", task: "T-1004", role: "support-triage",
        sessions: ["triage-a", "triage-b", "triage-c"],
        models: [Models.haiku45, Models.novaLite], weights: [3, 2], weekday: 70, weekend: 30, hours: .business,
        tokens: TokenProfile(
          input: 800...4_000, cacheRead: 2_000...12_000, cacheReadPct: 60, cacheWrite: 2_000...6_000, cacheWritePct: 5,
          output: 80...600), days: all,
        prompts: ["Classify ticket SUP-%n and suggest a queue", "Summarise the customer's last three messages"]),
      BedrockStream(
        agent: "refund-assistant", task: "T-1005", role: "support-refunds", sessions: ["refunds-01"],
        models: [Models.haiku35], weights: [1], weekday: 15, weekend: 5, hours: .business,
        tokens: TokenProfile(
          input: 1_000...5_000, cacheRead: 3_000...15_000, cacheReadPct: 50, output: 150...900), days: all,
        prompts: ["Decide whether order %n qualifies for a refund"]),
      BedrockStream(
        agent: "kb-indexer", task: "T-1006", role: "shared-agent-runner", sessions: ["kb-indexer-1", "kb-indexer-2"],
        models: [Models.novaPro, Models.haiku45], weights: [1, 1], weekday: 12, weekend: 12, hours: .flat,
        tokens: TokenProfile(input: 5_000...25_000, output: 200...1_200), days: all,
        prompts: ["Extract FAQ entries from article KB-%n"]),
      BedrockStream(
        agent: "pr-reviewer", task: "T-1007", role: "shared-agent-runner", sessions: ["pr-reviewer"],
        models: [Models.sonnet45], weights: [1], weekday: 25, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 3_000...20_000, cacheRead: 10_000...60_000, cacheReadPct: 60, cacheWrite: 5_000...20_000,
          cacheWritePct: 10, output: 400...3_000), days: all,
        prompts: ["Review pull request #%n for correctness and style"]),
      BedrockStream(
        agent: "release-notes-writer", task: "T-1008", role: "shared-agent-runner", sessions: ["release-notes"],
        models: [Models.haiku45], weights: [1], weekday: 6, weekend: 0, hours: .business,
        tokens: TokenProfile(input: 2_000...12_000, output: 300...2_000), days: all,
        prompts: ["Write release notes for build %n"]),
      BedrockStream(
        agent: nil, task: nil, role: "shared-agent-runner", sessions: ["adhoc-cli"],
        models: [Models.haiku45, Models.novaLite], weights: [1, 1], weekday: 4, weekend: 1, hours: .business,
        tokens: TokenProfile(input: 500...6_000, output: 100...800), days: all,
        prompts: ["Explain this stack trace"]),
      BedrockStream(
        agent: "incident-responder", task: "T-1009", role: "sre-incident-responder", sessions: ["ir-pager"],
        models: [Models.sonnet4], weights: [1], weekday: 8, weekend: 4, hours: .flat,
        tokens: TokenProfile(
          input: 4_000...25_000, cacheRead: 5_000...40_000, cacheReadPct: 40, output: 500...3_000), days: all,
        prompts: ["Summarise the alerts for incident INC-%n"]),
      BedrockStream(
        agent: "log-summarizer", task: "T-1010", role: "sre-log-summarizer",
        sessions: ["logsum-worker-1", "logsum-worker-2"],
        models: [Models.novaLite], weights: [1], weekday: 60, weekend: 60, hours: .flat,
        tokens: TokenProfile(input: 6_000...30_000, output: 150...800), days: all,
        prompts: ["Summarise the error log window %n"]),
      BedrockStream(
        agent: "lead-enricher", task: "T-1011", role: "sales-lead-enricher", sessions: ["enrich-batch"],
        models: [Models.haiku35], weights: [1], weekday: 40, weekend: 2, hours: .business,
        tokens: TokenProfile(input: 1_500...8_000, output: 200...900), days: all,
        prompts: ["Enrich lead %n with firmographic data"]),
      BedrockStream(
        agent: "deal-desk-analyst", task: "T-1012", role: "deal-desk-analyst", sessions: ["deal-desk"],
        models: [Models.sonnet4, Models.novaLite], weights: [2, 1], weekday: 10, weekend: 1, hours: .business,
        tokens: TokenProfile(
          input: 3_000...15_000, cacheRead: 10_000...50_000, cacheReadPct: 50, output: 500...2_500), days: all,
        prompts: ["Price the discount request on opportunity OPP-%n"]),
      BedrockStream(
        agent: "research-planner", task: "T-1013", role: "research-planner", sessions: ["planner-main"],
        models: [Models.sonnet45], weights: [1], weekday: 10, weekend: 2, hours: .business,
        tokens: TokenProfile(
          input: 2_000...10_000, cacheRead: 10_000...40_000, cacheReadPct: 60, cacheWrite: 5_000...15_000,
          cacheWritePct: 15, oneHourPct: 50, output: 500...2_500), days: all, region: "us-west-2",
        prompts: ["Plan the literature review for question RQ-%n"]),
      BedrockStream(
        agent: "paper-summarizer", task: "T-1014", role: "research-paper-summarizer", sessions: ["summ-1", "summ-2"],
        models: [Models.sonnet45], weights: [1], weekday: 12, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 5_000...40_000, cacheRead: 10_000...80_000, cacheReadPct: 50, cacheWrite: 10_000...30_000,
          cacheWritePct: 10, oneHourPct: 50, output: 800...4_000), days: all, region: "us-west-2",
        prompts: ["Summarise paper arXiv:2510.%n"]),
      BedrockStream(
        agent: "eval-runner", task: "T-1015", role: "research-eval-runner", sessions: ["eval-shard-1", "eval-shard-2"],
        models: [Models.haiku45, Models.sonnet45], weights: [2, 1], weekday: 24, weekend: 24, hours: .flat,
        tokens: TokenProfile(input: 40_000...160_000, output: 1_000...6_000), days: all, region: "us-west-2",
        prompts: ["Grade answer %n against the rubric"]),
      BedrockStream(
        agent: "kb-indexer", task: "T-1006", role: "legacy-etl-runner", sessions: ["etl-nightly"],
        models: [Models.novaLite, Models.novaPro], weights: [2, 1], weekday: 6, weekend: 6, hours: .night,
        tokens: TokenProfile(input: 4_000...20_000, output: 200...1_000),
        days: min(legacyFirstDay, dayCount)...dayCount,
        prompts: ["Normalise export batch %n"]),
      BedrockStream(
        agent: "hackathon-bot", task: nil, role: "shared-agent-runner", sessions: ["hackathon"],
        models: [Models.haiku45], weights: [1], weekday: 6, weekend: 6, hours: .business,
        tokens: TokenProfile(input: 1_000...8_000, output: 200...1_500), days: hackathonDays,
        prompts: ["Generate a demo script for idea %n"]),
    ]
  }

  private static let inferenceRegions = ["us-east-1", "us-east-2", "us-west-2"]

  /// Bedrock offers the 1-hour cache TTL only for the 4.5 generation of Claude models; older
  /// models' cache writes are always 5-minute writes (no `cacheDetails`).
  fileprivate static func supportsOneHourCache(_ model: String) -> Bool {
    model.contains("anthropic.claude-") && model.contains("-4-5-")
  }

  /// A call of `s` at `time` with the stream's token profile (or `model` when given).
  private func makeCall(
    _ s: BedrockStream, time: Int64, model: String? = nil, rng: inout Random, counter: inout UInt64, idMask: UInt64
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
    let id = Self.requestID(counter: counter, mask: idMask, rng: &rng)
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
  private func timeOfDay(_ day: Int, _ hours: Hours, rng: inout Random) -> Int64 {
    let h = rng.weighted(hours.weights)
    let s = h * 3600 + rng.below(3600)
    return dayStart(day) + Int64(s) * 1000
  }

  private func bedrockCalls(
    day: Int, streams: [BedrockStream], rng: inout Random, counter: inout UInt64, idMask: UInt64
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

  /// The anomalies listed at the top of the file.
  private func planted(
    day: Int, streams: [BedrockStream], into calls: inout [Call], rng: inout Random, counter: inout UInt64,
    idMask: UInt64
  ) {
    func stream(_ agent: String) -> BedrockStream {
      streams.first { $0.agent == agent }!
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

  /// Appends one invocation-log JSON object (no newline).
  private static func appendBedrockLine(_ c: Call, to s: inout String) {
    s += "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\""
    s += Timestamp.iso(c.time)
    s += "\",\"accountId\":\"\(accountID)\",\"identity\":{\"arn\":\(jsonQuoted(c.arn))},\"region\":\"\(c.region)\""
    if let ir = c.inferenceRegion { s += ",\"inferenceRegion\":\"\(ir)\"" }
    s += ",\"requestId\":\"\(c.requestID)\",\"operation\":\"Converse\",\"modelId\":\"\(c.model)\""
    s += ",\"input\":{\"inputContentType\":\"application/json\""
    if let p = c.prompt {
      s += ",\"inputBodyJson\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\(jsonQuoted(p))}]}],"
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
      s += c.metadata.map { "\(jsonQuoted($0.0)):\(jsonQuoted($0.1))" }.joined(separator: ",")
      s += "}"
    }
    if let e = c.errorCode { s += ",\"errorCode\":\"\(e)\"" }
    s += "}"
  }

  /// A JSON string literal.
  fileprivate static func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for u in text.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          out += "\\u" + hex(UInt64(u.value), 4)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}

// MARK: - OpenAI demo usage pages

extension DemoGenerator {
  /// One group-by combination of the OpenAI usage report.
  fileprivate struct OpenAIStream {
    var key: String?
    var project: String
    var model: String
    var batch: Bool
    var tier: String
    /// Requests per hour at the busiest hour.
    var peak: Int
    var hours: Hours
    var weekendPct: Int
    var input: ClosedRange<Int64>
    var cachedPct: ClosedRange<Int64>
    var output: ClosedRange<Int64>
    /// Days the stream is active; nil = every day.
    var days: [Int]? = nil
  }

  fileprivate static let openAIStreams: [OpenAIStream] = [
    OpenAIStream(
      key: Keys.supportChat, project: Keys.projSupport, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 60, hours: .business, weekendPct: 35, input: 1_800...3_500, cachedPct: 40...70, output: 150...450),
    OpenAIStream(
      key: Keys.salesEmail, project: Keys.projSales, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 40, hours: .business, weekendPct: 5, input: 1_500...4_000, cachedPct: 20...50, output: 400...1_200),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "gpt-5-2025-08-07", batch: false, tier: "default",
      peak: 10, hours: .business, weekendPct: 15, input: 6_000...14_000, cachedPct: 50...80, output: 800...2_500),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "o4-mini-2025-04-16", batch: false, tier: "default",
      peak: 6, hours: .business, weekendPct: 15, input: 3_000...6_000, cachedPct: 30...60, output: 1_000...3_000),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 12, hours: .business, weekendPct: 15, input: 1_000...3_000, cachedPct: 30...60, output: 100...500),
    OpenAIStream(
      key: Keys.researchBatch, project: Keys.projResearch, model: "gpt-5-2025-08-07", batch: true, tier: "default",
      peak: 220, hours: .night, weekendPct: 100, input: 3_000...5_000, cachedPct: 0...10, output: 500...1_500),
    OpenAIStream(
      key: Keys.researchBatch, project: Keys.projResearch, model: "o4-mini-2025-04-16", batch: false, tier: "flex",
      peak: 8, hours: .business, weekendPct: 50, input: 2_000...6_000, cachedPct: 0...30, output: 1_000...4_000),
    OpenAIStream(
      key: Keys.forecast, project: Keys.projFinance, model: "gpt-4o-2024-08-06", batch: false, tier: "default",
      peak: 5, hours: .business, weekendPct: 0, input: 4_000...9_000, cachedPct: 30...60, output: 400...1_200),
    OpenAIStream(
      key: nil, project: Keys.projResearch, model: "gpt-4o-2024-08-06", batch: false, tier: "default",
      peak: 30, hours: .business, weekendPct: 100, input: 2_000...5_000, cachedPct: 0...20, output: 300...900,
      days: projectOnlyDays),
  ]

  /// One page of 24 one-hour buckets for day `day`, and the number of result rows in it.
  private func openAIPage(day: Int, streams: [OpenAIStream], rng: inout Random) -> (String, Int) {
    let weekend = isWeekend(day)
    let dayStartSeconds = dayStart(day) / 1000
    var rows = 0
    var s = "{\n  \"object\": \"page\",\n  \"data\": [\n"
    for h in 0..<24 {
      let start = dayStartSeconds + Int64(h) * 3600
      s +=
        "    {\n      \"object\": \"bucket\",\n      \"start_time\": \(start),\n      \"end_time\": \(start + 3600),\n"
      var results: [String] = []
      for o in streams {
        let n: Int
        if let days = o.days {
          // Project-only rows: one busy hour on a few days.
          n = days.contains(day) && h == 15 ? o.peak * (70 + rng.below(61)) / 100 : 0
        } else {
          let w = o.hours.weights
          let maxW = w.max() ?? 1
          let dayPct = weekend ? o.weekendPct : 100
          let expected = o.peak * w[h] * dayPct / (maxW * 100)
          var k = expected * (70 + rng.below(61)) / 100
          if k == 0 && w[h] > 0 && dayPct > 0 && rng.percent(30) { k = 1 }
          n = k
        }
        guard n > 0 else { continue }
        let input = Int64(n) * rng.int(o.input)
        let cached = input * rng.int(o.cachedPct) / 100
        let uncached = input - cached
        let output = Int64(n) * rng.int(o.output)
        var r = "        {\"object\": \"organization.usage.completions.result\", \"input_tokens\": \(input)"
        r += ", \"output_tokens\": \(output), \"num_model_requests\": \(n), \"input_cached_tokens\": \(cached)"
        r += ", \"input_cache_write_tokens\": 0, \"input_uncached_tokens\": \(uncached)"
        r += ", \"input_text_tokens\": \(uncached), \"input_cached_text_tokens\": \(cached), \"input_audio_tokens\": 0"
        r += ", \"input_cached_audio_tokens\": 0, \"input_image_tokens\": 0, \"input_cached_image_tokens\": 0"
        r += ", \"output_text_tokens\": \(output), \"output_audio_tokens\": 0, \"output_image_tokens\": 0"
        r += ", \"project_id\": \"\(o.project)\", \"user_id\": null"
        r += ", \"api_key_id\": " + (o.key.map { "\"\($0)\"" } ?? "null")
        r += ", \"model\": \"\(o.model)\", \"batch\": \(o.batch), \"service_tier\": \"\(o.tier)\"}"
        results.append(r)
      }
      rows += results.count
      if results.isEmpty {
        s += "      \"results\": []\n"
      } else {
        s += "      \"results\": [\n" + results.joined(separator: ",\n") + "\n      ]\n"
      }
      s += h == 23 ? "    }\n" : "    },\n"
    }
    s += "  ],\n  \"has_more\": false,\n  \"next_page\": null\n}\n"
    return (s, rows)
  }
}

// MARK: - Benchmark lines

extension DemoGenerator {
  /// A growable byte buffer with fast appends of literals and integers.
  fileprivate struct ByteBuffer {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
      bytes = []
      bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    @inline(__always) mutating func put(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    @inline(__always) mutating func put(_ s: StaticString) {
      s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func int(_ v: Int64) {
      var v = v
      if v < 0 {
        bytes.append(45)
        v = -v
      }
      var div: Int64 = 1
      while v / div >= 10 { div *= 10 }
      while div > 0 {
        bytes.append(UInt8(truncatingIfNeeded: 48 + v / div))
        v %= div
        div /= 10
      }
    }

    @inline(__always) mutating func two(_ v: Int64) {
      bytes.append(UInt8(truncatingIfNeeded: 48 + v / 10))
      bytes.append(UInt8(truncatingIfNeeded: 48 + v % 10))
    }

    mutating func hex(_ v: UInt64, _ width: Int) {
      var shift = (width - 1) * 4
      while shift >= 0 {
        let d = UInt8(truncatingIfNeeded: (v >> UInt64(shift)) & 0xF)
        bytes.append(d < 10 ? 48 + d : 87 + d)
        shift -= 4
      }
    }

    mutating func flush(to handle: FileHandle) throws {
      guard !bytes.isEmpty else { return }
      try handle.write(contentsOf: bytes)
      bytes.removeAll(keepingCapacity: true)
    }
  }

  /// A precomputed caller of benchmark lines.
  fileprivate struct BenchProfile {
    /// `"identity":{"arn":"…"},"region":"…"` as bytes.
    var identity: [UInt8]
    /// `,"requestMetadata":{…}}` closing the record, as bytes.
    var metadata: [UInt8]
    /// `"modelId":"…"` bytes per model, and which are Nova (no cache fields).
    var models: [[UInt8]]
    var novaFlags: [Bool]
    /// Which models may write 1-hour cache entries.
    var oneHourFlags: [Bool]
    var tokens: TokenProfile
  }

  fileprivate static let benchmarkPrompts = [
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
  fileprivate static func benchmarkProfiles(dayCount: Int) -> [BenchProfile] {
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
        out.append(
          BenchProfile(
            identity: Array(identity.utf8), metadata: Array(meta.utf8),
            models: s.models.map { Array(("\"modelId\":\"" + $0 + "\"").utf8) },
            novaFlags: s.models.map { $0.hasPrefix("amazon.nova") }, oneHourFlags: s.models.map(supportsOneHourCache),
            tokens: s.tokens))
      }
    }
    return out
  }

  /// Appends one benchmark invocation-log line (with its newline).
  fileprivate static func appendBenchmarkLine(
    _ b: inout ByteBuffer, index: UInt64, time: Int64, day: [UInt8], dayMillis: Int64, profile p: BenchProfile,
    model: [UInt8], isNova: Bool, oneHourAllowed: Bool, prompts: [[UInt8]], idMask: UInt64, rng: inout Random
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
    b.put(p.identity)
    b.put(",\"requestId\":\"")
    b.hex(r >> 32, 8)
    b.byte(45)
    b.hex((r >> 16) & 0xFFFF, 4)
    b.put("-4")
    b.hex(r & 0xFFF, 3)
    b.byte(45)
    b.hex(variantGroup(index), 4)
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
    b.put(p.metadata)
  }
}
