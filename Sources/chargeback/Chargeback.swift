import ArgumentParser
import ChargebackReporting
import ChargebackSupport
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
  ///
  /// What swift-argument-parser says of a bad command line goes out with control characters
  /// escaped, line by line, as every other message (SPEC §11): it quotes the value given (`--period
  /// $'\e[31m'` reached the terminal as an escape sequence).
  static func main() {
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let bad = dashedName(arguments) {
      // `explain` takes an id (a Vertex response id may begin with '-'), after `--`; a file is
      // named from its folder; `--` ends the options of the commands with positional arguments only.
      let how =
        arguments.first == "explain"
        ? "give an id that begins with '-' after --: explain -- \(bad)"
        : "name a file whose name begins with '-' from its folder: ./\(bad)"
          + (arguments.first == "ingest" ? ", or give it after --" : "")
      let text =
        "error: \(bad) reads as options (swift-argument-parser takes its letters as short flags, "
        + "and an h in it as --help); \(how)"
      try? FileHandle.standardError.write(contentsOf: Data((SafeText.message(text) + "\n").utf8))
      Foundation.exit(ExitCode.validationFailure.rawValue)
    }
    do {
      var command = try parseAsRoot(nil)
      try command.run()
    } catch {
      let code = exitCode(for: error)
      let text = fullMessage(for: error)
      if !text.isEmpty {
        if code == .success {
          // Help and the version, the tool's own text.
          printSafeText(text)
        } else {
          // Each line escaped and, past ``SafeText/messageCharacters``, cut in its middle: the value
          // given may be huge.
          let shown = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            SafeText.message(String($0))
          }
          try? FileHandle.standardError.write(contentsOf: Data((shown.joined(separator: "\n") + "\n").utf8))
        }
      }
      Foundation.exit(code.rawValue)
    }
  }

  /// The first argument before `--` that begins with a single `-` and is longer than a short flag.
  ///
  /// The tool has no short flags but `-h`: `ingest -hourly.jsonl` printed the help and exited 0,
  /// and a daily job that named such a file skipped the day without a word (a trial).
  static func dashedName(_ arguments: [String]) -> String? {
    for a in arguments {
      if a == "--" { return nil }
      if a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2 { return a }
    }
    return nil
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
