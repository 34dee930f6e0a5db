import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback explain`: the chain of one record.
  struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show the whole chain for one record: source, identity, price rows and cost.")

    @Argument(help: "A provider request id or a record's natural key.")
    var id: String

    @Option(name: .long, help: "Directory of identity files (default: the one of the store's last report).")
    var identities: String?

    @Option(name: .long, help: "Directory of price tables (default: the one of the store's last report).")
    var pricing: String?

    @OptionGroup var store: StoreOptions

    func run() throws {
      try reportingFailures {
        let text = try ChargebackJob.explain(id: id, database: store.db, identities: identities, pricing: pricing)
        // Each value is escaped as the explanation is made (a newline inside a value would
        // otherwise start a line of its own, one that looks like the tool's).
        printSafeText(text)
      }
    }
  }
}
