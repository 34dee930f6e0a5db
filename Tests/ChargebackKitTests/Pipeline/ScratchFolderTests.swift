import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackTestSupport

/// The report's scratch files (tasks on disk, the workbooks' scratch files) live in a folder of the
/// run's own beside the store: a run leaves none, and a later run removes what a killed one left,
/// and nothing else (a live run's folder, another host's, a user's file of a like name).
@Suite struct ScratchFolderTests {
  @Test func aKilledRunsScratchFolderGoesAndNothingElse() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    try DailyRunTests.firstDay(dir)
    let fm = FileManager.default
    let own = ScratchFolder.prefix + ReportWriter.hostTag + "-"
    // What killed runs left: a folder with an empty scratch file and its lock file (free), and one
    // killed before it made its lock file.
    let killed = dir + "/\(own)\(try KilledPublicationTests.deadPID())-0a1b2c3d"
    try fm.createDirectory(atPath: killed, withIntermediateDirectories: false)
    #expect(fm.createFile(atPath: killed + "/tmp.AbCdEfGhIj", contents: Data()))
    #expect(fm.createFile(atPath: killed + "/.lock", contents: Data()))
    let unlocked = dir + "/\(own)\(try KilledPublicationTests.deadPID())-0a1b2c3e"
    try fm.createDirectory(atPath: unlocked, withIntermediateDirectories: false)
    // A live run's folder (its lock held here, whatever its process id), another host's, a user's
    // file of the same kind of name, a folder whose name only starts like the tool's.
    let live = dir + "/\(own)1-0a1b2c3d"
    try fm.createDirectory(atPath: live, withIntermediateDirectories: false)
    let held = open(live + "/.lock", O_RDWR | O_CREAT, 0o600)
    #expect(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
    defer { close(held) }
    let otherHost = dir + "/\(ScratchFolder.prefix)elsewhere-12345-0a1b2c3d"
    try fm.createDirectory(atPath: otherHost, withIntermediateDirectories: false)
    #expect(fm.createFile(atPath: dir + "/tmp.UsersOwn01", contents: Data("mine".utf8)))
    let notes = dir + "/\(own)notes"
    try fm.createDirectory(atPath: notes, withIntermediateDirectories: false)

    // TMPDIR unset: the scratch folder goes beside the store, where the leftovers are.
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = nil
    let r = try TestSupport.runCLI(
      [
        "run", "--period", "2026-10", "--identities", dir + "/identities", "--pricing", dir + "/pricing",
        "--out", dir + "/out", "--db", dir + "/s.sqlite", "--usage", dir + "/usage",
      ], environment: environment)
    #expect(r.status == 0, "\(r.err)")
    #expect(!fm.fileExists(atPath: killed))
    #expect(!fm.fileExists(atPath: unlocked))
    for kept in [live, otherHost, dir + "/tmp.UsersOwn01", notes] { #expect(fm.fileExists(atPath: kept), "\(kept)") }
    // The run's own folder went with it.
    let left = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(ScratchFolder.prefix) }
    #expect(Set(left) == Set([live, otherHost, notes].map { ($0 as NSString).lastPathComponent }))
  }
}
