import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackStorePostgres
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// API pages that say more follow (`has_more: true`) while none of the next ones is loaded.
///
/// The month fetched with the APIs' defaults (7 daily buckets a page) and saved from the first
/// response: a trial charged such a week as if it were October's whole usage, without a word.
@Suite struct MissingPagesTests {
  static let period = Period(year: 2026, month: 10)
  static let day: Int64 = 86_400

  static func epoch(_ iso: String) -> Int64 { (Timestamp.parseMillis(iso) ?? 0) / 1000 }

  /// An OpenAI usage page of daily buckets from `first` (Unix s), `days` of them, each with one row
  /// for key_A of 1,000,000 input tokens (0.40 USD at the test table's rate).
  static func openAIPage(from first: Int64, days: Int, hasMore: Bool, next: String? = nil) -> String {
    let buckets = (0..<days).map { d in
      let start = first + Int64(d) * day
      return "{\"object\": \"bucket\", \"start_time\": \(start), \"end_time\": \(start + day), \"results\": ["
        + BucketWidthTests.openAIResult(key: "key_A", input: 1_000_000, cached: 0, output: 0, requests: 10) + "]}"
    }
    return "{\"object\": \"page\", \"data\": [\n  \(buckets.joined(separator: ",\n  "))\n], \"has_more\": \(hasMore), "
      + "\"next_page\": \(next.map { "\"\($0)\"" } ?? "null")}\n"
  }

  /// An Anthropic usage report page of daily buckets from `first`, one row each.
  static func anthropicPage(from first: Int64, days: Int, hasMore: Bool, next: String? = nil) -> String {
    let buckets = (0..<days).map { d in
      let start = Timestamp.iso((first + Int64(d) * day) * 1000)
      let end = Timestamp.iso((first + Int64(d + 1) * day) * 1000)
      return """
        {"starting_at": "\(start)", "ending_at": "\(end)", "results": [{"uncached_input_tokens": 1000, \
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}, \
        "cache_read_input_tokens": 0, "output_tokens": 100, "server_tool_use": {"web_search_requests": 0}, \
        "api_key_id": "apikey_01", "workspace_id": null, "model": "claude-sonnet-4-20250514", \
        "service_tier": "standard", "context_window": "0-200k"}]}
        """
    }
    return "{\"data\": [\(buckets.joined(separator: ", "))], \"has_more\": \(hasMore), "
      + "\"next_page\": \(next.map { "\"\($0)\"" } ?? "null")}\n"
  }

  static func write(_ text: String, _ path: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  static func pages(_ dir: String, _ files: [String]) throws -> [StoredPage] {
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: files)
    return try store.exportPages()
  }

  // MARK: The check

  static func page(_ format: String, _ path: String, _ start: String?, _ end: String?, more: Bool, index: Int = 0)
    -> StoredPage
  {
    StoredPage(
      page: ExportPage(
        index: index, start: start.flatMap { Timestamp.parseMillis($0) },
        end: end.flatMap { Timestamp.parseMillis($0) },
        hasMore: more, nextPage: more ? "page_X" : nil),
      format: format, path: path)
  }

  @Test func aPageThatSaysMoreFollowIsContinuedOnlyByAPageOfItsFormatCoveringItsEnd() {
    let u = "openai-usage-completions"
    let first = Self.page(u, "p1.json", "2026-10-01T00:00:00Z", "2026-10-08T00:00:00Z", more: true)
    // Alone: the usage from 10-08 on is missing.
    let alone = ExportPage.gaps([first], period: Self.period)
    #expect(alone.map(\.after) == [first])
    #expect(alone.first?.from == Timestamp.parseMillis("2026-10-08T00:00:00Z"))
    #expect(alone.first?.fromText == "2026-10-08")
    // The next page starts where it ended.
    let next = Self.page(u, "p2.json", "2026-10-08T00:00:00Z", "2026-10-15T00:00:00Z", more: false)
    #expect(ExportPage.gaps([first, next], period: Self.period).isEmpty)
    // Another export that covers the instant (a monthly fetch with limit=31) continues it too.
    let whole = Self.page(u, "month.json", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", more: false)
    #expect(ExportPage.gaps([first, whole], period: Self.period).isEmpty)
    // A page that starts a day later leaves the 10-08 bucket out.
    let late = Self.page(u, "p2.json", "2026-10-09T00:00:00Z", "2026-10-15T00:00:00Z", more: false)
    #expect(ExportPage.gaps([first, late], period: Self.period).count == 1)
    // One that ends at the instant does not cover it (buckets end exclusive).
    let before = Self.page(u, "p0.json", "2026-09-24T00:00:00Z", "2026-10-08T00:00:00Z", more: false)
    #expect(ExportPage.gaps([first, before], period: Self.period).count == 1)
    // Pages of another endpoint continue nothing of this one.
    let costs = Self.page("openai-costs", "c.json", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", more: false)
    #expect(ExportPage.gaps([first, costs], period: Self.period).count == 1)
  }

  /// A cost report's missing pages are the provider's bill, which is reconciled, never charged: the
  /// warning says the reconciliation lacks them, not the chargeback.
  @Test func eachEndpointsWarningSaysWhatIsMissing() {
    func message(_ format: String) -> String {
      let page = Self.page(format, "p.json", "2026-10-01T00:00:00Z", "2026-10-08T00:00:00Z", more: true)
      return ExportPage.gaps([page], period: Self.period).first?.message ?? ""
    }
    for format in ["openai-usage-completions", "openai-usage-embeddings", "anthropic-usage-report"] {
      #expect(message(format).contains("usage from then on is not in this chargeback"), "\(format)")
    }
    for format in ["openai-costs", "anthropic-cost-report"] {
      #expect(message(format).contains("the provider's bill from then on is not in the reconciliation"), "\(format)")
      #expect(!message(format).contains("chargeback"), "\(format)")
    }
  }

  @Test func onlyAPageEndingInsideThePeriodLeavesItsUsageOut() {
    let u = "anthropic-usage-report"
    // Ends at the period's first instant: the gap may be October's, or may be September's only.
    let atStart = Self.page(u, "a.json", "2026-09-24T00:00:00Z", "2026-10-01T00:00:00Z", more: true)
    #expect(ExportPage.gaps([atStart], period: Self.period).count == 1)
    let september = Self.page(u, "a.json", "2026-09-20T00:00:00Z", "2026-09-27T00:00:00Z", more: true)
    #expect(ExportPage.gaps([september], period: Self.period).isEmpty)
    // Ends at or after the period's end: nothing of October is missing after it.
    let atEnd = Self.page(u, "b.json", "2026-10-25T00:00:00Z", "2026-11-01T00:00:00Z", more: true)
    #expect(ExportPage.gaps([atEnd], period: Self.period).isEmpty)
    let lastMinute = Self.page(u, "c.json", "2026-10-31T22:00:00Z", "2026-10-31T23:59:00Z", more: true)
    #expect(ExportPage.gaps([lastMinute], period: Self.period).map(\.fromText) == ["2026-10-31T23:59:00Z"])
    // A page without buckets cannot be placed in time.
    #expect(ExportPage.gaps([Self.page(u, "d.json", nil, nil, more: true)], period: Self.period).isEmpty)
  }

  // MARK: What ingest keeps

  @Test func everyPageShapeKeepsItsBucketsSpanAndLinks() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    // Two pages appended into one file (`curl >> file`), the second the first's continuation.
    let appended = dir + "/usage/openai-appended.json"
    try Self.write(
      Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A")
        + Self.openAIPage(from: oct1 + 7 * Self.day, days: 3, hasMore: true, next: "page_B"), appended)
    // A JSON array of Anthropic pages.
    let array = dir + "/usage/anthropic-pages.json"
    try Self.write(
      "[" + Self.anthropicPage(from: oct1, days: 2, hasMore: true, next: "page_C") + ","
        + Self.anthropicPage(from: oct1 + 2 * Self.day, days: 2, hasMore: false) + "]", array)
    let pages = try Self.pages(dir, [appended, array])
    func ms(_ iso: String) -> Int64? { Timestamp.parseMillis(iso) }
    #expect(pages.allSatisfy { $0.sha256.count == 64 })
    #expect(
      pages.map {
        var p = $0
        p.sha256 = ""
        return p
      } == [
        StoredPage(
          page: ExportPage(
            index: 0, start: ms("2026-10-01T00:00:00Z"), end: ms("2026-10-03T00:00:00Z"), bucketWidth: 86_400_000,
            hasMore: true,
            nextPage: "page_C"), format: "anthropic-usage-report", path: array),
        StoredPage(
          page: ExportPage(
            index: 1, start: ms("2026-10-03T00:00:00Z"), end: ms("2026-10-05T00:00:00Z"), bucketWidth: 86_400_000,
            hasMore: false,
            nextPage: nil), format: "anthropic-usage-report", path: array),
        StoredPage(
          page: ExportPage(
            index: 0, start: ms("2026-10-01T00:00:00Z"), end: ms("2026-10-08T00:00:00Z"), bucketWidth: 86_400_000,
            hasMore: true,
            nextPage: "page_A"), format: "openai-usage-completions", path: appended),
        StoredPage(
          page: ExportPage(
            index: 1, start: ms("2026-10-08T00:00:00Z"), end: ms("2026-10-11T00:00:00Z"), bucketWidth: 86_400_000,
            hasMore: true,
            nextPage: "page_B"), format: "openai-usage-completions", path: appended),
      ])
    // The appended file's second page says more follow and nothing continues it: 10-11 on is missing.
    #expect(ExportPage.gaps(pages, period: Self.period).map(\.fromText) == ["2026-10-11"])
  }

  /// A page of empty buckets: a week with no call (OpenAI's, or Anthropic's, which names no result).
  static func emptyPage(from first: Int64, days: Int, anthropic: Bool) -> String {
    let buckets = (0..<days).map { d in
      let start = first + Int64(d) * day
      return anthropic
        ? "{\"starting_at\": \"\(Timestamp.iso(start * 1000))\", \"ending_at\": \"\(Timestamp.iso((start + day) * 1000))\", \"results\": []}"
        : "{\"object\": \"bucket\", \"start_time\": \(start), \"end_time\": \(start + day), \"results\": [ ]}"
    }
    return (anthropic ? "{" : "{\"object\": \"page\", ")
      + "\"data\": [\(buckets.joined(separator: ", "))], \"has_more\": false, "
      + "\"next_page\": null}\n"
  }

  @Test func aPageOfEmptyBucketsIsSkippedAndStillContinuesThePageBeforeIt() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let files = [
      dir + "/usage/openai-p1.json", dir + "/usage/openai-p2.json", dir + "/usage/anthropic-p1.json",
      dir + "/usage/anthropic-p2.json", dir + "/usage/no-buckets.json",
    ]
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), files[0])
    try Self.write(Self.emptyPage(from: oct1 + 7 * Self.day, days: 24, anthropic: false), files[1])
    try Self.write(Self.anthropicPage(from: oct1, days: 7, hasMore: true, next: "page_B"), files[2])
    try Self.write(Self.emptyPage(from: oct1 + 7 * Self.day, days: 24, anthropic: true), files[3])
    try Self.write("{\"data\": [], \"has_more\": false, \"next_page\": null}\n", files[4])
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: files)
    // OpenAI's empty page is skipped (nothing says its endpoint); Anthropic's is read (no record).
    #expect(
      results.map(\.skippedReason) == [nil, DeliveryArtifacts.emptyPage, nil, nil, DeliveryArtifacts.emptyPage])
    #expect(results[3].format == "anthropic-usage-report" && results[3].records == 0)
    #expect(try store.recordCount() == 14)
    let pages = try store.exportPages()
    #expect(pages.filter { $0.format == "empty-openai" }.map(\.path) == [files[4], files[1]])
    #expect(pages.filter { $0.format == "empty-anthropic" }.map(\.path) == [files[3]])
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
    // Without the empty pages, both first pages leave 10-08 on out; an empty page of one provider
    // continues nothing of the other's.
    let firsts = pages.filter { $0.path != files[1] && $0.path != files[3] }
    #expect(ExportPage.gaps(firsts, period: Self.period).map(\.after.path) == [files[2], files[0]])
    let crossed = pages.filter { $0.path != files[3] }
    #expect(ExportPage.gaps(crossed, period: Self.period).map(\.after.path) == [files[2]])
  }

  /// A page of empty buckets continues a page only from where that page ends.
  ///
  /// Nothing says its endpoint: every endpoint of the provider answers with empty buckets where it
  /// has no usage. It continues a page only when it starts where that
  /// page ends, as the next page of the same query does; a month of another endpoint's empty
  /// buckets fetched whole (an org's images usage, with `limit=31`) continues nothing. A trial: it
  /// hid the completions pages after the first week, and the month was reported complete.
  @Test(arguments: [false, true])
  func aPageOfEmptyBucketsContinuesOnlyFromWhereThePageEnds(anthropic: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let first = dir + "/usage/p1.json"
    try Self.write(
      anthropic
        ? Self.anthropicPage(from: oct1, days: 7, hasMore: true, next: "page_B")
        : Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), first)
    // From the month's first day to its last, and from a day before the page ends to the end.
    var shapes = [(oct1, 31, false), (oct1 + 6 * Self.day, 25, false), (oct1 + 8 * Self.day, 23, false)]
    // And the next page proper, from where the first ends.
    shapes.append((oct1 + 7 * Self.day, 24, true))
    for (i, (from, days, continues)) in shapes.enumerated() {
      let empty = dir + "/usage/other-\(i).json"
      try Self.write(Self.emptyPage(from: from, days: days, anthropic: anthropic), empty)
      try FileManager.default.createDirectory(atPath: dir + "/\(i)", withIntermediateDirectories: true)
      let pages = try Self.pages(dir + "/\(i)", [first, empty])
      #expect(pages.contains { $0.format == (anthropic ? "empty-anthropic" : "empty-openai") }, "shape \(i)")
      let gaps = ExportPage.gaps(pages, period: Self.period)
      #expect(gaps.map(\.after.path) == (continues ? [] : [first]), "shape \(i)")
      #expect(gaps.allSatisfy { $0.fromText == "2026-10-08" }, "shape \(i)")
    }
  }

  /// An Anthropic cost report's page of empty buckets reads as a usage report (no `amount`): kept as
  /// Anthropic's empty page, it continues the cost report's first page.
  @Test func anEmptyAnthropicCostPageContinuesTheCostReport() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let cost = (0..<7).map { d in
      let s = Timestamp.iso((oct1 + Int64(d) * Self.day) * 1000)
      let e = Timestamp.iso((oct1 + Int64(d + 1) * Self.day) * 1000)
      return "{\"starting_at\": \"\(s)\", \"ending_at\": \"\(e)\", \"results\": [{\"currency\": \"USD\", "
        + "\"amount\": \"123.45\", \"workspace_id\": null, \"description\": null, \"cost_type\": \"tokens\", "
        + "\"context_window\": \"0-200k\", \"model\": \"claude-sonnet-4-20250514\", \"service_tier\": \"standard\", "
        + "\"token_type\": \"uncached_input_tokens\"}]}"
    }
    let files = [dir + "/usage/cost-p1.json", dir + "/usage/cost-p2.json"]
    try Self.write(
      "{\"data\": [\(cost.joined(separator: ", "))], \"has_more\": true, \"next_page\": \"page_C\"}\n", files[0])
    try Self.write(Self.emptyPage(from: oct1 + 7 * Self.day, days: 24, anthropic: true), files[1])
    let pages = try Self.pages(dir, files)
    #expect(pages.map(\.format) == ["anthropic-cost-report", "empty-anthropic"])
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
    #expect(ExportPage.gaps([pages[0]], period: Self.period).count == 1)
  }

  /// A page of empty buckets that says more follow (a week without calls) is continued by the next
  /// page of its provider, whatever its endpoint.
  @Test func anEmptyPageThatSaysMoreFollowIsContinuedByItsProvidersNextPage() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let files = [dir + "/usage/p1.json", dir + "/usage/p2.json"]
    try Self.write(
      Self.emptyPage(from: oct1, days: 7, anthropic: true).replacingOccurrences(
        of: "\"has_more\": false, \"next_page\": null", with: "\"has_more\": true, \"next_page\": \"page_E\""), files[0]
    )
    try Self.write(Self.anthropicPage(from: oct1 + 7 * Self.day, days: 24, hasMore: false), files[1])
    let pages = try Self.pages(dir, files)
    #expect(pages.map(\.format) == ["empty-anthropic", "anthropic-usage-report"])
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
    #expect(ExportPage.gaps([pages[0]], period: Self.period).map(\.fromText) == ["2026-10-08"])
  }

  /// A file loaded before pages were kept and moved since gets its pages when it is met again at
  /// its new path ("already ingested").
  @Test func aMovedFileLoadedBeforeGetsItsPagesWhenMetAgain() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let p1 = dir + "/usage/p1.json"
    let (before, after) = (dir + "/old/p2.json", dir + "/usage/p2.json")
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), p1)
    try Self.write(Self.openAIPage(from: oct1 + 7 * Self.day, days: 24, hasMore: false), before)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    _ = try ingestor.ingest(paths: [before])
    try store.db.execute("DELETE FROM export_pages; DELETE FROM settings WHERE name = '\(Ingestor.pagesKeptSetting)'")
    try FileManager.default.moveItem(atPath: before, toPath: after)
    // Met again alone: its pages are kept, and the store's digest changes with them, so a run
    // with no new file rebuilds its report rather than keep one that names a gap no longer there.
    let digest = try store.contentDigest(previous: "2026-09")
    _ = try ingestor.ingest(paths: [after])
    #expect(try store.contentDigest(previous: "2026-09") != digest)
    let results = try ingestor.ingest(paths: [p1, after])
    #expect(results.map(\.alreadyIngested) == [false, true])
    let pages = try store.exportPages()
    #expect(pages.map(\.path) == [p1, after])
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
  }

  /// A cursor of megabytes is kept cut (the store and the manifest keep it).
  @Test func aHugeCursorIsKeptCut() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = dir + "/usage/p1.json"
    try Self.write(
      Self.openAIPage(
        from: Self.epoch("2026-10-01T00:00:00Z"), days: 7, hasMore: true, next: String(repeating: "A", count: 1_000_000)
      ),
      file)
    let pages = try Self.pages(dir, [file])
    #expect(pages.first?.page.nextPage == String(repeating: "A", count: 256) + "…")
  }

  /// The cookbook's bucket array of the month continues a first page that says more follow.
  @Test func aBucketArrayOfTheMonthContinuesAFirstPage() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let files = [dir + "/usage/p1.json", dir + "/usage/month-buckets.json"]
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), files[0])
    let month = Self.openAIPage(from: oct1, days: 31, hasMore: false)
    let buckets = String(
      month[month.range(of: "[")!.lowerBound...month.range(of: "]", options: .backwards)!.lowerBound])
    try Self.write(buckets + "\n", files[1])
    let pages = try Self.pages(dir, files)
    #expect(pages.count == 2 && pages[0].page.hasMore == false && pages[0].path == files[1])
    #expect(pages[0].page.start == Timestamp.parseMillis("2026-10-01T00:00:00Z"))
    #expect(pages[0].page.end == Timestamp.parseMillis("2026-11-01T00:00:00Z"))
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
  }

  /// A store loaded before pages were kept gets the pages of its files (still there, same bytes)
  /// once: the continuation loaded then counts (loading it again would only say "already ingested").
  @Test func pagesOfFilesLoadedBeforeArePickedUp() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    let files = [dir + "/usage/p1.json", dir + "/usage/p2.json"]
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), files[0])
    try Self.write(Self.openAIPage(from: oct1 + 7 * Self.day, days: 24, hasMore: false), files[1])
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    _ = try ingestor.ingest(paths: [files[1]])
    // As a store of schema 10 has it: p2 loaded, no page kept, never picked up.
    try store.db.execute("DELETE FROM export_pages; DELETE FROM settings WHERE name = '\(Ingestor.pagesKeptSetting)'")
    _ = try ingestor.ingest(paths: [files[0]])
    let pages = try store.exportPages()
    #expect(pages.map(\.path) == files)
    #expect(ExportPage.gaps(pages, period: Self.period).isEmpty)
    // Once: a page deleted again is not read again.
    try store.db.execute(
      "DELETE FROM export_pages WHERE page = 0 AND first_start = \(oct1 * 1000 + 7 * Self.day * 1000)")
    _ = try ingestor.ingest(paths: [files[0]])
    #expect(try store.exportPages().map(\.path) == [files[0]])
  }

  /// A page of empty 1-minute buckets longer than the 64 KiB head, whatever byte of its
  /// `"results": [ ]` the head ends at, is skipped as empty, not refused as unrecognised.
  @Test func aLongEmptyPageIsSkippedWhereverItsHeadEnds() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let start = Self.epoch("2026-10-05T00:00:00Z")
    let buckets = (0..<1440).map { m in
      "{\"object\": \"bucket\", \"start_time\": \(start + Int64(m) * 60), \"end_time\": \(start + Int64(m + 1) * 60), \"results\": [ ]}"
    }
    let page =
      "{\"object\": \"page\", \"data\": [" + buckets.joined(separator: ", ")
      + "], \"has_more\": false, \"next_page\": null}\n"
    let head = FormatRegistry.headBytes
    // A bucket's first byte, at `head - 300 + bucket`; `300 - bucket - shift` blanks put it at
    // `head - shift`, so the head ends `shift` bytes into it.
    let bucket = Array(page.utf8)[(head - 300)...].firstIndex(of: UInt8(ascii: "{"))! - (head - 300)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    // The shifts that end the head from inside `"results"` to past its `]` (and at its bucket's end).
    let member = buckets[0].utf8.count - #""results": [ ]}"#.utf8.count
    for shift in (member - 2)..<(buckets[0].utf8.count + 2) {
      let path = dir + "/usage/minutes-\(shift).json"
      try Self.write(String(repeating: " ", count: 300 - bucket - shift) + page, path)
      let r = try ingestor.ingest(paths: [path])
      #expect(r.map(\.skippedReason) == [DeliveryArtifacts.emptyPage], "shift \(shift)")
    }
  }

  @Test func aPageWithAResultAnywhereIsReadNotSkipped() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    // An empty bucket first, then one with a row.
    let page = Self.anthropicPage(from: oct1 + Self.day, days: 1, hasMore: false).replacingOccurrences(
      of: "{\"data\": [",
      with:
        "{\"data\": [{\"starting_at\": \"2026-10-01T00:00:00Z\", \"ending_at\": \"2026-10-02T00:00:00Z\", \"results\": []}, "
    )
    try Self.write(page, dir + "/usage/a.json")
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/usage/a.json"
    ])
    #expect(results.map(\.skippedReason) == [nil])
    #expect(try store.recordCount() == 1)
  }

  @Test func aSavedErrorResponseIsNamedAsOne() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bodies = [
      "{\"error\": {\"message\": \"Rate limit reached for requests\", \"type\": \"requests\", \"param\": null, \"code\": \"rate_limit_exceeded\"}}",
      "{\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\", \"message\": \"Number of requests has exceeded your rate limit\"}}",
    ]
    for (i, body) in bodies.enumerated() {
      let path = dir + "/usage-\(i)/page-2.json"
      try Self.write(body + "\n", path)
      let r = try TestSupport.runCLI(["ingest", path, "--db", dir + "/s\(i).sqlite"])
      #expect(r.status == 65)
      #expect(
        r.err.contains(
          "page-2.json:1: unrecognised format: no known export format matches its content; it looks like an API's error response"
        ), "\(r.err)")
    }
  }

  /// A month reported closed with pages missing does not keep its totals as the closed month's: the
  /// complete month, reported once the pages are in, is kept, without a word of a change.
  @Test func aClosedMonthWithMissingPagesKeepsNoClosedTotals() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = try BucketWidthTests.pricing(dir)
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), dir + "/usage/p1.json")
    func run() throws -> ChargebackJob.Result {
      try ChargebackJob(
        options: .init(
          period: Self.period, usage: [dir + "/usage"], identities: Fixtures.month + "/identities", pricing: pricing,
          out: dir + "/out", database: dir + "/s.sqlite", asOf: Timestamp.parseMillis("2026-11-01T00:00:00Z")),
        progress: ProgressReporter(force: false)
      ).run()
    }
    let week = try run()
    #expect(week.report.context.isOpen == false && week.report.missingPages.count == 1)
    #expect(week.warnings.contains { $0.contains("2026-10 is closed but its inputs are incomplete") })
    func kept() throws -> Money? {
      let store = try UsageStore(path: dir + "/s.sqlite")
      defer { try? store.close() }
      return try store.reportedTotals(Self.period).map { $0.costCentres.values.reduce(Money.zero, +) }
    }
    #expect(try kept() == nil)
    try Self.write(Self.openAIPage(from: oct1 + 7 * Self.day, days: 24, hasMore: false), dir + "/usage/p2.json")
    let month = try run()
    #expect(month.report.missingPages.isEmpty)
    #expect(month.warnings.isEmpty)
    #expect(try kept() == TestSupport.usd("12.4"))  // 31 days × 0.40
  }

  /// A month whose usage is missing before its data's end gets no forecast.
  ///
  /// A first page of OpenAI's, while a Bedrock log runs later: its run rate would count the missing
  /// days as idle (a trial). A first page alone, whose gap starts where the data ends, keeps its forecast.
  @Test func noForecastFromAMonthMissingUsageBeforeItsEnd() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = try BucketWidthTests.pricing(dir)
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A"), dir + "/usage/p1.json")
    func run() throws -> (ChargebackJob.Result, [String: String]) {
      let result = try ChargebackJob(
        options: .init(
          period: Self.period, usage: [dir + "/usage"], identities: Fixtures.month + "/identities", pricing: pricing,
          out: dir + "/out", database: dir + "/s.sqlite"),
        progress: ProgressReporter(force: false)
      ).run()
      let total = try TestSupport.readCSV(dir + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }
      return (result, try #require(total))
    }
    // Alone: open as of 10-08, 7 days × 0.40 charged, forecast 2.80 × 31 / 7.
    let (alone, aloneTotal) = try run()
    #expect(alone.report.context.forecastWithheldFrom == nil)
    #expect(aloneTotal["cost_usd"] == "2.800000")
    #expect(aloneTotal["forecast_usd"] == "12.400000")
    // A Bedrock call on 10-20: the data runs to it, and 10-08 to 10-20 of OpenAI is missing.
    let bedrock = BadInputTests.bedrock(id: "late-1").replacingOccurrences(
      of: "2026-10-01T10:00:00Z", with: "2026-10-20T00:00:00Z")
    try Self.write(bedrock + "\n", dir + "/usage/bedrock.jsonl")
    let (late, lateTotal) = try run()
    #expect(late.report.context.forecastWithheldFrom == Timestamp.parseMillis("2026-10-08T00:00:00Z"))
    #expect(lateTotal["forecast_usd"] == "")
    let console = ConsoleSummary.lines(late.report).joined(separator: "\n")
    #expect(console.contains("no forecast: usage from 2026-10-08T00:00:00Z on is missing"))
  }

  // MARK: What the user sees

  @Test func aFirstPageAloneIsNamedOnTheConsoleInTheManifestAndOnEverySummary() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = try BucketWidthTests.pricing(dir)
    let oct1 = Self.epoch("2026-10-01T00:00:00Z")
    // A file name with an escape sequence: the console shows it escaped.
    let first = dir + "/usage/openai-\u{1B}[31mp1.json"
    try Self.write(Self.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_AAAAAGdGxdEi"), first)
    func run(_ out: String) throws -> (status: Int32, out: String, err: String) {
      try TestSupport.runCLI([
        "run", "--period", "2026-10", "--usage", dir + "/usage", "--identities", Fixtures.month + "/identities",
        "--pricing", pricing, "--out", dir + "/" + out, "--db", dir + "/s.sqlite",
      ])
    }
    let week = try run("week")
    #expect(week.status == 0, "\(week.err)")
    let said = week.out + week.err
    #expect(
      said.contains(
        "warning: OpenAI usage (completions) pages stop at 2026-10-08: \(SafeText.terminal(first)) says has_more: true")
    )
    #expect(!said.contains("\u{1B}"))
    #expect(said.contains("next_page page_AAAAAGdGxdEi"))
    // A daily job's next run, with nothing new, says it again (as the report printed it: escaped
    // once), so that its log says every day what is still missing.
    let again = try run("week")
    #expect(again.status == 0, "\(again.err)")
    #expect(again.out.contains("nothing new since the last run"))
    let warning =
      "warning: OpenAI usage (completions) pages stop at 2026-10-08: \(SafeText.terminal(first)) says has_more: true"
    #expect(again.err.components(separatedBy: warning).count == 2, "\(again.err)")
    #expect(!again.err.contains("\u{1B}"))
    let manifest = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: dir + "/week/manifest.json")))
    let missing = try #require((manifest as? [String: Any])?["missing_pages"] as? [[String: Any]])
    #expect(missing.count == 1)
    #expect(missing.first?["path"] as? String == first)
    #expect(missing.first?["missing_from"] as? String == "2026-10-08T00:00:00Z")
    #expect(missing.first?["next_page"] as? String == "page_AAAAAGdGxdEi")
    // Every workbook's Summary says so under its period note; 7 days × 0.40 USD are charged.
    let workbooks = try FileManager.default.contentsOfDirectory(atPath: dir + "/week").filter { $0.hasSuffix(".xlsx") }
    #expect(workbooks.count >= 2)  // the company's and UNATTRIBUTED's (key_A is not in the directory)
    for name in workbooks {
      let summary = try #require(try WorkbookTests.read(dir + "/week/" + name)["Summary"])
      let note = summary.rows[2].first??.text ?? ""
      #expect(note.hasPrefix("Incomplete inputs: OpenAI usage (completions) pages stop at 2026-10-08"), "\(name)")
      #expect(summary.merged.contains { $0.hasPrefix("A3:") })
    }
    let total = try TestSupport.readCSV(dir + "/week/summary.csv").first { $0["cost_centre"] == "TOTAL" }
    #expect(total?["cost_usd"] == "2.800000")

    // The next page (10-08 to the month's end) loaded: nothing missing, nothing said.
    try Self.write(Self.openAIPage(from: oct1 + 7 * Self.day, days: 24, hasMore: false), dir + "/usage/openai-p2.json")
    let month = try run("month")
    #expect(month.status == 0, "\(month.err)")
    #expect(!(month.out + month.err).contains("has_more"))
    let after = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: dir + "/month/manifest.json")))
    #expect(((after as? [String: Any])?["missing_pages"] as? [Any])?.isEmpty == true)
    for name in workbooks {
      let summary = try #require(try WorkbookTests.read(dir + "/month/" + name)["Summary"])
      #expect(summary.rows[2].first??.text == nil, "\(name)")
    }
    // 31 days × 0.40 USD.
    #expect(
      try TestSupport.readCSV(dir + "/month/summary.csv").first { $0["cost_centre"] == "TOTAL" }?["cost_usd"]
        == "12.400000")
  }
}

