import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback run`: the monthly job.
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The monthly job: ingest the usage exports, then attribute, price, detect and write every output.",
      discussion: """
        Temporary files: a month whose calls carry many task ids (a ticket per call) keeps its tasks \
        beyond 262,144 in unnamed temporary files, about 40 bytes a task, up to three copies at \
        once; they go to $TMPDIR when it is set, else to the folder of the --db store, else to \
        /tmp. The workbooks' scratch files go there too.
        """)

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
