import ArgumentParser
import ChargebackReporting

@main
struct Chargeback: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chargeback",
    abstract: "Turn LLM providers' usage exports into a monthly chargeback per cost centre.",
    discussion: """
      Exit codes (sysexits): 0 success, 64 usage error, 65 bad input data, 66 input missing,
      70 internal error, 74 I/O error. Progress goes to stderr when it is a terminal.
      """,
    version: Manifest.toolVersion,
    subcommands: [Run.self, Ingest.self, Report.self, Explain.self, Pricing.self, Demo.self, GenerateBench.self]
  )
}
