import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback ingest`: load exports into the store only.
  struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load usage exports into the store only (idempotent: the same data twice changes nothing).")

    @Argument(help: "Usage export files or directories.")
    var paths: [String]

    @OptionGroup var store: StoreOptions

    func run() throws {
      try reportingFailures {
        let files = FileOutcomes()
        defer { files.finish() }
        _ = try ChargebackJob.ingest(paths: paths, database: store.db, onFile: files.note)
      }
    }
  }
}
