import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback report`: the outputs from what the store already holds.
  struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Attribute, price, detect and write from what is already in the store.",
      discussion: ReportOptions.temporaryFiles)

    @OptionGroup var report: ReportOptions
    @OptionGroup var store: StoreOptions

    func run() throws {
      try reportingFailures {
        let job = ChargebackJob(
          options: .init(
            period: report.period, identities: report.identities, pricing: report.pricing, out: report.out,
            database: store.db, asOf: report.asOf?.millis))
        let result = try job.reportOnly()
        printRunSummary(result, out: job.options.out)
        try report.checkFailOn(result)
      }
    }
  }
}