/// The PostgreSQL store keeps the same pages as SQLite's.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresMissingPagesTests {
  @Test func theSamePagesAsSQLite() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = MissingPagesTests.epoch("2026-10-01T00:00:00Z")
    let file = dir + "/usage/openai-appended.json"
    try MissingPagesTests.write(
      MissingPagesTests.openAIPage(from: oct1, days: 7, hasMore: true, next: "page_A")
        + MissingPagesTests.openAIPage(from: oct1 + 7 * MissingPagesTests.day, days: 3, hasMore: true), file)
    let sqlite = try MissingPagesTests.pages(dir, [file])
    #expect(sqlite.count == 2)
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }
    let load = try TestSupport.runCLI(["ingest", file, "--db", db])
    try #require(load.status == 0, "\(load.err)")
    let pg = try PostgresStore(url: PostgresURL(db), access: .read)
    defer { try? pg.close() }
    #expect(try pg.exportPages() == sqlite)
    #expect(ExportPage.gaps(try pg.exportPages(), period: MissingPagesTests.period).map(\.fromText) == ["2026-10-11"])
  }
}

/// A month of daily report buckets runs to its last bucket's end, not its start.
@Suite struct ReportRowsAsOfTests {
  func state(days: Int, hourlyLast: Bool = false) throws -> (asOf: Int64?, isOpen: Bool) {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let oct1 = MissingPagesTests.epoch("2026-10-01T00:00:00Z")
    var files = [dir + "/usage/p.json"]
    try MissingPagesTests.write(MissingPagesTests.openAIPage(from: oct1, days: days, hasMore: false), files[0])
    if hourlyLast {
      // 09:00–10:00 of the day after the daily buckets, as an hourly bucket.
      let start = oct1 + Int64(days) * MissingPagesTests.day + 9 * 3600
      let page = MissingPagesTests.openAIPage(from: start, days: 1, hasMore: false).replacingOccurrences(
        of: "\"end_time\": \(start + MissingPagesTests.day)", with: "\"end_time\": \(start + 3600)")
      files.append(dir + "/usage/h.json")
      try MissingPagesTests.write(page, files[1])
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: files)
    return try ReportBuilder.state(of: MissingPagesTests.period, store: store, asOf: nil)
  }

  /// Its last bucket may be the last day's, fetched that day (the APIs end it at midnight): open, as
  /// of the month's end, so its forecast is what it owes; a bucket of the next month closes it.
  @Test func aMonthWhoseLastBucketEndsAtItsEndRunsToItsEnd() throws {
    let all = try state(days: 31)
    #expect(all.isOpen)
    #expect(all.asOf == Timestamp.parseMillis("2026-11-01T00:00:00Z"))
    let next = try state(days: 32)
    #expect(next.isOpen == false)
    #expect(next.asOf == Timestamp.parseMillis("2026-11-01T00:00:00Z"))
  }

  @Test func aMonthOfThirtyDaysIsOpenAsOfTheThirtiethsEnd() throws {
    let thirty = try state(days: 30)
    #expect(thirty.isOpen)
    #expect(thirty.asOf == Timestamp.parseMillis("2026-10-31T00:00:00Z"))
    // An hourly bucket of the 31st, 09:00 to 10:00: the data runs to 10:00.
    let hour = try state(days: 30, hourlyLast: true)
    #expect(hour.isOpen)
    #expect(hour.asOf == Timestamp.parseMillis("2026-10-31T10:00:00Z"))
  }
}
