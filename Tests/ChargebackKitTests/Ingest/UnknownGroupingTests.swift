import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Rows of one bucket that differ only by a member the reader does not read (a grouping the
/// provider added) are refused with a clear error in every report and cost format, never merged
/// and half lost; OpenAI's `api_source` is read; a member alike in every row, or changed between
/// two fetches, never makes a bucket fetched again count twice.
///
/// Expected amounts are worked out by hand from ``BucketWidthTests/pricing(_:)`` (USD per million):
/// gpt-4.1-mini input 0.4, output 1.6; claude-sonnet-4 input 3, output 15.
@Suite struct UnknownGroupingTests {
  /// One format's page of one bucket, made of rows that each take their own extra members.
  struct Format: CustomTestStringConvertible, Sendable {
    let name: String
    let page: @Sendable (_ rows: [(amount: Int, extra: String)]) -> String
    var testDescription: String { name }
  }

  static let day = BucketWidthTests.epoch("2026-10-05T00:00:00Z")

  static let openAIUsage = Format(name: "OpenAI usage") { rows in
    let results = rows.map { r in
      """
      {"object": "organization.usage.completions.result", "input_tokens": \(r.amount * 1_000_000),
       "output_tokens": \(r.amount * 100_000), "input_cached_tokens": 0, "num_model_requests": \(r.amount),
       "project_id": "proj_1", "user_id": null, "api_key_id": "key_1", "model": "gpt-4.1-mini-2025-04-14",
       "batch": false, "service_tier": "default"\(r.extra)}
      """
    }
    return """
      {"object": "page", "data": [{"object": "bucket", "start_time": \(day), "end_time": \(day + 86_400),
        "results": [\(results.joined(separator: ","))]}], "has_more": false, "next_page": null}
      """
  }

  static let anthropicUsage = Format(name: "Anthropic usage report") { rows in
    let results = rows.map { r in
      """
      {"uncached_input_tokens": \(r.amount * 100_000), "cache_read_input_tokens": 0,
       "output_tokens": \(r.amount * 10_000), "api_key_id": "apikey_01", "workspace_id": "wrkspc_01",
       "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k"\(r.extra)}
      """
    }
    return """
      {"data": [{"starting_at": "2026-10-05T00:00:00Z", "ending_at": "2026-10-06T00:00:00Z",
        "results": [\(results.joined(separator: ","))]}], "has_more": false, "next_page": null}
      """
  }

  static let openAICosts = Format(name: "OpenAI costs") { rows in
    let results = rows.map { r in
      """
      {"object": "organization.costs.result", "amount": {"value": \(r.amount).25, "currency": "usd"},
       "line_item": "gpt-4.1-mini-2025-04-14, input", "project_id": "proj_1"\(r.extra)}
      """
    }
    return """
      {"object": "page", "data": [{"object": "bucket", "start_time": \(day), "end_time": \(day + 86_400),
        "results": [\(results.joined(separator: ","))]}], "has_more": false, "next_page": null}
      """
  }

  static let anthropicCost = Format(name: "Anthropic cost report") { rows in
    let results = rows.map { r in
      """
      {"currency": "USD", "amount": "\(r.amount)25.5", "workspace_id": "wrkspc_01", "cost_type": "tokens",
       "description": "Claude Sonnet 4 Usage - Input Tokens", "model": "claude-sonnet-4-20250514",
       "service_tier": "standard", "context_window": "0-200k", "token_type": "uncached_input_tokens"\(r.extra)}
      """
    }
    return """
      {"data": [{"starting_at": "2026-10-05T00:00:00Z", "ending_at": "2026-10-06T00:00:00Z",
        "results": [\(results.joined(separator: ","))]}], "has_more": false, "next_page": null}
      """
  }

  static let formats = [openAIUsage, anthropicUsage, openAICosts, anthropicCost]

  /// Ingests `pages` in order, one file each, and gives the store, the new records and conflicts of
  /// each file.
  static func ingest(_ pages: [String], _ dir: String) throws -> (UsageStore, [(Int64, Int64)]) {
    var paths: [String] = []
    for (i, page) in pages.enumerated() {
      let path = dir + "/page-\(i).json"
      try page.write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    var outcomes: [(Int64, Int64)] = []
    for path in paths {
      let r = try #require(try ingestor.ingest(paths: [path]).first)
      outcomes.append((r.newRecords, r.conflicts))
    }
    return (store, outcomes)
  }

  /// Requests (usage rows) and billed amounts (cost rows) of every stored record.
  static func stored(_ store: UsageStore) throws -> (requests: Int64, tokens: Int64, billed: Money) {
    var requests: Int64 = 0
    var tokens: Int64 = 0
    var billed = Money.zero
    try store.forEachRecord(from: .min, to: .max) {
      requests += $0.record.requests
      tokens += $0.record.tokens.input + $0.record.tokens.output
      billed = billed + ($0.record.billed ?? .zero)
    }
    return (requests, tokens, billed)
  }

  /// Two rows of one bucket that differ only by a member the reader does not read are refused,
  /// naming the second row, the member and what to do, and nothing of the file is kept.
  @Test(arguments: formats)
  func rowsThatDifferOnlyByAnUnknownMemberAreRefused(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Both rows also carry an undocumented member alike in both, which is not named.
    let page = format.page([
      (1, #", "new_grouping": "agents", "organization_id": "org_1""#),
      (2, #", "new_grouping": "batch_api", "organization_id": "org_1""#),
    ])
    let error = try #require(throws: InputError.self) { try Self.ingest([page], dir) }
    #expect(error.field == "new_grouping")
    #expect(error.path == "$.data[0].results[1]")
    #expect(error.message.contains(#"differ by new_grouping "agents" and "batch_api""#))
    #expect(error.message.contains("Fetch the pages without that grouping"))
    #expect(try UsageStore(path: dir + "/s.sqlite").recordCount() == 0)
  }

  /// OpenAI's `api_source` grouping is read: a row's key holds it whatever rows are beside it, so a
  /// bucket fetched early with one row and again with two counts the first row once (keyed apart
  /// only when rows met, the early row was counted twice: a review).
  @Test func openAIRowsByAPISourceAreEachChargedOnce() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let early = Self.openAIUsage.page([(1, #", "api_source": "agents_api""#)])
    let later = Self.openAIUsage.page([(1, #", "api_source": "agents_api""#), (2, #", "api_source": "unlabeled""#)])
    let (store, outcomes) = try Self.ingest([early, later], dir)
    #expect(outcomes.map(\.0) == [1, 1])
    #expect(outcomes.map(\.1) == [0, 0])
    let totals = try Self.stored(store)
    // Requests 1 + 2; tokens (1 + 2) × 1,100,000.
    #expect(totals.requests == 3)
    #expect(totals.tokens == 3_300_000)
  }

  /// A row keeps the key it always had whatever undocumented members it has, and whatever they
  /// say when fetched again (a project renamed): the same row without them, or changed, is the row
  /// already stored.
  @Test(arguments: formats)
  func aRowKeepsItsKeyWhateverMembersItHas(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let with = format.page([(1, #", "project_name": "Lab", "organization_id": "org_1""#)])
    let renamed = format.page([(1, #", "project_name": "Research Lab", "organization_id": "org_1""#)])
    let without = format.page([(1, "")])
    let (store, outcomes) = try Self.ingest([with, renamed, without], dir)
    #expect(outcomes.map(\.0) == [1, 0, 0])
    #expect(outcomes.map(\.1) == [0, 0, 0])
    #expect(try store.recordCount() == 1)
  }

  /// Two rows of one bucket alike in every string and boolean member are one row of their sums, stored once.
  ///
  /// A trial's real OpenAI page: the second was refused as a conflicting duplicate, its usage lost. The same page
  /// again is that row already stored. Rows of amounts 1 and 2: usage rows 3 requests (OpenAI's) and 3.3 M tokens
  /// (OpenAI: 3 M input + 0.3 M output; Anthropic: 0.3 M uncached input + 0.03 M output, 0.33 M); cost rows 1.25 +
  /// 2.25 = 3.50 USD (OpenAI) and 125.5 + 225.5 = 351 cents (Anthropic).
  @Test(arguments: formats)
  func rowsAlikeInEveryMemberAreOneRowOfTheirSums(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let page = format.page([(1, #", "new_grouping": "agents""#), (2, #", "new_grouping": "agents""#)])
    let (store, outcomes) = try Self.ingest([page, page], dir)
    #expect(outcomes.map(\.0) == [1, 0])
    #expect(outcomes.map(\.1) == [0, 0])
    #expect(try store.recordCount() == 1)
    let (requests, tokens, billed) = try Self.stored(store)
    switch format.name {
    case "OpenAI usage": #expect(requests == 3 && tokens == 3_300_000)
    case "Anthropic usage report": #expect(tokens == 330_000)
    case "OpenAI costs": #expect(billed == TestSupport.usd("3.50"))
    default: #expect(billed == TestSupport.usd("3.51"))
    }
  }

  /// The OpenAI page of the trial, charged through the report: both rows, to the cent.
  @Test func theTrialsOpenAIPageIsChargedWhole() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let page = Self.openAIUsage.page([(1, #", "api_source": "agents_api""#), (2, #", "api_source": "unlabeled""#)])
    let (store, _) = try Self.ingest([page], dir)
    let report = try BucketWidthTests.report(store, dir)
    // 3,000,000 input × $0.4 + 300,000 output × $1.6 per million = $1.20 + $0.48.
    #expect(BucketWidthTests.cost(report) == Money(pico: 1_680_000_000_000))
    #expect(report.findings.filter { $0.kind == .conflictingDuplicate }.isEmpty)
  }
}
