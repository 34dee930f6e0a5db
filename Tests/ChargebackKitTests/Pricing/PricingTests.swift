import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

@Suite struct PricingTests {
  static let shipped = TestSupport.packageRoot + "/pricing"

  @Test func shippedTablesLoadWithoutOverlaps() throws {
    let table = try PriceTable(directory: Self.shipped)
    #expect(table.rows.count > 500)
    // Every provider but `other` (upstreams without shipped prices, priced only by the user's rows).
    #expect(Set(table.rows.map(\.provider)) == Set(Provider.allCases).subtracting([.other]))
    #expect(table.rows.allSatisfy { !$0.source.isEmpty })
  }

  @Test func shippedTablesAgreeWithLiteLLM() throws {
    let table = try PriceTable(directory: Self.shipped)
    let reference = TestSupport.pricing + "/reference/litellm-model_prices_and_context_window-1.109.1.json"
    let diffs = try PriceCheck.compare(table, litellmPath: reference)
    #expect(diffs.isEmpty, "\(diffs.prefix(5))")
  }

  @Test(arguments: [
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", Provider.bedrock, "claude-sonnet-4"),
    ("amazon.nova-pro-v1:0", .bedrock, "nova-pro"),
    ("us.amazon.nova-micro-v1:0", .bedrock, "nova-micro"),
    ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0", .bedrock, "nova-pro"),
    ("gpt-4.1-mini-2025-04-14", .openai, "gpt-4.1-mini"),
    ("gpt-4.1-2025-04-14", .openai, "gpt-4.1"),
    ("gpt-4o-2024-08-06", .openai, "gpt-4o"),
  ])
  func aliasesResolve(raw: String, provider: Provider, canonical: String) throws {
    let table = try PriceTable(directory: Self.shipped)
    #expect(table.canonicalModel(provider: provider, raw: raw) == canonical)
  }

  /// Nova's EU and APAC inference profiles are billed at their source region's rates, which the
  /// shipped tables do not hold (Tokyo's Nova Micro is $0.042 / $0.168 a million against the US
  /// $0.035 / $0.14): they stay unpriced, with a finding, never charged at the US rate (a trial's
  /// real `apac.` log was charged 20 % under without a word).
  @Test(arguments: [
    "apac.amazon.nova-micro-v1:0", "eu.amazon.nova-lite-v1:0", "apac.amazon.nova-pro-v1:0",
    "arn:aws:bedrock:ap-southeast-2:123456789012:inference-profile/apac.amazon.nova-pro-v1:0",
    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-micro-v1:0",
  ])
  func novasRegionalProfilesStayUnpriced(raw: String) throws {
    let table = try PriceTable(directory: Self.shipped)
    #expect(table.canonicalModel(provider: .bedrock, raw: raw) == nil)
  }

