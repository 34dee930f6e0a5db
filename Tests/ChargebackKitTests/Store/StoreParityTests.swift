import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackStorePostgres
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The same month through the SQLite store and the PostgreSQL store gives byte-identical outputs
/// (docs/postgres.md §3): every file of `--out` equal byte for byte, and `manifest.json` equal but
/// for the time it was written.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct StoreParityTests {
  /// Runs `chargeback run` over one month into the store `database`; returns the outputs' folder.
  func run(_ root: String, database: String, out: String) throws -> ChargebackJob.Result {
    try ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [root + "/usage"], identities: root + "/identities",
        pricing: root + "/pricing", out: out, database: database),
      progress: ProgressReporter(force: false)
    ).run()
  }

  func reportOnly(_ root: String, database: String, out: String) throws -> ChargebackJob.Result {
    try ChargebackJob(
      options: .init(
        period: Period("2026-10")!, identities: root + "/identities", pricing: root + "/pricing", out: out,
        database: database),
      progress: ProgressReporter(force: false)
    ).reportOnly()
  }

  /// Every output of `a` and `b` (same names) equal byte for byte; the manifest without `generated_at`.
  func expectIdentical(_ a: ChargebackJob.Result, _ outA: String, _ outB: String) throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: outA).sorted()
    #expect(names == (try FileManager.default.contentsOfDirectory(atPath: outB).sorted()))
    #expect(names.count == a.outputs.count)
    #expect(names.contains("summary.csv"))
    for name in names {
      var x = try Data(contentsOf: URL(fileURLWithPath: outA + "/" + name))
      var y = try Data(contentsOf: URL(fileURLWithPath: outB + "/" + name))
      if name == "manifest.json" {
        x = Self.withoutGeneratedAt(x)
        y = Self.withoutGeneratedAt(y)
      }
      #expect(x == y, "\(name) differs between the SQLite and the PostgreSQL store")
    }
  }

  static func withoutGeneratedAt(_ data: Data) -> Data {
    let text = String(decoding: data, as: UTF8.self)
    return Data(
      text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("\"generated_at\"") }
        .joined(separator: "\n").utf8)
  }

  func compare(_ root: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let a = try run(root, database: dir + "/store.sqlite", out: dir + "/sqlite")
    let b = try run(root, database: pg, out: dir + "/postgres")
    #expect(a.ingested.map(\.outcome) == b.ingested.map(\.outcome))
    try expectIdentical(a, dir + "/sqlite", dir + "/postgres")
    // `report` alone, from what each store holds, into new folders.
    let ra = try reportOnly(root, database: dir + "/store.sqlite", out: dir + "/sqlite-report")
    _ = try reportOnly(root, database: pg, out: dir + "/postgres-report")
    try expectIdentical(ra, dir + "/sqlite-report", dir + "/postgres-report")
  }

  @Test func mixedMonthIsByteIdentical() throws {
    try compare(Fixtures.root + "/mixed")
  }

  @Test func handComputedMonthIsByteIdentical() throws {
    try compare(Fixtures.month)
    // The month's cents as MonthTests computes them by hand, from a report read off PostgreSQL.
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let r = try run(Fixtures.month, database: pg, out: dir + "/out")
    let byCC = Dictionary(uniqueKeysWithValues: r.report.costCentres.map { ($0.id, $0.cost) })
    #expect(byCC["CC-A"] == TestSupport.usd("0.0111"))
    #expect(byCC["CC-B"] == TestSupport.usd("1.1064"))
    #expect(byCC["CC-C"] == TestSupport.usd("0.0186"))
    #expect(byCC["UNATTRIBUTED"] == TestSupport.usd("0.0045"))
    #expect(r.report.totalCost == TestSupport.usd("1.1406"))
    #expect(r.report.recordCount == 9)
  }

  /// The gateway's call in the provider's log too (``GatewayEchoTests``' fixture) is counted alike by both stores.
  ///
  /// PostgreSQL's `sum` of `bigint` is `numeric`, which read as no number counted none (a review).
  @Test func aGatewayEchoIsCountedInBoth() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    var counts: [Int64] = []
    for database in [dir + "/store.sqlite", pg] {
      let report = try #require(
        try ChargebackJob(
          options: .init(
            period: Period("2026-04")!, usage: [GatewayEchoTests.fixture + "/usage"],
            identities: GatewayEchoTests.fixture + "/identities", pricing: TestSupport.packageRoot + "/pricing",
            out: dir + "/out-\(counts.count)", database: database),
          progress: ProgressReporter(force: false)
        ).run().report)
      counts.append(report.gatewayEchoes)
    }
    #expect(counts == [1, 1])
  }

  /// A gateway's call and a span of it naming another provider: the span is skipped by both.
  @Test func aCopyUnderAnotherProviderIsSkippedInBoth() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let store = try openStore(pg)
    defer { try? store.close() }
    try CrossFormatCopyTests.expectTheSpanSkipped(store, dir)
  }

  /// After the mixed month, both stores hold the same rows with the same ids, read back through the
  /// store protocol: files, every record (id, file id, natural key, time, tokens, billed amount,
  /// attribution), conflicts, spans of every trace, skipped files and the content digest.
  @Test func rowsAreIdentical() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let root = Fixtures.root + "/mixed"
    _ = try run(root, database: dir + "/store.sqlite", out: dir + "/a")
    _ = try run(root, database: pg, out: dir + "/b")
    let a: any ChargebackStore = try UsageStore(path: dir + "/store.sqlite")
    let b: any ChargebackStore = try PostgresStore(url: PostgresURL(pg))
    defer {
      try? a.close()
      try? b.close()
    }
    func rows(_ s: any ChargebackStore) throws -> [String] {
      var out: [String] = []
      try s.forEachRecord(from: Int64.min, to: Int64.max) { r in
        let x = r.record
        out.append(
          "\(r.id) \(r.fileID) \(x.naturalKey) \(x.time) \(x.tokens) \(x.requests) \(String(describing: x.billed))"
            + " \(x.credential ?? "-") \(x.metadata.agentID ?? "-") \(x.metadata.taskID ?? "-") \(x.agentPath ?? "-")")
      }
      return out
    }
    let recordsA = try rows(a)
    #expect(recordsA.count == Int(try a.recordCount()))
    #expect(recordsA == (try rows(b)))
    #expect(try a.files() == (try b.files()))
    #expect(try a.skippedFiles() == (try b.skippedFiles()))
    let all = (Int64.min, Int64.max)
    #expect(
      try a.conflicts(from: all.0, to: all.1).map { "\($0.keptID) \($0.conflict)" }
        == (try b.conflicts(from: all.0, to: all.1).map { "\($0.keptID) \($0.conflict)" }))
    var traces = Set<String>()
    try a.forEachRecord(from: all.0, to: all.1) { if let t = $0.record.traceID { traces.insert(t) } }
    #expect(!traces.isEmpty)
    for t in traces.sorted() {
      #expect("\(try a.spans(ofTrace: t))" == "\(try b.spans(ofTrace: t))")
    }
    #expect(try a.contentDigest(previous: "2026-09") == (try b.contentDigest(previous: "2026-09")))
    // The usage report rows with their keys and files, in one order (the paths' bytes) in both.
    func keys(_ s: any ChargebackStore) throws -> [ReportRowKey] {
      var out: [ReportRowKey] = []
      try s.reportKeys(from: all.0, to: all.1, formats: ReportGroupings.dimensions.keys.sorted()) { out.append($0) }
      return out
    }
    let keysA = try keys(a)
    #expect(!keysA.isEmpty)
    #expect(keysA == (try keys(b)))
    #expect(try a.gatewayEchoes(from: all.0, to: all.1) == (try b.gatewayEchoes(from: all.0, to: all.1)))
    #expect(try a.spanFiles(from: all.0, to: all.1) == (try b.spanFiles(from: all.0, to: all.1)))
    // A range's count (the room a report makes for its lines) is the records a pass over it reads.
    var times: [Int64] = []
    try a.forEachRecord(from: all.0, to: all.1) { times.append($0.record.time) }
    let mid = times.sorted()[times.count / 2]
    for (from, to) in [all, (mid, Int64.max), (Int64.min, mid), (mid, mid)] {
      var read: Int64 = 0
      try a.forEachRecord(from: from, to: to) { _ in read += 1 }
      #expect(try a.recordCount(from: from, to: to) == read, "\(from) ..< \(to)")
      #expect(try b.recordCount(from: from, to: to) == read, "\(from) ..< \(to)")
    }
    #expect(try a.recordCount(from: mid, to: Int64.max) > 0)
    #expect(try a.recordCount(from: Int64.min, to: mid) > 0)
    // The latest usage before an instant: the last usage record's start that is before it (a bill's
    // rows are not usage), the same in both stores, and nil before the first.
    var usageTimes: [Int64] = []
    try a.forEachRecord(from: all.0, to: all.1) { if $0.record.level != .cost { usageTimes.append($0.record.time) } }
    for before in [mid, mid + 1, Int64.max, (usageTimes.min() ?? 0)] {
      let expected = usageTimes.filter { $0 < before }.max()
      #expect(try a.latestUsageTime(before: before)?.start == expected, "before \(before)")
      #expect(
        try b.latestUsageTime(before: before).map { "\($0)" } == (try a.latestUsageTime(before: before)).map { "\($0)" }
      )
    }
    // A closed month's totals with the cents its outputs printed round-trip alike.
    var totals = PeriodContext.Totals(costCentres: ["CC-1": Money(pico: 473_892_000_000), "CC-2": .zero])
    totals.printedCostCentres = ["CC-1": 48, "CC-2": -1]
    for s in [a, b] {
      try s.setReportedTotals(Period("2026-08")!, totals)
      #expect(try s.reportedTotals(Period("2026-08")!) == totals)
    }
  }

  /// Text with U+0000, U+0001, tabs, newlines and backslashes survives the store unchanged.
  @Test func awkwardTextRoundTrips() throws {
    for s in ["plain", "a\u{0}b", "\u{1}", "\u{0}\u{1}\u{0}", "tab\there", "nl\nand\r", "back\\slash\\N", "é"] {
      #expect(PGText.decode(PGText.encode(s)) == s)
    }
    // Byte order is kept: the escape sorts as the bytes it stands for.
    let words = ["", "\u{0}", "\u{0}a", "\u{1}", "\u{1}\u{0}", "\u{2}", "a", "a\u{0}", "b"]
    let encoded = words.map { Array(PGText.encode($0).utf8) }
    #expect(encoded == encoded.sorted { $0.lexicographicallyPrecedes($1) })
  }
}
