import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// OpenAI Usage API `/organization/usage/embeddings` pages: read and charged at the embedding
/// models' input rates, beside the completions pages, in every layout the completions pages come in.
@Suite struct OpenAIEmbeddingsUsageTests {
  static let day = BucketWidthTests.epoch("2026-10-07T00:00:00Z")

  /// One embeddings result as the API returns it grouped by project, key and model.
  static func result(key: String, model: String, input: Int, requests: Int) -> String {
    """
    {"object": "organization.usage.embeddings.result", "input_tokens": \(input), "num_model_requests": \(requests), \
    "project_id": "proj_Fin7Q", "user_id": null, "api_key_id": "\(key)", "model": "\(model)"}
    """
  }

  /// key_A: 1,000,000 tokens of text-embedding-3-small (0.02 USD a million: 0.02 USD); key_B:
  /// 2,500,000 tokens of text-embedding-3-large (0.13 a million: 0.325 USD), on 2026-10-07.
  static let results = [
    result(key: "key_A", model: "text-embedding-3-small", input: 1_000_000, requests: 40),
    result(key: "key_B", model: "text-embedding-3-large", input: 2_500_000, requests: 7),
  ]

  /// A price table with the two embedding models and gpt-4.1-mini.
  static func pricing(_ dir: String) throws -> PriceTable {
    let path = dir + "/pricing"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let rows = [
      "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source",
      "openai,text-embedding-3-small,input,standard,0,0.02,2025-01-01,,test",
      "openai,text-embedding-3-large,input,standard,0,0.13,2025-01-01,,test",
      "openai,gpt-4.1-mini,input,standard,0,0.4,2025-04-14,,test",
      "openai,gpt-4.1-mini,cached_input,standard,0,0.1,2025-04-14,,test",
      "openai,gpt-4.1-mini,output,standard,0,1.6,2025-04-14,,test",
    ]
    try (rows.joined(separator: "\n") + "\n").write(toFile: path + "/openai.csv", atomically: true, encoding: .utf8)
    try "provider,pattern,model\nopenai,gpt-4.1-mini-2*,gpt-4.1-mini\n".write(
      toFile: path + "/aliases.csv", atomically: true, encoding: .utf8)
    return try PriceTable(directory: path)
  }

