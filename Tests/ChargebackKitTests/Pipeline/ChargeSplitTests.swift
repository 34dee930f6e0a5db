import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A report is the same whichever thread of the pass charged its records.
///
/// The report pass charges each record on whichever of its two threads has time to spare
/// (``ChargeSplit``). What a user reads must not depend on that: the same month gives the same
/// lines, totals, days, FOCUS cells, reconciliation and findings with every record charged on the
/// reading thread, every record on the summing thread, and the split that moves with the load.
@Suite struct ChargeSplitTests {
  /// Every part of the report a user reads, in one comparable value.
  struct Outcome: Equatable {
    var lines: [ChargebackLine]
    var centres: [CostCentreSummary]
    var daily: [DailyTotal]
    var classCharges: [ClassCharge]
    var reconciliation: [ReconciliationRow]
    var findings: [Finding]
    var records: Int64
    var unpriced: Int64

    init(_ r: ChargebackReport) {
      (lines, centres, daily, classCharges) = (r.lines, r.costCentres, r.daily, r.classCharges)
      (reconciliation, findings, records, unpriced) = (r.reconciliation, r.findings, r.recordCount, r.unpricedRecords)
    }
  }

  static func outcomes(usage: String, identities: String) throws -> [ChargeSplit: Outcome] {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [usage])
    let directory = try IdentityDirectory(directory: identities)
    let prices = try PriceTable(directory: TestSupport.packageRoot + "/pricing")
    var out: [ChargeSplit: Outcome] = [:]
    for split in ChargeSplit.allCases {
      var builder = ReportBuilder(
        store: store, identities: directory, prices: prices, progress: ProgressReporter(force: false))
      builder.chargeSplit = split
      out[split] = Outcome(try builder.build(period: Period("2026-10")!))
    }
    return out
  }

  /// The demo month: Bedrock logs and OpenAI usage, a planted storm, loop and spike.
  @Test func theDemoMonthIsTheSameWhicheverThreadCharges() throws {
    let dir = try TestSupport.tempDir()
    let layout = try DemoGenerator(period: Period("2026-10")!).write(to: dir + "/input")
    let out = try Self.outcomes(usage: layout.usageDirectory, identities: layout.identityDirectory)
    let reader = try #require(out[.reader])
    // The month is charged at all (more than one batch of the pipe), with findings to compare.
    #expect(reader.records > 1_024 && reader.lines.count > 10)
    #expect(reader.findings.contains { $0.kind == .retryStorm })
    #expect(reader.findings.contains { $0.kind == .recursiveLoop })
    #expect(out[.summing] == reader)
    #expect(out[.balanced] == reader)
  }

  /// Many batches of per-call session names and 5,000 task ids: the shape whose pass is the
  /// busiest on both threads, so the balanced split changes sides many times.
  @Test func aHighCardinalityMonthIsTheSameWhicheverThreadCharges() throws {
    let dir = try TestSupport.tempDir()
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: 40_000, perFile: 10_000, shape: .cardinality)
    let out = try Self.outcomes(usage: layout.usageDirectory, identities: layout.identityDirectory)
    let reader = try #require(out[.reader])
    #expect(reader.records == 40_000)
    // Every call is one request: the lines count them all, exactly once.
    #expect(reader.lines.reduce(Int128(0)) { $0 + $1.requests } == 40_000)
    #expect(out[.summing] == reader)
    #expect(out[.balanced] == reader)
  }
}
