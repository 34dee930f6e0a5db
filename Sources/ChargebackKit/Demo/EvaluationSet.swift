import Foundation

// A labelled evaluation set for the detectors (SPEC §4, §6, §10): two months of Bedrock
// invocation logs (the evaluated period and the month before it, so spike baselines and
// new-spender history exist in one store), an identity directory, and `labels.json` listing
// every planted case and every decoy.
//
// Everything is derived from the period and a SplitMix64 seed: the same (period, seed) gives
// byte-identical files. Days below are days of the evaluated period (1-based, UTC). Background
// traffic runs on every day of both months unless said otherwise; about 3 ‰ of background
// calls are throttled and retried once or twice a few seconds later (ordinary retries).
//
// Planted cases (each is a label):
// - retry_storm ×3:
//   `incident-bot` (Claude Sonnet 4) on day 8: 14 identical calls 3–25 s apart, 12 throttled;
//   `ticket-router` (Claude Haiku 4.5) on day 15: 20 identical calls 1–10 s apart with one gap
//   of exactly 60 s, from two sessions of its role, throttled/unavailable in runs of three and
//   succeeding in between (a client that resends after its own timeout); `doc-extractor` (Nova Pro) on day 26: 12 identical
//   calls 4–30 s apart that all time out (billed input, no success at all).
// - recursive_loop ×3: `research-planner` → `research-critic` → `research-planner` … (10 calls
//   linked by `parent_request_id`) on day 21; `build-orchestrator` → `code-fixer` → `code-fixer`
//   … (the same agent, model and input size class 7 times along one path) on day 11;
//   `case-orchestrator` → `policy-checker` → `answer-drafter` → `policy-checker` … on day 5, in a
//   tree whose root also fans out to six `kb-search` calls running while the loop spins (they are
//   not part of the loop, so not avoidable).
// - usage_spike ×2: `eval-runner` (flat ≈ $1.6/day) on day 12 and `report-writer` (flat ≈
//   $1.8/day) on day 23, each 15–30× its usual daily cost and above $25.
// - new_spender: `pricing-bot`, registered and first used on day 6 (≈ $45 in the period).
// - lifecycle: `refund-assistant` keeps using its role after it is revoked on day 10
//   (revoked_credential); `contract-reader`'s role expires on day 15 and is still used
//   (expired_credential); `expense-auditor`'s owner `p-eve` is offboarded on day 12
//   (offboarded_owner); the role `shared-runner` has no agent and carries `kb-indexer` and
//   `release-notes` (shared_credential); calls on `triage-agent`'s role claim to be
//   `ticket-router` on day 9 (agent_mismatch); calls on `shared-runner` name `ghost-agent`, which
//   is not registered, on days 17–18 (unknown_agent); `support-chat` (scope S-CHEAP: Haiku and
//   Nova only) calls Claude Sonnet 4.5 on day 14 (out_of_scope_model); `sales-drafter` runs task
//   T-299, which has no approver, from day 18 (unapproved_task).
//
// Decoys (must not raise the kinds they name):
// - single_retry: `notify-worker` is throttled six times in the period and retried once or twice
//   (2–3 calls of one fingerprint).
// - backoff_retries: `sync-worker` on day 16: 12 identical calls, 11 throttled, but with backoff
//   (every gap 61–240 s, so never ≤ 60 s).
// - burst_distinct_inputs: `batch-summarizer` on day 7: 12 calls within 30 s over 4 tasks × 3
//   input size classes, no failure; on day 19: 15 calls over 5 tasks × 3 sizes, one throttled and
//   retried once.
// - burst_same_fingerprint_no_failure: `batch-summarizer` on day 25: 12 calls of one fingerprint
//   within 25 s, all successful (a fan-out over similar documents).
// - deep_acyclic_tree: every weekday of both months, `wf-intake` → `wf-classify` → `wf-retrieve`
//   → 4 × `wf-rank` (siblings) → `wf-draft` → `wf-review` → `wf-format` → `wf-publish`: depth 8
//   exactly, distinct agents on every path.
// - periodic_heavy: `weekly-reporter`, ≈ $30 every Monday and Thursday of both months and
//   nothing on other days (the same cost on every day it runs).
// - steady_heavy: `heavy-batch`, ≈ $27/day every day (Claude Opus 4.5, flat).
// - weekday_weekend_heavy: `weekday-analyst`, ≈ $27 on weekdays and ≈ $5 on weekends.
// - heavy_last_month: `migration-runner`, ≈ $30/day last month and ≈ $25/day this month.
// - returning_user: `quarterly-close` spent on the first two days of the previous month
//   (≈ $33/day, before the 28-day baseline window), then nothing until days 20–22 (≈ $50 in all):
//   not new.
// - small_new_agent: `intern-bot`, first used on day 15, well under the $25 floor.

/// One planted case of the evaluation set: what a detector must report.
package struct EvaluationCase: Sendable, Hashable {
  /// The finding kind expected.
  package var kind: FindingKind
  /// The agent the finding should name (for `unknown_agent`, the unregistered agent claimed).
  package var agentID: String?
  /// The registry credential id the finding should name.
  package var credentialID: String?
  /// `YYYY-MM-DD` of the first record of the planted behaviour.
  package var day: String
  /// The avoidable cost by SPEC §10's definition (zero for kinds that have none).
  package var expectedAvoidable: Money
  /// The priced cost of the planted calls (for a spike, the extra calls on that day).
  package var plantedCost: Money
  package var note: String
}

