import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackTestSupport

/// What ingest prints per file (`loaded`, `skipped (already ingested)`, `skipped: <reason>`,
/// `failed`), and a failure that names every file loaded before it in the run.
@Suite struct IngestOutputTests {
  /// `a`, `b` and `d` are good Bedrock logs; `c` has a malformed line 2.
  private func writeFolder(_ dir: String) throws -> String {
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    let folder = dir + "/exports"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try (lines[0] + "\n").write(toFile: folder + "/a.jsonl", atomically: true, encoding: .utf8)
    try (lines[1] + "\n").write(toFile: folder + "/b.jsonl", atomically: true, encoding: .utf8)
    try (lines[2] + "\n" + String(lines[3].dropLast(4)) + "\n").write(
      toFile: folder + "/c.jsonl", atomically: true, encoding: .utf8)
    try (lines[4] + "\n").write(toFile: folder + "/d.jsonl", atomically: true, encoding: .utf8)
    try Data().write(to: URL(fileURLWithPath: folder + "/empty.jsonl"))
    return folder
  }

  @Test func aFailureNamesTheFilesLoadedBeforeIt() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = try writeFolder(dir)
    let db = dir + "/s.sqlite"
    let r = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(r.status == 65)
    #expect(
      r.out == """
        \(folder)/a.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)
        \(folder)/b.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)
        \(folder)/c.jsonl: failed

        """)
    let err = r.err.split(separator: "\n").map(String.init)
    #expect(err.count == 2)
    #expect(err.first?.hasPrefix("chargeback: \(folder)/c.jsonl:2: ") == true)
    #expect(
      err.last
        == "chargeback: stopped at \(folder)/c.jsonl; loaded before it in this run, and kept in the store "
        + "(2 files): \(folder)/a.jsonl, \(folder)/b.jsonl")
    #expect(try StoreState(db).files == 2)

    // Again: the loaded files are skipped, the bad one fails again, and nothing was loaded before it.
    try FileManager.default.removeItem(atPath: folder + "/a.jsonl")
    let before = try StoreState(db)
    let again = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(again.status == 65)
    #expect(try StoreState(db) == before)
    #expect(
      again.out == "\(folder)/c.jsonl: failed\n1 file already ingested, skipped (unchanged since it was loaded)\n")
    #expect(again.err.contains("chargeback: stopped at \(folder)/c.jsonl; no file was loaded before it in this run"))

    // Fixed: the rest loads, and the delivery artifact keeps its line; `c` now holds `b`'s bytes,
    // and says where they were loaded from.
    let good = try String(contentsOfFile: folder + "/b.jsonl", encoding: .utf8)
    try good.write(toFile: folder + "/c.jsonl", atomically: true, encoding: .utf8)
    let fixed = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(fixed.status == 0, "\(fixed.err)")
    #expect(
      fixed.out == """
        \(folder)/c.jsonl: skipped (already ingested): the same bytes were first loaded as \(folder)/b.jsonl
        \(folder)/d.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)
        \(folder)/empty.jsonl: skipped: empty file, holds no usage
        1 file already ingested, skipped (unchanged since it was loaded)

        """)
  }

  /// The same files named another way (`/./`, a linked folder) or moved since they were loaded are
  /// counted in the one line, not listed one by one as "the same bytes were first loaded as"; a
  /// copy under another name, the first still there, is still listed; a file skipped before at the
  /// same path (empty), unchanged, is counted too (a synced bucket's `data/` bodies were listed
  /// every day, thousands of lines).
  @Test func theSameFilesNamedAnotherWayAreCountedInOneLine() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = try writeFolder(dir)
    try FileManager.default.removeItem(atPath: folder + "/c.jsonl")
    let db = dir + "/s.sqlite"
    #expect(try TestSupport.runCLI(["ingest", folder, "--db", db]).status == 0)
    try FileManager.default.createSymbolicLink(atPath: dir + "/linked", withDestinationPath: folder)
    for other in [dir + "/./exports", dir + "/linked"] {
      let r = try TestSupport.runCLI(["ingest", other, "--db", db])
      #expect(r.status == 0, "\(r.err)")
      #expect(
        r.out == "\(other)/empty.jsonl: skipped: empty file, holds no usage\n"
          + "3 files already ingested, skipped (unchanged since they were loaded)\n", "\(other)")
    }
    // Renamed (a sync's finished download), and copied under a new name with the first still there.
    try FileManager.default.moveItem(atPath: folder + "/a.jsonl", toPath: folder + "/a-renamed.jsonl")
    try FileManager.default.copyItem(atPath: folder + "/b.jsonl", toPath: folder + "/b-copy.jsonl")
    let r = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(r.status == 0, "\(r.err)")
    #expect(
      r.out == """
        \(folder)/b-copy.jsonl: skipped (already ingested): the same bytes were first loaded as \(folder)/b.jsonl
        3 files already ingested, skipped (unchanged since they were loaded)
        1 file skipped again, unchanged since an earlier run skipped it as a delivery artifact (a report's manifest.json lists them: skipped_inputs)

        """)
  }

  /// The folder `folder`, made, with the fixture month's first Bedrock call in `a.jsonl`; and the
  /// month's lines, for the files a test adds.
  static func folderWithOneCall(_ folder: String) throws -> (folder: String, lines: [String]) {
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try (lines[0] + "\n").write(toFile: folder + "/a.jsonl", atomically: true, encoding: .utf8)
    return (folder, lines)
  }

  /// Downloads still in progress under a tool's temporary name (a sync running when the job
  /// starts) are left for a later run, said in a line each, not read (a cut-off gzip stopped the
  /// run) and not recorded: once renamed to its final name, the file loads.
  @Test func downloadsInProgressAreLeftForALaterRun() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (folder, lines) = try Self.folderWithOneCall(dir + "/sync")
    // The first bytes of a gzip member, cut off; a half-written line.
    try Data([0x1f, 0x8b, 0x08, 0x00, 0x00]).write(to: URL(fileURLWithPath: folder + "/b.jsonl.gz.1a2B3c4D"))
    try String(lines[1].prefix(40)).write(toFile: folder + "/c.jsonl.partial", atomically: true, encoding: .utf8)
    let db = dir + "/s.sqlite"
    let r = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(r.status == 0, "\(r.err)")
    let out = r.out.split(separator: "\n").map(String.init)
    #expect(out.first == "\(folder)/a.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)")
    #expect(out.filter { $0.contains(": skipped: a download in progress") }.count == 2)
    #expect(try StoreState(db).files == 1)
    // The sync finishes: the download renamed to its final name loads.
    try FileManager.default.removeItem(atPath: folder + "/b.jsonl.gz.1a2B3c4D")
    try FileManager.default.removeItem(atPath: folder + "/c.jsonl.partial")
    try (lines[1] + "\n").write(toFile: folder + "/b.jsonl", atomically: true, encoding: .utf8)
    let next = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(next.out.contains("\(folder)/b.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)"))
    #expect(try StoreState(db).files == 2)
    // A cut-off download's leftover beside its final name is said to be one, not a download that
    // will load (a trial's was announced every day for good).
    try Data([0x1f, 0x8b]).write(to: URL(fileURLWithPath: folder + "/b.jsonl.9f8e7d6c"))
    let leftover = try TestSupport.runCLI(["ingest", folder, "--db", db])
    #expect(
      leftover.out.contains(
        "\(folder)/b.jsonl.9f8e7d6c: skipped: a download tool's temporary file (the AWS CLI's temporary name: the final"
          + " name and 8 hex digits) beside its final name b.jsonl"), "\(leftover.out)")
    #expect(try StoreState(db).files == 2)
  }

  /// A copy-then-rename's `.tmp` found in a folder is left out with a warning that the outputs lack
  /// it (a rename that never comes would leave it out every day, said on stdout only); named in
  /// `--usage`, it is loaded as asked.
  @Test func aTemporaryNameInAFolderIsWarnedOfAndLoadedWhenNamed() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (folder, lines) = try Self.folderWithOneCall(dir + "/usage")
    try (lines[1] + "\n").write(toFile: folder + "/b.jsonl.tmp", atomically: true, encoding: .utf8)
    func run(_ usage: [String]) throws -> (status: Int32, out: String, err: String) {
      try TestSupport.runCLI(
        [
          "run", "--period", "2026-10", "--identities", Fixtures.month + "/identities", "--pricing",
          Fixtures.month + "/pricing", "--out", dir + "/out", "--db", dir + "/s.sqlite", "--usage",
        ] + usage)
    }
    let r = try run([folder])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("\(folder)/b.jsonl.tmp: skipped: a download in progress"), "\(r.out)")
    #expect(
      r.err.contains(
        "warning: 1 file under a download tool's temporary name (\(folder)/b.jsonl.tmp) was not loaded: these outputs"
          + " lack its usage"), "\(r.err)")
    #expect(try StoreState(dir + "/s.sqlite").files == 1)
    let named = try run([folder + "/b.jsonl.tmp"])
    #expect(named.status == 0, "\(named.err)")
    #expect(
      named.out.contains("\(folder)/b.jsonl.tmp: loaded (bedrock-invocation-log, 1 record, 1 new)"), "\(named.out)")
    #expect(!named.err.contains("temporary name"), "\(named.err)")
    #expect(try StoreState(dir + "/s.sqlite").files == 2)
  }

  /// `ingest` takes its inputs as `run` does (`--usage`), as well as by position, and asks for them
  /// when none is named (a `run` line cut down to its ingest was refused as an unknown option).
  @Test func ingestTakesUsageAsRunDoes() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = try writeFolder(dir)
    try FileManager.default.removeItem(atPath: folder + "/c.jsonl")
    let db = dir + "/s.sqlite"
    let r = try TestSupport.runCLI(["ingest", "--usage", folder + "/a.jsonl", folder + "/b.jsonl", "--db", db])
    #expect(r.status == 0, "\(r.err)")
    #expect(try StoreState(db).files == 2)
    // Both ways in one line: the positional file and the --usage one.
    let both = try TestSupport.runCLI(["ingest", folder + "/d.jsonl", "--db", db, "--usage", folder + "/a.jsonl"])
    #expect(both.status == 0, "\(both.err)")
    #expect(both.out.contains("\(folder)/d.jsonl: loaded (bedrock-invocation-log, 1 record, 1 new)"))
    #expect(try StoreState(db).files == 3)
    let none = try TestSupport.runCLI(["ingest", "--db", db])
    #expect(none.status == 64)
    #expect(none.err.contains("Name the usage exports to load"))
  }

  @Test func temporaryDownloadNames() {
    for name in [
      "p.json.gz.1a2B3c4D", "p.jsonl.0123abcd", "p.csv.partial", "p.json_.gstmp", "p.jsonl.crdownload",
      "p.jsonl.tmp", "p.json.TMP", "p.csv.temp", "p.jsonl.filepart", "p.jsonl.part",
    ] {
      #expect(DeliveryArtifacts.downloadInProgress(path: "/x/" + name) != nil, "\(name)")
    }
    for name in [
      "p.json.gz", "p.jsonl", "2026.10.01.json", "p.json.gz.1a2B3c4", "p.json.gz.1a2B3c4G", "deadbeef.12345678",
      "spend.jsonl.20261001", "tmp.jsonl", "temp-2026-10.json", "p.tmp.jsonl", "p.json.download",
    ] {
      #expect(DeliveryArtifacts.downloadInProgress(path: "/x/" + name) == nil, "\(name)")
    }
  }

  /// `run` stops the same way, before writing any output.
  @Test func runStopsTheSameWay() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = try writeFolder(dir)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", folder, "--identities", Fixtures.month + "/identities",
      "--pricing", Fixtures.month + "/pricing", "--out", dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 65)
    #expect(r.out.contains("\(folder)/c.jsonl: failed\n"))
    #expect(
      r.err.contains(
        "chargeback: stopped at \(folder)/c.jsonl; loaded before it in this run, and kept in the store (2 files)"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
  }
}
