import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A daily run of the current month that loads new records of a month reported closed says so, on
/// stderr, naming the month and the files (a trial: a late October file loaded by November's run
/// without a word; its calls, one of them a revoked key's, surfaced only when October was run again).
@Suite struct LateForClosedMonthTests {
  typealias D = DailyRunTests

  static func run(_ dir: String, _ period: String) throws -> (status: Int32, out: String, err: String) {
    try TestSupport.runCLI([
      "run", "--period", period, "--identities", dir + "/identities", "--pricing", dir + "/pricing", "--out",
      dir + "/out-" + period, "--db", dir + "/s.sqlite", "--usage", dir + "/usage",
    ])
  }

  @Test func lateRecordsOfAClosedMonthAreNamedAndRedeliveredOnesAreNot() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try D.setUp(dir)
    try D.firstDay(dir)
    try D.day(dir, "2026-11-01.jsonl", [D.call("n-1", "2026-11-01T08:00:00Z", arn: D.session + "s-1", input: 1_000)])
    // October is closed (the store holds a later call) and reported: its totals are kept.
    let october = try Self.run(dir, "2026-10")
    #expect(october.status == 0, "\(october.err)")
    let first = try Self.run(dir, "2026-11")
    #expect(first.status == 0, "\(first.err)")
    #expect(!(first.out + first.err).contains("was reported closed, and this run loaded"), "\(first.err)")

    // October's first day again under another name, beside a new November call: its October
    // records are not new, so October is not named.
    let again =
      (try String(contentsOfFile: dir + "/usage/2026-10-01.jsonl", encoding: .utf8))
      + D.call("n-2", "2026-11-02T08:00:00Z", arn: D.session + "s-2", input: 1_000) + "\n"
    try again.write(toFile: dir + "/usage/resent.jsonl", atomically: true, encoding: .utf8)
    let resent = try Self.run(dir, "2026-11")
    #expect(resent.status == 0, "\(resent.err)")
    #expect(!(resent.out + resent.err).contains("was reported closed"), "\(resent.err)")

    // New records of September and November in one file: October, between them, is not named
    // (its first and last new records' months alone would have spanned it).
    try D.day(
      dir, "around.jsonl",
      [
        D.call("g-1", "2026-09-30T10:00:00Z", arn: D.session + "s-4", input: 1_000),
        D.call("g-2", "2026-11-03T10:00:00Z", arn: D.session + "s-4", input: 1_000),
      ])
    let around = try Self.run(dir, "2026-11")
    #expect(around.status == 0, "\(around.err)")
    #expect(!around.err.contains("2026-10 was reported closed"), "\(around.err)")
    // September, never reported, is named as a month this run does not report.
    #expect(
      around.err.contains("warning: this run loaded new records dated in 2026-09, which it does not report"),
      "\(around.err)")

    // A late October call: named, with its file, on stderr only.
    try D.day(dir, "late.jsonl", [D.call("l-1", "2026-10-30T23:00:00Z", arn: D.session + "s-3", input: 1_000)])
    let late = try Self.run(dir, "2026-11")
    #expect(late.status == 0, "\(late.err)")
    #expect(
      late.err.contains(
        "warning: 2026-10 was reported closed, and this run loaded new records dated in it (\(dir)/usage/late.jsonl)"),
      "\(late.err)")
    #expect(!late.out.contains("warning:"), "\(late.out)")
    // November's own chargeback is unchanged by it: 3,000 tokens at $1 per million.
    let summary = try TestSupport.readCSV(dir + "/out-2026-11/summary.csv")
    #expect(summary.map { $0["cost_usd"] ?? "" }.contains("0.003000"), "\(summary)")
  }

  /// Earlier months never reported closed are named in one line, with their files.
  ///
  /// No output of the run covers their findings (a trial: a critical call of October's last evening, loaded on November 1st, alerted no one). A later
  /// month is not: its own run reports it.
  @Test func earlierMonthsNeverClosedAreNamedInOneLine() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let r = Ingestor.FileResult(
      path: "/u/late.jsonl", sha256: "x", format: "bedrock-invocation-log", records: 1, newRecords: 1,
      alreadyIngested: false)
    var late = r
    late.newMonths = [Period(year: 2026, month: 9), Period(year: 2026, month: 10), Period(year: 2026, month: 12)]
    let warnings = try ChargebackJob.lateForClosedMonths([late], period: Period(year: 2026, month: 11), store: store)
    #expect(warnings.count == 1)
    #expect(
      warnings.first?.hasPrefix(
        "warning: this run loaded new records dated in 2026-09 to 2026-10 (2 months), which it does not report"
          + " (/u/late.jsonl):") == true, "\(warnings)")
    #expect(warnings.first?.contains("run --period 2026-10") == true)
    #expect(warnings.first?.contains("2026-12") == false)
    var later = r
    later.newMonths = [Period(year: 2026, month: 12)]
    #expect(try ChargebackJob.lateForClosedMonths([later], period: Period(year: 2026, month: 11), store: store).isEmpty)
  }
}
