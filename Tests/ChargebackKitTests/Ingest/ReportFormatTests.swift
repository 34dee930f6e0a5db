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

/// The report- and cost-level formats.
///
/// Anthropic usage and cost reports, OpenAI Costs, the Azure Cost Management export and the GCP
/// billing export. Every expected value is worked by hand.
@Suite struct ReportFormatTests {
  static var formatFixtures: String { Fixtures.root + "/formats" }

  /// Ingests `paths` into a fresh store and returns the per-file results and the stored records.
  func ingest(_ paths: [String]) throws -> (results: [Ingestor.FileResult], records: [UsageRecord]) {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    var records: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { records.append($0.record) }
    return (results, records)
  }

  /// Writes `text` to a new temporary file and ingests it, returning the error it must raise.
  func ingestError(_ text: String, name: String, caller: String = #function) throws -> InputError {
    let dir = try TestSupport.tempDir(caller)
    let path = dir + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(try store.recordCount() == 0)
    return error
  }

  func sample(_ rel: String) throws -> String {
    try String(contentsOfFile: Fixtures.samples + "/" + rel, encoding: .utf8)
  }

  // MARK: Anthropic usage report

  @Test func anthropicUsageSample() throws {
    let (results, rs) = try ingest([Fixtures.samples + "/anthropic/usage-report-messages-1h.json"])
    #expect(results.first?.format == "anthropic-usage-report")
    let r = try #require(rs.first)
    #expect(rs.count == 1)
    // uncached_input_tokens already excludes the cache; creation splits 12,040 (5m) + 0 (1h).
    #expect(
      r.tokens == TokenCounts(input: 48210, cachedInput: 391200, cacheWrite5m: 12040, output: 15533, webSearch: 3))
    #expect(r.level == .report && r.provider == .anthropic)
    #expect(r.requests == 0)
    #expect(r.contextWindow == "0-200k")
    #expect(r.tier == .standard)
    #expect(r.credential == "apikey_01Hq7m3XcT2vYpKd8sLwNz4R")
    #expect(r.project == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
    #expect(r.model == "claude-sonnet-4-20250514")
    #expect(Timestamp.iso(r.time) == "2025-09-01T10:00:00Z")
    #expect(r.bucketEnd == r.time + 3_600_000)  // a 1h bucket
    #expect(r.jsonPath == "$.data[0].results[0]")
    #expect(r.billed == nil)
  }

  /// A usage page whose rows are by API key and give `requests` (the Console's usage analytics) is
  /// read, its requests counted; not refused as the Enterprise Analytics report (a review).
  @Test func anthropicUsageRowsWithRequestsAreReadByKey() throws {
    let text = try sample("anthropic/usage-report-messages-1h.json").replacingOccurrences(
      of: "\"output_tokens\"", with: "\"requests\": 7, \"output_tokens\"")
    #expect(text.contains("\"requests\": 7"))
    let dir = try TestSupport.tempDir()
    try text.write(toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let (results, rs) = try ingest([dir + "/usage.json"])
    #expect(results.first?.format == "anthropic-usage-report")
    #expect(rs.count == 1 && rs.first?.requests == 7 && rs.first?.credential == "apikey_01Hq7m3XcT2vYpKd8sLwNz4R")
  }

  @Test func anthropicUsageJSONLinesSplitsTTLsAndTiers() throws {
    let (_, rs) = try ingest([Self.formatFixtures + "/anthropic-usage-pages.jsonl"])
    #expect(rs.count == 3)
    let long = try #require(rs.first { $0.credential == "apikey_01BatchLong" })
    // 1,200 tokens written with the 5-minute TTL and 3,400 with the 1-hour TTL stay apart.
    #expect(
      long.tokens
        == TokenCounts(
          input: 250000, cachedInput: 10000, cacheWrite5m: 1200, cacheWrite1h: 3400, output: 8000, webSearch: 7))
    #expect(long.tier == .batch)  // service_tier "batch" (SPEC §10)
    #expect(long.contextWindow == "200k-1M")
    #expect(long.line == 1 && long.jsonPath == "$.data[0].results[0]")
    let priority = try #require(rs.first { $0.tier == .priority })
    #expect(priority.credential == nil && priority.project == nil && priority.contextWindow == nil)
    #expect(priority.tokens == TokenCounts(input: 100, output: 20))
    #expect(priority.jsonPath == "$.data[0].results[1]")
    let flex = try #require(rs.first { $0.tier == .flex })
    // A flat cache_creation_input_tokens (no TTL split) counts as 5-minute writes.
    #expect(flex.tokens == TokenCounts(input: 40, cacheWrite5m: 500, output: 60))
    #expect(flex.line == 2)
    #expect(Timestamp.iso(flex.time) == "2025-10-01T01:00:00Z")
    #expect(Set(rs.map(\.naturalKey)).count == 3)
  }

  /// A row of a workload-identity caller (no API key) names its service account as its
  /// credential; with both, the service account is the credential's second name.
  @Test func anthropicServiceAccountsAreCredentials() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/usage.json"
    let page = #"""
      {"data":[{"starting_at":"2026-04-01T00:00:00Z","ending_at":"2026-04-02T00:00:00Z","results":[
      {"uncached_input_tokens":100,"output_tokens":10,"api_key_id":null,"workspace_id":"wrkspc_1",
       "service_account_id":"svac_01Hk3R9T","model":"claude-sonnet-4-20250514"},
      {"uncached_input_tokens":200,"output_tokens":20,"api_key_id":"apikey_01X","workspace_id":"wrkspc_1",
       "service_account_id":"svac_02Zz","model":"claude-sonnet-4-20250514"},
      {"uncached_input_tokens":300,"output_tokens":30,"api_key_id":null,"workspace_id":"wrkspc_1",
       "service_account_id":null,"model":"claude-sonnet-4-20250514"}]}],
       "has_more":false,"next_page":null}
      """#
    try page.write(toFile: path, atomically: true, encoding: .utf8)
    let (_, records) = try ingest([path])
    let byInput = Dictionary(uniqueKeysWithValues: records.map { ($0.tokens.input, $0) })
    #expect(byInput[100]?.credential == "svac_01Hk3R9T" && byInput[100]?.credentialAlias == nil)
    #expect(byInput[200]?.credential == "apikey_01X" && byInput[200]?.credentialAlias == "svac_02Zz")
    #expect(byInput[300]?.credential == nil && byInput[300]?.project == "wrkspc_1")
  }

  @Test func anthropicUsageWrongTypeNamesLineAndField() throws {
    let good = #"{"data":[{"starting_at":"2025-10-01T00:00:00Z","results":[{"output_tokens":1}]}]}"#
    let bad = #"{"data":[{"starting_at":"2025-10-01T01:00:00Z","results":[{"output_tokens":"12abc"}]}]}"#
    let error = try ingestError(good + "\n" + bad + "\n", name: "u.jsonl")
    #expect(error.line == 2)
    #expect(error.path == "$.data[0].results[0]")
    #expect(error.field == "output_tokens")
  }

  @Test func anthropicUsageBadBucketTimeAndTier() throws {
    var page = try sample("anthropic/usage-report-messages-1h.json")
    page = page.replacingOccurrences(of: "\"2025-09-01T10:00:00Z\"", with: "\"2025-09-31T10:00:00Z\"")
    let time = try ingestError(page, name: "t.json")
    #expect(time.path == "$.data[0]" && time.field == "starting_at")
    let tier = try ingestError(
      try sample("anthropic/usage-report-messages-1h.json").replacingOccurrences(
        of: "\"standard\"", with: "\"platinum\""), name: "tier.json")
    #expect(tier.path == "$.data[0].results[0]" && tier.field == "service_tier")
  }

  // MARK: Anthropic cost report

  /// The buckets without their pages, as a paging loop that gathers each response's `data` saves
  /// them (pretty-printed): the same records as the pages, a bad row named by its line (a trial's
  /// file was refused, "`[0].data`: required field is missing", with no line).
  @Test(arguments: ["anthropic/usage-report-messages-1h.json", "anthropic/cost-report-1d.json"])
  func anthropicBareBucketsReadAsTheirPages(sample name: String) throws {
    let page = try #require(
      try JSONSerialization.jsonObject(with: Data(sample(name).utf8)) as? [String: Any])
    let buckets = try #require(page["data"] as? [Any])
    let text = String(
      decoding: try JSONSerialization.data(withJSONObject: buckets, options: [.prettyPrinted, .sortedKeys]),
      as: UTF8.self)
    let dir = try TestSupport.tempDir()
    try text.write(toFile: dir + "/buckets.json", atomically: true, encoding: .utf8)
    let (pageResults, fromPage) = try ingest([Fixtures.samples + "/" + name])
    let (results, fromBuckets) = try ingest([dir + "/buckets.json"])
    #expect(results.first?.format == pageResults.first?.format)
    #expect(fromBuckets.count == fromPage.count && !fromPage.isEmpty)
    for (a, b) in zip(fromBuckets, fromPage) {
      #expect(a.tokens == b.tokens && a.billed == b.billed && a.time == b.time && a.bucketEnd == b.bucketEnd)
      #expect(a.model == b.model && a.credential == b.credential && a.project == b.project)
      #expect(a.jsonPath == b.jsonPath?.replacingOccurrences(of: "$.data[", with: "$["))
    }
    // A bad bucket time: named by the line its bucket starts on, in the file as written.
    let start = try #require((buckets.first as? [String: Any])?["starting_at"] as? String)
    let bad = text.replacingOccurrences(of: "\"\(start)\"", with: "\"yesterday\"")
    let e = try ingestError(bad, name: "bad.json")
    let lines = bad.components(separatedBy: "\n")
    let badLine = try #require(lines.firstIndex { $0.contains("yesterday") }) + 1
    #expect(e.field == "starting_at" && e.path == "$[0]")
    #expect(e.line.map { $0 >= 2 && $0 <= badLine } == true, "\(e) (yesterday on line \(badLine))")
  }

  @Test func anthropicCostSampleIsCents() throws {
    let (results, rs) = try ingest([Fixtures.samples + "/anthropic/cost-report-1d.json"])
    #expect(results.first?.format == "anthropic-cost-report")
    #expect(rs.count == 2)
    let input = try #require(rs.first { $0.model == "claude-sonnet-4-20250514" })
    // "1446.30" cents = $14.4630 = 14.4630 × 10^12 pico-USD.
    #expect(input.billed == Money(pico: 14_463_000_000_000))
    #expect(input.lineItem == "Claude Sonnet 4 Usage - Input Tokens, uncached_input_tokens")
    #expect(input.contextWindow == "0-200k" && input.tier == .standard)
    #expect(input.level == .cost && input.tokens.isZero && input.requests == 0)
    #expect(input.credential == nil && input.project == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
    #expect(Timestamp.iso(input.time) == "2025-09-01T00:00:00Z" && input.bucketEnd == input.time + 86_400_000)
    let search = try #require(rs.first { $0.model.isEmpty })
    // "3.00" cents = $0.03 = 3 × 10^10 pico-USD.
    #expect(search.billed == Money(pico: 30_000_000_000))
    #expect(search.lineItem == "Web Search Usage")
    #expect(search.jsonPath == "$.data[0].results[1]")
  }

  @Test func anthropicCostRefusesOtherCurrenciesAndBadAmounts() throws {
    let text = try sample("anthropic/cost-report-1d.json")
    let eur = try ingestError(
      text.replacingOccurrences(
        of: "\"3.00\",\n          \"currency\": \"USD\"", with: "\"3.00\", \"currency\": \"EUR\""),
      name: "eur.json")
    #expect(eur.path == "$.data[0].results[1]" && eur.field == "currency")
    let amount = try ingestError(text.replacingOccurrences(of: "\"1446.30\"", with: "\"14x6.30\""), name: "amt.json")
    #expect(amount.path == "$.data[0].results[0]" && amount.field == "amount")
    let type = try ingestError(text.replacingOccurrences(of: "\"1446.30\"", with: "[1]"), name: "type.json")
    #expect(type.path == "$.data[0].results[0]" && type.field == "amount")
  }

  // MARK: OpenAI Costs

  @Test func openAICostsSampleNumberAndString() throws {
    let (results, rs) = try ingest([Fixtures.samples + "/openai/costs-1d.json"])
    #expect(results.first?.format == "openai-costs")
    #expect(rs.count == 2)
    let input = try #require(rs.first { $0.lineItem == "gpt-4.1-mini-2025-04-14, input" })
    // The number 1.8432 read from its text: 1.8432 × 10^12 pico-USD.
    #expect(input.billed == Money(pico: 1_843_200_000_000))
    #expect(input.model == "gpt-4.1-mini-2025-04-14")
    #expect(input.tokens == TokenCounts(input: 4_608_000))  // quantity 4608000.0
    #expect(input.project == "proj_7QxK2vLd9sTn4mWb" && input.credential == nil)
    #expect(input.level == .cost && input.tier == .standard && input.requests == 0)
    #expect(Timestamp.iso(input.time) == "2025-09-01T00:00:00Z" && input.bucketEnd == input.time + 86_400_000)
    let output = try #require(rs.first { $0.lineItem == "gpt-4.1-mini-2025-04-14, output" })
    // The string "0.5760000000000000" = 0.576 × 10^12 pico-USD.
    #expect(output.billed == Money(pico: 576_000_000_000))
    #expect(output.tokens == TokenCounts(output: 360_000))
    // 1.8432 + 0.576 = 2.4192 USD.
    #expect(rs.compactMap(\.billed).reduce(.zero, +) == TestSupport.usd("2.4192"))
  }

  @Test func openAICostsArrayOfPagesPrefixesAndExactNumbers() throws {
    let (_, rs) = try ingest([Self.formatFixtures + "/openai-costs-pages.json"])
    #expect(rs.count == 4)
    #expect(rs.map(\.jsonPath) == (0..<4).map { "$[0].data[0].results[\($0)]" })
    // "0.0000045000…0" USD = 4.5 × 10^-6 × 10^12 = 4,500,000 pico-USD; the evals prefix is dropped.
    #expect(rs[0].billed == Money(pico: 4_500_000))
    #expect(rs[0].model == "gpt-4o-mini-2024-07-18")
    #expect(rs[0].tokens == TokenCounts(cachedInput: 30))
    #expect(rs[0].credential == "key_A" && rs[0].project == "proj_A")
    // The number 0.30000000000000004 is 300,000,000,000.04 pico-USD: rounded at the pico-dollar.
    #expect(rs[1].billed == Money(pico: 300_000_000_000))
    #expect(rs[1].model == "" && rs[1].tokens == TokenCounts(webSearch: 12))
    // 1e-7 USD = 100,000 pico-USD; a line item without a comma names no model.
    #expect(rs[2].billed == Money(pico: 100_000))
    #expect(rs[2].model == "" && rs[2].lineItem == "assistants api | file search" && rs[2].tokens.isZero)
    // A credit: -1.25 USD.
    #expect(rs[3].billed == Money(pico: -1_250_000_000_000))
    #expect(rs[3].model == "gpt-4.1-2025-04-14")
  }

  @Test func openAICostsWrongTypesNamePathAndField() throws {
    let text = try sample("openai/costs-1d.json")
    let type = try ingestError(
      text.replacingOccurrences(of: "\"0.5760000000000000\"", with: "true"), name: "type.json")
    #expect(type.path == "$.data[0].results[1]" && type.field == "amount.value")
    let garbage = try ingestError(
      text.replacingOccurrences(of: "\"0.5760000000000000\"", with: "\"0.576abc\""), name: "garbage.json")
    #expect(garbage.path == "$.data[0].results[1]" && garbage.field == "amount.value")
    let eur = try ingestError(text.replacingOccurrences(of: "\"usd\"", with: "\"eur\""), name: "eur.json")
    #expect(eur.path == "$.data[0].results[0]" && eur.field == "amount.currency")
    let missing = try ingestError(
      text.replacingOccurrences(of: "\"value\": 1.8432,", with: ""), name: "missing.json")
    #expect(missing.path == "$.data[0].results[0]" && missing.field == "amount.value")
  }

  // MARK: Azure Cost Management export

  @Test func azureSampleParsesMetersAndCosts() throws {
    let (results, rs) = try ingest([Fixtures.samples + "/azure/cost-management-export.csv"])
    #expect(results.first?.format == "azure-cost-export")
    #expect(rs.count == 2)
    let input = try #require(rs.first { $0.line == 2 })
    #expect(input.billed == Money(pico: 46_081_250_000_000))  // 46.08125 USD
    #expect(input.model == "gpt-4o" && input.lineItem == "gpt-4o-0806, input, global")
    #expect(input.tokens == TokenCounts(input: 18_432_500))  // 18432.5 × 1K
    #expect(input.provider == .azure && input.level == .cost && input.tier == .standard)
    #expect(Timestamp.iso(input.time) == "2025-09-01T00:00:00Z" && input.bucketEnd == input.time + 86_400_000)
    #expect(input.project?.hasSuffix("/accounts/aoai-agents-eus2") == true)
    let output = try #require(rs.first { $0.line == 3 })
    #expect(output.billed == Money(pico: 12_040_000_000_000))  // 12.04 USD
    #expect(output.lineItem == "gpt-4o-0806, output, global")
    #expect(output.tokens == TokenCounts(output: 1_204_000))  // 1204.0 × 1K
    // 46.08125 + 12.04 = 58.12125 USD.
    #expect(rs.compactMap(\.billed).reduce(.zero, +) == TestSupport.usd("58.12125"))
  }

  @Test func azureCamelCaseISOAndOtherServicesSkipped() throws {
    let (_, rs) = try ingest([Self.formatFixtures + "/azure-cost-camelcase.csv"])
    #expect(rs.count == 2)  // the virtual machine row is not a model row
    #expect(rs[0].line == 2 && rs[0].model == "gpt-5.4-mini")
    #expect(rs[0].lineItem == "gpt-5.4-mini, cached input, global")
    #expect(rs[0].billed == Money(pico: 62_500_000_000))  // 0.0625 USD
    #expect(rs[0].tokens == TokenCounts(cachedInput: 2_500_000))  // 2.5 × 1M
    #expect(rs[1].line == 4 && rs[1].model == "o4-mini" && rs[1].lineItem == "o4-mini-0416, output, global")
    #expect(rs[1].billed == Money(pico: 5_297_600_000_000))  // 5.2976 USD
    #expect(rs[1].tokens == TokenCounts(output: 1_204_000))  // 1204 × 1K
    #expect(Timestamp.iso(rs[1].time) == "2025-10-02T00:00:00Z")
  }

  /// A refund row that repeats its charge's every other column is a row of its own.
  ///
  /// An export without `ChargeType`: both are kept and billed (a trial: the refund was refused as a conflicting
  /// copy of the charge, and −1.00 USD left the bill). A second copy of the charge with another
  /// amount (a re-export) is still one row twice, in conflict.
  @Test func azureRefundRowBesideItsChargeIsKept() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let header =
      "Date,MeterCategory,MeterSubCategory,MeterName,Quantity,UnitOfMeasure,CostInBillingCurrency,BillingCurrency"
    let meter = "10/16/2026,Cognitive Services,Azure OpenAI,gpt-4o-0806-Inp-glbl Tokens"
    let rows = [header, meter + ",13.3,1K,0.033243,USD", meter + ",-1.5,1K,-1.00,USD"]
    try (rows.joined(separator: "\n") + "\n").write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
    try ([header, meter + ",13.3,1K,0.05,USD"].joined(separator: "\n") + "\n").write(
      toFile: dir + "/b.csv", atomically: true, encoding: .utf8)
    let (results, rs) = try ingest([dir + "/a.csv", dir + "/b.csv"])
    #expect(rs.count == 2)
    #expect(rs.compactMap(\.billed).reduce(Money.zero, +) == Money(pico: -966_757_000_000))  // 0.033243 − 1.00
    #expect(results.map(\.conflicts) == [0, 1])
    #expect(rs.filter { $0.naturalKey.hasSuffix("|credit") }.count == 1)
    // With `ChargeType` the two rows differ by it already: both kept, the refund under the key a
    // store loaded before gave it (no `|credit`: it would be stored again).
    let typed = [header + ",ChargeType", meter + ",13.3,1K,0.033243,USD,Usage", meter + ",-1.5,1K,-1.00,USD,Refund"]
    try (typed.joined(separator: "\n") + "\n").write(toFile: dir + "/typed.csv", atomically: true, encoding: .utf8)
    let both = try ingest([dir + "/typed.csv"]).records
    #expect(both.count == 2)
    #expect(both.allSatisfy { !$0.naturalKey.hasSuffix("|credit") })
    // The conflict's finding says the kept row is billed, not charged: a bill's row never is.
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/a.csv", dir + "/b.csv",
    ])
    let report = try ReportBuilder(
      store: store, identities: IdentityDirectory(), prices: PriceTable(rows: []),
      progress: ProgressReporter(force: false)
    ).build(period: Period(year: 2026, month: 10))
    let text = try #require(report.findings.first { $0.kind == .conflictingDuplicate }?.explanation)
    #expect(text.contains("(first stored, billed 0.033243 USD); not in the reconciliation "), "\(text)")
    #expect(text.contains("The reconciliation follows the kept copy"), "\(text)")
  }

  @Test func azureDayFirstDatesAndBatch() throws {
    let (_, rs) = try ingest([Self.formatFixtures + "/azure-cost-day-first.csv"])
    // 13/10/2025 can only be day first, so 01/10/2025 is 1 October too.
    #expect(rs.map { Timestamp.day($0.time) } == ["2025-10-01", "2025-10-13"])
    #expect(rs[0].lineItem == "gpt-4o-mini-0718, output, regional" && rs[0].tokens == TokenCounts(output: 3000))
    #expect(rs[0].billed == Money(pico: 1_980_000_000))  // 0.00198 USD from the EA `Cost` column
    #expect(rs[1].tier == .batch && rs[1].lineItem == "gpt-4o-mini-0718, input, global batch")
    #expect(rs[1].tokens == TokenCounts(input: 100_000) && rs[1].billed == Money(pico: 7_500_000_000))
  }

  @Test func azureBadCellsNameLineAndColumn() throws {
    let text = try sample("azure/cost-management-export.csv")
    let cost = try ingestError(text.replacingOccurrences(of: ",12.04,", with: ",12abc,"), name: "cost.csv")
    #expect(cost.line == 3 && cost.field == "CostInBillingCurrency")
    let date = try ingestError(
      text.replacingOccurrences(of: "\n09/01/2025,", with: "\n09/31/2025,"), name: "date.csv")
    #expect(date.line == 2 && date.field == "Date")
    let eur = try ingestError(text.replacingOccurrences(of: ",USD,", with: ",EUR,"), name: "eur.csv")
    #expect(eur.line == 2 && eur.field == "BillingCurrency")
    let lines = text.split(separator: "\n").map(String.init)
    let mixed = [
      lines[0], lines[1].replacingOccurrences(of: "09/01/2025", with: "13/09/2025"),
      lines[2].replacingOccurrences(of: "09/01/2025", with: "09/13/2025"),
    ].joined(separator: "\n")
    let order = try ingestError(mixed, name: "mixed.csv")
    #expect(order.line == 3 && order.field == "Date")
  }

  @Test(arguments: [
    ("gpt-4o-0806-Inp-glbl Tokens", "gpt-4o", TokenClass.input, "gpt-4o-0806, input, global", false),
    ("gpt-4o-mini-0718-Outp-regnl Tokens", "gpt-4o-mini", .output, "gpt-4o-mini-0718, output, regional", false),
    ("gpt-4o-mini-0718-Batch-Inp-glbl Tokens", "gpt-4o-mini", .input, "gpt-4o-mini-0718, input, global batch", true),
    ("o4-mini 0416 Inp glbl Tokens", "o4-mini", .input, "o4-mini-0416, input, global", false),
    ("5.4 mini cd Inp Gl 1M Tokens", "gpt-5.4-mini", .cachedInput, "gpt-5.4-mini, cached input, global", false),
    ("gpt 4.1 mini Outp Data Zone Tokens", "gpt-4.1-mini", .output, "gpt-4.1-mini, output, data zone", false),
    // GPT-5.x output meters as the Retail Prices API names them.
    ("5.4 opt Gl 1M Tokens", "gpt-5.4", .output, "gpt-5.4, output, global", false),
    ("5.2 chat 0210 opt Gl 1M Tokens", "gpt-5.2-chat", .output, "gpt-5.2-chat-0210, output, global", false),
    // Cache reads however the meter spells them (the Retail Prices API's GPT5 and Reasoning meters).
    ("gpt-5-codex-ccchd-inp-glbl Tokens", "gpt-5-codex", .cachedInput, "gpt-5-codex, cached input, global", false),
    ("codex mini inp cchd glbl Tokens", "codex-mini", .cachedInput, "codex-mini, cached input, global", false),
    ("5.1 cd Inp DZ 1M Tokens", "gpt-5.1", .cachedInput, "gpt-5.1, cached input, data zone", false),
    ("gpt-4o-0806-cached-Inp-glbl Tokens", "gpt-4o", .cachedInput, "gpt-4o-0806, cached input, global", false),
    // An embeddings meter names no direction: its tokens are input (a trial's were lost).
    (
      "text-embedding-3-large-regional Tokens", "text-embedding-3-large", .input,
      "text-embedding-3-large, input, regional", false
    ),
    (
      "text-embedding-ada-002 glbl Tokens", "text-embedding-ada-002", .input, "text-embedding-ada-002, input, global",
      false
    ),
  ])
  func azureMeterNames(name: String, model: String, tokenClass: TokenClass, lineItem: String, batch: Bool) throws {
    let meter = try #require(AzureCostManagementExport.parseMeterName(name))
    #expect(meter.model == model)
    #expect(meter.tokenClass == tokenClass)
    #expect(meter.lineItem == lineItem)
    #expect(meter.batch == batch)
  }

  /// The Retail Prices API's newer meters name the tier, the context and cache writes: none of
  /// them is part of the model (meter names from its `Azure OpenAI GPT5` and `GPT6` products).
  @Test(arguments: [
    ("5.4 pp inp Gl 1M Tokens", "gpt-5.4", TokenClass.input, "gpt-5.4, input, global priority", Tier.priority),
    ("5 mini pp Inp Gl 1M Tokens", "gpt-5-mini", .input, "gpt-5-mini, input, global priority", .priority),
    ("5.1 pp cd inp Dz 1M Tokens", "gpt-5.1", .cachedInput, "gpt-5.1, cached input, data zone priority", .priority),
    ("5.5 ShortCo PP opt Gl 1M Tokens", "gpt-5.5", .output, "gpt-5.5, output, global priority", .priority),
    // Flex at half the standard rate: 0.10 against 0.20 USD/M, GPT-5.4 nano's (its dot left out).
    ("54 nano Inp Flex Gl 1M Tokens", "gpt-5.4-nano", .input, "gpt-5.4-nano, input, global flex", .flex),
    ("5.6 sol ShortCo Inp Std Gl 1M Tokens", "gpt-5.6-sol", .input, "gpt-5.6-sol, input, global", .standard),
    (
      "5.6 sol ShortCo Cd Inp Std Gl 1M Tokens", "gpt-5.6-sol", .cachedInput, "gpt-5.6-sol, cached input, global",
      .standard
    ),
    (
      "5.6 sol ShortCo Cd Wr Std Gl 1M Tokens", "gpt-5.6-sol", .cacheWrite5m, "gpt-5.6-sol, cache write, global",
      .standard
    ),
    (
      "5.6 sol ShortCo Cd Wr PP Gl 1M Tokens", "gpt-5.6-sol", .cacheWrite5m,
      "gpt-5.6-sol, cache write, global priority", .priority
    ),
    (
      "5.6 sol LongCo Opt Std Gl 1M Tokens", "gpt-5.6-sol", .output, "gpt-5.6-sol, long context, output, global",
      .standard
    ),
    ("6-luna ShortCo Opt Std Gl 1M Tokens", "gpt-6-luna", .output, "gpt-6-luna, output, global", .standard),
  ])
  func azureMeterTiersAndCacheWrites(name: String, model: String, tokenClass: TokenClass, lineItem: String, tier: Tier)
    throws
  {
    let meter = try #require(AzureCostManagementExport.parseMeterName(name))
    #expect(meter.model == model)
    #expect(meter.tokenClass == tokenClass)
    #expect(meter.lineItem == lineItem)
    #expect(meter.tier == tier)
  }

  @Test func azureMeterNamesThatAreNotModels() {
    #expect(AzureCostManagementExport.parseMeterName("D2s v3") == nil)
    #expect(AzureCostManagementExport.parseMeterName("Inp glbl Tokens") == nil)
    let parts = AzureCostManagementExport.parseMeterName("gpt-4o-0806-Inp-glbl Tokens")
    #expect(parts?.version == "0806" && parts?.deployment == "global" && parts?.direction == .input)
  }

  // MARK: GCP billing export

  /// A SKU's description gives the model up to its first descriptive word; where the call ran
  /// (Global, Regional) is such a word (it made `gemini-3.1-flash-lite-global`, a model of its own
  /// against which the reconciliation showed false variances).
  @Test(arguments: [
    ("Gemini 3.1 Flash Lite Global Text Input - Predictions", "gemini-3.1-flash-lite"),
    ("Gemini 3.5 Flash Regional Text Input", "gemini-3.5-flash"),
    ("Gemini 2.5 Flash GA Text Input", "gemini-2.5-flash"),
    ("Gemini 2.5 Flash Live Audio Input", "gemini-2.5-flash-live"), ("Vertex AI Online Prediction", ""),
    // The Gemini API's SKUs name what is counted first (a trial: all were left unmatched).
    ("Generate content input token count Gemini 2.5 Pro short input text", "gemini-2.5-pro"),
    ("Generate content output token count Gemini 2.5 Flash Lite", "gemini-2.5-flash-lite"),
    ("Generate content cached input token count Gemini 2.5 Pro long input text", "gemini-2.5-pro"),
    ("Storage of cached content", ""),
  ])
  func gcpSkuModel(sku: String, model: String) {
    #expect(GCPBillingExport.model(sku: sku) == model)
  }

  @Test func gcpSampleIsVertexCost() throws {
    let (results, rs) = try ingest([Fixtures.samples + "/gcp/billing-export.jsonl"])
    #expect(results.first?.format == "gcp-billing-export")
    let r = try #require(rs.first)
    #expect(rs.count == 1)
    #expect(r.provider == .vertex && r.level == .cost)
    #expect(r.billed == Money(pico: 1_214_300_000_000))  // cost 1.2143, no credits
    #expect(r.model == "gemini-2.5-flash")
    #expect(r.lineItem == "Gemini 2.5 Flash GA Text Input - Predictions")
    #expect(r.project == "acme-agents-prod")
    #expect(Timestamp.iso(r.time) == "2025-09-01T10:00:00Z" && r.bucketEnd == r.time + 3_600_000)
    #expect(r.metadata == CallMetadata())  // the label `agent` is not one of our keys
    #expect(r.line == 1)
  }

  @Test func gcpCreditsLabelsAndSkippedRows() throws {
    let (_, rs) = try ingest([Self.formatFixtures + "/gcp-billing-mixed.jsonl"])
    #expect(rs.count == 2)  // Compute Engine and the tax row are skipped
    let pro = rs[0]
    // 12.5 − 0.75 − 0.0001 = 11.7499 USD net of credits.
    #expect(pro.billed == Money(pico: 11_749_900_000_000))
    #expect(pro.model == "gemini-2.5-pro" && pro.tier == .standard)
    #expect(pro.metadata == CallMetadata(agentID: "billing-reconciler", taskID: "T-1"))
    let batch = rs[1]
    #expect(batch.line == 5)  // the blank line 4 still counts
    // 0.30000000000000004 USD rounds to 300,000,000,000 pico-USD.
    #expect(batch.billed == Money(pico: 300_000_000_000))
    #expect(batch.model == "gemini-2.5-flash" && batch.tier == .batch)
    #expect(Timestamp.iso(batch.time) == "2025-10-02T00:00:00Z" && batch.bucketEnd == batch.time + 3_600_000)
  }

  @Test func gcpBadRowsNameLineAndField() throws {
    let row = try sample("gcp/billing-export.jsonl").trimmingCharacters(in: .newlines)
    let eur = try ingestError(
      row + "\n"
        + row.replacingOccurrences(of: "\"USD\"", with: "\"EUR\"").replacingOccurrences(
          of: "\"currency_conversion_rate\":1.0,", with: ""), name: "eur.jsonl")
    #expect(eur.line == 2 && eur.field == "currency_conversion_rate")
    let type = try ingestError(row.replacingOccurrences(of: "\"cost\":1.2143", with: "\"cost\":true"), name: "t.jsonl")
    #expect(type.line == 1 && type.field == "cost")
    let credit = try ingestError(
      row.replacingOccurrences(of: "\"credits\":[]", with: "\"credits\":[{\"amount\":\"-0.1x\"}]"), name: "c.jsonl")
    #expect(credit.line == 1 && credit.field == "credits[0].amount")
    let time = try ingestError(
      row.replacingOccurrences(of: "\"usage_start_time\":\"2025-09-01T10:00:00Z\"", with: "\"usage_start_time\":7"),
      name: "time.jsonl")
    #expect(time.line == 1 && time.field == "usage_start_time")
  }

  /// A billing account in another currency is converted by the row's own rate.
  ///
  /// 1.2143 EUR at 0.92 EUR a dollar is 1.2143 / 0.92 = 1.319891304347826… USD, 1,319,891,304,348 pico-USD (the
  /// last digit rounded up from .826). 40,000 KRW with a credit of −1,000 KRW at 1,380.5 KRW a
  /// dollar: 39,000 / 1,380.5 = 28.250633828323…, 28,250,633,828,323 pico-USD (.07 rounded down).
  /// A trial's TWD bill stopped the whole month, of which the bill is only the reconciliation.
  @Test func gcpOtherCurrenciesAreConvertedByTheirRate() throws {
    let row = try sample("gcp/billing-export.jsonl").trimmingCharacters(in: .newlines)
    let eur = row.replacingOccurrences(of: "\"USD\"", with: "\"EUR\"").replacingOccurrences(
      of: "\"currency_conversion_rate\":1.0", with: "\"currency_conversion_rate\":0.92")
    let krw = row.replacingOccurrences(of: "\"USD\"", with: "\"KRW\"").replacingOccurrences(
      of: "\"currency_conversion_rate\":1.0", with: "\"currency_conversion_rate\":1380.5"
    ).replacingOccurrences(of: "\"cost\":1.2143", with: "\"cost\":40000").replacingOccurrences(
      of: "\"credits\":[]", with: "\"credits\":[{\"amount\":-1000}]"
    ).replacingOccurrences(of: "A121-E2B5-1418", with: "A121-E2B5-1419")
    let path = try TestSupport.tempDir() + "/other.jsonl"
    try (eur + "\n" + krw + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    #expect(
      rs.compactMap(\.billed).sorted { $0.pico < $1.pico } == [
        Money(pico: 1_319_891_304_348), Money(pico: 28_250_633_828_323),
      ])
  }

  /// Rows apart only by their resource tags are two rows, both billed.
  ///
  /// The standard export splits a SKU's hour by tag: the second row was refused as a conflicting
  /// duplicate and the bill read 0.001 USD short (a trial). A row with no tags is keyed as before:
  /// an empty `tags` and none at all are one row.
  @Test func gcpRowsApartOnlyByTagsAreTwoRows() throws {
    let row = try sample("gcp/billing-export.jsonl").trimmingCharacters(in: .newlines)
    #expect(!row.contains("\"tags\""))
    func tagged(_ value: String, cost: String) -> String {
      row.replacingOccurrences(of: "\"cost\":1.2143", with: "\"cost\":\(cost)").replacingOccurrences(
        of: "\"system_labels\":[]",
        with:
          #""system_labels":[],"tags":[{"key":"env","value":"\#(value)","inherited":true,"namespace":"123456789012"}]"#
      )
    }
    let untagged = row.replacingOccurrences(of: "\"system_labels\":[]", with: "\"system_labels\":[],\"tags\":[]")
    let path = try TestSupport.tempDir() + "/tags.jsonl"
    try [row, untagged, tagged("prod", cost: "0.5"), tagged("dev", cost: "0.001")].joined(separator: "\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    let (results, rs) = try ingest([path])
    #expect(rs.count == 3)
    #expect(results.first?.conflicts == 0)
    // 1.2143 + 0.5 + 0.001 = 1.7153 USD.
    #expect(rs.compactMap(\.billed).reduce(Money.zero, +) == Money(pico: 1_715_300_000_000))
  }

  @Test func gcpJSONArrayAsBQPrintsIt() throws {
    let row = try sample("gcp/billing-export.jsonl").trimmingCharacters(in: .newlines)
    let compute = #"{"service":{"id":"6F81-5844-456A","description":"Compute Engine"},"cost":"n/a"}"#
    let dir = try TestSupport.tempDir()
    let path = dir + "/bq.json"
    try "[\(compute),\n\(row)]\n".write(toFile: path, atomically: true, encoding: .utf8)
    let (results, rs) = try ingest([path])
    #expect(results.first?.format == "gcp-billing-export")
    let r = try #require(rs.first)
    #expect(rs.count == 1)  // Compute Engine is skipped without reading its (bad) cost
    #expect(r.jsonPath == "$[1]" && r.line == nil)
    #expect(r.billed == Money(pico: 1_214_300_000_000))  // 1.2143 USD
    let noRate = row.replacingOccurrences(of: "\"USD\"", with: "\"EUR\"").replacingOccurrences(
      of: "\"currency_conversion_rate\":1.0", with: "\"currency_conversion_rate\":0")
    let eur = try ingestError("[\(row), \(noRate)]", name: "e.json")
    #expect(eur.path == "$[1]" && eur.field == "currency_conversion_rate")
    let type = try ingestError(
      "[\(row.replacingOccurrences(of: "\"cost\":1.2143", with: "\"cost\":{}"))]", name: "t.json")
    #expect(type.path == "$[0]" && type.field == "cost")
    // Printed over many lines (`bq query --format=json`): each error names its row's line, as in
    // every other format (a trial's had none).
    let printed = try ingestError("[\n  \(row),\n  \(noRate)\n]\n", name: "p.json")
    #expect(printed.path == "$[1]" && printed.field == "currency_conversion_rate" && printed.line == 3)
    let badType = try ingestError(
      "[\n  \(row),\n\n  \(row.replacingOccurrences(of: "\"cost\":1.2143", with: "\"cost\":{}"))\n]", name: "q.json")
    #expect(badType.path == "$[1]" && badType.field == "cost" && badType.line == 4)
  }

  // MARK: Detection and idempotency

  @Test(arguments: [
    ("anthropic/usage-report-messages-1h.json", "anthropic-usage-report"),
    ("anthropic/cost-report-1d.json", "anthropic-cost-report"),
    ("openai/costs-1d.json", "openai-costs"),
    ("azure/cost-management-export.csv", "azure-cost-export"),
    ("gcp/billing-export.jsonl", "gcp-billing-export"),
  ])
  func registryDetectsSample(path: String, id: String) throws {
    #expect(try FormatRegistry.detect(InputFile(path: Fixtures.samples + "/" + path)).id == id)
  }

  @Test func formatsMatchOnlyTheirOwnSamples() throws {
    let ours: [any ExportFormat] = [
      AnthropicUsageReport(), AnthropicCostReport(), OpenAICosts(), AzureCostManagementExport(), GCPBillingExport(),
    ]
    let own = [
      "anthropic/usage-report-messages-1h.json": "anthropic-usage-report",
      "anthropic/cost-report-1d.json": "anthropic-cost-report", "openai/costs-1d.json": "openai-costs",
      "azure/cost-management-export.csv": "azure-cost-export", "gcp/billing-export.jsonl": "gcp-billing-export",
    ]
    let files = try Ingestor.expand([Fixtures.samples]).filter { !$0.hasSuffix("LICENSE") }
    #expect(files.count > 10)
    for file in files {
      let rel = String(file.dropFirst(Fixtures.samples.count + 1))
      let head = String(decoding: try InputFile(path: file).head(), as: UTF8.self)
      let matching = ours.filter { $0.matches(head: head) }.map(\.id)
      #expect(matching == own[rel].map { [$0] } ?? [], "\(rel)")
    }
  }

  @Test func reingestingACostExportUnderAnotherNameAddsNothing() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    _ = try ingestor.ingest(paths: [Fixtures.samples + "/azure/cost-management-export.csv"])
    let copy = dir + "/renamed.csv"
    try (try sample("azure/cost-management-export.csv") + "\n").write(toFile: copy, atomically: true, encoding: .utf8)
    let again = try ingestor.ingest(paths: [copy])
    #expect(again.first?.records == 2 && again.first?.newRecords == 0)
    #expect(try store.recordCount() == 2)
  }
}
