import ArgumentParser
import ChargebackKit
import Foundation

struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate a realistic demo month and run the whole pipeline on it (start here).")

  @Option(name: .long, help: "Output directory.")
  var out: String = "reports/demo"

  @Option(name: .long, help: "The demo month, YYYY-MM.")
  var period: String = "2026-10"

  @Option(name: .long, help: "Directory of price tables.")
  var pricing: String = "pricing"

  @Option(name: .long, help: "Random seed (same seed, same month).")
  var seed: UInt64 = 42

  func run() throws {
    try runMapped {
      let p = try parsePeriod(period)
      let input = (out as NSString).appendingPathComponent("input")
      let db = (out as NSString).appendingPathComponent("demo.sqlite")
      for stale in [input, db, db + "-wal", db + "-shm"] { try? FileManager.default.removeItem(atPath: stale) }
      let layout = try DemoGenerator(period: p, seed: seed).write(to: input)
      print(
        "demo month \(p): \(layout.bedrockRecords) Bedrock log records, \(layout.openAIRows) OpenAI usage rows in \(layout.files.count) files under \(layout.usageDirectory)"
      )
      let job = ChargebackJob(
        options: .init(
          period: p, usage: [layout.usageDirectory], identities: layout.identityDirectory, pricing: pricing,
          out: out, database: db))
      let result = try job.run()
      printSummary(result.report)
      print("wrote \(result.outputs.count) files to \(out)")
    }
  }
}

struct GenerateBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate-bench",
    abstract: "Write N synthetic Bedrock log records and identities for `make bench`.",
    shouldDisplay: false)

  @Option(name: .long, help: "Output directory.")
  var out: String

  @Option(name: .long, help: "Number of records.")
  var records: Int = 1_000_000

  @Option(name: .long, help: "The month, YYYY-MM.")
  var period: String = "2026-10"

  func run() throws {
    try runMapped {
      let layout = try DemoGenerator(period: try parsePeriod(period)).writeBenchmark(to: out, records: records)
      print("\(layout.bedrockRecords) records in \(layout.files.count) files under \(layout.usageDirectory)")
    }
  }
}
