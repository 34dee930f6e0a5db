import ChargebackKit
import ChargebackReporting

/// Prints the files the run skipped as delivery artifacts, the cost-centre table of a finished run
/// and where its files went.
func printRunSummary(_ result: ChargebackJob.Result, out: String) {
  for r in result.ingested { if let reason = r.skippedReason { printLine("\(r.path): skipped: \(reason)") } }
  for line in ConsoleSummary.lines(result.report) { printLine(line) }
  printLine("wrote \(result.outputs.count) files to \(out)")
}
