import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Rows of one bucket that differ only by a member the reader does not know (a grouping the
/// provider added, such as OpenAI's `api_source`) are each stored and charged, in every report and
/// cost format; a member alike in every row, or changed between two fetches of a bucket, never
/// makes a bucket fetched again count twice.
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

  @Test(arguments: formats)
  func rowsThatDifferOnlyByAnUnknownMemberAreEachStored(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Amounts 1 and 2 (see each format); both rows also carry an undocumented member alike in both.
    let page = format.page([
      (1, #", "api_source": "agents_api", "organization_id": "org_1""#),
      (2, #", "api_source": "unlabeled", "organization_id": "org_1""#),
    ])
    let (store, outcomes) = try Self.ingest([page], dir)
    #expect(outcomes.map(\.0) == [2])
    #expect(outcomes.map(\.1) == [0])
    let totals = try Self.stored(store)
    switch format.name {
    case "OpenAI usage":
      #expect(totals.requests == 3)
      #expect(totals.tokens == 3_000_000 + 300_000)
    case "Anthropic usage report": #expect(totals.tokens == 300_000 + 30_000)
    // $1.25 + $2.25; and 125.5 + 225.5 cents.
    case "OpenAI costs": #expect(totals.billed == Money(pico: 3_500_000_000_000))
    default: #expect(totals.billed == Money(pico: 3_510_000_000_000))
    }
  }

  /// The same bucket fetched again, the undocumented member's value changed in both rows (a project
  /// renamed, another organisation name): nothing new, no conflict.
  @Test(arguments: formats)
  func aBucketFetchedAgainWithAChangedConstantMemberCountsOnce(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let first = format.page([
      (1, #", "api_source": "agents_api", "project_name": "Lab""#),
      (2, #", "api_source": "unlabeled", "project_name": "Lab""#),
    ])
    let again = format.page([
      (1, #", "api_source": "agents_api", "project_name": "Research Lab""#),
      (2, #", "api_source": "unlabeled", "project_name": "Research Lab""#),
    ])
    let (store, outcomes) = try Self.ingest([first, again], dir)
    #expect(outcomes.map(\.0) == [2, 0])
    #expect(outcomes.map(\.1) == [0, 0])
    #expect(try store.recordCount() == 2)
  }

  /// A row alone in its bucket keeps the key it always had, whatever members it has: the same row
  /// saved without them (by an older fetch, or a script that drops them) is the row already stored.
  @Test(arguments: formats)
  func aRowAloneInItsBucketKeepsItsKey(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let with = format.page([(1, #", "api_source": "agents_api", "organization_id": "org_1""#)])
    let without = format.page([(1, "")])
    let (store, outcomes) = try Self.ingest([with, without], dir)
    #expect(outcomes.map(\.0) == [1, 0])
    #expect(outcomes.map(\.1) == [0, 0])
    #expect(try store.recordCount() == 1)
  }

  /// Two rows of one bucket alike in every string and boolean member are one row twice: one is
  /// stored and the other refused as a conflicting duplicate, as before.
  @Test(arguments: formats)
  func rowsAlikeInEveryMemberAreOneRow(_ format: Format) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let page = format.page([(1, #", "api_source": "agents_api""#), (2, #", "api_source": "agents_api""#)])
    let (store, outcomes) = try Self.ingest([page], dir)
    #expect(outcomes.map(\.0) == [1])
    #expect(outcomes.map(\.1) == [1])
    #expect(try store.recordCount() == 1)
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
