import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
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
        r.out.contains("warning: 1 file loaded earlier from --usage is no longer there (\(dir)/usage/extra.jsonl)"))
      #expect(try TestSupport.readCSV(dir + "/out/summary.csv") == before)
    }
    #expect(
      ChargebackJob.goneFiles(["/u/a", "/v/b", "/u2/c"], under: ["/u"], found: []) == [
        "warning: 1 file loaded earlier from --usage is no longer there (/u/a): its records stay in the store and are"
          + " still charged; to leave them out, load the exports again into a new --db"
      ])
  }
}
