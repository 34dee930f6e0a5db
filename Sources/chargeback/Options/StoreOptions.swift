import ArgumentParser

/// Options every store-reading command shares.
struct StoreOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The store: an SQLite file (relative to the current directory), or a postgres:// URL"
        + " (postgres://user@host:5432/db?schema=chargeback)."))
  var db: String = "chargeback.sqlite"
}
