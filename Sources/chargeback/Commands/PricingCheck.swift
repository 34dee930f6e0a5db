import ArgumentParser
import ChargebackKit

extension Chargeback.Pricing {
  /// `chargeback pricing check`.
  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate the price tables; with --against, list rates that differ from a LiteLLM price map.")

    @Option(name: .long, help: "Directory of price tables.")
    var pricing: String = "pricing"

    @Option(name: .long, help: "A LiteLLM model_prices_and_context_window.json to compare with.")
    var against: String?

    func run() throws {
      try reportingFailures {
        for line in try ChargebackJob.checkPrices(pricing: pricing, against: against) { printLine(line) }
      }
    }
  }
}
