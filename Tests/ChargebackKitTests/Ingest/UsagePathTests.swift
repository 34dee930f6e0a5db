import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// How `--usage` paths are walked: through symbolic links (a synced bucket's `current` link), each
/// folder once; what is not a regular file stops the run before anything is loaded; the run's own
/// outputs and store inside a usage folder are not read back as exports.
@Suite struct UsagePathTests {
  static let sample = Fixtures.samples + "/bedrock/model-invocation-logs.jsonl"

  /// `dir/real/2026-10/a.jsonl` (the Bedrock sample, two calls); returns `dir/real`.
  func realFolder(_ dir: String) throws -> String {
    let real = dir + "/real"
    try FileManager.default.createDirectory(atPath: real + "/2026-10", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.sample, toPath: real + "/2026-10/a.jsonl")
    return real
  }

  func link(_ path: String, to target: String) throws {
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
  }

  @Test func aLinkedFolderIsWalkedAndItsFilesKeepTheGivenPath() throws {
    let dir = try TestSupport.tempDir()
    let real = try realFolder(dir)
    try link(dir + "/current", to: real)
    #expect(try Ingestor.expand([dir + "/current"]) == [dir + "/current/2026-10/a.jsonl"])
    #expect(try Ingestor.expand([dir + "/current/"]).count == 1)
    // A linked folder inside a usage folder, beside a plain file.
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    try link(usage + "/linked", to: real + "/2026-10")
    try FileManager.default.copyItem(atPath: Self.sample, toPath: usage + "/b.jsonl")
    #expect(try Ingestor.expand([usage]) == [usage + "/b.jsonl", usage + "/linked/a.jsonl"])
    // And loaded: the two calls of the linked copy (the plain copy is the same bytes).
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/current"])
    #expect(try store.recordCount() == 2)
  }

  @Test func aLinkLoopIsWalkedOnce() throws {
    let dir = try TestSupport.tempDir()
    let real = try realFolder(dir)
    try link(real + "/2026-10/again", to: real)  // back up to the folder being walked
    try link(real + "/twin", to: real + "/2026-10")  // a second way into one folder
    let files = try Ingestor.expand([real])
    #expect(files.count == 1)
    #expect(files.allSatisfy { $0.hasSuffix("/a.jsonl") })
  }

  @Test(arguments: ["broken link", "fifo", "given fifo"])
  func whatIsNotARegularFileStopsTheRunNamingIt(kind: String) throws {
    let dir = try TestSupport.tempDir()
    let real = try realFolder(dir)
    let bad = real + "/2026-10/z"
    switch kind {
    case "broken link": try link(bad, to: dir + "/nowhere")
    default: #expect(mkfifo(bad, 0o600) == 0)
    }
    let error = try #require(throws: InputMissingError.self) {
      try Ingestor.expand([kind == "given fifo" ? bad : real])
    }
    #expect(error.path == bad)
    #expect(error.reason.contains(kind == "broken link" ? "symbolic link to nothing" : "FIFO"), "\(error)")
    #expect(error.exitStatus == 66)
  }

  /// A file whose name is Latin-1 (`caf\xE9.jsonl`), not UTF-8: the listing cannot give a name that
  /// opens it, and the error says why and what to do.
  @Test func aNameThatIsNotUTF8IsNamedAsSuch() throws {
    let dir = try TestSupport.tempDir()
    let real = try realFolder(dir)
    let raw = Array((real + "/2026-10/caf").utf8) + [0xE9] + Array(".jsonl".utf8) + [0]
    let fd = open(raw.map { CChar(bitPattern: $0) }, O_CREAT | O_WRONLY, 0o600)
    #expect(fd >= 0)
    close(fd)
    let error = try #require(throws: InputMissingError.self) { try Ingestor.expand([real]) }
    #expect(error.reason.contains("not valid UTF-8"), "\(error)")
    #expect(error.reason.contains("rename it"))
    #expect(error.exitStatus == 66)
  }

  @Test func theRunsOwnOutputsAndStoreInAUsageFolderAreNotRead() throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/usage", toPath: usage)
    let args = [
      "run", "--period", "2026-10", "--usage", usage, "--identities", Fixtures.month + "/identities",
      "--pricing", Fixtures.month + "/pricing", "--out", usage + "/out", "--db", usage + "/s.sqlite",
    ]
    let first = try TestSupport.runCLI(args)
    #expect(first.status == 0, "\(first.err)")
    func total() throws -> String? {
      try TestSupport.readCSV(usage + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }?["cost_usd"]
    }
    // The month's total as MonthTests works it out by hand.
    #expect(try total() == "1.140600")
    // The second run finds the workbooks, CSVs and the store in the folder, and reads none of them.
    let second = try TestSupport.runCLI(args)
    #expect(second.status == 0, "\(second.err)")
    #expect(try total() == "1.140600")
    let listed = try Ingestor.expand(
      [usage], skipping: [usage + "/out"] + ChargebackJob.storeFiles(.sqlite(path: usage + "/s.sqlite")))
    #expect(!listed.contains { $0.hasPrefix(usage + "/out/") || $0.hasPrefix(usage + "/s.sqlite") })
    #expect(!listed.isEmpty)
  }
}
