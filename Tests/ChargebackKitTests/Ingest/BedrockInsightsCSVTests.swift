import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A CloudWatch Logs Insights result downloaded as CSV from the console (`@timestamp,@message`,
/// each record in `@message`, its quotes doubled) reads as the same records as the log lines; an
/// error names the row's line and the record's field (a helper's trial: it was refused as "the
/// wrong type, expected an object", naming no field).
@Suite struct BedrockInsightsCSVTests {
  static func csv(_ lines: [String]) -> String {
    "@timestamp,@message\n"
      + lines.map { "2026-10-05 10:00:00.000,\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"\n" }.joined()
  }

  static func records(_ content: String, name: String) throws -> [UsageRecord] {
    let dir = try TestSupport.tempDir()
    try content.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/" + name])
    var out: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { out.append($0.record) }
    return out
  }

  @Test func insightsCSVReadsAsTheLogLines() throws {
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").prefix(5).map(String.init)
    let fromLog = try Self.records(lines.joined(separator: "\n") + "\n", name: "log.jsonl")
    let fromCSV = try Self.records(Self.csv(lines), name: "insights.csv")
    #expect(fromCSV.count == 5)
    #expect(fromCSV.map(\.naturalKey) == fromLog.map(\.naturalKey))
    #expect(fromCSV.map(\.tokens) == fromLog.map(\.tokens))
    #expect(fromCSV.map(\.model) == fromLog.map(\.model))
    #expect(Set(fromCSV.compactMap(\.line)) == [2, 3, 4, 5, 6])  // each row on its line
    // A bad count in the third row: its line, and the record's field.
    let bad = lines[2].replacingOccurrences(of: #""outputTokenCount":"#, with: #""outputTokenCount":-"#)
    try #require(bad != lines[2])
    let error = try #require(throws: InputError.self) {
      _ = try Self.records(Self.csv([lines[0], lines[1], bad]), name: "insights.csv")
    }
    #expect(error.line == 4)
    #expect(error.field == "output.outputTokenCount")
    // A header naming `@message` with a space before it is read; one without it is refused.
    let spaced = Self.csv(lines).replacingOccurrences(of: "@timestamp,@message", with: "@timestamp, @message")
    #expect(try Self.records(spaced, name: "spaced.csv").count == 5)
    let other = Self.csv(lines).replacingOccurrences(of: "@timestamp,@message", with: "@timestamp,@log")
    let refused = try #require(throws: InputError.self) { _ = try Self.records(other, name: "other.csv") }
    #expect(refused.line == 1 && refused.field == "@message")
  }
}
