import ChargebackKit
import ChargebackReporting

/// Prints the cost-centre table of a finished run and where its files went.
func printRunSummary(_ result: ChargebackJob.Result, out: String) {
  for line in ConsoleSummary.lines(result.report) { printLine(line) }
  printLine("wrote \(result.outputs.count) files to \(out)")
}
