import ArgumentParser
import ChargebackDemo
import ChargebackModel

extension Chargeback {
  /// `chargeback generate-bench` (hidden): the synthetic month `make bench` measures.
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
    var period: Period = Period(year: 2026, month: 10)

    @Option(
      name: .long,
      help:
        "friendly, cardinality (a session per call, 5,000 tasks), unsorted, tickets (as cardinality, a task per call) or directory (20,000 service accounts in 300 more cost centres)."
    )
    var shape: BenchShape = .friendly

    @Option(name: .long, help: "Records per file at most (200 for a synced S3 log bucket's small files).")
    var perFile: Int = 250_000

    func run() throws {
      try reportingFailures {
        let layout = try DemoGenerator(period: period).writeBenchmark(
          to: out, records: records, perFile: perFile, shape: shape)
        printLine("\(layout.bedrockRecords) records in \(layout.files.count) files under \(layout.usageDirectory)")
      }
    }
  }
}

extension BenchShape: ExpressibleByArgument {}
