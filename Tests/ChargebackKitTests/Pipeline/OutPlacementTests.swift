import Foundation
import Testing

@testable import ChargebackTestSupport

/// Where `--out` may not be: a `--usage` folder itself, or under a file; both are refused before
/// anything is loaded or written, with a message that names what is wrong.
@Suite struct OutPlacementTests {
  static func copyMonth(to dir: String) throws -> String {
    let usage = dir + "/usage"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/usage", toPath: usage)
    return usage
  }

  static func cli(_ command: String, out: String, usage: String?, dir: String) throws -> (
    status: Int32, out: String, err: String
  ) {
    try TestSupport.runCLI(
      [command, "--period", "2026-10"] + (usage.map { ["--usage", $0] } ?? []) + [
        "--identities", Fixtures.month + "/identities", "--pricing", Fixtures.month + "/pricing", "--out", out,
        "--db", dir + "/s.sqlite",
      ])
  }

  /// A trial's daily job wrote its outputs into the usage folder on the first day, then stopped on
  /// its own workbooks as unrecognised exports the next: the first run is refused, whatever the
  /// spelling of the folder, and nothing is loaded or written.
  @Test(arguments: ["usage", "usage/", "usage/.", "usage/../usage"])
  func outputsIntoTheUsageFolderAreRefused(spelling: String) throws {
    let dir = try TestSupport.tempDir()
    let usage = try Self.copyMonth(to: dir)
    let before = try FileManager.default.contentsOfDirectory(atPath: usage).sorted()
    let r = try Self.cli("run", out: dir + "/" + spelling, usage: usage, dir: dir)
    #expect(r.status == 73, "\(r.err)")
    #expect(r.err.contains("is the --usage folder"), "\(r.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: usage).sorted() == before)
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
    // A folder inside the usage folder is skipped by the walk: it runs, twice.
    for _ in 0..<2 {
      let inside = try Self.cli("run", out: usage + "/out", usage: usage, dir: dir)
      #expect(inside.status == 0, "\(inside.err)")
    }
  }

  /// `--out` under a file: named as such (Foundation said "error 512"), by `run` and `report`.
  @Test func anOutUnderAFileSaysSo() throws {
    let dir = try TestSupport.tempDir()
    let usage = try Self.copyMonth(to: dir)
    try Data("a file".utf8).write(to: URL(fileURLWithPath: dir + "/afile"))
    let run = try Self.cli("run", out: dir + "/afile/sub", usage: usage, dir: dir)
    #expect(run.status == 73 && run.err.contains("afile is not a directory"), "\(run.err)")
    #expect(try Self.cli("run", out: dir + "/good", usage: usage, dir: dir).status == 0)
    let report = try Self.cli("report", out: dir + "/afile/sub/deeper", usage: nil, dir: dir)
    #expect(report.status == 73 && report.err.contains("afile is not a directory"), "\(report.err)")
  }
}
