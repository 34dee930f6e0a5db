import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The bucket-width rule (docs/formats.md, "Report rows at several bucket widths"): a day of usage
/// exported as hourly buckets and again as one daily bucket is charged once, from the hours, and
/// the daily row's difference from them is shown in the reconciliation.
///
/// Every expected amount below is worked out by hand from the small price table of
/// ``BucketWidthTests/pricing(_:)``, in USD per million units:
/// - openai gpt-4.1-mini: input 0.4, cached input 0.1, output 1.6;
/// - anthropic claude-sonnet-4: input 3, cached input 0.3, 5m write 3.75, 1h write 6, output 15,
///   web search 10,000 (that is $0.01 a search).
@Suite struct BucketWidthTests {
  static let period = Period(year: 2026, month: 10)

  /// The test price table, with the aliases for the dated model names the pages use.
  static func pricing(_ dir: String) throws -> String {
    let path = dir + "/pricing"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    func write(_ name: String, _ lines: [String]) throws {
      try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }
    let header = "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source"
    try write(
      "openai.csv",
      [
        header, "openai,gpt-4.1-mini,input,standard,0,0.4,2025-04-14,,test",
        "openai,gpt-4.1-mini,cached_input,standard,0,0.1,2025-04-14,,test",
        "openai,gpt-4.1-mini,output,standard,0,1.6,2025-04-14,,test",
      ])
    try write(
      "anthropic.csv",
      [
        header, "anthropic,claude-sonnet-4,input,standard,0,3,2025-05-14,,test",
        "anthropic,claude-sonnet-4,cached_input,standard,0,0.3,2025-05-14,,test",
        "anthropic,claude-sonnet-4,cache_write_5m,standard,0,3.75,2025-05-14,,test",
        "anthropic,claude-sonnet-4,cache_write_1h,standard,0,6,2025-05-14,,test",
        "anthropic,claude-sonnet-4,output,standard,0,15,2025-05-14,,test",
        "anthropic,claude-sonnet-4,web_search,standard,0,10000,2025-05-14,,test",
      ])
    try write(
      "aliases.csv",
      ["provider,pattern,model", "openai,gpt-4.1-mini-2*,gpt-4.1-mini", "anthropic,claude-sonnet-4-2*,claude-sonnet-4"])
    return path
  }

  static func epoch(_ iso: String) -> Int64 { (Timestamp.parseMillis(iso) ?? 0) / 1000 }

  // MARK: OpenAI usage/completions pages

  /// One OpenAI result with the fields the API returns when grouped by project, key, model, batch
  /// and service tier.
  static func openAIResult(key: String, input: Int, cached: Int, output: Int, requests: Int) -> String {
    """
    {"object": "organization.usage.completions.result", "input_tokens": \(input), "output_tokens": \(output), \
    "num_model_requests": \(requests), "input_cached_tokens": \(cached), "input_cache_write_tokens": 0, \
    "input_uncached_tokens": \(input - cached), "input_audio_tokens": 0, "output_audio_tokens": 0, \
    "project_id": "proj_Fin7Q", "user_id": null, "api_key_id": "\(key)", "model": "gpt-4.1-mini-2025-04-14", \
    "batch": false, "service_tier": "default"}
    """
  }

  /// A saved page: `buckets` are (start, end, results); `width` is the page's `bucket_width`.
  static func openAIPage(_ buckets: [(Int64, Int64, [String])]) -> String {
    let data = buckets.map { b in
      "{\"object\": \"bucket\", \"start_time\": \(b.0), \"end_time\": \(b.1), \"results\": [\(b.2.joined(separator: ", "))]}"
    }
    return "{\"object\": \"page\", \"data\": [\n  \(data.joined(separator: ",\n  "))\n], \"has_more\": false, "
      + "\"next_page\": null}\n"
  }

