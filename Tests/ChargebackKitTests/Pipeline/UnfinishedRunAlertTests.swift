import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A run killed once its manifest is in place has its new findings alerted by the next run.
///
/// Killed before it ended (and exited 1 for `--fail-on`): its new findings are new again to the
/// next run, which alerts; a trial's next run said "nothing
/// new", exit 0, and the alert was lost. The store keeps the key of a publication until its run
/// ends (`unfinished_publication:<out>`); the test leaves it there as such a kill does.
@Suite struct UnfinishedRunAlertTests {
  typealias D = DailyRunTests

  /// Day 1, then day 21's calls of b after its key expired on the 20th: a new `expired_credential`
  /// (high), alerted by `--fail-on high`.
  static func twoDays(_ dir: String) throws -> (status: Int32, out: String, err: String) {
    try D.setUp(dir)
    try D.firstDay(dir)
    #expect(try D.run(dir, ["--fail-on", "high"]).status == 0)
    try D.day(
      dir, "2026-10-21.jsonl",
      [D.call("d21-1", "2026-10-21T09:00:00Z", arn: "arn:aws:iam::1:role/b", input: 500_000)])
    return try D.run(dir, ["--fail-on", "high"])
  }

  /// Leaves the store as a run killed after its manifest moved in: its key kept as unfinished.
  static func killedAfterPublishing(_ dir: String, key: String? = nil) throws {
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json")))
        as? [String: Any])
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let out = ChargebackJob.absolute(dir + "/out")
    try store.setSetting(
      ChargebackJob.unfinishedSetting + out, key ?? (manifest["report_key"] as? String ?? ""))
  }

  @Test(arguments: [false, true])
  func aKilledRunsNewFindingsAreAlertedByTheNextRun(somethingNew: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let second = try Self.twoDays(dir)
    #expect(second.status == 1, "\(second.err)")
    let alerted = try TestSupport.readCSV(dir + "/out/new_findings.csv").compactMap { $0["finding_id"] }
    #expect(!alerted.isEmpty)
    try Self.killedAfterPublishing(dir)
    if somethingNew {
      try D.day(dir, "2026-10-22.jsonl", [D.call("d22-1", "2026-10-22T09:00:00Z", arn: D.session + "x", input: 1_000)])
    }
    let next = try D.run(dir, ["--fail-on", "high"])
    #expect(next.status == 1, "\(next.out) \(next.err)")
    #expect(!next.out.contains("nothing new"))
    let again = Set(try TestSupport.readCSV(dir + "/out/new_findings.csv").compactMap { $0["finding_id"] })
    #expect(Set(alerted).isSubset(of: again))
    // Alerted, the run ended: the one after has nothing new to say.
    let after = try D.run(dir, ["--fail-on", "high"])
    #expect(after.status == 0, "\(after.err)")
    #expect(after.out.contains("nothing new"))
  }

  /// A run killed before its manifest moved in (the key kept is not the manifest's) is put back,
  /// not alerted again: the findings of the last finished run stay old.
  @Test func aRunKilledBeforeItsManifestAlertsNothingTwice() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(try Self.twoDays(dir).status == 1)
    try Self.killedAfterPublishing(dir, key: "another")
    let next = try D.run(dir, ["--fail-on", "high"])
    #expect(next.status == 0, "\(next.err)")
    #expect(try TestSupport.readCSV(dir + "/out/new_findings.csv").isEmpty)
  }

  /// The mark of a run of this host still alive is not an unfinished publication: that run will end and alert itself.
  ///
  /// Read before the `--out` lock, a run that published right behind another took its new findings for unalerted
  /// and alerted them too (a trial: both of two runs started at once exited 1, 8 times in 21). A gone process's mark,
  /// another host's, this process's own and an older version's (the key alone) are.
  @Test func aLiveRunsMarkIsNotAnUnfinishedPublication() throws {
    func unfinished(_ mark: String) throws -> String? {
      var writer = ReportWriter(directory: try TestSupport.tempDir())
      writer.readUnfinished = { mark }
      return try writer.unfinishedNow()
    }
    let live = Process()
    live.executableURL = URL(fileURLWithPath: "/bin/sleep")
    live.arguments = ["30"]
    try live.run()
    defer { live.terminate() }
    let gone = Process()
    gone.executableURL = URL(fileURLWithPath: "/bin/true")
    try gone.run()
    gone.waitUntilExit()
    let host = ReportWriter.hostTag
    #expect(try unfinished("k1\t\(host)\t\(live.processIdentifier)") == nil)
    #expect(try unfinished("k1\t\(host)\t\(gone.processIdentifier)") == "k1")
    #expect(try unfinished("k1\tother-\(host)\t\(live.processIdentifier)") == "k1")
    #expect(try unfinished(ReportWriter.unfinishedMark(key: "k1")) == "k1")
    #expect(try unfinished("k1") == "k1")
    #expect(try unfinished("") == nil)
  }
}
