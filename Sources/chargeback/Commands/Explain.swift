import ArgumentParser
import ChargebackKit

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
    try runMapped {
      let s = try UsageStore(path: store.db)
      defer { try? s.close() }
      let dir = try identities.map { try IdentityDirectory(directory: $0) }
      let prices = try PriceTable(directory: pricing)
      guard
        let text = try RecordExplanation.explain(
          id, store: s, identities: dir, identitiesPath: identities, prices: prices)
      else {
        throw InputMissingError(path: id, reason: "no record with this request id or key in \(store.db)")
      }
      print(text)
    }
  }
}

struct Pricing: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Price-table tools.", subcommands: [Check.self])

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate the price tables; with --against, list rates that differ from a LiteLLM price map.")

    @Option(name: .long, help: "Directory of price tables.")
    var pricing: String = "pricing"

    @Option(name: .long, help: "A LiteLLM model_prices_and_context_window.json to compare with.")
    var against: String?

    func run() throws {
      try runMapped {
        let table = try PriceTable(directory: pricing)
        print(
          "\(table.rows.count) price rows and \(table.aliases.count) aliases in \(table.files.count) files: no overlaps"
        )
        if let against {
          let diffs = try PriceCheck.compare(table, litellmPath: against)
          for d in diffs { print(d) }
          print("\(diffs.count) differences")
        }
      }
    }
  }
}
