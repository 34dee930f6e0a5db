import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackDetect
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
/// output files, byte for byte, with every record charged on the reading thread, every record on
/// the summing thread, the threads taking turns batch by batch (so each thread's Charger sees only
/// part of each day), and the split that moves with the load.
@Suite struct ChargeSplitTests {
  /// What a user reads: every output file's bytes (the manifest less its run time, which names
  /// the moment of the run), and the report's lines and findings for a readable difference.
  struct Outcome: Equatable {
    var files: [String: [UInt8]]
    var lines: [ChargebackLine]
    var findings: [Finding]
    var records: Int64
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
      let report = try builder.build(period: Period("2026-10")!)
      let folder = dir + "/out-\(split)"
      _ = try ReportWriter(directory: folder).publish(report, key: nil)
      var files: [String: [UInt8]] = [:]
      for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
        if name == "manifest.json" {
          bytes = Array(
            String(decoding: bytes, as: UTF8.self).replacingOccurrences(
              of: #""generated_at" : "[^"]*""#, with: "", options: .regularExpression
            ).utf8)
        }
        files[name] = bytes
      }
      out[split] = Outcome(files: files, lines: report.lines, findings: report.findings, records: report.recordCount)
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
    #expect(reader.files.keys.contains("chargeback.csv") && reader.files.keys.contains("company.xlsx"))
    for split in ChargeSplit.allCases { #expect(out[split] == reader, "\(split)") }
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
    for split in ChargeSplit.allCases { #expect(out[split] == reader, "\(split)") }
  }

  /// A record charged on the reading thread carries the hashes the summing thread would work out.
  ///
  /// Its line's, and a request's storm fingerprint in a pass that detects: a line or a storm is
  /// one whichever thread charged each of its calls. Each is compared with the same record charged
  /// by another Charger, as the summing thread charges it.
  @Test func theReadingThreadsHashesAreTheSummingThreads() throws {
    let dir = try TestSupport.tempDir()
    let layout = try DemoGenerator(period: Period("2026-10")!).write(to: dir + "/input")
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [layout.usageDirectory])
    let directory = try IdentityDirectory(directory: layout.identityDirectory)
    let prices = try PriceTable(directory: TestSupport.packageRoot + "/pricing")
    let reading = Charger(identities: directory, prices: prices)
    let summing = Charger(identities: directory, prices: prices)
    let period = Period("2026-10")!
    var (requests, reports) = (0, 0)
    try store.forEachRecord(from: period.startMillis, to: period.endMillis) { stored in
      let record = stored.record
      let prepared = PreparedRecord(stored, charger: reading, detect: true)
      guard record.level != .cost else { return #expect(prepared.hashes == nil) }
      let c = summing.charge(record)
      let source: LineSource = record.level == .request ? .request : .report
      let hashes = try #require(prepared.hashes)
      #expect(hashes.line == ReportTotals.lineHash(c, priced: c.cost != nil, source: source))
      if record.level == .request {
        requests += 1
        #expect(hashes.fingerprint == RetryStorms.Fingerprint(c))
      } else {
        reports += 1
        #expect(hashes.fingerprint == nil)
      }
      // Left to the summing thread, and without the fingerprint in a pass that does not detect.
      #expect(PreparedRecord(StoredRecord(id: 1, fileID: 1, record: record), charger: nil, detect: true).hashes == nil)
      let quiet = PreparedRecord(StoredRecord(id: 1, fileID: 1, record: record), charger: reading, detect: false)
      #expect(quiet.hashes?.fingerprint == nil && quiet.hashes?.line == hashes.line)
    }
    // Both levels were seen (the demo month has Bedrock calls and OpenAI usage rows).
    #expect(requests > 1_000 && reports > 10)
  }
}
