import ArgumentParser
import ChargebackReporting
import Foundation

@main
struct Chargeback: ParsableCommand {
  /// A closed stdout or stderr (`chargeback ingest … | head -1`) makes writes fail, which they
  /// ignore, instead of killing the process with SIGPIPE: a run stopped that way mid-group would
  /// lose files it had already reported loaded (``printLine(_:)`` writes each line at once).
  ///
  /// A file-size limit (`ulimit -f`) likewise makes a write fail with `EFBIG` instead of killing
  /// the process with SIGXFSZ: the run then stops with exit 74 naming the file, and leaves no
  /// staging folder behind (killed, it left one and said nothing).
  static func main() {
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)
    main(nil)
  }

  static let configuration = CommandConfiguration(
    commandName: "chargeback",
    abstract: "Turn LLM providers' usage exports into a monthly chargeback per cost centre.",
    discussion: """
      Exit codes (sysexits):
        0   success
        1   --fail-on triggered (all outputs were written)
        64  usage error
        65  bad input data (also a --db that is not a TokenChargeback store,
            or that fails its integrity check)
        66  input missing
        70  internal error
        73  an output cannot be created
        74  I/O error
        75  the store stayed locked by another process past the wait
            (CHARGEBACK_LOCK_WAIT seconds, default 600)

      Progress goes to stderr when it is a terminal.
      """,
    version: Manifest.toolVersion,
    subcommands: [Run.self, Ingest.self, Report.self, Explain.self, Pricing.self, Demo.self, GenerateBench.self]
  )
}
