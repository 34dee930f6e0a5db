import ChargebackKit
import ChargebackReporting

/// Prints what happened to one input file as ingest goes: `<path>: loaded (…)`, `<path>: skipped
/// (already ingested)`, `<path>: skipped: <reason>` (a delivery artifact) or `<path>: failed`.
func printFileOutcome(_ r: Ingestor.FileResult) {
  printLine("\(r.path): \(r.outcome)")
}

/// Prints the cost-centre table of a finished run and where its files went.
func printRunSummary(_ result: ChargebackJob.Result, out: String) {
  guard let report = result.report else {
    // The outputs listed include the two files a run with nothing new writes again.
    let rewritten = ["manifest.json", "new_findings.csv"]
    let kept = result.outputs.filter { path in !rewritten.contains { path == $0 || path.hasSuffix("/" + $0) } }.count
    printLine(
      "nothing new since the last run: \(kept) files in \(out) kept as they were; "
        + "manifest.json and new_findings.csv written again")
    return
  }
  // Its values are made safe for the terminal by ConsoleSummary (escaped before the columns are
  // measured), so the lines are not escaped again.
  for line in ConsoleSummary.lines(report) { printSafeText(line) }
  for line in result.warnings { printLine(line) }
  let new = result.newFindings.count
  printLine(
    "wrote \(result.outputs.count) files to \(out); \(new) new finding\(new == 1 ? "" : "s") in new_findings.csv")
}
