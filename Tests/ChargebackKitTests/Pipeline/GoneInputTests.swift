import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// Exports that leave the usage folder of a month run daily, through the built executable.
@Suite struct GoneInputTests {
  /// A file deleted from the usage folder after it was loaded stays charged, and each run says so.
  @Test func aFileGoneFromTheUsageFolderIsNamed() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    try DailyRunTests.firstDay(dir)
    try DailyRunTests.day(
      dir, "extra.jsonl",
      [DailyRunTests.call("x-1", "2026-10-02T09:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)])
    #expect(try DailyRunTests.run(dir).status == 0)
    let before = try TestSupport.readCSV(dir + "/out/summary.csv")
    try FileManager.default.removeItem(atPath: dir + "/usage/extra.jsonl")
    for _ in 0..<2 {  // the run that finds nothing new says it too
      let r = try DailyRunTests.run(dir)
      #expect(r.status == 0, "\(r.err)")
      #expect(
        r.err.contains("warning: 1 file loaded earlier from --usage is no longer there (\(dir)/usage/extra.jsonl)"))
      #expect(try TestSupport.readCSV(dir + "/out/summary.csv") == before)
    }
    // Its bytes back under another name (renamed, or moved within the folder): not gone, nothing
    // said, nothing charged twice.
    try FileManager.default.createDirectory(atPath: dir + "/usage/later", withIntermediateDirectories: true)
    try DailyRunTests.day(
      dir, "later/extra-renamed.jsonl",
      [DailyRunTests.call("x-1", "2026-10-02T09:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)])
    let renamed = try DailyRunTests.run(dir)
    #expect(renamed.status == 0, "\(renamed.err)")
    #expect(!renamed.err.contains("no longer there"), "\(renamed.err)")
    #expect(try TestSupport.readCSV(dir + "/out/summary.csv") == before)
    #expect(
      ChargebackJob.goneFiles(["/u/a", "/v/b", "/u2/c"], under: ["/u"], found: []) == [
        "warning: 1 file loaded earlier from --usage is no longer there (/u/a): its records stay in the store and are"
          + " still charged; to leave them out, load the exports again into a new --db"
      ])
  }

  /// A file replaced under its name (another day's calls written over it) says that its earlier
  /// records stay charged; a file that grew (its earlier calls and new ones) says nothing.
  @Test func aFileReplacedUnderItsNameIsNamedAndOneThatGrewIsNot() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    try DailyRunTests.firstDay(dir)
    let a = DailyRunTests.call("g-1", "2026-10-02T09:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)
    let b = DailyRunTests.call("g-2", "2026-10-02T10:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)
    let c = DailyRunTests.call("g-3", "2026-10-03T10:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)
    try DailyRunTests.day(dir, "day.jsonl", [a])
    #expect(try DailyRunTests.run(dir).status == 0)
    // Grown: g-1 again and g-2.
    try DailyRunTests.day(dir, "day.jsonl", [a, b])
    let grown = try DailyRunTests.run(dir)
    #expect(grown.status == 0, "\(grown.err)")
    #expect(!(grown.out + grown.err).contains("changed since it was loaded: "), "\(grown.err)")
    // Replaced: g-3 alone, g-1 and g-2 gone from it.
    try DailyRunTests.day(dir, "day.jsonl", [c])
    let replaced = try DailyRunTests.run(dir)
    #expect(replaced.status == 0, "\(replaced.err)")
    #expect(
      replaced.err.contains(
        "warning: \(dir)/usage/day.jsonl changed since it was loaded: 2 of the 2 records of its earlier version"),
      "\(replaced.err)")
  }

  /// A grown file whose records conflict with another file's copies is not taken for a replaced
  /// one: 3 records, 1 new, 2 refused as conflicting, beside an earlier version of 2 (a review).
  @Test func aGrownFileWithConflictsIsNotNamed() {
    let earlier = StoredFile(
      id: 1, sha256: "a", path: "/u/f.jsonl", format: "f", level: "request", bytes: 10, records: 2, newRecords: 2)
    var grown = Ingestor.FileResult(
      path: "/u/f.jsonl", sha256: "b", format: "f", records: 3, newRecords: 1, alreadyIngested: false)
    grown.conflicts = 2
    #expect(ChargebackJob.changedFiles([earlier], loaded: [grown]).isEmpty)
    var replaced = grown
    (replaced.records, replaced.newRecords, replaced.conflicts) = (1, 1, 0)
    #expect(ChargebackJob.changedFiles([earlier], loaded: [replaced]).count == 1)
  }

  /// manifest.json escapes the invisible and bidirectional characters of a path, as every output
  /// does, and still reads back as the same path.
  @Test func theManifestEscapesABidiOverrideInAPath() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    let name = "invoice\u{202E}lsx.jsonl"
    try DailyRunTests.day(
      dir, name, [DailyRunTests.call("m-1", "2026-10-02T09:00:00Z", arn: DailyRunTests.session + "s9", input: 1_000)])
    #expect(try DailyRunTests.run(dir).status == 0)
    let data = try #require(FileManager.default.contents(atPath: dir + "/out/manifest.json"))
    let text = String(decoding: data, as: UTF8.self)
    #expect(!text.unicodeScalars.contains { $0.value == 0x202E })
    #expect(text.contains("invoice\\u202elsx.jsonl"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect("\(json)".contains("invoice\u{202E}lsx.jsonl"))
  }
}
