import ArgumentParser
import ChargebackModel

/// Options of the commands that write a report.
struct ReportOptions: ParsableArguments {
  @Option(name: .long, help: "The month to charge back, YYYY-MM (UTC).")
  var period: Period

  @Option(
    name: .long,
    help:
      "Directory with people.csv, cost_centres.csv, agents.csv, credentials.csv, tasks.csv, scopes.csv (and labels.csv)."
  )
  var identities: String

  @Option(name: .long, help: "Directory of price tables.")
  var pricing: String = "pricing"

  @Option(name: .long, help: "Output directory (default: reports/<period>/).")
  var out: String?

  @Option(
    name: .long,
    help: "The instant the data runs to (ISO-8601, UTC), for an open month's forecast (default: the latest record).")
  var asOf: Instant?
}
