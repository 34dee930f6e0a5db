import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// Publication (SPEC §11): outputs appear all at once or not at all, files the tool did not write are
/// never touched, and symbolic links in `--out` are never followed.
@Suite struct PublicationTests {
  /// `chargeback run` on the hand-computed month into `out`.
  static func run(_ out: String, db: String, identities: String = Fixtures.month + "/identities") throws -> (
    status: Int32, out: String, err: String
  ) {
    try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", Fixtures.month + "/usage", "--identities", identities, "--pricing",
      Fixtures.month + "/pricing", "--out", out, "--db", db,
    ])
  }

  /// Every file in `dir` (not following links) with its bytes.
  static func snapshot(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
      out[name] = FileManager.default.contents(atPath: dir + "/" + name) ?? Data()
    }
    return out
  }

  @Test func aUsersFilesInOutAreLeftAlone() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let budget = Data("the user's own budget model".utf8)
    try budget.write(to: URL(fileURLWithPath: out + "/budget.xlsx"))
    try Data("notes".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
    let first = try Self.run(out, db: dir + "/s.sqlite")
    #expect(first.status == 0, "\(first.err)")
    // Again, with a cost centre fewer: its workbook goes, the user's files stay.
    let second = try Self.run(out, db: dir + "/s.sqlite")
    #expect(second.status == 0, "\(second.err)")
    #expect(FileManager.default.contents(atPath: out + "/budget.xlsx") == budget)
    #expect(FileManager.default.fileExists(atPath: out + "/notes.txt"))
    #expect(FileManager.default.fileExists(atPath: out + "/company.xlsx"))
    // No working folder is left beside --out.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
  }

  @Test func aForeignFileWhereAnOutputGoesStopsTheRunBeforeAnythingChanges() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try Data("cost_centre,mine\n".utf8).write(to: URL(fileURLWithPath: out + "/summary.csv"))
    let before = try Self.snapshot(out)
    let r = try Self.run(out, db: dir + "/s.sqlite")
    #expect(r.status == 73)
    #expect(r.err.contains(out + "/summary.csv: exists and was not written by chargeback"))
    #expect(try Self.snapshot(out) == before)
  }

  /// An output changed after the tool wrote it (a note added to `journal.csv`, a workbook saved
  /// from a spreadsheet program) is no longer the tool's: the next run stops (exit 73) naming it,
  /// with `--out` as it was, whether it had anything new or not; once the file is moved away the
  /// run writes it again and the moved copy keeps the edit.
  @Test func anOutputChangedByHandIsNeitherReplacedNorRemoved() throws {
    let fm = FileManager.default
    for (name, edit) in [("journal.csv", "FINANCE NOTE: approved by the CFO\n"), ("company.xlsx", "x")] {
      let dir = try TestSupport.tempDir()
      let out = dir + "/out"
      #expect(try Self.run(out, db: dir + "/s.sqlite").status == 0)
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/" + name))
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(edit.utf8))
      try handle.close()
      let edited = try Self.snapshot(out)
      // Nothing new (the same inputs), then something new (a new --db loads them again: a new report).
      for db in ["/s.sqlite", "/t.sqlite"] {
        let r = try Self.run(out, db: dir + db)
        #expect(r.status == 73, "\(name) \(db): \(r.err)")
        #expect(r.err.contains(out + "/" + name + ": was changed after chargeback wrote it"), "\(r.err)")
        #expect(try Self.snapshot(out) == edited, "\(name) \(db)")
      }
      try fm.moveItem(atPath: out + "/" + name, toPath: dir + "/kept-" + name)
      let again = try Self.run(out, db: dir + "/s.sqlite")
      #expect(again.status == 0, "\(again.err)")
      #expect(fm.contents(atPath: dir + "/kept-" + name) == edited[name])
      #expect(fm.fileExists(atPath: out + "/" + name) && fm.contents(atPath: out + "/" + name) != edited[name])
    }
  }

  /// The outputs are checked before the report is built (a 10 M-call month's report takes
  /// minutes, and an edited output stopped the run only after): an unchanged set is returned as
  /// copies the publication need not read again, an edited one stops the check, naming it.
  @Test func anOutputChangedByHandIsFoundBeforeTheReportIsBuilt() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    #expect(try Self.run(out, db: dir + "/s.sqlite").status == 0)
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        as? [String: Any])
    let recorded = try #require(manifest["output_sha256"] as? [String: String])
    let writer = ReportWriter(directory: out)
    // Every output with a recorded hash, and only those, as copies with that hash.
    let copies = try writer.checkBeforeBuilding()
    #expect(Set(copies.keys) == Set(recorded.keys) && !copies.isEmpty)
    for (name, copy) in copies { #expect(copy.hasPrefix(recorded[name, default: "?"] + "\t"), "\(name)") }
    try Data("edited\n".utf8).write(to: URL(fileURLWithPath: out + "/summary.csv"))
    #expect {
      try writer.checkBeforeBuilding()
    } throws: { error in
      "\(error)".contains(out + "/summary.csv: was changed after chargeback wrote it")
    }
    // No --out yet: nothing to check.
    #expect(try ReportWriter(directory: dir + "/new").checkBeforeBuilding().isEmpty)
  }

  /// An output that is still the copy the last run left is taken to have its recorded bytes.
  ///
  /// The copy is its device, inode, size and modification time, kept in the store; the file is
  /// not read: a recorded hash that is not the file's is believed, which shows it. Touched (a new
  /// modification time) or replaced by another copy, it is read and hashed again.
  @Test func anOutputStillTheLastRunsCopyIsNotReadAgain() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: out + "/summary.csv"))
    var writer = ReportWriter(directory: out)
    let real = try ReportWriter.sha256(out + "/summary.csv")
    writer.knownCopies = ReportWriter.decodeCopies(ReportWriter.encodeCopies(writer.copies(["summary.csv": "f00d"])))
    #expect(try writer.hasBytes("summary.csv", sha256: "f00d"))
    #expect(try !writer.hasBytes("summary.csv", sha256: "beef"))
    // Another modification time: read again, and only its real hash holds.
    var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 0), timespec(tv_sec: 1_700_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, out + "/summary.csv", &times, 0) == 0)
    #expect(try !writer.hasBytes("summary.csv", sha256: "f00d"))
    #expect(try writer.hasBytes("summary.csv", sha256: real))
  }

  @Test func linksAreNeverFollowed() throws {
    let dir = try TestSupport.tempDir()
    let fm = FileManager.default
    // --out itself a link, however it is spelled: a trailing slash made `stat` follow it (a trial).
    try fm.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
    for spelling in ["/link", "/link/", "/link//", "/link/.", "/link/./", "/link/./."] {
      let viaLink = try Self.run(dir + spelling, db: dir + "/s.sqlite")
      #expect(viaLink.status == 73, "\(spelling)")
      #expect(viaLink.err.contains("is a symbolic link"), "\(spelling): \(viaLink.err)")
      #expect(try fm.contentsOfDirectory(atPath: dir + "/real").isEmpty, "\(spelling)")
    }
    // A link where an output goes, after a good run: the file it points to stays as it was.
    let out = dir + "/out"
    #expect(try Self.run(out, db: dir + "/s.sqlite").status == 0)
    let victim = dir + "/victim.txt"
    try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
    try fm.removeItem(atPath: out + "/findings.csv")
    try fm.createSymbolicLink(atPath: out + "/findings.csv", withDestinationPath: victim)
    let r = try Self.run(out, db: dir + "/s.sqlite")
    #expect(r.status == 73)
    #expect(r.err.contains("findings.csv: is a symbolic link"))
    #expect(fm.contents(atPath: victim) == Data("keep me".utf8))
  }

  /// A second run that fails while writing (here: the file-size limit stops focus.csv) leaves the
  /// first run's files exactly as they were, not a mix of new and old.
  @Test func aRunThatFailsHalfWayLeavesThePreviousOutputs() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    let db = dir + "/s.sqlite"
    #expect(try Self.run(out, db: db).status == 0)
    let before = try Self.snapshot(out)
    // The second report has more usage (the demo's own), so every output would change; it is
    // ingested first, without a limit, so that the report fails while writing its outputs.
    let exe = try #require(TestSupport.executable())
    let demo = try TestSupport.runCLI([
      "demo", "--out", dir + "/demo", "--pricing", TestSupport.packageRoot + "/pricing",
    ])
    #expect(demo.status == 0)
    #expect(try TestSupport.runCLI(["ingest", dir + "/demo/input/usage", "--db", db]).status == 0)
    let script =
      "trap '' XFSZ; ulimit -f 64; exec \"$0\" report --period 2026-10 --identities \"$1\" "
      + "--pricing \"$2\" --out \"$3\" --db \"$4\""
    let r = try TestSupport.run(
      "/bin/sh", ["-c", script, exe, Fixtures.month + "/identities", Fixtures.month + "/pricing", out, db])
    #expect(r.status == 74, "\(r.err)")
    #expect(try Self.snapshot(out) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)
  }

  /// A report of the hand-computed month, built in this process.
  static func report(_ dir: String) throws -> ChargebackReport {
    try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [Fixtures.month + "/usage"],
        identities: Fixtures.month + "/identities", pricing: Fixtures.month + "/pricing", out: dir + "/first",
        database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).run().report
  }

  /// Renames made by a writer of ``writer(_:_:failing:)``.
  final class Count { var n = 0 }

  /// A folder, its `out` holding a run's outputs (`before`), and a report to publish over them.
  static func published() throws -> (dir: String, out: String, before: [String: Data], report: ChargebackReport) {
    let dir = try TestSupport.tempDir()
    let out = dir + "/out"
    #expect(try Self.run(out, db: dir + "/cli.sqlite").status == 0)
    return (dir, out, try Self.snapshot(out), try Self.report(dir))
  }

  /// A writer into `out` whose n-th rename (counted in `count`) fails with `failing(n)` when that
  /// is an errno; the others are real.
  static func writer(_ out: String, _ count: Count, failing: @escaping (Int) -> Int32?) -> ReportWriter {
    var writer = ReportWriter(directory: out)
    writer.renameFile = { from, to in
      count.n += 1
      guard let code = failing(count.n) else { return rename(from, to) }
      errno = code
      return -1
    }
    return writer
  }

  /// A rename that fails while the outputs move into place (the k-th of the publication; the
  /// others are real): the files moved in so far are taken out and those they replaced put back.
  @Test(arguments: [1, 2, 5, 9, 12])
  func aRenameThatFailsWhileMovingIntoPlaceLeavesThePreviousOutputs(failing k: Int) throws {
    let (dir, out, before, report) = try Self.published()
    let count = Count()
    let writer = Self.writer(out, count) { $0 == k ? EIO : nil }
    #expect(throws: OutputError.self) { _ = try writer.publish(report, key: "other") }
    #expect(count.n >= k)
    #expect(try Self.snapshot(out) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }.isEmpty)

    // Into an empty --out: nothing is left that would stop the next run as a foreign file.
    let fresh = dir + "/fresh"
    count.n = 0
    var first = ReportWriter(directory: fresh)
    first.renameFile = writer.renameFile
    #expect(throws: OutputError.self) { _ = try first.publish(report, key: nil) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: fresh).isEmpty)
    #expect(try ReportWriter(directory: fresh).publish(report, key: nil).outputs.count > 5)
  }

  /// A rename that fails, and putting the previous files back failing too (a file system gone
  /// read-only): the staging folder is kept, named in the error, with the previous files in it.
  @Test func whenPuttingBackFailsThePreviousFilesAreKeptAndNamed() throws {
    let (dir, out, before, report) = try Self.published()
    let writer = Self.writer(out, Count()) { $0 >= 3 ? EROFS : nil }
    let error = try #require(throws: OutputError.self) { _ = try writer.publish(report, key: "other") }
    #expect(error.reason.contains("could not be put back"), "\(error)")
    let kept = try #require(
      try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(".out.chargeback-") })
    #expect(error.reason.contains(kept))
    let previous = try Self.snapshot(dir + "/" + kept + "/.previous")
    #expect(!previous.isEmpty)
    for (name, bytes) in previous { #expect(before[name] == bytes, "\(name)") }
  }

  /// A long `--out` name (230 bytes): the staging folder beside it keeps within a file name's 255.
  @Test func aLongOutNameStillPublishes() throws {
    let dir = try TestSupport.tempDir()
    let out = dir + "/" + String(repeating: "é", count: 20) + String(repeating: "o", count: 190)
    #expect(out.utf8.count - dir.utf8.count - 1 == 230)
    let r = try Self.run(out, db: dir + "/s.sqlite")
    #expect(r.status == 0, "\(r.err)")
    #expect(FileManager.default.fileExists(atPath: out + "/summary.csv"))
    #expect(ReportWriter.stagingBase((out as NSString).lastPathComponent).utf8.count <= 109)
  }

  @Test func demoNeverDeletesWhatItDidNotGenerate() throws {
    let dir = try TestSupport.tempDir()
    let input = dir + "/input"
    try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
    try Data("precious".utf8).write(to: URL(fileURLWithPath: input + "/mine.txt"))
    let r = try TestSupport.runCLI(["demo", "--out", dir, "--pricing", TestSupport.packageRoot + "/pricing"])
    #expect(r.status == 73)
    #expect(FileManager.default.contents(atPath: input + "/mine.txt") == Data("precious".utf8))
    // Its own earlier output it replaces.
    let again = try TestSupport.tempDir()
    #expect(
      try TestSupport.runCLI(["demo", "--out", again, "--pricing", TestSupport.packageRoot + "/pricing"]).status == 0)
    #expect(
      try TestSupport.runCLI(["demo", "--out", again, "--pricing", TestSupport.packageRoot + "/pricing"]).status == 0)
  }
}
