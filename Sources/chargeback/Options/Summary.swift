import ChargebackKit
import ChargebackReporting

/// Prints what happened to one input file as ingest goes: `<path>: loaded (…)`, `<path>: skipped
/// (already ingested)`, `<path>: skipped: <reason>` (a delivery artifact) or `<path>: failed`.
func printFileOutcome(_ r: Ingestor.FileResult) {
  printLine("\(r.path): \(r.outcome)")
}

/// Prints the cost-centre table of a finished run and where its files went.
func printRunSummary(_ result: ChargebackJob.Result, out: String) {
  for line in ConsoleSummary.lines(result.report) { printLine(line) }
  printLine("wrote \(result.outputs.count) files to \(out)")
}