  /// 2026-10-07 exported with `bucket_width=1h` and again with `bucket_width=1d`.
  ///
  /// The hourly page has 24 buckets, with usage at 09, 10 and 14 only; the daily page has 10-07
  /// and 10-08. `dailyInput` and `dailyOutput` are the 10-07 daily
  /// row's counts for key_A (the hours sum to 250,000 and 20,000).
  static func openAIExports(_ dir: String, dailyInput: Int, dailyOutput: Int) throws -> [String] {
    let day = epoch("2026-10-07T00:00:00Z")
    let hourly: [(Int64, Int64, [String])] = (0..<24).map { h in
      let start = day + Int64(h) * 3600
      let results: [String]
      switch h {
      case 9: results = [openAIResult(key: "key_A", input: 120_000, cached: 20_000, output: 10_000, requests: 40)]
      case 10: results = [openAIResult(key: "key_A", input: 80_000, cached: 0, output: 6_000, requests: 25)]
      case 14: results = [openAIResult(key: "key_A", input: 50_000, cached: 10_000, output: 4_000, requests: 15)]
      default: results = []
      }
      return (start, start + 3600, results)
    }
    let daily: [(Int64, Int64, [String])] = [
      (
        day, day + 86_400,
        [
          openAIResult(key: "key_A", input: dailyInput, cached: 30_000, output: dailyOutput, requests: 90),
          openAIResult(key: "key_B", input: 5_000, cached: 0, output: 500, requests: 3),
        ]
      ),
      (
        day + 86_400, day + 2 * 86_400,
        [openAIResult(key: "key_A", input: 10_000, cached: 0, output: 1_000, requests: 4)]
      ),
    ]
    let paths = [dir + "/usage/openai-completions-2026-10-07-1h.json", dir + "/usage/openai-completions-1d.json"]
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    try openAIPage(hourly).write(toFile: paths[0], atomically: true, encoding: .utf8)
    try openAIPage(daily).write(toFile: paths[1], atomically: true, encoding: .utf8)
    return paths
  }

  static func report(_ store: UsageStore, _ dir: String) throws -> ChargebackReport {
    try ReportBuilder(
      store: store, identities: IdentityDirectory(), prices: try PriceTable(directory: try pricing(dir)),
      progress: ProgressReporter(force: false)
    ).build(period: period)
  }

