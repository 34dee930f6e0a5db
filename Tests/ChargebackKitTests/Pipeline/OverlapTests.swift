import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The overlap rule and the reconciliation (SPEC §3.1, §5, §10): a call in a request log and in
/// the provider's report is charged once; report usage beyond the logs is charged as unlogged.
@Suite struct OverlapTests {
  static let day = Timestamp.parseMillis("2026-10-07T11:00:00Z")!

  /// A store with the fixture's OpenAI usage page plus request-level calls on key_A that day and
  /// a cost report for it.
  static func store(_ dir: String) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.month + "/usage/openai"
    ]
    )
    try store.db.transaction {
      let w = try store.beginFile(sha256: "request-log", path: "gateway.log", format: "test", level: .request, bytes: 0)
      // Two logged calls on key_A: 50,000 uncached + 40,000 cached input, 6,000 output in all.
      for (i, t) in [(30_000, 4_000), (20_000, 2_000)].enumerated() {
        try w.insert(
          UsageRecord(
            provider: .openai, level: .request, format: "test", naturalKey: "openai:call-\(i)", requestID: "call-\(i)",
            time: day + Int64(i) * 60_000, credential: "key_A", model: "gpt-4.1-mini-2025-04-14",
            tokens: TokenCounts(input: Int64(t.0), cachedInput: 20_000, output: Int64(t.1))))
      }
      try w.finish()
      let c = try store.beginFile(sha256: "cost-report", path: "costs.json", format: "test", level: .cost, bytes: 0)
      try c.insert(
        UsageRecord(
          provider: .openai, level: .cost, format: "test", naturalKey: "openai:cost:1",
          time: Timestamp.parseMillis("2026-10-07")!, model: "gpt-4.1-mini-2025-04-14", tokens: TokenCounts(),
          requests: 0, billed: TestSupport.usd("0.11"), lineItem: "gpt-4.1-mini-2025-04-14, input"))
      try c.finish()
    }
    return store
  }

  static func report() throws -> (ChargebackReport, String) {
    let dir = try TestSupport.tempDir()
    let store = try Self.store(dir)
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Fixtures.month + "/identities"),
      prices: try PriceTable(directory: Fixtures.month + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-10")!)
    return (report, dir)
  }

  /// Report rows without a credential beside request logs are counted.
  ///
  /// A report row with no credential (grouped by project only) on a day with request logs cannot
  /// be matched to them: it is charged, counted in the report (console warning, manifest), and a
  /// row with a credential is not counted. A helper's month charged the same calls twice unseen.
  @Test func reportRowsWithoutACredentialBesideLogsAreCounted() throws {
    let dir = try TestSupport.tempDir()
    let store = try Self.store(dir)
    try store.db.transaction {
      let w = try store.beginFile(
        sha256: "by-project", path: "by-project.json", format: "test", level: .report, bytes: 0)
      for (i, day) in [Self.day, Self.day + 3 * Timestamp.millisPerDay].enumerated() {
        try w.insert(
          UsageRecord(
            provider: .openai, level: .report, format: "test", naturalKey: "openai:usage:project-\(i)",
            time: Timestamp.floorDiv(day, Timestamp.millisPerDay) * Timestamp.millisPerDay,
            bucketEnd: (Timestamp.floorDiv(day, Timestamp.millisPerDay) + 1) * Timestamp.millisPerDay,
            project: "proj_1", model: "gpt-4.1-mini-2025-04-14", tokens: TokenCounts(input: 1_000), requests: 1))
      }
      try w.finish()
    }
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Fixtures.month + "/identities"),
      prices: try PriceTable(directory: Fixtures.month + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-10")!)
    // The 7th has request logs of OpenAI; the 10th has none.
    #expect(report.unmatchableReportRows == 1)
    #expect(ConsoleSummary.lines(report).contains { $0.hasPrefix("warning: 1 usage report rows name no API key") })
    // Without them, nothing is counted: the fixture's own page names its keys.
    let (plain, _) = try Self.report()
    #expect(plain.unmatchableReportRows == 0)
    #expect(!ConsoleSummary.lines(plain).contains { $0.contains("name no API key") })
  }

  @Test func chargesEachCallOnceAndTheExcessAsUnlogged() throws {
    let (report, _) = try Self.report()
    func cost(_ source: LineSource, tier: Tier = .standard, credential: String = "key_A") -> Money? {
      let l = report.lines.filter {
        $0.key.source == source && $0.key.tier == tier && $0.key.credentialID == credential
      }
      return l.isEmpty ? nil : l.reduce(Money.zero) { $0 + $1.cost }
    }
    // Logged calls: 50,000×0.4 + 40,000×0.1 + 6,000×1.6 per M = 0.0336.
    #expect(cost(.request) == TestSupport.usd("0.0336"))
    // The report's standard row (60,000 uncached, 40,000 cached, 5,000 output) exceeds the logs only
    // by 10,000 uncached input (output is below the logs: never negative): 10,000×0.4 = 0.004.
    #expect(cost(.unlogged) == TestSupport.usd("0.004"))
    let unlogged = try #require(report.lines.first { $0.key.source == .unlogged && $0.key.tier == .standard })
    #expect(unlogged.tokens == TokenCounts(input: 10_000))
    // 10 requests reported, 2 logged.
    #expect(unlogged.requests == 8)
    // The batch row has no logs at all on a covered day: all of it is unlogged, 0.056.
    #expect(cost(.unlogged, tier: .batch) == TestSupport.usd("0.056"))
    // key_B has no request logs: charged from the report as before.
    #expect(cost(.report, credential: "key_B") == TestSupport.usd("0.0186"))
    #expect(cost(.report) == nil)
    let finding = try #require(report.findings.first { $0.kind == .unloggedUsage })
    #expect(finding.credentialID == "key_A")
    #expect(finding.cost == TestSupport.usd("0.06"))
    #expect(finding.explanation.contains("10000 input"))
  }

  /// A report row without a context window is charged at the base rate (SPEC §5.3); when its input
  /// per request is past the model's long-context threshold, some of its calls paid more, and the
  /// report says so (count and amount, console and manifest) instead of undercharging silently.
  @Test func reportRowsPastTheLongContextThresholdAreCounted() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let day = Timestamp.parseMillis("2026-03-10")!
    try store.db.transaction {
      let w = try store.beginFile(sha256: "page", path: "page.json", format: "test", level: .report, bytes: 0)
      // gpt-5.4's threshold is 272,001: 2 calls of 600,000 cannot both be below it; 3 can.
      for (i, (requests, input)) in [(2, 600_000), (3, 600_000), (0, 600_000)].enumerated() {
        try w.insert(
          UsageRecord(
            provider: .openai, level: .report, format: "test", naturalKey: "openai:usage:\(i)", time: day,
            bucketEnd: day + Timestamp.millisPerDay, credential: "key_\(i)", model: "gpt-5.4-2026-03-05",
            tokens: TokenCounts(input: Int64(input), output: 2_000), requests: Int64(requests)))
      }
      try w.finish()
    }
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Fixtures.month + "/identities"),
      prices: try PriceTable(directory: PricingTests.shipped), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-03")!)
    // Each row at the base rate: 600,000 × 2.5 + 2,000 × 15 per million = 1.53.
    #expect(report.totalCost == TestSupport.usd("4.59"))
    #expect(report.longContextReportRows == 1)
    #expect(report.longContextReportCost == TestSupport.usd("1.53"))
    let warning = ConsoleSummary.lines(report).first { $0.contains("long-context threshold") }
    #expect(warning?.hasPrefix("warning: 1 usage report rows (USD 1.53 at the base rate)") == true, "\(warning ?? "")")
  }

  @Test func reconcilesComputedAgainstBilled() throws {
    let (report, dir) = try Self.report()
    let row = try #require(report.reconciliation.first)
    #expect(report.reconciliation.count == 1)
    #expect(row.model == "gpt-4.1-mini")
    #expect(row.day == "2026-10-07")
    // Computed 0.0336 + 0.004 + 0.056 + 0.0186 = 0.1122 against 0.11 billed: +0.0022, +2.00 %.
    #expect(row.computed == TestSupport.usd("0.1122"))
    #expect(row.variance == TestSupport.usd("0.0022"))
    #expect(row.variancePercentText == "2.00")
    let paths = try CSVReports.write(report, to: dir)
    let csv = try TestSupport.readCSV(try #require(paths.first { $0.hasSuffix("reconciliation.csv") }))
    #expect(csv.first?["variance_usd"] == "0.002200")
    #expect(csv.first?["billed_usd"] == "0.110000")
  }
}

