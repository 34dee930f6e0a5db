import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A file cut inside its last line minutes ago is still being written.
///
/// A JSON Lines file with no line end at its end, written to minutes ago (a writer paused, a copy
/// that does not write under a temporary name), is left
/// for a later run with a warning, the other files loaded and the outputs written (a trial's daily
/// run failed whole, exit 65). An older one, or one cut elsewhere, is refused as every bad file is.
@Suite struct UnfinishedFileTests {
  typealias D = DailyRunTests

  /// Day 1's 20 calls ($0.10 each) in one file, and day 2's 10 in another cut inside its 10th line.
  static func month(_ dir: String, cutAt line: Int = 10) throws -> String {
    try D.setUp(dir)
    try D.day(
      dir, "2026-10-01.jsonl",
      (1...20).map { k in D.call("a-\(k)", D.spread("2026-10-01", k), arn: D.session + "s-\(k)", input: 100_000) })
    var lines = (1...10).map { k in
      D.call("b-\(k)", D.spread("2026-10-02", k), arn: D.session + "s-\(k)", input: 100_000)
    }
    lines[line - 1] = String(lines[line - 1].prefix(60))
    let cut = dir + "/usage/2026-10-02.jsonl"
    try lines.prefix(line).joined(separator: "\n").write(toFile: cut, atomically: true, encoding: .utf8)
    return cut
  }

  @Test func aFileCutInsideItsLastLineMinutesAgoIsLeftForLater() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cut = try Self.month(dir)
    let r = try D.run(dir)
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("\(cut): skipped: still being written: it ends inside its last line"), "\(r.out)")
    #expect(r.err.contains("warning: 1 file still being written (\(cut)) was not loaded"), "\(r.err)")
    // Day 1 alone: 20 × $0.10.
    let total = try TestSupport.readCSV(dir + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }
    #expect(total?["cost_usd"] == "2.000000")
    // Once whole, the next run loads it: 30 × $0.10.
    try D.day(
      dir, "2026-10-02.jsonl",
      (1...10).map { k in D.call("b-\(k)", D.spread("2026-10-02", k), arn: D.session + "s-\(k)", input: 100_000) })
    let whole = try D.run(dir)
    #expect(whole.status == 0, "\(whole.err)")
    let after = try TestSupport.readCSV(dir + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }
    #expect(after?["cost_usd"] == "3.000000")
  }

  /// A whole last line of bad JSON (a duplicate key, a leading zero), with no line end, is a bad
  /// file, fresh or not: neither left for later as being written nor said to be cut short (a
  /// review: both were, by the line's place alone).
  @Test(arguments: [
    (#""requestId":"b-10","requestId":"b-11""#, true), (#""requestId":"b-10","requestId":"b-11""#, false),
    (#""inputTokenCount":0100000"#, true),
  ])
  func aWholeBadLastLineIsRefusedAndNotCalledCut(_ fault: String, fresh: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cut = try Self.month(dir)
    var lines = (1...10).map { k in
      D.call("b-\(k)", D.spread("2026-10-02", k), arn: D.session + "s-\(k)", input: 100_000)
    }
    let original = fault.hasPrefix(#""requestId""#) ? #""requestId":"b-10""# : #""inputTokenCount":100000"#
    lines[9] = lines[9].replacingOccurrences(of: original, with: fault)
    #expect(lines[9].contains(fault))
    try lines.joined(separator: "\n").write(toFile: cut, atomically: true, encoding: .utf8)
    if !fresh {
      try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3_600)], ofItemAtPath: cut)
    }
    let r = try D.run(dir)
    #expect(r.status == 65, "\(r.out)\n\(r.err)")
    #expect(r.err.contains("\(cut):10:"), "\(r.err)")
    #expect(!r.err.contains("cut short"), "\(r.err)")
    #expect(!r.out.contains("still being written"), "\(r.out)")
  }

  /// Written to an hour ago, or cut in a line before its last: a bad file, refused (exit 65),
  /// named by its line, as before; the one cut in its last line is said to be cut short (a trial
  /// read "malformed JSON" and looked for a bad record), the other is not.
  @Test(arguments: [(10, true), (5, false)])
  func aFileCutLongAgoOrBeforeItsEndIsRefused(cutAt line: Int, old: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cut = try Self.month(dir, cutAt: line)
    if line < 10 {
      // Whole lines after the cut one: the cut is not where the file ends.
      let rest = (6...10).map { k in
        D.call("b-\(k)", D.spread("2026-10-02", k), arn: D.session + "s-\(k)", input: 100_000)
      }
      let h = try #require(FileHandle(forWritingAtPath: cut))
      try h.seekToEnd()
      try h.write(contentsOf: Data(("\n" + rest.joined(separator: "\n")).utf8))
      try h.close()
    }
    if old {
      try FileManager.default.setAttributes(
        [.modificationDate: Date().addingTimeInterval(-3_600)], ofItemAtPath: cut)
    }
    let r = try D.run(dir)
    #expect(r.status == 65, "\(r.err)")
    #expect(r.err.contains("\(cut):\(line):"), "\(r.err)")
    #expect(r.err.contains("the file was cut short") == (line == 10), "\(r.err)")
  }
}
