import ArgumentParser
import ChargebackKit

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The monthly job: ingest the usage exports, then attribute, price, detect and write every output.")

  @OptionGroup var report: ReportOptions

  @Option(
    name: .long, parsing: .upToNextOption,
    help: "Usage export files or directories (walked in sorted order; .gz read transparently).")
  var usage: [String]

  @OptionGroup var store: StoreOptions

  func run() throws {
    try runMapped {
      let job = ChargebackJob(
        options: .init(
          period: try parsePeriod(report.period), usage: usage, identities: report.identities,
          pricing: report.pricing, out: report.out, database: store.db))
      let result = try job.run()
      printSummary(result.report)
      print("wrote \(result.outputs.count) files to \(job.options.out)")
    }
  }
}

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Attribute, price, detect and write from what is already in the store.")

  @OptionGroup var report: ReportOptions
  @OptionGroup var store: StoreOptions

  func run() throws {
    try runMapped {
      let job = ChargebackJob(
        options: .init(
          period: try parsePeriod(report.period), identities: report.identities, pricing: report.pricing,
          out: report.out, database: store.db))
      let result = try job.reportOnly()
      printSummary(result.report)
      print("wrote \(result.outputs.count) files to \(job.options.out)")
    }
  }
}

struct Ingest: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load usage exports into the store only (idempotent: the same data twice changes nothing).")

  @Argument(help: "Usage export files or directories.")
  var paths: [String]

  @OptionGroup var store: StoreOptions

  func run() throws {
    try runMapped {
      let s = try UsageStore(path: store.db)
      defer { try? s.close() }
      let results = try Ingestor(store: s).ingest(paths: paths)
      for r in results {
        print(
          r.alreadyIngested
            ? "\(r.path): already ingested" : "\(r.path): \(r.format), \(r.records) records, \(r.newRecords) new")
      }
    }
  }
}
