import ArgumentParser

/// Options every store-reading command shares.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The SQLite store.")
  var db: String = "chargeback.sqlite"
}