/// One decoy: legitimate traffic that looks like a case but must not raise `mustNotRaise`.
package struct EvaluationDecoy: Sendable, Hashable {
  package var decoyKind: String
  /// The main agent.
  package var agentID: String
  /// Every agent involved (``agentID`` first).
  package var agents: [String]
  package var mustNotRaise: [FindingKind]
  package var note: String
}

/// What ``EvaluationSet/write(to:)`` wrote.
package struct EvaluationLayout: Sendable {
  /// `directory/usage` (Bedrock JSON Lines under `bedrock/`, both months).
  package var usageDirectory: String
  /// `directory/identities`.
  package var identityDirectory: String
  /// `directory/labels.json`.
  package var labelsFile: String
  package var cases: [EvaluationCase]
  package var decoys: [EvaluationDecoy]
  /// Invocation-log lines of the evaluated period and of the month before it.
  package var periodRecords: Int
  package var previousRecords: Int
  /// Every usage file written, sorted.
  package var files: [String]
}

/// Writes the labelled evaluation set described at the top of this file.
package struct EvaluationSet: Sendable {
  /// The evaluated month; the month before it is written too.
  package let period: Period
  package let seed: UInt64
  /// Price tables used to compute the labels' expected costs (the repository's `pricing/` by
  /// default).
  package let pricingDirectory: String

  package init(period: Period, seed: UInt64 = 7, pricingDirectory: String? = nil) {
    self.period = period
    self.seed = seed
    self.pricingDirectory = pricingDirectory ?? Self.defaultPricingDirectory()
  }

  /// `pricing/` of the package this file was built from, else `pricing` in the working directory.
  private static func defaultPricingDirectory() -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url = url.deletingLastPathComponent() }
    let candidate = url.appendingPathComponent("pricing").path
    return FileManager.default.fileExists(atPath: candidate) ? candidate : "pricing"
  }

  /// Writes `usage/bedrock/<day>.jsonl` for both months, `identities/` and `labels.json` under
  /// `directory`.
  package func write(to directory: String) throws -> EvaluationLayout {
    let prices = try PriceTable(directory: pricingDirectory)
    let usage = Self.join(directory, "usage")
    let identities = Self.join(directory, "identities")
    let bedrockDir = Self.join(usage, "bedrock")
    for d in [bedrockDir, identities] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    var g = Generator(period: period, seed: seed)
    g.generate()
    try g.writeIdentities(to: identities)

    // One file per UTC day, calls in time order.
    let byDay = Dictionary(grouping: g.calls) { Timestamp.floorDiv($0.time, Timestamp.millisPerDay) }
    var files: [String] = []
    for day in byDay.keys.sorted() {
      let calls = byDay[day]!.sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
      var text = ""
      text.reserveCapacity(calls.count * 900)
      for c in calls {
        Self.appendLine(c, to: &text)
        text += "\n"
      }
      let path = Self.join(bedrockDir, Timestamp.day(day * Timestamp.millisPerDay) + ".jsonl")
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      files.append(path)
    }

    let pricer = Pricer(table: prices)
    let cases = try g.cases(pricer: pricer)
    let decoys = g.decoys()
    let periodRecords = g.calls.filter { $0.time >= period.startMillis && $0.time < period.endMillis }.count
    let previousRecords = g.calls.filter { $0.time < period.startMillis }.count
    let labelsFile = Self.join(directory, "labels.json")
    try Data(
      labelsJSON(cases: cases, decoys: decoys, periodRecords: periodRecords, previousRecords: previousRecords).utf8
    ).write(to: URL(fileURLWithPath: labelsFile))
    return EvaluationLayout(
      usageDirectory: usage, identityDirectory: identities, labelsFile: labelsFile, cases: cases, decoys: decoys,
      periodRecords: periodRecords, previousRecords: previousRecords, files: files.sorted())
  }

  private func labelsJSON(cases: [EvaluationCase], decoys: [EvaluationDecoy], periodRecords: Int, previousRecords: Int)
    -> String
  {
    func q(_ s: String?) -> String { s.map(Self.jsonQuoted) ?? "null" }
    var s = "{\n  \"period\": \(q(period.description)),\n  \"previous_period\": \(q(period.previous.description)),\n"
    s += "  \"seed\": \(seed),\n"
    s +=
      "  \"records\": {\(q(period.previous.description)): \(previousRecords), \(q(period.description)): \(periodRecords)},\n"
    s += "  \"cases\": [\n"
    s += cases.map { c in
      "    {\"kind\": \(q(c.kind.rawValue)), \"agent_id\": \(q(c.agentID)), \"credential_id\": \(q(c.credentialID)), "
        + "\"day\": \(q(c.day)), \"expected_avoidable_usd\": \(q(Self.decimal(c.expectedAvoidable))), "
        + "\"planted_cost_usd\": \(q(Self.decimal(c.plantedCost))), \"note\": \(q(c.note))}"
    }.joined(separator: ",\n")
    s += "\n  ],\n  \"decoys\": [\n"
    s += decoys.map { d in
      "    {\"decoy_kind\": \(q(d.decoyKind)), \"agent_id\": \(q(d.agentID)), "
        + "\"agents\": [\(d.agents.map(Self.jsonQuoted).joined(separator: ", "))], "
        + "\"must_not_raise\": [\(d.mustNotRaise.map { Self.jsonQuoted($0.rawValue) }.joined(separator: ", "))], "
        + "\"note\": \(q(d.note))}"
    }.joined(separator: ",\n")
    s += "\n  ]\n}\n"
    return s
  }

  /// Exact USD as a decimal string without trailing zeros (`1.0437`, `0`).
  static func decimal(_ m: Money) -> String {
    var s = m.formatted(decimals: 12)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }

  private static func join(_ a: String, _ b: String) -> String {
    a.hasSuffix("/") ? a + b : a + "/" + b
  }
}

