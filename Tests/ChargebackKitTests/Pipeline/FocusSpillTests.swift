import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The FOCUS rows kept out of memory (issue 11, SPEC §11): whether the report pass holds every
/// FOCUS group in memory or hands them to runs on disk every few groups (``ClassChargeLedger``),
/// the outputs are the same, byte for byte: a month of shared costs and contract terms (a
/// provisioned fee split over its cells, idle fees, allocations, all rounded into `focus.csv`'s
/// billed amounts) and a month of 3,000 service accounts (hundreds of runs, merged in rounds).
@Suite struct FocusSpillTests {
  static func run(
    usage: String, identities: String, pricing: String, dir: String, out: String, limit: Int
  ) throws -> ChargebackJob.Result {
    var options = ChargebackJob.Options(
      period: Period("2026-10")!, usage: [usage], identities: identities, pricing: pricing, out: dir + "/" + out,
      database: dir + "/\(out).sqlite")
    options.focusGroupLimit = limit
    return try ChargebackJob(options: options, progress: ProgressReporter(force: false)).run()
  }

  /// The ledger under the report's charges (a provisioned fee wraps it).
  static func ledger(_ r: ChargebackJob.Result) -> ClassChargeLedger? {
    let charges = r.report?.classCharges
    return ((charges as? ScaledClassCharges)?.base ?? charges) as? ClassChargeLedger
  }

  static func expectSameOutputs(_ dir: String, _ a: String, _ b: String) throws {
    let x = try TaskSpillTests.files(dir + "/" + a)
    let y = try TaskSpillTests.files(dir + "/" + b)
    #expect(x.keys.sorted() == y.keys.sorted())
    #expect(x.keys.contains("focus.csv") && x.keys.contains("company.xlsx"))
    for name in x.keys.sorted() where name != "manifest.json" { #expect(x[name] == y[name], "\(name) differs") }
  }

  @Test func sharedCostsAndContractTermsDoNotDependOnWhereTheFocusRowsAreKept() throws {
    let dir = try TestSupport.tempDir("focus-spill")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try CostSharingMonth.write(to: dir)
    let (usage, identities, pricing) = (dir + "/usage", dir + "/identities", dir + "/pricing")
    let held = try Self.run(
      usage: usage, identities: identities, pricing: pricing, dir: dir, out: "memory",
      limit: ClassChargeLedger.defaultGroupLimit)
    let spilled = try Self.run(usage: usage, identities: identities, pricing: pricing, dir: dir, out: "disk", limit: 1)
    #expect(Self.ledger(held)?.spilledRuns == 0)
    #expect((Self.ledger(spilled)?.spilledRuns ?? 0) > 1)
    // The month has a provisioned fee below its calls' list: its cells are scaled as they are read.
    #expect(spilled.report?.classCharges is ScaledClassCharges)
    try Self.expectSameOutputs(dir, "memory", "disk")
    // The billed amounts add up to summary.csv's TOTAL, to the micro-dollar.
    let focus = try TestSupport.readCSV(dir + "/disk/focus.csv")
    let summary = try TestSupport.readCSV(dir + "/disk/summary.csv")
    let total = try #require(summary.first { $0["cost_centre"] == "TOTAL" }?["cost_usd"])
    let billed = focus.reduce(Money.zero) { $0 + TestSupport.usd($1["BilledCost"] ?? "") }
    #expect(billed == TestSupport.usd(total))
  }

  @Test func aLargeDirectoryMergesItsRunsInRounds() throws {
    let dir = try TestSupport.tempDir("focus-spill-directory")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: 3_000, perFile: 1_000, shape: .directory)
    let pricing = TestSupport.packageRoot + "/pricing"
    let (usage, identities) = (layout.usageDirectory, layout.identityDirectory)
    _ = try Self.run(
      usage: usage, identities: identities, pricing: pricing, dir: dir, out: "memory",
      limit: ClassChargeLedger.defaultGroupLimit)
    let spilled = try Self.run(usage: usage, identities: identities, pricing: pricing, dir: dir, out: "disk", limit: 20)
    // More runs than are merged at once: merged in two rounds.
    #expect((Self.ledger(spilled)?.spilledRuns ?? 0) > ClassChargeLedger.mergeWidth)
    try Self.expectSameOutputs(dir, "memory", "disk")
    // Each call is a row of its own here (a service account a day), more rows than the limit.
    // (Usage rows have a SKU; idle fees and allocated amounts have none.)
    let rows = try TestSupport.readCSV(dir + "/disk/focus.csv").filter { $0["SkuId"] != "" }
    #expect(rows.count == spilled.report?.classCharges.chargeCount)
    #expect(rows.count > 20 * ClassChargeLedger.mergeWidth)
  }
}
