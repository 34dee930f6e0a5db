import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackTestSupport

/// The report's scratch files (tasks on disk, the workbooks' scratch files) live in a folder of the
/// run's own beside the store: a run leaves none, and the next run removes what a killed one left,
/// and nothing else.
@Suite struct ScratchFolderTests {
  /// The pid of a process that has ended.
  static func deadPID() throws -> Int32 { try KilledPublicationTests.deadPID() }

  @Test func aKilledRunsScratchFolderGoesAndNothingElse() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    try DailyRunTests.firstDay(dir)
    let fm = FileManager.default
    // What a killed run left: its folder with an empty scratch file in it.
    let killed = dir + "/\(ScratchFolder.prefix)\(try Self.deadPID())-0a1b2c3d"
    try fm.createDirectory(atPath: killed, withIntermediateDirectories: false)
    #expect(fm.createFile(atPath: killed + "/tmp.AbCdEfGhIj", contents: Data()))
    // What is not the tool's: a user's file of the same kind of name, a folder of a live process
    // (pid 1), a name that only starts like the tool's, a file of the tool's name.
    #expect(fm.createFile(atPath: dir + "/tmp.UsersOwn01", contents: Data("mine".utf8)))
    let live = dir + "/\(ScratchFolder.prefix)1-0a1b2c3d"
    let other = dir + "/\(ScratchFolder.prefix)notes"
    try fm.createDirectory(atPath: live, withIntermediateDirectories: false)
    try fm.createDirectory(atPath: other, withIntermediateDirectories: false)
    let file = dir + "/\(ScratchFolder.prefix)\(try Self.deadPID())-0a1b2c3e"
    #expect(fm.createFile(atPath: file, contents: Data("x".utf8)))

    let r = try DailyRunTests.run(dir)
    #expect(r.status == 0, "\(r.err)")
    #expect(!fm.fileExists(atPath: killed))
    for kept in [dir + "/tmp.UsersOwn01", live, other, file] { #expect(fm.fileExists(atPath: kept), "\(kept)") }
    // The run's own folder went with it.
    let left = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(ScratchFolder.prefix) }
    #expect(Set(left) == Set([live, other, file].map { ($0 as NSString).lastPathComponent }))
  }
}
