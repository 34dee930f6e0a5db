import ArgumentParser
import ChargebackDemo
import ChargebackKit
import ChargebackModel
import Foundation

extension Chargeback {
  /// `chargeback demo`: a generated month through the whole pipeline.
  struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate a realistic demo month and run the whole pipeline on it (start here).")

    @Option(name: .long, help: "Output directory.")
    var out: String = "reports/demo"

    @Option(name: .long, help: "The demo month, YYYY-MM.")
    var period: Period = Period(year: 2026, month: 10)

    @Option(name: .long, help: "Directory of price tables.")
    var pricing: String = "pricing"

    @Option(name: .long, help: "Random seed (same seed, same month).")
    var seed: UInt64 = 42

    func run() throws {
      try reportingFailures {
        // The price tables first: without them the month was generated, then the run stopped, and
        // its files were left behind (a trial run from a folder with no `pricing/`).
        _ = try ChargebackJob.checkPrices(pricing: pricing, against: nil)
        let workspace = DemoWorkspace(directory: out)
        try workspace.prepare()
        let input = workspace.input
        let db = workspace.database
        let layout = try DemoGenerator(period: period, seed: seed).write(to: input)
        printLine(
          "demo month \(period): \(layout.bedrockRecords) Bedrock log records, \(layout.openAIRows) OpenAI usage rows in \(layout.files.count) files under \(layout.usageDirectory)"
        )
        // The generated month is whole: reported closed, as finance would once it has ended.
        let job = ChargebackJob(
          options: .init(
            period: period, usage: [layout.usageDirectory], identities: layout.identityDirectory, pricing: pricing,
            out: out, database: db, asOf: period.endMillis))
        let result = try job.run()
        printRunSummary(result, out: out)
        // Where the next commands find it (`explain` looks in chargeback.sqlite otherwise), with
        // the executable as it was run: `make demo` puts none on the PATH, so a bare
        // `chargeback` was "command not found".
        let executable = CommandLine.arguments.first.flatMap { $0.isEmpty ? nil : $0 } ?? "chargeback"
        // A real key to paste: a call the first finding with evidence cites (a placeholder was
        // pasted as it was by a trial).
        let key = result.report?.findings.first { !$0.evidence.isEmpty }?.evidence.first
        let argument = key.map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
        printLine(
          "its store is \(db) and its identities \(layout.identityDirectory): try"
            + " `\(executable) explain \(argument ?? "<an evidence key of findings.csv>") --db \(db)`"
            + (key == nil ? "" : " (a call a finding cites; any key of findings.csv's evidence works)"))
      }
    }
  }
}
