import ArgumentParser
import ChargebackKit

extension Chargeback {
  /// `chargeback ingest`: load exports into the store only.
  struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load usage exports into the store only (idempotent: the same data twice changes nothing).")

    @Argument(help: "Usage export files or directories.")
    var paths: [String] = []

    // `run` names its inputs `--usage`; the same words work here, so a `run` line cut down to its
    // ingest keeps working.
    @Option(
      name: .long, parsing: .upToNextOption,
      help: "Usage export files or directories, as `run --usage` takes them (with or instead of <paths>).")
    var usage: [String] = []

    @OptionGroup var store: StoreOptions

    func validate() throws {
      if paths.isEmpty && usage.isEmpty {
        throw ValidationError("Name the usage exports to load: files or directories, or --usage <paths>.")
      }
    }

    func run() throws {
      try reportingFailures {
        let files = FileOutcomes()
        defer { files.finish() }
        _ = try ChargebackJob.ingest(paths: paths + usage, database: store.db, onFile: files.note)
      }
    }
  }
}
