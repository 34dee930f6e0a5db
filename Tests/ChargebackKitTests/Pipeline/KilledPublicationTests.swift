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
    defer { try? FileManager.default.removeItem(atPath: base) }
    for k in 0...outputs {
      let dir = try TestSupport.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
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

  /// A run killed and not yet reaped by its parent is a run that is gone.
  ///
  /// A zombie (`timeout -s KILL` kills itself too, and a container's first process may reap
  /// nothing) holds no lock: its folder is put back and removed as a dead run's. A trial's next run stopped instead (exit 73, "not written by
  /// chargeback" of a workbook the killed run had moved in).
  @Test func aKilledRunNotYetReapedIsARunThatIsGone() throws {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { for a in argv { free(a) } }
    try #require(posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ) == 0)
    var status: Int32 = 0
    defer { waitpid(pid, &status, 0) }  // reaped at the end, not before
    // Not reaped: a zombie once it has exited.
    var zombie = false
    for _ in 0..<200 where !zombie {
      zombie = ReportWriter.processGone(pid)
      if !zombie { usleep(10_000) }
    }
    #expect(zombie, "pid \(pid) did not show as gone")
    #expect(kill(pid, 0) == 0, "a zombie still answers kill(pid, 0)")
    #expect(!ReportWriter.processGone(ProcessInfo.processInfo.processIdentifier))

    let base = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let report = try PublicationTests.report(base)
    let out = base + "/out"
    _ = try ReportWriter(directory: out).publish(Self.previous(of: report), key: nil)
    var killed = ReportWriter(directory: out)
    killed.dieAfterMoves = 2
    #expect(throws: ReportWriter.Died.self) { _ = try killed.publish(report, key: nil) }
    try Self.abandon(base, as: pid)
    let next = try ReportWriter(directory: out).publish(report, key: nil)
    #expect(next.newFindings.map(\.id) == [try #require(report.findings.last).id])
    #expect(try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasPrefix(".") }.isEmpty)
  }

  /// A run killed while publishing on another host (a container gets a new host name each run)
  /// is not put back by this one, which cannot tell whether that run is alive: the files it moved
  /// in are the tool's all the same (its `.publishing` lists those very copies), so the next run
  /// publishes over them, while a file changed by hand beside them still stops it (exit 73).
  @Test func filesAKilledRunOfAnotherHostMovedInAreTheTools() throws {
    let base = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let report = try PublicationTests.report(base)
    let before = Self.previous(of: report)
    for edit in [false, true] {
      let dir = try TestSupport.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let out = dir + "/out"
      _ = try ReportWriter(directory: out).publish(before, key: nil)
      var killed = ReportWriter(directory: out)
      killed.dieAfterMoves = 3  // findings.csv, journal.csv and new_findings.csv moved in, in name order
      #expect(throws: ReportWriter.Died.self) { _ = try killed.publish(report, key: nil) }
      let fm = FileManager.default
      let own = ".out.chargeback-\(ReportWriter.hostTag)-"
      let left = try #require(try fm.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(own) })
      try fm.moveItem(
        atPath: dir + "/" + left,
        toPath: dir + "/" + left.replacingOccurrences(of: ReportWriter.hostTag, with: "other-host"))
      #expect(fm.contents(atPath: out + "/journal.csv") != nil)
      if edit { try Data("my note\n".utf8).write(to: URL(fileURLWithPath: out + "/summary.csv")) }
      if edit {
        #expect(throws: OutputError.self) { _ = try ReportWriter(directory: out).publish(report, key: nil) }
        #expect(fm.contents(atPath: out + "/summary.csv") == Data("my note\n".utf8))
      } else {
        let next = try ReportWriter(directory: out).publish(report, key: nil)
        #expect(next.outputs.contains(out + "/journal.csv"))
      }
    }
  }

  /// A run killed while it removed its staging folder, once published: the folder may have lost its
  /// lock file, and its list of moves, before its copies of the old outputs (`.previous`); the next
  /// run removes it all the same, and leaves the outputs as published.
  @Test func aStagingFolderWhoseRemovalWasCutShortGoesToo() throws {
    let base = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let report = try PublicationTests.report(base)
    let before = Self.previous(of: report)
    let outputs = try ReportWriter(directory: base + "/probe").publish(report, key: nil).outputs.count
    for lost in [[".lock"], [".lock", ".publishing"]] {
      let dir = try TestSupport.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let out = dir + "/out"
      _ = try ReportWriter(directory: out).publish(before, key: nil)
      var killed = ReportWriter(directory: out)
      killed.dieAfterMoves = outputs
      #expect(throws: ReportWriter.Died.self) { _ = try killed.publish(report, key: nil) }
      try Self.abandon(dir, as: try Self.deadPID())
      // Its clean-up comes last: it had removed the outputs it no longer writes.
      try FileManager.default.removeItem(atPath: out + "/OLD-CC.xlsx")
      let left = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(".") })
      for name in lost { try FileManager.default.removeItem(atPath: dir + "/" + left + "/" + name) }
      #expect(FileManager.default.fileExists(atPath: dir + "/" + left + "/.previous"))

      let next = try ReportWriter(directory: out).publish(report, key: nil)
      #expect(next.newFindings.isEmpty, "lost \(lost)")
      #expect(
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty, "lost \(lost)")
      let manifest =
        try JSONSerialization.jsonObject(
          with: try #require(FileManager.default.contents(atPath: out + "/manifest.json"))) as? [String: Any]
      let listed = Set(try #require(manifest?["outputs"] as? [String]))
      #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == listed, "lost \(lost)")
    }
  }

  /// A folder left by a run whose own putting back failed (a file system that refused renames for
  /// a while) is put back by the next run: `--out` is the last complete publication again, and the
  /// failed run's new findings are new.
  @Test func aFailedPuttingBackIsFinishedByTheNextRun() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let report = try PublicationTests.report(dir)
    let out = dir + "/out"
    _ = try ReportWriter(directory: out).publish(Self.previous(of: report), key: nil)
    let count = PublicationTests.Count()
    // The first two renames work, every one after fails: two new files stay in place.
    let failing = PublicationTests.writer(out, count) { $0 >= 3 ? EROFS : nil }
    #expect(throws: OutputError.self) { _ = try failing.publish(report, key: nil) }
    try Self.abandon(dir, as: try Self.deadPID())
    let next = try ReportWriter(directory: out).publish(report, key: nil)
    #expect(next.newFindings.map(\.id) == [try #require(report.findings.last).id])
    #expect(!FileManager.default.fileExists(atPath: out + "/OLD-CC.xlsx"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
  }

  /// A folder found only after a later run published (its pid taken by another process when the
  /// later run looked, so it was left then): the later run's files are not the killed run's, and
  /// nothing of them is put back or removed.
  @Test func aLaterPublicationIsNeverPutBack() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let report = try PublicationTests.report(dir)
    let out = dir + "/out"
    let fm = FileManager.default
    // Killed just after findings.csv moved, and just before the manifest.
    let names = try ReportWriter(directory: dir + "/probe").publish(report, key: nil).outputs
      .map { ($0 as NSString).lastPathComponent }.filter { $0 != "manifest.json" }.sorted()
    for k in [try #require(names.firstIndex(of: "findings.csv")) + 1, names.count] {
      _ = try ReportWriter(directory: out).publish(Self.previous(of: report), key: nil)
      var killed = ReportWriter(directory: out)
      killed.dieAfterMoves = k
      #expect(throws: ReportWriter.Died.self) { _ = try killed.publish(report, key: nil) }
      try Self.abandon(dir, as: try Self.deadPID())
      let folder = try #require(try fm.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(".out.chargeback-") })
      try fm.copyItem(atPath: dir + "/" + folder, toPath: dir + "/copy")
      // The later run: puts the killed run's files back, and publishes.
      _ = try ReportWriter(directory: out).publish(report, key: nil)
      let snapshot = try PublicationTests.snapshot(out)
      // The same folder found again afterwards.
      try fm.moveItem(atPath: dir + "/copy", toPath: dir + "/" + folder)
      let again = try ReportWriter(directory: out).publish(report, key: nil)
      #expect(again.newFindings.isEmpty, "killed after \(k)")
      var now = try PublicationTests.snapshot(out)
      // Per run: the manifest's run time, and what is new since the run before (nothing).
      now["manifest.json"] = snapshot["manifest.json"]
      now["new_findings.csv"] = snapshot["new_findings.csv"]
      #expect(now == snapshot, "killed after \(k)")
      #expect(try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
    }
  }

  /// Two runs into one `--out` at the same time: they publish one after the other, so a new
  /// finding is new in exactly one of them.
  @Test func runsIntoOneOutPublishOneAfterTheOther() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let report = try PublicationTests.report(dir)
    let out = dir + "/out"
    _ = try ReportWriter(directory: out).publish(Self.previous(of: report), key: nil)
    // Threads of their own: a run waiting for the lock blocks its thread.
    final class Results: @unchecked Sendable {
      let lock = NSLock()
      var counts: [Int] = []
      var errors: [String] = []
    }
    let results = Results()
    let group = DispatchGroup()
    for _ in 0..<4 {
      group.enter()
      let thread = Thread {
        defer { group.leave() }
        do {
          let n = try ReportWriter(directory: out).publish(report, key: nil).newFindings.count
          results.lock.withLock { results.counts.append(n) }
        } catch {
          results.lock.withLock { results.errors.append("\(error)") }
        }
      }
      thread.start()
    }
    group.wait()
    #expect(results.errors.isEmpty)
    #expect(results.counts.sorted() == [0, 0, 0, 1])
  }

}
