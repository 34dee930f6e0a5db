import ChargebackDemo
import ChargebackModel
import ChargebackStore
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
  /// `directory/pricing`: the set's own price table (``EvaluationSet/plantedRates``).
  package var pricingDirectory: String
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

  package init(period: Period, seed: UInt64 = 7) {
    self.period = period
    self.seed = seed
  }

  /// The rates the set plants, micro-USD per million tokens (the list prices of these Bedrock
  /// models in 2026, so that the detectors' dollar floors see realistic amounts).
  ///
  /// The set writes them as its own `pricing/bedrock.csv`, and computes every expected cost from
  /// them with its own arithmetic (``Generator/plantedCost(_:)``), never with the product's
  /// pricer: a pricing error in the product cannot also hide in the expected values.
  package static let plantedRates: [String: (input: Int64, cachedInput: Int64, output: Int64)] = [
    Generator.Models.sonnet4: (3_000_000, 300_000, 15_000_000),
    Generator.Models.sonnet45: (3_300_000, 330_000, 16_500_000),  // a `us.` geographic profile: 1.1×
    Generator.Models.haiku45: (1_000_000, 100_000, 5_000_000),
    Generator.Models.opus45: (5_000_000, 500_000, 25_000_000),
    Generator.Models.novaPro: (800_000, 200_000, 3_200_000),
    Generator.Models.novaLite: (60_000, 15_000, 240_000),
  ]

  /// `pricing/bedrock.csv` with the planted rates, keyed by the raw Bedrock model ids.
  private static func writePricing(to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    func usd(_ micro: Int64) -> String {
      var s = Money.format(units: Int128(micro), decimals: 6)
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
      return s
    }
    var rows = [
      [
        "provider", "model", "usage_type", "tier", "min_input_tokens", "usd_per_million", "effective_from",
        "effective_to", "source",
      ]
    ]
    for (model, r) in plantedRates.sorted(by: { $0.key < $1.key }) {
      for (type, micro) in [("input", r.input), ("cached_input", r.cachedInput), ("output", r.output)] {
        rows.append(["bedrock", model, type, "standard", "0", usd(micro), "2025-01-01", "", "evaluation set"])
      }
    }
    try Data(DemoText.csv(rows).utf8).write(to: URL(fileURLWithPath: DemoText.join(directory, "bedrock.csv")))
  }

  /// Writes `usage/bedrock/<day>.jsonl` for both months, `identities/` and `labels.json` under
  /// `directory`.
  package func write(to directory: String) throws -> EvaluationLayout {
    let pricing = DemoText.join(directory, "pricing")
    try Self.writePricing(to: pricing)
    let usage = DemoText.join(directory, "usage")
    let identities = DemoText.join(directory, "identities")
    let bedrockDir = DemoText.join(usage, "bedrock")
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
      let calls = (byDay[day] ?? []).sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
      var text = ""
      text.reserveCapacity(calls.count * 900)
      for c in calls {
        Self.appendLine(c, to: &text)
        text += "\n"
      }
      let path = DemoText.join(bedrockDir, Timestamp.day(day * Timestamp.millisPerDay) + ".jsonl")
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      files.append(path)
    }

    let cases = g.cases()
    let decoys = g.decoys()
    let periodRecords = g.calls.filter { $0.time >= period.startMillis && $0.time < period.endMillis }.count
    let previousRecords = g.calls.filter { $0.time < period.startMillis }.count
    let labelsFile = DemoText.join(directory, "labels.json")
    try Data(
      labelsJSON(cases: cases, decoys: decoys, periodRecords: periodRecords, previousRecords: previousRecords).utf8
    ).write(to: URL(fileURLWithPath: labelsFile))
    return EvaluationLayout(
      usageDirectory: usage, identityDirectory: identities, pricingDirectory: pricing, labelsFile: labelsFile,
      cases: cases, decoys: decoys,
      periodRecords: periodRecords, previousRecords: previousRecords, files: files.sorted())
  }

  private func labelsJSON(cases: [EvaluationCase], decoys: [EvaluationDecoy], periodRecords: Int, previousRecords: Int)
    -> String
  {
    func q(_ s: String?) -> String { s.map(DemoText.jsonQuoted) ?? "null" }
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
        + "\"agents\": [\(d.agents.map(DemoText.jsonQuoted).joined(separator: ", "))], "
        + "\"must_not_raise\": [\(d.mustNotRaise.map { DemoText.jsonQuoted($0.rawValue) }.joined(separator: ", "))], "
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
}

// MARK: - Invocation-log lines

extension EvaluationSet {
  /// One invocation-log JSON object (docs/formats.md, "Bedrock invocation logs"; as the demo
  /// writes them), without newline.
  private static func appendLine(_ c: Generator.Call, to s: inout String) {
    s += "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\""
    s += Timestamp.iso(c.time)
    s += "\",\"accountId\":\"\(accountID)\",\"identity\":{\"arn\":"
    s += DemoText.jsonQuoted(arnPrefix + c.role + "/" + c.session)
    s += "},\"region\":\"us-east-1\""
    if c.model.hasPrefix("us.") { s += ",\"inferenceRegion\":\"us-west-2\"" }
    s += ",\"requestId\":\"\(c.requestID)\",\"operation\":\"Converse\",\"modelId\":\"\(c.model)\""
    s += ",\"input\":{\"inputContentType\":\"application/json\""
    s += ",\"inputTokenCount\":\(c.input),\"cacheReadInputTokenCount\":\(c.cacheRead),\"cacheWriteInputTokenCount\":0}"
    if c.errorCode != nil {
      // A failed call logs what it was billed (a stream that broke after billing); throttles 0.
      s += ",\"output\":{\"outputContentType\":\"application/json\",\"outputTokenCount\":\(c.output)}"
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
      s += ",\"requestMetadata\":{"
      s += metadata.map { DemoText.jsonQuoted($0.0) + ":" + DemoText.jsonQuoted($0.1) }.joined(separator: ",")
      s += "}"
    }
    if let e = c.errorCode { s += ",\"errorCode\":\"\(e)\"" }
    s += "}"
  }
}
