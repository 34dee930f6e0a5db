import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// `--fail-on` and the analysts' labels (`labels.csv`), through the built executable.
@Suite struct FailOnLabelTests {
  /// A new finding labelled `expected` or `false_positive` in `labels.csv` does not fire
  /// `--fail-on` (it is still in new_findings.csv); labelled `confirmed`, it does.
  @Test(arguments: [("expected", Int32(0)), ("false_positive", 0), ("confirmed", 1)])
  func labelledFindingsDoNotFireFailOn(label: String, expected: Int32) throws {
    let dir = try TestSupport.tempDir("labels-\(label)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    try DailyRunTests.firstDay(dir)
    try DailyRunTests.day(
      dir, "2026-10-21.jsonl",
      [DailyRunTests.call("d21-1", "2026-10-21T09:00:00Z", arn: "arn:aws:iam::1:role/b", input: 500_000)])
    // A first run into another folder finds the expired key's finding and its id.
    #expect(try DailyRunTests.run(dir, ["--out", dir + "/probe"]).status == 0)
    let finding = try #require(
      try TestSupport.readCSV(dir + "/probe/findings.csv").first { $0["kind"] == "expired_credential" })
    let id = try #require(finding["finding_id"])
    try "finding_id,label,note,who\n\(id),\(label),known,analyst\n".write(
      toFile: dir + "/identities/labels.csv", atomically: true, encoding: .utf8)
    let r = try DailyRunTests.run(dir, ["--fail-on", "high"])
    #expect(r.status == expected, "\(r.err)")
    let new = try TestSupport.readCSV(dir + "/out/new_findings.csv")
    #expect(new.contains { $0["finding_id"] == id })
    // What fired is in the job's log too, with its explanation: the next run rewrites the file.
    let alerted = "chargeback:   \(id) expired_credential (high): \(finding["explanation"] ?? "?")"
    #expect(r.err.contains(alerted) == (expected == 1), "\(r.err)")
  }
}
