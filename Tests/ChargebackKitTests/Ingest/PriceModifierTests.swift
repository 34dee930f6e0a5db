import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// What the exports say changes a call's price beyond its model and tokens.
///
/// A Bedrock Converse response's service tier and latency-optimized inference, Anthropic's US-only inference and fast
/// mode, OpenAI's "fast" (its priority tier). Each is either priced at its own rates or left
/// unpriced with a finding, never charged at the standard rate without a word.
@Suite struct PriceModifierTests {
  let pricer: Pricer

  init() throws { pricer = Pricer(table: try PriceTable(directory: TestSupport.pricing)) }

  /// A Bedrock Nova Pro call of 1 M input and 1 M output tokens whose logged Converse response body
  /// carries `outputBody` members (after its usage).
  func bedrock(_ outputBody: String) throws -> UsageRecord {
    let line =
      #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-05T10:00:00Z","#
      + #""accountId":"123456789012","identity":{"arn":"arn:aws:sts::123456789012:assumed-role/r/s"},"#
      + #""requestId":"req-1","operation":"Converse","modelId":"us.amazon.nova-pro-v1:0","#
      + #""input":{"inputTokenCount":1000000},"output":{"outputTokenCount":1000000,"outputBodyJson":"#
      + #"{"usage":{"inputTokens":1000000,"outputTokens":1000000}\#(outputBody)}}}"#
    return try Array(line.utf8).withUnsafeBufferPointer {
      try BedrockInvocationLog().parse($0, file: "x.jsonl", line: 1)
    }
  }

