import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback run`: the monthly job.
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The monthly job: ingest the usage exports, then attribute, price, detect and write every output.",
      discussion: ReportOptions.temporaryFiles)

    @OptionGroup var report: ReportOptions

    @Option(
      name: .long, parsing: .upToNextOption,
      help: "Usage export files or directories (walked in sorted order; .gz read transparently).")
    var usage: [String]

    @OptionGroup var store: StoreOptions

    func run() throws {
      try reportingFailures {
        let job = ChargebackJob(
          options: .init(
            period: report.period, usage: usage, identities: report.identities, pricing: report.pricing,
            out: report.out, database: store.db, asOf: report.asOf?.millis))
        let files = FileOutcomes()
        let result: ChargebackJob.Result
        do {
          defer { files.finish() }
          result = try job.run(onFile: files.note)
        }
        printRunSummary(result, out: job.options.out)
        try report.checkFailOn(result)
      }
    }
  }
}