// MARK: - Pseudo-random numbers

extension EvaluationSet {
  /// SplitMix64 (Steele, Lea & Flood 2014): deterministic and independent of Foundation.
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

    /// Uniform in `0..<n`.
    mutating func below(_ n: Int) -> Int {
      Int(next().multipliedFullWidth(by: UInt64(max(n, 1))).high)
    }

    /// Uniform in `r`.
    mutating func int(_ r: ClosedRange<Int64>) -> Int64 {
      r.lowerBound + Int64(below(Int(r.upperBound - r.lowerBound) + 1))
    }

    mutating func percent(_ p: Int) -> Bool { below(100) < p }
    mutating func perMille(_ p: Int) -> Bool { below(1000) < p }

    mutating func weighted(_ weights: [Int]) -> Int {
      var r = below(max(weights.reduce(0, +), 1))
      for (i, w) in weights.enumerated() {
        if r < w { return i }
        r -= w
      }
      return weights.count - 1
    }
  }
}

// MARK: - Identities and traffic

extension EvaluationSet {
  fileprivate enum Models {
    static let sonnet4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    static let sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let haiku45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
    static let opus45 = "anthropic.claude-opus-4-5-20251101-v1:0"
    static let novaPro = "amazon.nova-pro-v1:0"
    static let novaLite = "amazon.nova-lite-v1:0"
  }

  fileprivate static let accountID = "123456789012"
  fileprivate static let arnPrefix = "arn:aws:sts::123456789012:assumed-role/"
  fileprivate static let sharedRole = "shared-runner"

  /// The registry id (`credentials.csv`) of an IAM role: the role and all its sessions.
  fileprivate static func credentialID(role: String) -> String { arnPrefix + role + "/*" }

  fileprivate enum Hours {
    case business, flat

    var weights: [Int] {
      switch self {
      case .business: return [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 12, 10, 11, 12, 12, 11, 9, 6, 4, 3, 2, 1, 1]
      case .flat: return Array(repeating: 1, count: 24)
      }
    }
  }

  /// One registered agent and its ordinary daily traffic.
  fileprivate struct Agent {
    var id: String
    var name: String
    var kind = "agent"
    var owner: String
    var team: String
    var costCentre: String
    var scope: String
    /// IAM role its calls use (``EvaluationSet/sharedRole`` for the shared runner).
    var role: String
    var model: String
    var task: String
    /// Background calls per weekday and per weekend day (±15 %).
    var weekday: Int
    var weekend: Int
    var input: ClosedRange<Int64>
    var output: ClosedRange<Int64>
    var cacheReadPct = 0
    var hours = Hours.business
    /// Days with background traffic in the previous month and in the period (nil = none).
    var previousDays: ClosedRange<Int>? = 1...31
    var periodDays: ClosedRange<Int>? = 1...31
    /// Period volume in percent of the previous month's.
    var periodScale = 100
    /// `valid_from` (and the role's `issued_at`) when the agent is new.
    var since: Int?
    /// Runs only on these weekdays (0 = Monday), `weekday` calls each; nil = every day.
    var runsOn: [Int]?
  }