  static func ingest(_ paths: [String], _ dir: String) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    return store
  }

  static func cost(_ report: ChargebackReport, credential: String? = nil, source: LineSource? = nil) -> Money {
    report.lines.filter { l in
      (credential == nil || l.key.credentialID == credential) && (source == nil || l.key.source == source)
    }
    .reduce(Money.zero) { $0 + $1.cost }
  }

  static func tokens(_ lines: [ChargebackLine]) -> TokenTotals {
    var t = TokenTotals()
    for l in lines { t += l.tokens }
    return t
  }

  @Test func openAIDayExportedHourlyAndDailyIsChargedOnce() throws {
    let dir = try TestSupport.tempDir()
    // The daily row agrees with the hours: 250,000 input (30,000 cached), 20,000 output.
    let store = try Self.ingest(try Self.openAIExports(dir, dailyInput: 250_000, dailyOutput: 20_000), dir)
    #expect(try store.recordCount() == 6)
    let report = try Self.report(store, dir)
    // key_A on 10-07 from the hours: 220,000 × 0.4 + 30,000 × 0.1 + 20,000 × 1.6 per M
    // = 0.088 + 0.003 + 0.032 = 0.123; on 10-08 (no hourly rows) from its daily row as before:
    // 10,000 × 0.4 + 1,000 × 1.6 = 0.0056.
    #expect(Self.cost(report, credential: "key_A") == TestSupport.usd("0.1286"))
    // key_B has only a daily row on 10-07: charged as before, 5,000 × 0.4 + 500 × 1.6 = 0.0028.
    #expect(Self.cost(report, credential: "key_B") == TestSupport.usd("0.0028"))
    #expect(report.totalCost == TestSupport.usd("0.1314"))
    let keyA = report.lines.filter { $0.key.credentialID == "key_A" }
    #expect(Self.tokens(keyA) == TokenCounts(input: 230_000, cachedInput: 30_000, output: 21_000))
    // 40 + 25 + 15 hourly requests and 4 on 10-08; the daily row's 90 are not counted.
    #expect(keyA.reduce(0) { $0 + $1.requests } == 84)
    #expect(report.supersededReportRows == 1)
    #expect(report.recordCount == 6)
    // The reconciliation shows the superseded row, with no difference.
    let g = try #require(report.granularity.first)
    #expect(report.granularity.count == 1)
    #expect(g.provider == .openai && g.day == "2026-10-07" && g.model == "gpt-4.1-mini" && g.credential == "key_A")
    #expect(g.coarseRows == 1 && g.finerRows == 3)
    #expect(g.coarseCost == TestSupport.usd("0.123") && g.finerCost == TestSupport.usd("0.123"))
    #expect(g.costDifference == .zero)
    #expect(g.tokenDifference == TokenCounts())
  }

  @Test func theDailyRowsDifferenceFromTheHoursIsReconciled() throws {
    let dir = try TestSupport.tempDir()
    // The daily row counts 12,000 more input and 1,000 more output than the hours.
    let store = try Self.ingest(try Self.openAIExports(dir, dailyInput: 262_000, dailyOutput: 21_000), dir)
    let report = try Self.report(store, dir)
    // Still charged from the hours: the same 0.1314 as when the two exports agree.
    #expect(report.totalCost == TestSupport.usd("0.1314"))
    let g = try #require(report.granularity.first)
    // Coarse: 232,000 × 0.4 + 30,000 × 0.1 + 21,000 × 1.6 = 0.0928 + 0.003 + 0.0336 = 0.1294.
    #expect(g.coarseCost == TestSupport.usd("0.1294"))
    #expect(g.finerCost == TestSupport.usd("0.123"))
    // 0.123 − 0.1294 = −0.0064 = −12,000 × 0.4 − 1,000 × 1.6 per M.
    #expect(g.costDifference == TestSupport.usd("-0.0064"))
    #expect(g.tokenDifference == TokenCounts(input: -12_000, output: -1_000))
    #expect(report.reconciliation.isEmpty)  // no cost report: only the granularity side

    // reconciliation.csv: a `granularity` row; the billed comparison's columns are left empty.
    let paths = try CSVReports.write(report, to: dir)
    let csv = try TestSupport.readCSV(try #require(paths.first { $0.hasSuffix("reconciliation.csv") }))
    #expect(csv.count == 1)
    let row = try #require(csv.first)
    #expect(row["kind"] == "granularity")
    #expect(row["provider"] == "openai" && row["day"] == "2026-10-07" && row["model"] == "gpt-4.1-mini")
    #expect(row["computed_usd"] == "" && row["billed_usd"] == "" && row["variance_usd"] == "")
    #expect(row["credential"] == "key_A" && row["tier"] == "standard" && row["context_window"] == "")
    #expect(row["bucket_start"] == "2026-10-07T00:00:00Z" && row["bucket_end"] == "2026-10-08T00:00:00Z")
    #expect(row["coarse_rows"] == "1" && row["finer_rows"] == "3")
    #expect(row["coarse_usd"] == "0.129400" && row["finer_usd"] == "0.123000")
    #expect(row["difference_usd"] == "-0.006400")
    #expect(row["input_tokens_difference"] == "-12000" && row["output_tokens_difference"] == "-1000")
    #expect(row["cached_input_tokens_difference"] == "0" && row["web_search_requests_difference"] == "0")

    // company.xlsx: the same rows on a Granularity sheet, money in cents.
    _ = try WorkbookReports.write(report, names: WorkbookNames.assign(report.costCentres.map(\.id)), to: dir)
    let wb = try WorkbookTests.read(dir + "/company.xlsx")
    let sheet = try #require(wb["Granularity"])
    let header = sheet.rows[0].map { $0?.text ?? "" }
    #expect(Array(header.prefix(4)) == ["Provider", "Day", "Model", "Credential"])
    let body = try #require(sheet.rows.dropFirst().first { $0.first??.text == "openai" })
    func cell(_ name: String) -> WorkbookTests.Cell? { header.firstIndex(of: name).flatMap { body[$0] } }
    #expect(cell("Coarse (USD)")?.cents == 13)  // 0.1294
    #expect(cell("Finer (USD)")?.cents == 12)  // 0.123
    #expect(cell("Difference (USD)")?.cents == -1)  // −0.0064
    #expect(cell("Δ input") == .number(-12_000))
    #expect(sheet.formulas.isEmpty)
  }

  @Test func requestLogsAreComparedWithTheFinestRowsOnly() throws {
    let dir = try TestSupport.tempDir()
    let store = try Self.ingest(try Self.openAIExports(dir, dailyInput: 262_000, dailyOutput: 21_000), dir)
    // One logged call on key_A that day: 100,000 uncached + 20,000 cached input, 10,000 output.
    try store.db.transaction {
      let w = try store.beginFile(sha256: "gateway", path: "gateway.log", format: "test", level: .request, bytes: 0)
      try w.insert(
        UsageRecord(
          provider: .openai, level: .request, format: "test", naturalKey: "openai:call-1", requestID: "call-1",
          time: Timestamp.parseMillis("2026-10-07T09:30:00Z") ?? 0, credential: "key_A",
          model: "gpt-4.1-mini-2025-04-14", tokens: TokenCounts(input: 100_000, cachedInput: 20_000, output: 10_000)))
      try w.finish()
    }
    let report = try Self.report(store, dir)
    // The call: 100,000 × 0.4 + 20,000 × 0.1 + 10,000 × 1.6 = 0.04 + 0.002 + 0.016 = 0.058.
    #expect(Self.cost(report, credential: "key_A", source: .request) == TestSupport.usd("0.058"))
    // Unlogged: the hours (220,000 / 30,000 / 20,000) beyond the call: 120,000 × 0.4 + 10,000 × 0.1
    // + 10,000 × 1.6 = 0.048 + 0.001 + 0.016 = 0.065. Had the daily row reached the comparison too,
    // the excess would have been 352,000 / 40,000 / 31,000.
    #expect(Self.cost(report, credential: "key_A", source: .unlogged) == TestSupport.usd("0.065"))
    let unlogged = report.lines.filter { $0.key.source == .unlogged }
    #expect(Self.tokens(unlogged) == TokenCounts(input: 120_000, cachedInput: 10_000, output: 10_000))
    // 10-08 is not covered by the log: its daily row is charged as a report row.
    #expect(Self.cost(report, credential: "key_A", source: .report) == TestSupport.usd("0.0056"))
    // The reconciliation still compares the report rows with each other, at their own prices.
    let g = try #require(report.granularity.first)
    #expect(g.finerCost == TestSupport.usd("0.123") && g.coarseCost == TestSupport.usd("0.1294"))
    #expect(g.finerRows == 3)
  }

  // MARK: Anthropic usage_report/messages pages

  /// One Anthropic row grouped by key, workspace, model, service tier and context window.
  static func anthropicRow(
    uncached: Int, read: Int, write5m: Int, write1h: Int, output: Int, searches: Int
  ) -> String {
    """
    {"uncached_input_tokens": \(uncached), "cache_read_input_tokens": \(read), \
    "cache_creation": {"ephemeral_5m_input_tokens": \(write5m), "ephemeral_1h_input_tokens": \(write1h)}, \
    "output_tokens": \(output), "server_tool_use": {"web_search_requests": \(searches)}, \
    "api_key_id": "apikey_01Research", "workspace_id": "wrkspc_01Lab", "model": "claude-sonnet-4-20250514", \
    "service_tier": "standard", "context_window": "0-200k", "inference_geo": null}
    """
  }

  /// One saved page per line (JSON Lines of pages, as a script following `next_page` saves them).
  static func anthropicPages(_ buckets: [(String, String, [String])]) -> String {
    buckets.enumerated().map { i, b in
      let more = i + 1 < buckets.count
      return
        "{\"data\": [{\"starting_at\": \"\(b.0)\", \"ending_at\": \"\(b.1)\", \"results\": [\(b.2.joined(separator: ", "))]}], "
        + "\"has_more\": \(more), \"next_page\": \(more ? "\"page_\(i + 2)\"" : "null")}"
    }
    .joined(separator: "\n") + "\n"
  }

  @Test func anthropicDayExportedHourlyAndDailyIsChargedOnce() throws {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let hours = (0..<24).map { h -> (String, String, [String]) in
      let start = String(format: "2026-10-14T%02d:00:00Z", h)
      let end = h == 23 ? "2026-10-15T00:00:00Z" : String(format: "2026-10-14T%02d:00:00Z", h + 1)
      switch h {
      case 8:
        return (
          start, end,
          [Self.anthropicRow(uncached: 10_000, read: 50_000, write5m: 2_000, write1h: 0, output: 3_000, searches: 2)]
        )
      case 9:
        return (
          start, end,
          [Self.anthropicRow(uncached: 20_000, read: 0, write5m: 0, write1h: 4_000, output: 5_000, searches: 1)]
        )
      default: return (start, end, [])
      }
    }
    try Self.anthropicPages(hours).write(
      toFile: dir + "/usage/anthropic-usage-1h.jsonl", atomically: true, encoding: .utf8)
    // The daily export counts 1,000 uncached input more than the hours.
    let day = [
      (
        "2026-10-14T00:00:00Z", "2026-10-15T00:00:00Z",
        [Self.anthropicRow(uncached: 31_000, read: 50_000, write5m: 2_000, write1h: 4_000, output: 8_000, searches: 3)]
      )
    ]
    try Self.anthropicPages(day).write(
      toFile: dir + "/usage/anthropic-usage-1d.jsonl", atomically: true, encoding: .utf8)
    let store = try Self.ingest([dir + "/usage"], dir)
    #expect(try store.recordCount() == 3)
    let report = try Self.report(store, dir)
    // The hours: 30,000 × 3 + 50,000 × 0.3 + 2,000 × 3.75 + 4,000 × 6 + 8,000 × 15 per M + 3 × $0.01
    // = 0.09 + 0.015 + 0.0075 + 0.024 + 0.12 + 0.03 = 0.2865.
    #expect(report.totalCost == TestSupport.usd("0.2865"))
    let g = try #require(report.granularity.first)
    #expect(report.granularity.count == 1)
    #expect(g.provider == .anthropic && g.model == "claude-sonnet-4" && g.credential == "apikey_01Research")
    #expect(g.contextWindow == "0-200k")
    // The daily row: 0.2865 + 1,000 × 3 per M = 0.2895; the hours are 0.003 less.
    #expect(g.coarseCost == TestSupport.usd("0.2895"))
    #expect(g.finerCost == TestSupport.usd("0.2865"))
    #expect(g.costDifference == TestSupport.usd("-0.003"))
    #expect(g.tokenDifference == TokenCounts(input: -1_000))
    #expect(
      g.finerTokens
        == TokenCounts(
          input: 30_000, cachedInput: 50_000, cacheWrite5m: 2_000, cacheWrite1h: 4_000, output: 8_000, webSearch: 3))
  }

  // MARK: The rule on its own

  /// Report rows inserted as they would be stored: one group, `(start, end, input)` each.
  static func storeWith(_ rows: [(String, String, Int64)], _ dir: String) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/s.sqlite")
    try store.db.transaction {
      let w = try store.beginFile(sha256: "pages", path: "pages.json", format: "test", level: .report, bytes: 0)
      for (i, r) in rows.enumerated() {
        try w.insert(
          UsageRecord(
            provider: .openai, level: .report, format: "test", naturalKey: "openai|usage|\(i)",
            time: Timestamp.parseMillis(r.0) ?? 0, bucketEnd: Timestamp.parseMillis(r.1), credential: "key_A",
            model: "gpt-4.1-mini", tokens: TokenCounts(input: r.2), requests: 1))
      }
      try w.finish()
    }
    return store
  }

  @Test func threeWidthsChargeTheFinestRowsOfEachStretch() throws {
    let dir = try TestSupport.tempDir()
    let store = try Self.storeWith(
      [
        ("2026-10-07T00:00:00Z", "2026-10-08T00:00:00Z", 1_000_000),  // the day
        ("2026-10-07T09:00:00Z", "2026-10-07T10:00:00Z", 500_000),  // hour 09, also exported by minute
        ("2026-10-07T10:00:00Z", "2026-10-07T11:00:00Z", 300_000),  // hour 10, hourly only
        ("2026-10-07T09:00:00Z", "2026-10-07T09:01:00Z", 200_000),
        ("2026-10-07T09:01:00Z", "2026-10-07T09:02:00Z", 100_000),
        ("2026-10-09T00:00:00Z", "2026-10-10T00:00:00Z", 50_000),  // a day with no finer rows
      ], dir)
    let report = try Self.report(store, dir)
    // Charged: hour 10 and the two minutes (600,000) and the lone day (50,000): 650,000 × 0.4 per M.
    #expect(report.totalCost == TestSupport.usd("0.26"))
    #expect(report.supersededReportRows == 2)
    let rows = report.granularity.map {
      [Int128($0.bucketStart), Int128($0.bucketEnd), Int128($0.finerRows), $0.tokenDifference.input]
    }
    let t = { (s: String) in Int128(Timestamp.parseMillis(s) ?? 0) }
    // The day against hour 10 and the minutes; hour 09 against its minutes.
    #expect(
      rows == [
        [t("2026-10-07T00:00:00Z"), t("2026-10-08T00:00:00Z"), 3, -400_000],
        [t("2026-10-07T09:00:00Z"), t("2026-10-07T10:00:00Z"), 2, -200_000],
      ])
    // The same store reported again gives the same rows, in the same order.
    #expect(try Self.report(store, dir).granularity == report.granularity)
    // `explain` says which rows were left uncharged.
    let prices = try PriceTable(directory: try Self.pricing(dir))
    let day = try #require(
      try RecordExplanation.explain("openai|usage|0", store: store, identities: nil, prices: prices))
    #expect(day.contains("not charged"))
    let hour = try #require(
      try RecordExplanation.explain("openai|usage|2", store: store, identities: nil, prices: prices))
    #expect(!hour.contains("not charged"))
  }

  @Test func partialCoverageChargesTheFinerRowsAndShowsTheRest() throws {
    // Hours 00–11 only (an hourly export run at noon), and the whole day exported later.
    let dir = try TestSupport.tempDir()
    var rows: [(String, String, Int64)] = [("2026-10-07T00:00:00Z", "2026-10-08T00:00:00Z", 2_400_000)]
    for h in 0..<12 {
      rows.append(
        (String(format: "2026-10-07T%02d:00:00Z", h), String(format: "2026-10-07T%02d:00:00Z", h + 1), 100_000))
    }
    let report = try Self.report(try Self.storeWith(rows, dir), dir)
    // The twelve hours: 1,200,000 × 0.4 per M = 0.48; the afternoon the day counts is shown, not charged.
    #expect(report.totalCost == TestSupport.usd("0.48"))
    let g = try #require(report.granularity.first)
    #expect(g.finerRows == 12)
    #expect(g.costDifference == TestSupport.usd("-0.48"))
    #expect(g.tokenDifference == TokenCounts(input: -1_200_000))
  }
}