  @Test func samplesPriceWithShippedTables() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.samples + "/bedrock/model-invocation-logs.json.gz",
      Fixtures.samples + "/openai/usage-completions-1h.json",
    ])
    let pricer = Pricer(table: try PriceTable(directory: Self.shipped))
    var costs: [String: Money] = [:]
    try store.forEachRecord(from: .min, to: .max) { s in
      let r = s.record
      let q = pricer.price(
        provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
        totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
      costs[r.model] = q.cost
    }
    // Sonnet 4 on Bedrock: 412×3 + 18240×0.3 + 538×15 per M = (1236 + 5472 + 8070) / 1e6 = 0.014778.
    #expect(costs["us.anthropic.claude-sonnet-4-20250514-v1:0"] == TestSupport.usd("0.014778"))
    // Nova Pro: 1500×0.8 + 500×3.2 per M = 0.0028.
    #expect(costs["amazon.nova-pro-v1:0"] == TestSupport.usd("0.0028"))
    // gpt-4.1-mini hour: 62340×0.4 + 120000×0.1 + 9120×1.6 per M = 0.051528.
    #expect(costs["gpt-4.1-mini-2025-04-14"] == TestSupport.usd("0.051528"))
  }

  @Test func overlappingRowsAreRejectedWithTheirLines() throws {
    let dir = try TestSupport.tempDir()
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    openai,m,input,standard,0,1,2026-01-01,,a
    openai,m,input,standard,0,2,2026-06-01,,b
    """.write(toFile: dir + "/openai.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try PriceTable(directory: dir) }
    #expect(error.line == 3)
    #expect(error.description.contains("overlaps"))
  }

  /// A rate past the bound (100,000 USD per million) says so; text that is no decimal of at most 6
  /// places says that (a trial's 200000 read as "not a decimal").
  @Test(arguments: [
    ("200000", "\"200000\" is out of bounds (0 to 100000 USD per million)"),
    ("-1", "\"-1\" is out of bounds (0 to 100000 USD per million)"),
    ("1.0000001", "\"1.0000001\" is not a decimal with at most 6 places"),
    ("abc", "\"abc\" is not a decimal with at most 6 places"),
  ])
  func aRateOutOfBoundsSaysSo(rate: String, message: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    openai,m,input,standard,0,\(rate),2026-01-01,,a
    """.write(toFile: dir + "/openai.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try PriceTable(directory: dir) }
    #expect(error.line == 2 && error.field == "usd_per_million")
    #expect(error.message == message)
  }

  /// Rates are in effect for whole UTC days: a record is priced by its day, so a row starting or
  /// ending within a day would price one call at the rate of whichever call of that day came first.
  @Test(arguments: [
    ("2026-10-15T12:00:00Z", "", 2, "effective_from"),
    ("2026-10-01", "2026-10-15T12:00:00Z", 2, "effective_to"),
    ("2026-10-01", "2026-10-15T00:00:00.001Z", 2, "effective_to"),
  ])
  func ratesChangeOnlyAtMidnightUTC(from: String, to: String, line: Int, field: String) throws {
    let dir = try TestSupport.tempDir()
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    openai,m,input,standard,0,1,\(from),\(to),a
    """.write(toFile: dir + "/openai.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try PriceTable(directory: dir) }
    #expect(error.line == line)
    #expect(error.field == field)
    #expect(error.description.contains("not a UTC date"))
    // Midnight written as a time is a date.
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    openai,m,input,standard,0,1,2026-10-01T00:00:00Z,2026-10-15T00:00:00Z,a
    """.write(toFile: dir + "/openai.csv", atomically: true, encoding: .utf8)
    #expect(try PriceTable(directory: dir).rows.count == 1)
  }

  /// A usage report's row without a context window is at the base rate, whatever its request count
  /// (SPEC §10: a row says nothing about one call's size); its own window decides when it has one.
  @Test(arguments: [(nil, "1.265"), ("0-272k", "1.265"), ("272k-1M", "2.5225")] as [(String?, String)])
  func aReportRowIsPricedByItsContextWindowElseAtTheBaseRate(window: String?, usd: String) throws {
    let pricer = Pricer(table: try PriceTable(directory: Self.shipped))
    let tokens = TokenCounts(input: 500_000, output: 1_000)
    // 500,000 × 2.5 + 1,000 × 15 per million at the base rate; × 5 and × 22.5 above 272k.
    let q = pricer.price(
      provider: .openai, model: "gpt-5.4-2026-03-05", tier: .standard, time: Timestamp.parseMillis("2026-04-02")!,
      tokens: tokens, totalInput: Pricer.inputForTier(level: .report, tokens: tokens, contextWindow: window))
    #expect(q.cost == TestSupport.usd(usd))
  }

  /// A web search costs its fee at every tier: the shipped table has a batch row of $10 per 1,000
  /// beside the batch token rates (a batch row with 5 searches was unpriced whole, a trial); a
  /// class without a row at the call's tier stays unpriced.
  @Test(arguments: [
    // 1,000 × 1.5 + 100 × 7.5 per million, batch, + 5 × 10,000 per million searches.
    (Tier.batch, 5 as Int64, "0.05225" as String?),
    // The standard call: 1,000 × 3 + 100 × 15 per million + the same searches.
    (.standard, 5, "0.0545"),
    // No searches: the batch tokens alone.
    (.batch, 0, "0.00225"),
    // No priority token rates for the model: still unpriced, searches or not.
    (.priority, 5, nil),
  ])
  func webSearchesCostTheirFeeAtEveryTier(tier: Tier, searches: Int64, usd: String?) throws {
    let pricer = Pricer(table: try PriceTable(directory: Self.shipped))
    var tokens = TokenCounts(input: 1_000, output: 100)
    tokens.webSearch = searches
    let q = pricer.price(
      provider: .anthropic, model: "claude-sonnet-4-20250514", tier: tier, time: Timestamp.parseMillis("2026-04-02")!,
      tokens: tokens, totalInput: tokens.totalInput)
    #expect(q.cost == usd.map(TestSupport.usd))
    if usd == nil { #expect(q.unpricedReason?.contains("tier priority") == true) }
  }

  @Test func longContextChoosesTheWholeCallsRate() throws {
    let table = try PriceTable(directory: Fixtures.month + "/pricing")
    let pricer = Pricer(table: table)
    let t = Timestamp.parseMillis("2026-10-20")!
    // 200,000 input is not above the threshold 200,001; 200,001 is.
    let below = pricer.price(
      provider: .bedrock, model: "claude-sonnet-4", tier: .standard, time: t,
      tokens: TokenCounts(input: 200_000), totalInput: 200_000)
    let above = pricer.price(
      provider: .bedrock, model: "claude-sonnet-4", tier: .standard, time: t,
      tokens: TokenCounts(input: 200_001), totalInput: 200_001)
    #expect(below.cost == TestSupport.usd("0.6"))
    #expect(above.cost == TestSupport.usd("1.200006"))
    // A tier with no rows leaves the call unpriced, never $0.
    let flex = pricer.price(
      provider: .bedrock, model: "claude-sonnet-4", tier: .flex, time: t,
      tokens: TokenCounts(input: 10), totalInput: 10)
    #expect(flex.cost == nil)
    #expect(flex.unpricedReason?.contains("no input rate") == true)
  }

  /// Azure's embeddings are priced (an APIM `Embeddings_Create` row was unpriced, a trial): 10,000
  /// tokens of text-embedding-3-small at 0.02 USD a million (the Global rate, as every Azure row), 0.0002 USD.
  @Test func azureEmbeddingsArePriced() throws {
    let pricer = Pricer(table: try PriceTable(directory: Self.shipped))
    let tokens = TokenCounts(input: 10_000)
    let q = pricer.price(
      provider: .azure, model: "text-embedding-3-small", tier: .standard, time: Timestamp.parseMillis("2026-04-02")!,
      tokens: tokens, totalInput: tokens.totalInput)
    #expect(q.cost == TestSupport.usd("0.0002"))
  }
}
