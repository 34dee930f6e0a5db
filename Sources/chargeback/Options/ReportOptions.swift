import ArgumentParser
import ChargebackKit
import ChargebackModel
import ChargebackSupport

/// Options of the commands that write a report.
struct ReportOptions: ParsableArguments {
  /// Where `run` and `report` put their temporary files (their help's discussion).
  static let temporaryFiles = """
    Temporary files: a month whose calls carry many task ids (a ticket per call) keeps its tasks \
    beyond 262,144 in unnamed temporary files, about 40 bytes a task, up to three copies at \
    once; they go to $TMPDIR when it is set, else to the folder of the --db store, else to \
    /tmp. The workbooks' scratch files go there too, both in a folder of the run's own \
    (.chargeback-scratch-<host>-<pid>-…), removed at the end, or by a later run after a killed one.
    """

  @Option(name: .long, help: "The month to charge back, YYYY-MM (UTC), from 2000-01 to 2099-12.")
  var period: Period

  @Option(
    name: .long,
    help:
      ArgumentHelp(
        "Directory with people.csv, cost_centres.csv, agents.csv, credentials.csv, tasks.csv, scopes.csv (and,"
          + " when used, allocation.csv, commitments.csv, accounts.csv, labels.csv, detection.csv).")
  )
  var identities: String

  @Option(name: .long, help: "Directory of price tables (relative to the current directory).")
  var pricing: String = "pricing"

  @Option(name: .long, help: "Output directory (default: reports/<period>/, relative to the current directory).")
  var out: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The instant the data runs to (ISO-8601, UTC; default: the latest record): a month is closed from its end on"
        + " (--as-of 2026-11-01 closes October), else open, with a forecast."))
  var asOf: Instant?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Exit 1, after writing every output, when a finding new since the previous run (new_findings.csv) has this severity or higher: low, medium, high or critical.",
      valueName: "severity"))
  var failOn: Severity?

  mutating func validate() throws {
    if let out, out.trimmingCharacters(in: .blanks).isEmpty {
      throw ValidationError("--out is empty: give the output folder, or leave --out out for reports/<period>/")
    }
    if pricing.isEmpty { throw ValidationError("--pricing is empty: give the folder of price tables") }
    if identities.isEmpty { throw ValidationError("--identities is empty: give the folder of identity files") }
  }

  /// Throws exit 1 when `--fail-on` is given and a new finding reaches it (SPEC §2: outputs are
  /// written first).
  ///
  /// A finding labelled `expected` or `false_positive` in `labels.csv` is not an alert: it is
  /// still in `new_findings.csv`, but it does not turn the run into a failure (a labelled finding
  /// is new again in a new `--out`, or after its output was removed, and alerted every time).
  ///
  /// The first ``alertedLines`` of them are printed too, most severe first: the next run rewrites
  /// `new_findings.csv` (empty when nothing is new), so the job's log keeps what it alerted on (a
  /// trial's second run, started beside the first and waiting on its lock, emptied the file before
  /// anyone read it).
  func checkFailOn(_ result: ChargebackJob.Result) throws {
    guard let failOn else { return }
    let quiet: Set<String> = ["expected", "false_positive"]
    // In the report's order: most severe first, then by kind and id (`ReportBuilder`).
    let hits = result.newFindings.filter { $0.severity >= failOn && !quiet.contains($0.label ?? "") }
    guard !hits.isEmpty else { return }
    let kinds = Set(hits.map(\.kind.rawValue)).sorted().joined(separator: ", ")
    printError(
      "\(hits.count) new finding\(hits.count == 1 ? "" : "s") at \(failOn.rawValue) or above (\(kinds)): "
        + "see new_findings.csv; exit 1 (--fail-on \(failOn.rawValue))")
    for f in hits.prefix(Self.alertedLines) {
      // Each value escaped and the line cut (they come from logs and the directory).
      let explanation = f.explanation.count > 200 ? String(f.explanation.prefix(200)) + "…" : f.explanation
      printError("  \(f.id) \(f.kind.rawValue) (\(f.severity.rawValue)): \(explanation)")
    }
    if hits.count > Self.alertedLines { printError("  and \(hits.count - Self.alertedLines) more in new_findings.csv") }
    throw ExitCode(1)
  }

  /// The most new findings `--fail-on` lists on stderr.
  static let alertedLines = 10
}

extension Severity: ExpressibleByArgument {}
