import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `--out` as users type it.
///
/// Short relative names, trailing slashes, the working folder itself. `--out o` once crashed the tool (Foundation's `deletingLastPathComponent` traps on a
/// one-character path on Linux).
@Suite struct OutPathTests {
  @Test(arguments: [
    ("o", "."), ("é", "."), (".", "."), ("..", "."), ("o/", "."), ("o//", "."), ("reports", "."),
    ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("./o", "."), ("../o", ".."), ("/o", "/"), ("/", "/"),
    ("/a/b", "/a"), ("", "."),
  ])
  func theFolderThatHoldsAPath(path: String, parent: String) {
    #expect(PathText.parent(of: path) == parent)
  }

  /// `run` with each kind of relative `--out`, from a working folder of its own: the outputs land in
  /// that folder and no working folder of the tool's is left beside them.
  @Test(arguments: ["o", "é", "o/", "./o", "sub/o", "."])
  func aRunWritesIntoAnyRelativeOut(out: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (usage, ids, pricing) = try OutputSafetyTests.hostileMonth(dir + "/in")
    let work = dir + "/work"
    try FileManager.default.createDirectory(atPath: work + "/sub", withIntermediateDirectories: true)
    let run = try TestSupport.runCLI(
      [
        "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--db",
        dir + "/s.sqlite", "--out", out,
      ], cwd: work)
    #expect(run.status == 0, "\(run.err)")
    let published = (work as NSString).appendingPathComponent(out)
    #expect(FileManager.default.fileExists(atPath: published + "/manifest.json"), "\(out): \(run.err)")
    #expect(FileManager.default.fileExists(atPath: published + "/chargeback.csv"))
    // No staging folder left, beside `--out` or in it.
    for folder in [work, PathText.parent(of: published), published] {
      let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".chargeback-") }
      #expect(left.isEmpty, "\(out): \(left) left in \(folder)")
    }
  }

  /// The working folder a killed run left beside `--out` is removed by the next run; one whose
  /// process still runs, one whose lock a live process holds (another machine's run, or another
  /// PID namespace's, with the same pid), one of another host, and anything not of that shape stay.
  @Test func aKilledRunsWorkingFolderIsRemovedByTheNext() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (usage, ids, pricing) = try OutputSafetyTests.hostileMonth(dir + "/in")
    // A process that has ended: its pid names no process now.
    let gone = Process()
    gone.executableURL = URL(fileURLWithPath: "/bin/true")
    try gone.run()
    gone.waitUntilExit()
    let dead = gone.processIdentifier
    let host = ReportWriter.hostTag
    let abandoned = ".out.chargeback-\(host)-\(dead)-abcd1234"
    let locked = ".out.chargeback-\(host)-\(dead)-lock1234"
    let kept = [
      locked,
      ".out.chargeback-\(host)-1-abcd1234",  // pid 1 runs
      ".out.chargeback-\(host)x-\(dead)-abcd1234",  // another host
      ".out.chargeback-\(dead)-abcd1234",  // not of the shape (an older version's)
      ".out.chargeback-\(host)-\(dead)-abcd",  // not of the shape
    ]
    for name in [abandoned] + kept {
      try FileManager.default.createDirectory(atPath: dir + "/" + name + "/part", withIntermediateDirectories: true)
      #expect(FileManager.default.createFile(atPath: dir + "/" + name + "/.lock", contents: Data()))
    }
    // This process holds the lock of one of them, as a live run elsewhere would.
    let fd = open(dir + "/" + locked + "/.lock", O_RDWR)
    #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
    defer { close(fd) }
    let run = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--db",
      dir + "/s.sqlite", "--out", dir + "/out",
    ])
    #expect(run.status == 0, "\(run.err)")
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".chargeback-") })
    #expect(left == Set(kept))
  }
}
