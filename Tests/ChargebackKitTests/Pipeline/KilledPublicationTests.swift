import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// A run killed while it moves its outputs into `--out` (a helper's trial, `kill -9` at each
/// rename): the next run puts back what it left, so its new findings are still new (and
/// `--fail-on` still fires) and a workbook it added does not stop every later run as a foreign file.
@Suite struct KilledPublicationTests {
  /// The pid of a process that has ended.
  static func deadPID() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
  }

  /// Renames the staging folder a killed run left beside `out` as if its process were `pid`.
  static func abandon(_ dir: String, as pid: Int32) throws {
    let fm = FileManager.default
    let own = ".out.chargeback-\(ReportWriter.hostTag)-\(ProcessInfo.processInfo.processIdentifier)-"
    let left = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(own) }
    try #require(left.count == 1)
    let renamed = left[0].replacingOccurrences(of: "-\(ProcessInfo.processInfo.processIdentifier)-", with: "-\(pid)-")
    try fm.moveItem(atPath: dir + "/" + left[0], toPath: dir + "/" + renamed)
  }

  /// The previous publication: the month's report less its last finding and last cost centre, with
  /// a cost centre `OLD-CC` the new one no longer has.
  static func previous(of report: ChargebackReport) -> ChargebackReport {
    var r = report
    r.findings.removeLast()
    r.costCentres.removeLast()
    var old = report.costCentres[0]
    old.id = "OLD-CC"
    r.costCentres.append(old)
    return r
  }

  /// Killed after each number of renames, from none to all (the manifest's last), and after the
  /// manifest but before the outputs it no longer lists are removed: the next run of the same
  /// report publishes it whole, reports as new every finding the last complete publication did not
  /// have, and leaves `--out` holding exactly what its manifest lists.
  @Test func theNextRunPutsBackWhatAKilledRunLeft() throws {
    let base = try TestSupport.tempDir()
    let report = try PublicationTests.report(base)
    let before = Self.previous(of: report)
    let added = try #require(report.findings.last)
    let outputs = try ReportWriter(directory: base + "/probe").publish(report, key: nil).outputs.count
    for k in 0...outputs {
      let dir = try TestSupport.tempDir()
      let out = dir + "/out"
      _ = try ReportWriter(directory: out).publish(before, key: nil)
      #expect(FileManager.default.fileExists(atPath: out + "/OLD-CC.xlsx"))
      var killed = ReportWriter(directory: out)
      killed.dieAfterMoves = k
      #expect(throws: ReportWriter.Died.self) { _ = try killed.publish(report, key: nil) }
      try Self.abandon(dir, as: try Self.deadPID())

      let next = try ReportWriter(directory: out).publish(report, key: nil)
      // Before its manifest moved, the killed run had published nothing.
      let published = k == outputs
      #expect(next.newFindings.map(\.id) == (published ? [] : [added.id]), "killed after \(k) renames")
      let manifest =
        try JSONSerialization.jsonObject(
          with: try #require(FileManager.default.contents(atPath: out + "/manifest.json"))) as? [String: Any]
      let listed = Set(try #require(manifest?["outputs"] as? [String]))
      #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == listed, "killed after \(k) renames")
      #expect(!listed.contains("OLD-CC.xlsx"))
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
    }
  }

  /// Two runs into one `--out` at the same time: they publish one after the other, so a new
  /// finding is new in exactly one of them.
  @Test func runsIntoOneOutPublishOneAfterTheOther() async throws {
    let dir = try TestSupport.tempDir()
    let report = try PublicationTests.report(dir)
    let out = dir + "/out"
    _ = try ReportWriter(directory: out).publish(Self.previous(of: report), key: nil)
    let counts = try await withThrowingTaskGroup(of: Int.self) { group in
      for _ in 0..<4 {
        group.addTask { try ReportWriter(directory: out).publish(report, key: nil).newFindings.count }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(counts.sorted() == [0, 0, 0, 1])
  }
}
