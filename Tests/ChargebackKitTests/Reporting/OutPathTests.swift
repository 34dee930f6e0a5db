import Foundation
import Testing

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
}
