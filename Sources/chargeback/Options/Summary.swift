import ChargebackKit
import ChargebackReporting
import Foundation

/// Prints what happened to each input file as ingest goes: `<path>: loaded (…)`, `<path>: skipped:
/// <reason>` (a delivery artifact), `<path>: failed`, or `<path>: skipped (already ingested): the
/// same bytes were first loaded as <other path>`; the files already ingested under their own path
/// are counted, and ``finish()`` prints one line for them all.
///
/// Why counted: a daily run over a synced log bucket finds every earlier file of the month
/// unchanged, and printed a line for each (thousands, every day, in the scheduler's mail), around
/// the few lines that said what was new.
final class FileOutcomes {
  private(set) var alreadyIngested = 0
  /// Files an earlier run skipped (delivery artifacts), unchanged since: counted as the files
  /// already ingested are (a synced bucket's `data/` bodies and permission check were listed again
  /// every day, 2,412 lines on a trial's run with nothing new).
  private(set) var skippedAgain = 0

  func note(_ r: Ingestor.FileResult) {
    if r.alreadyIngested && r.sameBytesAs == nil && r.skippedReason == nil && !r.failed {
      alreadyIngested += 1
    } else if r.skippedBefore && !r.failed {
      skippedAgain += 1
    } else {
      printLine("\(r.path): \(r.outcome)")
    }
  }

  /// `N files already ingested, skipped`, and `N files skipped again`, when there were any.
  func finish() {
    if alreadyIngested > 0 {
      printLine(
        "\(alreadyIngested) file\(alreadyIngested == 1 ? "" : "s") already ingested, skipped (unchanged since"
          + " \(alreadyIngested == 1 ? "it was" : "they were") loaded)")
    }
    if skippedAgain > 0 {
      printLine(
        "\(skippedAgain) file\(skippedAgain == 1 ? "" : "s") skipped again, unchanged since an earlier run skipped"
          + " \(skippedAgain == 1 ? "it as a delivery artifact" : "them as delivery artifacts")"
          + " (a report's manifest.json lists them: skipped_inputs)")
    }
  }
}

/// Prints the cost-centre table of a finished run and where its files went.
func printRunSummary(_ result: ChargebackJob.Result, out: String) {
  guard let report = result.report else {
    // The outputs listed include the two files a run with nothing new writes again.
    let rewritten = ["manifest.json", "new_findings.csv"]
    let kept = result.outputs.filter { path in !rewritten.contains { path == $0 || path.hasSuffix("/" + $0) } }.count
    printLine(
      "nothing new since the last run: \(kept) files in \(out) kept as they were"
        + (result.keptTotals.map { " (\($0); summary.csv has each cost centre)" } ?? "") + "; "
        + "manifest.json and new_findings.csv written again")
    for line in result.keptWarnings { printEscapedWarning(line) }
    for line in result.warnings { printWarning(line) }
    return
  }
  // Its values are made safe for the terminal by ConsoleSummary (escaped before the columns are
  // measured), so the lines are not escaped again; its warnings go to stderr, as the run's do.
  for line in ConsoleSummary.lines(report) {
    if line.hasPrefix("warning: ") {
      try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    } else {
      printSafeText(line)
    }
  }
  for line in result.warnings { printWarning(line) }
  let new = result.newFindings.count
  printLine(
    "wrote \(result.outputs.count) files to \(out); \(new) new finding\(new == 1 ? "" : "s") in new_findings.csv")
}
