import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback explain`: the chain of one record.
  struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show the whole chain for one record: source, identity, price rows and cost.")

    @Argument(help: "A provider request id or a record's natural key.")
    var id: String

    @Option(name: .long, help: "Directory of identity files, to show who is charged.")
    var identities: String?

    @Option(name: .long, help: "Directory of price tables.")
    var pricing: String = "pricing"

    @OptionGroup var store: StoreOptions

    func run() throws {
      try reportingFailures {
        print(try ChargebackJob.explain(id: id, database: store.db, identities: identities, pricing: pricing))
      }
    }
  }
}