@Suite struct CrossLogDuplicateTests {
  @Test func aCallInTwoRequestLogsIsChargedOnce() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.samples + "/litellm/spend-logs.json", Fixtures.samples + "/otel/genai-traces.jsonl",
    ])
    var both = 0
    try store.forEachRecord(from: .min, to: .max) { if $0.record.requestID == "chatcmpl-C9x2LqP0aZ7mKd1" { both += 1 } }
    try #require(both == 2)  // the LiteLLM proxy and the OTel trace both saw it
    let report = try ReportBuilder(
      store: store, identities: IdentityDirectory(),
      prices: try PriceTable(directory: TestSupport.packageRoot + "/pricing"),
      progress: ProgressReporter(force: false)
    ).build(period: Period("2025-09")!)
    #expect(report.duplicateRecords == 1)
    #expect(report.recordCount == (try store.recordCount()) - 1)
  }
}

/// Unlogged usage summed over many report rows can pass what one record holds (``Bounds``): it is
/// carried by several records, none beyond the bounds, together exactly the excess.
@Suite struct OverlapSplitTests {
  @Test func anExcessBeyondOneRecordsBoundsIsSplit() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let period = try #require(Period("2026-10"))
    let overlap = try Overlap(store: store, period: period, prices: PriceTable(rows: []))
    let day = try #require(Timestamp.parseMillis("2026-10-07T00:00:00Z"))
    for hour in 0..<3 {
      overlap.addReport(
        UsageRecord(
          provider: .openai, level: .report, format: "openai-usage-completions", naturalKey: "row-\(hour)",
          time: day + Int64(hour) * 3_600_000, bucketEnd: day + Int64(hour + 1) * 3_600_000, credential: "key_big",
          model: "gpt-4o", tokens: TokenCounts(input: Bounds.tokens, output: 7), requests: Bounds.requests),
        id: Int64(hour))
    }
    let records = overlap.unloggedRecords()
    #expect(records.count == 3)
    #expect(records.allSatisfy { $0.boundsViolation == nil })
    #expect(records.reduce(Int128(0)) { $0 + Int128($1.tokens.input) } == 3 * Int128(Bounds.tokens))
    #expect(records.reduce(Int128(0)) { $0 + Int128($1.tokens.output) } == 21)
    #expect(records.reduce(Int128(0)) { $0 + Int128($1.requests) } == 3 * Int128(Bounds.requests))
    #expect(Set(records.map(\.naturalKey)).count == 3)
  }

  /// Request totals are kept only for the providers a usage report in the store can name; for
  /// every provider when one report's format may name any (or is unknown).
  @Test func requestTotalsAreKeptForTheReportsProvidersOnly() {
    func file(_ format: String, _ level: SourceLevel) -> StoredFile {
      StoredFile(
        id: 1, sha256: format, path: format, format: format, level: level.rawValue, bytes: 1, records: 1, newRecords: 1)
    }
    #expect(
      Overlap.providers(ofReports: [
        file("bedrock-invocation-log", .request), file("openai-usage-completions", .report),
        file("openai-usage-embeddings", .report), file("anthropic-usage-report", .report),
      ]) == [.openai, .anthropic])
    #expect(Overlap.providers(ofReports: [file("bedrock-invocation-log", .request)]) == [])
    #expect(
      Overlap.providers(ofReports: [file("openai-usage-completions", .report), file("a-future-report", .report)]) == nil
    )
    // Every report-level format of the registry names its provider: a new one that did not would
    // keep every provider's totals (correct, at the old memory cost), caught here.
    for f in FormatRegistry.all where f.level == .report { #expect(f.provider != nil, "\(f.id)") }
  }
}