  func cost(_ r: UsageRecord) -> Money? {
    pricer.price(
      provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
      totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow)
    ).cost
  }

  @Test func bedrockResponseTierPricesTheCall() throws {
    // pricing/bedrock.csv, nova-pro per M: standard 0.8 / 3.2, priority 1.4 / 5.6, flex 0.4 / 1.6.
    let plain = try bedrock("")
    #expect(plain.tier == .standard)
    #expect(cost(plain) == TestSupport.usd("4.00"))
    let priority = try bedrock(#","serviceTier":{"type":"priority"}"#)
    #expect(priority.tier == .priority)
    #expect(cost(priority) == TestSupport.usd("7.00"))
    let flex = try bedrock(#","serviceTier":{"type":"flex"}"#)
    #expect(flex.tier == .flex)
    #expect(cost(flex) == TestSupport.usd("2.00"))
    #expect(try bedrock(#","serviceTier":{"type":"default"}"#).tier == .standard)
  }

  /// Reserved capacity (paid by its reservation) and a tier AWS adds later have no rates here:
  /// named in the model, unpriced, and the file still loads.
  @Test(arguments: ["reserved", "Turbo"])
  func otherBedrockTiersStayUnpriced(type: String) throws {
    let r = try bedrock(#","serviceTier":{"type":"\#(type)"}"#)
    #expect(r.tier == .standard)
    #expect(r.model == "us.amazon.nova-pro-v1:0 [service_tier \(type.lowercased())]")
    #expect(cost(r) == nil)
    #expect(PriceModifiers.base(r.model) == "us.amazon.nova-pro-v1:0")
  }

  @Test func theBaseModelDropsOnlyModifiers() {
    #expect(PriceModifiers.base("m [inference_geo us] [speed fast]") == "m")
    #expect(PriceModifiers.base("m [latency optimized]") == "m")
    #expect(PriceModifiers.base("m [beta]") == "m [beta]")  // not a modifier
    #expect(PriceModifiers.base("[speed fast]") == "[speed fast]")  // nothing before it
    #expect(PriceModifiers.base("m") == "m")
    #expect(PriceModifiers.base("x [speed fast] [other y]") == "x [speed fast] [other y]")
  }

  /// An alias glob that would take in the modifier (`gpt-4.1-mini-2*`) does not: only a pattern
  /// written for the modifier prices such a model.
  @Test func aGlobAliasDoesNotPriceAModifiedModel() throws {
    let table = try PriceTable(directory: Fixtures.month + "/pricing")
    #expect(table.canonicalModel(provider: .openai, raw: "gpt-4.1-mini-2025-04-14") == "gpt-4.1-mini")
    #expect(table.canonicalModel(provider: .openai, raw: "gpt-4.1-mini-2025-04-14 [inference_geo us]") == nil)
    let written = PriceTable(
      rows: table.rows,
      aliases: table.aliases + [
        ModelAlias(
          provider: .openai, pattern: Glob("gpt-4.1-mini-2* [inference_geo us]"), model: "gpt-4.1-mini", location: "t")
      ])
    #expect(
      written.canonicalModel(provider: .openai, raw: "gpt-4.1-mini-2025-04-14 [inference_geo us]") == "gpt-4.1-mini")
  }

  /// A report row named with a modifier is still the same calls as the request logs of its base
  /// model: covered by them, not charged again as unlogged usage.
  @Test func aModifiedReportRowIsCoveredByTheRequestLogs() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let day = try #require(Timestamp.parseMillis("2026-10-07T00:00:00Z"))
    let model = "gpt-4.1-mini-2025-04-14"
    try store.db.transaction {
      let w = try store.beginFile(sha256: "log", path: "gateway.log", format: "test", level: .request, bytes: 0)
      try w.insert(
        UsageRecord(
          provider: .openai, level: .request, format: "test", naturalKey: "openai:c1", requestID: "c1",
          time: day + 3_600_000, credential: "key_A", model: model, tokens: TokenCounts(input: 1_000_000)))
      try w.finish()
      let r = try store.beginFile(sha256: "report", path: "usage.json", format: "test", level: .report, bytes: 0)
      try r.insert(
        UsageRecord(
          provider: .openai, level: .report, format: "test", naturalKey: "openai:usage:1", time: day,
          bucketEnd: day + Timestamp.millisPerDay, credential: "key_A",
          model: PriceModifiers.appending(model, "inference_geo", "us"), tokens: TokenCounts(input: 1_000_000),
          requests: 1))
      try r.finish()
    }
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Fixtures.month + "/identities"),
      prices: try PriceTable(directory: Fixtures.month + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-10")!)
    // The logged call alone: 1 M input × 0.4 per M (the fixture's gpt-4.1-mini rate).
    #expect(report.totalCost == TestSupport.usd("0.4"))
    #expect(!report.lines.contains { $0.key.source == .unlogged || $0.key.source == .report })
    #expect(!report.findings.contains { $0.kind == .unloggedUsage })
  }

  @Test func latencyOptimizedBedrockCallsStayUnpriced() throws {
    let r = try bedrock(#","performanceConfig":{"latency":"optimized"}"#)
    #expect(r.model == "us.amazon.nova-pro-v1:0 [latency optimized]")
    #expect(cost(r) == nil)
    #expect(try bedrock(#","performanceConfig":{"latency":"standard"}"#).model == "us.amazon.nova-pro-v1:0")
  }

  /// The Anthropic usage-report sample's row with `inference_geo` and `speed` set.
  func anthropic(geo: String?, speed: String?) throws -> UsageRecord {
    var text = try String(
      contentsOfFile: Fixtures.samples + "/anthropic/usage-report-messages-1h.json", encoding: .utf8)
    let extra = [geo.map { #""inference_geo": "\#($0)""# }, speed.map { #""speed": "\#($0)""# }].compactMap { $0 }
    if !extra.isEmpty {
      text = text.replacingOccurrences(
        of: #""context_window": "0-200k""#, with: #""context_window": "0-200k", "# + extra.joined(separator: ", "))
    }
    let dir = try TestSupport.tempDir("anthropic-\(geo ?? "-")-\(speed ?? "-")")
    try text.write(toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/usage.json"])
    var out: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { out.append($0.record) }
    return try #require(out.first)
  }

  @Test(
    arguments: [
      (nil, nil, "claude-sonnet-4-20250514"),
      ("global", "standard", "claude-sonnet-4-20250514"),
      ("not_available", nil, "claude-sonnet-4-20250514"),
      ("us", nil, "claude-sonnet-4-20250514 [inference_geo us]"),
      (nil, "fast", "claude-sonnet-4-20250514 [speed fast]"),
      ("us", "fast", "claude-sonnet-4-20250514 [inference_geo us] [speed fast]"),
    ] as [(String?, String?, String)])
  func anthropicModifiersNameTheModelAndLeaveItUnpriced(geo: String?, speed: String?, model: String) throws {
    let r = try anthropic(geo: geo, speed: speed)
    #expect(r.model == model)
    if model == "claude-sonnet-4-20250514" {
      #expect(cost(r) != nil)
    } else {
      #expect(cost(r) == nil)
    }
  }

  @Test func openAIFastIsThePriorityTier() throws {
    let text = try String(contentsOfFile: Fixtures.samples + "/openai/usage-completions-1h.json", encoding: .utf8)
    let fast = text.replacingOccurrences(of: #""service_tier": "default""#, with: #""service_tier": "fast""#)
    #expect(fast != text)
    let dir = try TestSupport.tempDir()
    try fast.write(toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/usage.json"])
    var tiers: Set<Tier> = []
    try store.forEachRecord(from: .min, to: .max) { tiers.insert($0.record.tier) }
    #expect(tiers == [.priority])
  }
}
