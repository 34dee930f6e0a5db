import ChargebackModel
import ChargebackSupport
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

  /// What tells a month's request ids from another month's of the same seed.
  ///
  /// Two months of one seed made the same ids: a trial's daily runs across a month's end stored
  /// November's first calls as conflicting copies of October's. Only the ids' last groups change
  /// with it; the rest of the month is the seed's.
  static func idSalt(_ period: Period) -> UInt64 {
    UInt64(period.year * 12 + period.month) &* 0x9E37_79B9_7F4A_7C15
  }

  // MARK: Public entry points

  /// Writes a realistic demo month under `directory`: `usage/bedrock/<day>.jsonl`,
  /// `usage/openai/usage-completions-<day>.json`, and the identity CSVs under `identities/`.
  package func write(to directory: String) throws -> DemoLayout {
    let usage = DemoText.join(directory, "usage")
    let identities = DemoText.join(directory, "identities")
    let bedrockDir = DemoText.join(usage, "bedrock")
    let openAIDir = DemoText.join(usage, "openai")
    for d in [bedrockDir, openAIDir, identities] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    try writeIdentities(to: identities)

    var rng = DemoRandom(seed: seed)
    let idMask = rng.next() ^ Self.idSalt(period)
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
      let path = DemoText.join(bedrockDir, "\(date(day)).jsonl")
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      files.append(path)
      bedrockCount += calls.count

      let (page, rows) = openAIPage(day: day, streams: oStreams, rng: &rng)
      let oPath = DemoText.join(openAIDir, "usage-completions-\(date(day)).json")
      try Data(page.utf8).write(to: URL(fileURLWithPath: oPath))
      files.append(oPath)
      openAICount += rows
    }
    return DemoLayout(
      usageDirectory: usage, identityDirectory: identities, files: files.sorted(),
      bedrockRecords: bedrockCount, openAIRows: openAICount)
  }

  // MARK: Planted days and calendar helpers

  /// The AWS account of every demo record.
  static let accountID = "123456789012"
  /// Every demo caller's ARN: this prefix, then `role/session`.
  static let arnPrefix = "arn:aws:sts::123456789012:assumed-role/"

  /// Planted days (clamped to the month, which has at least 28 days).
  static let stormDay = 8
  static let revokeDay = 10
  static let offboardDay = 12
  static let outOfScopeDay = 14
  static let moveDay = 16
  static let hackathonDays = 17...18
  static let spikeDay = 20
  static let loopDay = 22
  static let legacyFirstDay = 5
  static let longContextDays = [3, 9, 15, 21, 27]
  static let projectOnlyDays = [3, 10, 17, 24]

  /// First instant of day `d` (1-based) of the period, UTC ms.
  func dayStart(_ d: Int) -> Int64 {
    period.startMillis + Int64(d - 1) * Timestamp.millisPerDay
  }

  /// `YYYY-MM-DD` of day `d` of the period.
  func date(_ d: Int) -> String { Timestamp.day(dayStart(d)) }

  /// `YYYY-MM-DD` of `n` days before the period starts.
  func daysBefore(_ n: Int) -> String {
    Timestamp.day(period.startMillis - Int64(n) * Timestamp.millisPerDay)
  }

  /// True on Saturdays and Sundays.
  func isWeekend(_ d: Int) -> Bool { DemoCalendar.isWeekend(dayStart(d)) }
}