  /// One invocation-log record.
  fileprivate struct Call {
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

  /// Builds the calls, the identities and the labels.
  fileprivate struct Generator {
    let period: Period
    let previous: Period
    var rng: Random
    let idMask: UInt64
    var counter = 0
    var calls: [Call] = []
    /// Per agent, time windows kept free of background calls (planted episodes).
    var reserved: [String: [ClosedRange<Int64>]] = [:]
    let agents: [Agent]

    // Planted days of the period.
    static let stormDays = (incident: 8, router: 15, extractor: 26)
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
      var rng = Random(seed: seed)
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

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    static func weekday(_ millis: Int64) -> Int {
      let days = Timestamp.floorDiv(millis, Timestamp.millisPerDay)
      return Int(((days + 3) % 7 + 7) % 7)
    }

    static func isWeekend(_ millis: Int64) -> Bool { weekday(millis) >= 5 }

    func agent(_ id: String) -> Agent { agents.first { $0.id == id }! }

    // MARK: Roster

    static func roster() -> [Agent] {
      typealias M = Models
      var a: [Agent] = [
        // Retry-storm agents.
        Agent(
          id: "incident-bot", name: "Incident responder", owner: "p-ada", team: "sre", costCentre: "CC-100",
          scope: "S-GEN", role: "ops-incident-bot", model: M.sonnet4, task: "T-201", weekday: 10, weekend: 6,
          input: 4_000...30_000, output: 300...1_500, cacheReadPct: 30),
        Agent(
          id: "ticket-router", name: "Ticket router", owner: "p-bo", team: "support-tools", costCentre: "CC-200",
          scope: "S-CHEAP", role: "support-ticket-router", model: M.haiku45, task: "T-202", weekday: 10, weekend: 6,
          input: 1_000...6_000, output: 50...300),
        Agent(
          id: "doc-extractor", name: "Document extractor", owner: "p-dee", team: "finance-automation",
          costCentre: "CC-400", scope: "S-GEN", role: "fin-doc-extractor", model: M.novaPro, task: "T-203",
          weekday: 8, weekend: 2, input: 8_000...60_000, output: 500...2_000),
        // Loop agents.
        Agent(
          id: "research-planner", name: "Research planner", owner: "p-cy", team: "research", costCentre: "CC-300",
          scope: "S-GEN", role: "research-planner", model: M.sonnet45, task: "T-204", weekday: 6, weekend: 2,
          input: 5_000...20_000, output: 500...2_000, cacheReadPct: 40),
        Agent(
          id: "research-critic", name: "Research critic", owner: "p-cy", team: "research", costCentre: "CC-300",
          scope: "S-GEN", role: "research-critic", model: M.sonnet45, task: "T-204", weekday: 2, weekend: 1,
          input: 5_000...20_000, output: 300...1_200, cacheReadPct: 40),
        Agent(
          id: "build-orchestrator", name: "Build orchestrator", kind: "workload", owner: "p-gil", team: "devex",
          costCentre: "CC-100", scope: "S-GEN", role: "dev-build-orchestrator", model: M.haiku45, task: "T-205",
          weekday: 6, weekend: 2, input: 2_000...8_000, output: 100...600),
        Agent(
          id: "code-fixer", name: "Code fixer", owner: "p-gil", team: "devex", costCentre: "CC-100", scope: "S-GEN",
          role: "dev-code-fixer", model: M.sonnet4, task: "T-205", weekday: 4, weekend: 1, input: 6_000...24_000,
          output: 800...3_000, cacheReadPct: 30),
        // Spike agents: flat daily cost.
        Agent(
          id: "eval-runner", name: "Evaluation runner", kind: "workload", owner: "p-cy", team: "research",
          costCentre: "CC-300", scope: "S-GEN", role: "research-eval-runner", model: M.opus45, task: "T-206",
          weekday: 10, weekend: 10, input: 20_000...30_000, output: 1_000...2_000, hours: .flat),
        Agent(
          id: "report-writer", name: "Report writer", kind: "workload", owner: "p-dee", team: "finance-reporting",
          costCentre: "CC-400", scope: "S-GEN", role: "fin-report-writer", model: M.sonnet4, task: "T-207",
          weekday: 12, weekend: 12, input: 20_000...30_000, output: 4_000...6_000, hours: .flat),
        // New spender.
        Agent(
          id: "pricing-bot", name: "Pricing assistant", owner: "p-dee", team: "fpa", costCentre: "CC-400",
          scope: "S-GEN", role: "fin-pricing-bot", model: M.sonnet4, task: "T-208", weekday: 14, weekend: 6,
          input: 30_000...50_000, output: 1_000...2_000, previousDays: nil, periodDays: newSpenderDay...31,
          since: newSpenderDay),
        // Lifecycle and policy cases.
        Agent(
          id: "refund-assistant", name: "Refund assistant", owner: "p-fin", team: "support-ops",
          costCentre: "CC-200", scope: "S-CHEAP", role: "support-refunds", model: M.haiku45, task: "T-209",
          weekday: 6, weekend: 4, input: 2_000...8_000, output: 100...600),
        Agent(
          id: "contract-reader", name: "Contract reader", owner: "p-dee", team: "legal-ops", costCentre: "CC-400",
          scope: "S-GEN", role: "fin-contract-reader", model: M.novaPro, task: "T-210", weekday: 5, weekend: 2,
          input: 10_000...50_000, output: 300...1_500),
        Agent(
          id: "expense-auditor", name: "Expense auditor", owner: "p-eve", team: "finance-automation",
          costCentre: "CC-400", scope: "S-GEN", role: "fin-expense-auditor", model: M.haiku45, task: "T-211",
          weekday: 5, weekend: 2, input: 3_000...12_000, output: 200...800),
        Agent(
          id: "kb-indexer", name: "Knowledge-base indexer", kind: "workload", owner: "p-bo", team: "support-tools",
          costCentre: "CC-200", scope: "S-CHEAP", role: sharedRole, model: M.novaLite, task: "T-212", weekday: 6,
          weekend: 6, input: 5_000...30_000, output: 100...500, hours: .flat),
        Agent(
          id: "release-notes", name: "Release-notes writer", owner: "p-gil", team: "devex", costCentre: "CC-100",
          scope: "S-GEN", role: sharedRole, model: M.sonnet4, task: "T-213", weekday: 3, weekend: 1,
          input: 4_000...16_000, output: 500...2_000),
        Agent(
          id: "triage-agent", name: "Ticket triage", owner: "p-bo", team: "support-tools", costCentre: "CC-200",
          scope: "S-CHEAP", role: "support-triage", model: M.haiku45, task: "T-214", weekday: 6, weekend: 4,
          input: 1_500...6_000, output: 100...400),
        Agent(
          id: "support-chat", name: "Customer chat", owner: "p-fin", team: "support-tools", costCentre: "CC-200",
          scope: "S-CHEAP", role: "support-chat", model: M.haiku45, task: "T-215", weekday: 8, weekend: 5,
          input: 1_000...5_000, output: 100...500),
        Agent(
          id: "sales-drafter", name: "Sales email drafter", owner: "p-dee", team: "sales-ops", costCentre: "CC-400",
          scope: "S-GEN", role: "sales-drafter", model: M.haiku45, task: "T-216", weekday: 4, weekend: 0,
          input: 2_000...6_000, output: 300...900),
        // Decoys.
        Agent(
          id: "heavy-batch", name: "Nightly batch summaries", kind: "workload", owner: "p-ada", team: "data-platform",
          costCentre: "CC-100", scope: "S-GEN", role: "data-heavy-batch", model: M.opus45, task: "T-217",
          weekday: 20, weekend: 20, input: 150_000...190_000, output: 16_000...24_000, hours: .flat),
        Agent(
          id: "weekday-analyst", name: "Business analyst", owner: "p-cy", team: "analytics", costCentre: "CC-300",
          scope: "S-GEN", role: "analytics-weekday", model: M.opus45, task: "T-218", weekday: 20, weekend: 4,
          input: 150_000...190_000, output: 16_000...24_000),
        Agent(
          id: "migration-runner", name: "Schema migration assistant", kind: "workload", owner: "p-gil",
          team: "data-platform", costCentre: "CC-100", scope: "S-GEN", role: "data-migration", model: M.opus45,
          task: "T-219", weekday: 22, weekend: 22, input: 150_000...190_000, output: 16_000...24_000, hours: .flat,
          periodScale: 85),
        Agent(
          id: "notify-worker", name: "Notification writer", kind: "workload", owner: "p-bo", team: "support-tools",
          costCentre: "CC-200", scope: "S-CHEAP", role: "support-notify", model: M.novaLite, task: "T-220",
          weekday: 6, weekend: 6, input: 500...3_000, output: 50...200, hours: .flat),
        Agent(
          id: "sync-worker", name: "CRM sync worker", kind: "workload", owner: "p-ada", team: "data-platform",
          costCentre: "CC-100", scope: "S-GEN", role: "data-sync", model: M.haiku45, task: "T-221", weekday: 5,
          weekend: 5, input: 1_000...5_000, output: 100...400, hours: .flat),
        Agent(
          id: "batch-summarizer", name: "Batch summarizer", owner: "p-cy", team: "research", costCentre: "CC-300",
          scope: "S-GEN", role: "research-batch-summarizer", model: M.haiku45, task: "T-222", weekday: 3,
          weekend: 0, input: 1_000...8_000, output: 200...800),
        Agent(
          id: "quarterly-close", name: "Quarter-close assistant", owner: "p-dee", team: "finance-close",
          costCentre: "CC-400", scope: "S-GEN", role: "fin-quarterly-close", model: M.opus45, task: "T-231",
          weekday: 30, weekend: 30, input: 150_000...190_000, output: 8_000...12_000, previousDays: 1...2,
          periodDays: returningDays, periodScale: 50),
        Agent(
          id: "intern-bot", name: "Intern project bot", owner: "p-ada", team: "devex", costCentre: "CC-100",
          scope: "S-GEN", role: "dev-intern-bot", model: M.haiku45, task: "T-232", weekday: 5, weekend: 5,
          input: 1_000...3_000, output: 100...300, previousDays: nil, periodDays: internDays,
          since: internDays.lowerBound - 1),
      ]
      a += [
        // A periodic heavy job: Mondays and Thursdays only, the same cost each run.
        Agent(
          id: "weekly-reporter", name: "Twice-weekly KPI pack", kind: "workload", owner: "p-dee",
          team: "finance-reporting", costCentre: "CC-400", scope: "S-GEN", role: "fin-weekly-reporter",
          model: M.opus45, task: "T-233", weekday: 22, weekend: 0, input: 150_000...190_000,
          output: 16_000...24_000, runsOn: [0, 3]),
        // The third loop's tree: an orchestrator with a retrieval fan-out and a checker/drafter loop.
        Agent(
          id: "case-orchestrator", name: "Support case orchestrator", owner: "p-fin", team: "support-ops",
          costCentre: "CC-200", scope: "S-GEN", role: "support-case-orchestrator", model: M.haiku45, task: "T-234",
          weekday: 3, weekend: 1, input: 2_000...8_000, output: 100...600),
        Agent(
          id: "policy-checker", name: "Refund policy checker", owner: "p-fin", team: "support-ops",
          costCentre: "CC-200", scope: "S-GEN", role: "support-policy-checker", model: M.haiku45, task: "T-234",
          weekday: 3, weekend: 1, input: 3_000...9_000, output: 100...500),
        Agent(
          id: "answer-drafter", name: "Answer drafter", owner: "p-fin", team: "support-ops", costCentre: "CC-200",
          scope: "S-GEN", role: "support-answer-drafter", model: M.sonnet4, task: "T-234", weekday: 3, weekend: 1,
          input: 6_000...16_000, output: 500...1_500),
        Agent(
          id: "kb-search", name: "Knowledge-base search", kind: "workload", owner: "p-fin", team: "support-ops",
          costCentre: "CC-200", scope: "S-GEN", role: "support-kb-search", model: M.sonnet4, task: "T-234",
          weekday: 3, weekend: 1, input: 10_000...30_000, output: 300...1_000),
      ]
      // The workflow of the deep acyclic tree: only called inside its trees.
      for (id, model) in Self.workflow {
        a.append(
          Agent(
            id: id, name: "Workflow step " + id.dropFirst(3), kind: "workload", owner: "p-ada", team: "workflow",
            costCentre: "CC-100", scope: "S-GEN", role: id, model: model, task: "T-230", weekday: 0, weekend: 0,
            input: 2_000...6_000, output: 200...800))
      }
      return a
    }

    static let workflow: [(String, String)] = [
      ("wf-intake", Models.novaLite), ("wf-classify", Models.haiku45), ("wf-retrieve", Models.novaPro),
      ("wf-rank", Models.haiku45), ("wf-draft", Models.sonnet4), ("wf-review", Models.sonnet4),
      ("wf-format", Models.novaLite), ("wf-publish", Models.novaLite),
    ]

    // MARK: Calls

    mutating func requestID() -> String {
      counter += 1
      let a = rng.next()
      let c = UInt64(counter)
      return EvaluationSet.hex(a >> 32, 8) + "-" + EvaluationSet.hex((a >> 16) & 0xFFFF, 4) + "-4"
        + EvaluationSet.hex(a & 0xFFF, 3) + "-" + EvaluationSet.hex(0x8000 | ((c &* 0x9E37_79B9_7F4A_7C15) >> 50), 4)
        + "-" + EvaluationSet.hex((c ^ idMask) & 0xFFFF_FFFF_FFFF, 12)
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

    func isReserved(_ agent: String, _ t: Int64) -> Bool {
      reserved[agent]?.contains { $0.contains(t) } ?? false
    }

    /// Keeps background calls of `agent` out of `[from − 5 min, to + 5 min]`.
    mutating func reserve(_ agent: String, from: Int64, to: Int64) {
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
          if !Self.isWeekend(dayStart) { workflowTree(day: dayStart) }
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
    mutating func reserveEpisodes() {
      reserve("incident-bot", from: at(Self.stormDays.incident, 13, 41), to: at(Self.stormDays.incident, 13, 50))
      reserve("ticket-router", from: at(Self.stormDays.router, 9, 5), to: at(Self.stormDays.router, 9, 10))
      reserve("doc-extractor", from: at(Self.stormDays.extractor, 2, 10), to: at(Self.stormDays.extractor, 2, 20))
      reserve("sync-worker", from: at(16, 3, 0), to: at(16, 3, 40))
      for id in ["case-orchestrator", "policy-checker", "answer-drafter", "kb-search"] {
        reserve(id, from: at(Self.loopDays.branch, 13, 0), to: at(Self.loopDays.branch, 13, 5))
      }
      for d in [7, 19, 25] { reserve("batch-summarizer", from: at(d, 14, 0), to: at(d, 14, 2)) }
    }

    mutating func background(_ a: Agent, month: Period, day: Int, scale: Int) {
      let dayStart = start(month, day)
      if let runsOn = a.runsOn, !runsOn.contains(Self.weekday(dayStart)) { return }
      let base = (Self.isWeekend(dayStart) && a.runsOn == nil ? a.weekend : a.weekday) * scale / 100
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
    mutating func workflowTree(day dayStart: Int64) {
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

    // MARK: Planted cases

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
    }

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

    // MARK: Labels

    func cases(pricer: Pricer) throws -> [EvaluationCase] {
      func cost(_ c: Call) throws -> Money {
        let q = pricer.price(
          provider: .bedrock, model: c.model, tier: .standard, time: c.time, tokens: c.tokens,
          totalInput: c.tokens.totalInput)
        guard let m = q.cost else {
          throw IngestError(
            file: "pricing", line: 0, message: "evaluation set: \(c.model) is unpriced on \(Timestamp.day(c.time))")
        }
        return m
      }
      func sum(_ cs: [Call]) throws -> Money { try cs.reduce(Money.zero) { $0 + (try cost($1)) } }
      let inPeriod = calls.filter { $0.time >= period.startMillis && $0.time < period.endMillis }
        .sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
      func tagged(_ tag: String) -> [Call] { inPeriod.filter { $0.tag == tag } }
      func cred(_ agentID: String) -> String { EvaluationSet.credentialID(role: agent(agentID).role) }
      var out: [EvaluationCase] = []

      for (tag, agentID, day, what) in [
        ("storm-incident", "incident-bot", Self.stormDays.incident, "12 throttled then 2 successful"),
        ("storm-router", "ticket-router", Self.stormDays.router, "15 failed, 5 successful, one 60 s gap"),
        ("storm-extractor", "doc-extractor", Self.stormDays.extractor, "all 12 timed out, input billed"),
      ] {
        let cs = tagged(tag)
        let total = try sum(cs)
        let lastSuccess = try cs.last { $0.errorCode == nil }.map(cost) ?? .zero
        out.append(
          EvaluationCase(
            kind: .retryStorm, agentID: agentID, credentialID: cred(agentID), day: date(day),
            expectedAvoidable: total - lastSuccess, plantedCost: total,
            note: "\(cs.count) identical \(cs[0].model) calls (\(what)); avoidable = all but the last successful call"))
      }

      let cycle = tagged("loop-cycle")
      out.append(
        EvaluationCase(
          kind: .recursiveLoop, agentID: "research-planner", credentialID: cred("research-planner"),
          day: date(Self.loopDays.cycle), expectedAvoidable: try sum(Array(cycle[2...])), plantedCost: try sum(cycle),
          note:
            "\(cycle.count) calls research-planner → research-critic → research-planner … via parent_request_id; avoidable = from the planner's second call on"
        ))
      let repeats = tagged("loop-repeat")
      out.append(
        EvaluationCase(
          kind: .recursiveLoop, agentID: "code-fixer", credentialID: cred("code-fixer"),
          day: date(Self.loopDays.repeats), expectedAvoidable: try sum(Array(repeats[2...])),
          plantedCost: try sum(repeats),
          note:
            "build-orchestrator → code-fixer × \(repeats.count - 1) along one path (same model, same input size class); avoidable = from the second code-fixer call on"
        ))

      let branch = tagged("loop-branch")  // the orchestrator, then checker ⇄ drafter
      let searches = tagged("loop-branch-search")
      out.append(
        EvaluationCase(
          kind: .recursiveLoop, agentID: "policy-checker", credentialID: cred("policy-checker"),
          day: date(Self.loopDays.branch), expectedAvoidable: try sum(Array(branch[3...])),
          plantedCost: try sum(branch) + (try sum(searches)),
          note:
            "case-orchestrator → policy-checker → answer-drafter → policy-checker … (\(branch.count - 1) calls) beside \(searches.count) concurrent kb-search calls under the same root; avoidable = from the checker's second call on, without the searches"
        ))

      for (tag, agentID, day) in [
        ("spike-eval", "eval-runner", Self.spikeDays.eval), ("spike-report", "report-writer", Self.spikeDays.report),
      ] {
        let extra = try sum(tagged(tag))
        let daily = try dailyCosts(of: agentID, cost: cost)
        let dayNumber = Timestamp.floorDiv(at(day, 0, 0), Timestamp.millisPerDay)
        let before = daily.filter { $0.key < dayNumber && $0.key >= dayNumber - 28 }.map(\.value.pico).sorted()
        let median = before.isEmpty ? 0 : before[before.count / 2]
        let actual = daily[dayNumber] ?? .zero
        let ratio = median > 0 ? Money.format(units: Money.roundDiv(actual.pico * 10, median), decimals: 1) : "∞"
        out.append(
          EvaluationCase(
            kind: .usageSpike, agentID: agentID, credentialID: cred(agentID), day: date(day), expectedAvoidable: .zero,
            plantedCost: extra,
            note:
              "\(tagged(tag).count) extra calls: \(actual.formatted(decimals: 2)) USD that day against a usual \(Money(pico: median).formatted(decimals: 2)) USD (\(ratio)×)"
          ))
      }

      let newcomer = inPeriod.filter { $0.agent == "pricing-bot" }
      out.append(
        EvaluationCase(
          kind: .newSpender, agentID: "pricing-bot", credentialID: cred("pricing-bot"),
          day: Timestamp.day(newcomer[0].time), expectedAvoidable: .zero, plantedCost: try sum(newcomer),
          note: "registered and first used on \(date(Self.newSpenderDay)); no usage last month")
      )

      func lifecycle(_ kind: FindingKind, agent agentID: String?, credential: String, _ cs: [Call], _ note: String)
        throws
      {
        out.append(
          EvaluationCase(
            kind: kind, agentID: agentID, credentialID: credential, day: Timestamp.day(cs[0].time),
            expectedAvoidable: .zero, plantedCost: try sum(cs), note: note))
      }
      try lifecycle(
        .revokedCredential, agent: "refund-assistant", credential: cred("refund-assistant"),
        inPeriod.filter { $0.agent == "refund-assistant" && $0.time >= at(Self.revokeDay, 0, 0) },
        "role support-refunds revoked on \(date(Self.revokeDay)) and still used every day")
      try lifecycle(
        .expiredCredential, agent: "contract-reader", credential: cred("contract-reader"),
        inPeriod.filter { $0.agent == "contract-reader" && $0.time >= at(Self.expiryDay, 0, 0) },
        "role fin-contract-reader expired on \(date(Self.expiryDay)) and still used")
      try lifecycle(
        .offboardedOwner, agent: "expense-auditor", credential: cred("expense-auditor"),
        inPeriod.filter { $0.agent == "expense-auditor" && $0.time >= at(Self.offboardDay, 0, 0) },
        "owner p-eve offboarded on \(date(Self.offboardDay)); the agent keeps running")
      try lifecycle(
        .sharedCredential, agent: nil, credential: EvaluationSet.credentialID(role: EvaluationSet.sharedRole),
        inPeriod.filter { $0.role == EvaluationSet.sharedRole },
        "role shared-runner has no agent; kb-indexer, release-notes and an unregistered agent use it")
      try lifecycle(
        .agentMismatch, agent: "triage-agent", credential: cred("triage-agent"), tagged("mismatch"),
        "calls on triage-agent's role claim agent_id ticket-router")
      try lifecycle(
        .unknownAgent, agent: "ghost-agent", credential: EvaluationSet.credentialID(role: EvaluationSet.sharedRole),
        tagged("ghost"), "calls on shared-runner name ghost-agent, which agents.csv does not have")
      try lifecycle(
        .outOfScopeModel, agent: "support-chat", credential: cred("support-chat"), tagged("out-of-scope"),
        "scope S-CHEAP allows Haiku and Nova only; support-chat calls Claude Sonnet 4.5")
      try lifecycle(
        .unapprovedTask, agent: "sales-drafter", credential: cred("sales-drafter"), tagged("unapproved"),
        "task T-299 has no approver in tasks.csv")
      return out
    }

    /// Priced daily cost of one agent's calls, by UTC day number.
    func dailyCosts(of agentID: String, cost: (Call) throws -> Money) throws -> [Int64: Money] {
      var out: [Int64: Money] = [:]
      for c in calls where c.agent == agentID {
        out[Timestamp.floorDiv(c.time, Timestamp.millisPerDay), default: .zero] += try cost(c)
      }
      return out
    }

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

    // MARK: Identities

    func writeIdentities(to dir: String) throws {
      let files: [(String, [[String]])] = [
        ("people.csv", people()), ("cost_centres.csv", costCentres()), ("agents.csv", agentRows()),
        ("credentials.csv", credentials()), ("tasks.csv", tasks()), ("scopes.csv", scopes()),
        ("labels.csv", [["finding_id", "label", "note", "who"]]),
      ]
      for (name, rows) in files {
        try Data(EvaluationSet.csv(rows).utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
      }
    }

    func people() -> [[String]] {
      [
        ["person_id", "name", "email", "cost_centre", "offboarded_at"],
        ["p-ada", "Ada Lindqvist", "ada.lindqvist@example.com", "CC-100", ""],
        ["p-bo", "Bo Tanaka", "bo.tanaka@example.com", "CC-200", ""],
        ["p-cy", "Cy Okonkwo", "cy.okonkwo@example.com", "CC-300", ""],
        ["p-dee", "Dee Romero", "dee.romero@example.com", "CC-400", ""],
        ["p-eve", "Eve Novak", "eve.novak@example.com", "CC-400", date(Self.offboardDay)],
        ["p-fin", "Finn Walsh", "finn.walsh@example.com", "CC-200", ""],
        ["p-gil", "Gil Moreau", "gil.moreau@example.com", "CC-100", ""],
      ]
    }

    func costCentres() -> [[String]] {
      [
        ["cost_centre", "name", "owner", "monthly_budget_usd"],
        ["CC-100", "Platform Engineering", "p-ada", ""],
        ["CC-200", "Customer Support", "p-bo", ""],
        ["CC-300", "Research", "p-cy", ""],
        ["CC-400", "Finance Ops", "p-dee", ""],
      ]
    }

    func agentRows() -> [[String]] {
      var rows = [["agent_id", "name", "kind", "owner", "team", "cost_centre", "scope_id", "valid_from", "valid_to"]]
      for a in agents {
        rows.append([
          a.id, a.name, a.kind, a.owner, a.team, a.costCentre, a.scope, a.since.map { date($0) } ?? daysBefore(180), "",
        ])
      }
      return rows
    }

    func credentials() -> [[String]] {
      var rows = [
        [
          "credential_id", "provider", "agent_id", "cost_centre", "issued_at", "expires_at", "revoked_at",
          "description",
        ]
      ]
      for a in agents where a.role != EvaluationSet.sharedRole {
        rows.append([
          EvaluationSet.credentialID(role: a.role), "bedrock", a.id, "", a.since.map { date($0) } ?? daysBefore(200),
          a.id == "contract-reader" ? date(Self.expiryDay) : "",
          a.id == "refund-assistant" ? date(Self.revokeDay) : "", "IAM role of " + a.name.lowercased(),
        ])
      }
      rows.append([
        EvaluationSet.credentialID(role: EvaluationSet.sharedRole), "bedrock", "", "CC-100", daysBefore(200), "", "",
        "Shared runner role used by several agents",
      ])
      return rows
    }

    func tasks() -> [[String]] {
      var rows = [
        ["task_id", "agent_id", "requested_by", "approved_by", "scope_id", "opened_at", "closed_at", "ticket"]
      ]
      var seen = Set<String>()
      for a in agents where seen.insert(a.task).inserted {
        rows.append([
          a.task, a.id, a.owner, a.owner == "p-ada" ? "p-gil" : "p-ada", a.scope, daysBefore(90), "",
          "OPS-" + a.task.dropFirst(2),
        ])
      }
      for task in ["T-223", "T-224", "T-225", "T-226"] {
        rows.append([
          task, "batch-summarizer", "p-cy", "p-ada", "S-GEN", daysBefore(90), "", "RES-" + task.dropFirst(2),
        ])
      }
      rows.append(["T-299", "sales-drafter", "p-dee", "", "S-GEN", date(Self.unapprovedFrom - 1), "", "SALES-299"])
      return rows
    }

    func scopes() -> [[String]] {
      [
        ["scope_id", "description", "allowed_models", "allowed_providers", "monthly_budget_usd"],
        ["S-GEN", "General assistants", "*claude-*;*nova-*", "bedrock", ""],
        ["S-CHEAP", "Customer-facing work on low-cost models only", "*haiku*;*nova-*", "bedrock", ""],
      ]
    }
  }
}

// MARK: - Writing

extension EvaluationSet {
  fileprivate static func csv(_ rows: [[String]]) -> String {
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

  /// One invocation-log JSON object (FORMATS.md §3, as the demo writes them), without newline.
  fileprivate static func appendLine(_ c: Call, to s: inout String) {
    s += "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\""
    s += Timestamp.iso(c.time)
    s += "\",\"accountId\":\"\(accountID)\",\"identity\":{\"arn\":"
    s += jsonQuoted(arnPrefix + c.role + "/" + c.session)
    s += "},\"region\":\"us-east-1\""
    if c.model.hasPrefix("us.") { s += ",\"inferenceRegion\":\"us-west-2\"" }
    s += ",\"requestId\":\"\(c.requestID)\",\"operation\":\"Converse\",\"modelId\":\"\(c.model)\""
    s += ",\"input\":{\"inputContentType\":\"application/json\""
    s += ",\"inputTokenCount\":\(c.input),\"cacheReadInputTokenCount\":\(c.cacheRead),\"cacheWriteInputTokenCount\":0}"
    if c.errorCode != nil {
      s += ",\"output\":{\"outputContentType\":\"application/json\",\"outputTokenCount\":0}"
    } else {
      let total = c.input + c.output + c.cacheRead
      s += ",\"output\":{\"outputContentType\":\"application/json\",\"outputBodyJson\":{\"output\":{\"message\":"
      s += "{\"role\":\"assistant\",\"content\":[{\"text\":\"Done.\"}]}},\"stopReason\":\"end_turn\","
      s += "\"metrics\":{\"latencyMs\":\(300 + c.output * 9)},\"usage\":{\"inputTokens\":\(c.input),"
      s += "\"outputTokens\":\(c.output),\"totalTokens\":\(total),\"cacheReadInputTokens\":\(c.cacheRead),"
      s += "\"cacheWriteInputTokens\":0}},\"outputTokenCount\":\(c.output)}"
    }
    var metadata: [(String, String)] = []
    if let a = c.claim { metadata.append(("agent_id", a)) }
    if let t = c.task { metadata.append(("task_id", t)) }
    if let p = c.parent { metadata.append(("parent_request_id", p)) }
    if !metadata.isEmpty {
      s += ",\"requestMetadata\":{" + metadata.map { jsonQuoted($0.0) + ":" + jsonQuoted($0.1) }.joined(separator: ",")
      s += "}"
    }
    if let e = c.errorCode { s += ",\"errorCode\":\"\(e)\"" }
    s += "}"
  }

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

  fileprivate static func hex(_ v: UInt64, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }
}
