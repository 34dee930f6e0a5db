import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Options and identity rows that would give a wrong chargeback without a word are refused with
/// the exit status of their kind: an `--as-of` the data contradicts, an empty `--out`, a `*`
/// credential row that would match every caller.
@Suite struct RefusedOptionsTests {
  func args(_ dir: String, ids: String = Fixtures.month + "/identities") -> [String] {
    [
      "--period", "2026-10", "--identities", ids, "--pricing", Fixtures.month + "/pricing", "--db",
      dir + "/s.sqlite", "--out", dir + "/out",
    ]
  }

  @Test func anAsOfBeforeThePeriodsDataIsAUsageError() throws {
    let dir = try TestSupport.tempDir()
    let run = try TestSupport.runCLI(["run", "--usage", Fixtures.month + "/usage"] + args(dir))
    #expect(run.status == 0, "\(run.err)")
    // The month's calls run into late October: "as of" its first second would forecast a month
    // from all of them.
    let early = try TestSupport.runCLI(["report"] + args(dir) + ["--as-of", "2026-10-01T00:00:01Z"])
    #expect(early.status == 64)
    #expect(early.err.contains("--as-of 2026-10-01T00:00:01Z is before the latest usage of 2026-10"), "\(early.err)")
    let before = try TestSupport.runCLI(["report"] + args(dir) + ["--as-of", "1999-01-01"])
    #expect(before.status == 64)
    #expect(before.err.contains("is before 2026-10 begins"), "\(before.err)")
    // At the period's end it is the closed month.
    let end = try TestSupport.runCLI(["report"] + args(dir) + ["--as-of", "2026-11-01"])
    #expect(end.status == 0, "\(end.err)")
    #expect(!end.out.contains("is reported as open"))
  }

  /// A folder given as `--db` is named so (SQLite said "unable to open database file", a trial).
  @Test func aFolderAsTheStoreIsNamedSo() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage", "--db", dir])
    #expect(r.status == 73, "\(r.err)")
    #expect(r.err.contains("is a folder: --db names the store's file"), "\(r.err)")
  }

  /// An `--out` that cannot be the outputs' folder stops `run` before it loads anything (a trial's
  /// was named once every file was in the store): a file, and a path under a file.
  @Test(arguments: ["file", "file/sub"])
  func anOutThatCannotBeAFolderStopsRunBeforeTheLoad(under: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "not a folder\n".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI(
      [
        "run", "--usage", Fixtures.month + "/usage", "--period", "2026-10", "--identities",
        Fixtures.month + "/identities",
        "--pricing", Fixtures.month + "/pricing", "--db", dir + "/s.sqlite", "--out", dir + "/" + under,
      ])
    #expect(r.status == 73, "\(r.err)")
    #expect(!r.out.contains("loaded"), "\(r.out)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
  }

  /// A lock wait that is not a number of seconds is a usage error, before any store is opened.
  ///
  /// A scheduler's `2m` waited the default ten minutes without a word (a trial). A number (0.5) is
  /// taken, and an unset variable is the default.
  @Test(arguments: ["2m", "abc", "-5", "inf"])
  func aBadLockWaitIsAUsageError(value: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try TestSupport.runCLI(
      ["ingest", Fixtures.month + "/usage", "--db", dir + "/s.sqlite"], environment: ["CHARGEBACK_LOCK_WAIT": value])
    #expect(r.status == 64, "\(r.err)")
    #expect(r.err.contains("CHARGEBACK_LOCK_WAIT=\(value) is not a number of seconds"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
    let fine = try TestSupport.runCLI(
      ["ingest", Fixtures.month + "/usage", "--db", dir + "/s.sqlite"], environment: ["CHARGEBACK_LOCK_WAIT": "0.5"])
    #expect(fine.status == 0, "\(fine.err)")
    // Help opens no store: not refused.
    let help = try TestSupport.runCLI(["ingest", "--help"], environment: ["CHARGEBACK_LOCK_WAIT": value])
    #expect(help.status == 0, "\(help.err)")
  }

  /// A bad option value or an unknown argument, which swift-argument-parser reports, reaches the
  /// terminal with its control characters escaped, as every message does (SPEC §11); help still
  /// prints as it is.
  @Test(arguments: [
    ["run", "--period", "\u{1B}[31mred", "--usage", "x", "--identities", "x"],
    ["report", "--period", "2026-10", "--identities", "x", "--fail-on", "hi\u{7}gh"],
    ["report", "--period", "2026-10", "--identities", "x", "--as-of", "\u{1B}]0;x\u{7}"],
    ["bo\u{1B}[2Jgus"],
  ])
  func badOptionValuesReachTheTerminalEscaped(arguments: [String]) throws {
    let r = try TestSupport.runCLI(arguments)
    #expect(r.status == 64)
    #expect(r.err.hasPrefix("Error: ") && (r.err.contains("\\u001b") || r.err.contains("\\u0007")), "\(r.err)")
    #expect(!r.err.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(r.err)")
    let help = try TestSupport.runCLI(["run", "--help"])
    #expect(help.status == 0 && help.out.contains("\n  --period <period>"), "\(help.out)")
  }

  /// A month outside the years records can have (2000 to 2099) is a usage error, its edges taken.
  @Test(arguments: [
    ("0226-10", false), ("1899-12", false), ("1999-12", false), ("2100-01", false), ("2000-01", true),
    ("2099-12", true),
  ])
  func aPeriodOutsideTheRecordsYearsIsRefused(period: String, taken: Bool) throws {
    #expect((Period(period) != nil) == taken)
    guard !taken else { return }
    let r = try TestSupport.runCLI(["report", "--period", period, "--identities", "x"])
    #expect(r.status == 64)
    #expect(r.err.contains(period), "\(r.err)")
  }

  /// A huge bad value is cut in the message, as every message quoting a value is.
  @Test func aHugeBadOptionValueIsCut() throws {
    let r = try TestSupport.runCLI(["report", "--period", String(repeating: "9", count: 100_000), "--identities", "x"])
    #expect(r.status == 64)
    #expect(r.err.count < 10_000 && r.err.contains("characters cut"), "\(r.err.prefix(300))")
  }

  @Test func anEmptyOutIsAUsageError() throws {
    let dir = try TestSupport.tempDir()
    var a = ["run", "--usage", Fixtures.month + "/usage"] + args(dir)
    a[a.count - 1] = ""
    let r = try TestSupport.runCLI(a)
    #expect(r.status == 64)
    #expect(r.err.contains("--out is empty"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
  }

  @Test(arguments: ["*", " * "])
  func aBareStarCredentialRowIsRefused(id: String) throws {
    let dir = try TestSupport.tempDir()
    let ids = dir + "/ids"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: ids)
    let creds = ids + "/credentials.csv"
    let text = try String(contentsOfFile: creds, encoding: .utf8)
    let line = text.split(separator: "\n").count + 1
    try (text + "\"\(id)\",bedrock,agent-x,,,,,catch-all\n").write(toFile: creds, atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI(["run", "--usage", Fixtures.month + "/usage"] + args(dir, ids: ids))
    #expect(r.status == 65)
    #expect(r.err.contains("credentials.csv:\(line): credential_id"), "\(r.err)")
    #expect(r.err.contains("would match every credential of bedrock"), "\(r.err)")
  }

  @Test func aDbInAFolderThatDoesNotExistSaysSo() throws {
    let dir = try TestSupport.tempDir()
    let r = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage", "--db", dir + "/missing/s.sqlite"])
    #expect(r.status == 73)
    #expect(r.err.contains("the folder of --db, \(dir)/missing, does not exist"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/missing"))
  }
}