  /// Ingests `files` (name → content) and reports October 2026.
  static func report(_ files: [String: String]) throws -> (ChargebackReport, [Ingestor.FileResult]) {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    for (name, content) in files {
      try content.write(toFile: dir + "/usage/" + name, atomically: true, encoding: .utf8)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let loaded = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/usage"])
    let report = try ReportBuilder(
      store: store, identities: IdentityDirectory(), prices: try pricing(dir), progress: ProgressReporter(force: false)
    ).build(period: BucketWidthTests.period)
    return (report, loaded)
  }

  static func cost(_ report: ChargebackReport, key: String, model: String) -> Money {
    report.lines.filter { $0.key.credentialID == key && $0.key.model == model }.reduce(Money.zero) { $0 + $1.cost }
  }

  /// A saved page and the cookbook's bare bucket array are read alike, as `openai-usage-embeddings`:
  /// 0.02 USD to key_A and 0.325 USD to key_B, input tokens only, at the standard rate.
  @Test(arguments: [false, true])
  func embeddingsPagesAreCharged(bareBuckets: Bool) throws {
    let page = BucketWidthTests.openAIPage([(Self.day, Self.day + 86_400, Self.results)])
    let bucket =
      "[{\"object\": \"bucket\", \"start_time\": \(Self.day), \"end_time\": \(Self.day + 86_400), \"results\": ["
      + Self.results.joined(separator: ", ") + "]}]\n"
    let (report, loaded) = try Self.report(["embeddings.json": bareBuckets ? bucket : page])
    #expect(loaded.map(\.format) == ["openai-usage-embeddings"])
    #expect(loaded.map(\.records) == [2])
    #expect(Self.cost(report, key: "key_A", model: "text-embedding-3-small") == TestSupport.usd("0.02"))
    #expect(Self.cost(report, key: "key_B", model: "text-embedding-3-large") == TestSupport.usd("0.325"))
    #expect(report.totalCost == TestSupport.usd("0.345"))
    let small = try #require(report.lines.first { $0.key.model == "text-embedding-3-small" })
    #expect(small.tokens.input == 1_000_000 && small.tokens.output == 0 && small.tokens.cachedInput == 0)
    #expect(small.requests == 40)
    #expect(small.key.tier == .standard && small.key.source == .report)
    #expect(!report.findings.contains { $0.kind == .unpricedModel })
  }

  /// Completions exported by the hour and embeddings by the day for the same key: both are
  /// charged (the daily embeddings row holds no completions, so the finer completions rows do not
  /// stand in for it), 0.40 USD of gpt-4.1-mini and 0.02 USD of embeddings.
  @Test func embeddingsBesideHourlyCompletionsAreBothCharged() throws {
    let nine = Self.day + 9 * 3600
    let completions = BucketWidthTests.openAIPage([
      (
        nine, nine + 3600,
        [BucketWidthTests.openAIResult(key: "key_A", input: 1_000_000, cached: 0, output: 0, requests: 4)]
      )
    ])
    let embeddings = BucketWidthTests.openAIPage([(Self.day, Self.day + 86_400, [Self.results[0]])])
    let (report, loaded) = try Self.report(["completions.json": completions, "embeddings.json": embeddings])
    #expect(Set(loaded.map(\.format)) == ["openai-usage-completions", "openai-usage-embeddings"])
    #expect(Self.cost(report, key: "key_A", model: "gpt-4.1-mini") == TestSupport.usd("0.4"))
    #expect(Self.cost(report, key: "key_A", model: "text-embedding-3-small") == TestSupport.usd("0.02"))
    #expect(report.totalCost == TestSupport.usd("0.42"))
    #expect(report.granularity.isEmpty)
  }

  /// An embeddings page in a JSON Lines file led by a completions page is keyed by its own
  /// `object`: the same page saved on its own later adds nothing (no call charged twice).
  @Test func anEmbeddingsPageInACompletionsFileIsKeyedAsItsOwn() throws {
    let nine = Self.day + 9 * 3600
    let completions = BucketWidthTests.openAIPage([
      (
        nine, nine + 3600,
        [BucketWidthTests.openAIResult(key: "key_A", input: 1_000_000, cached: 0, output: 0, requests: 4)]
      )
    ]).replacingOccurrences(of: "\n", with: " ")
    let embeddings = BucketWidthTests.openAIPage([(Self.day, Self.day + 86_400, [Self.results[0]])])
      .replacingOccurrences(of: "\n", with: " ")
    let (report, loaded) = try Self.report([
      "a-mixed.jsonl": completions + "\n" + embeddings + "\n", "b-embeddings.json": embeddings + "\n",
    ])
    #expect(loaded.map(\.records) == [2, 1])
    #expect(loaded.map(\.newRecords) == [2, 0])
    #expect(report.totalCost == TestSupport.usd("0.42"))
  }

  /// A bad count names the file, the element and the field, as for completions pages.
  @Test func aBadCountNamesItsElement() throws {
    let bad = Self.result(key: "key_A", model: "text-embedding-3-small", input: 10, requests: 1)
      .replacingOccurrences(of: #""num_model_requests": 1"#, with: #""num_model_requests": -3"#)
    let page = BucketWidthTests.openAIPage([(Self.day, Self.day + 86_400, [Self.results[1], bad])])
    let error = try #require(throws: InputError.self) { _ = try Self.report(["embeddings.json": page]) }
    #expect(error.file.hasSuffix("/usage/embeddings.json"))
    #expect(error.path == "$.data[0].results[1]")
    #expect(error.field == "num_model_requests")
  }
}
