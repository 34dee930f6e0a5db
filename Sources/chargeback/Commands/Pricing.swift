import ArgumentParser

extension Chargeback {
  /// `chargeback pricing`: price-table tools.
  struct Pricing: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Price-table tools.", subcommands: [Check.self])
  }
}
