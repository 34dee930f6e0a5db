import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// A closed month's figures (what next month's `previous_cost_usd` compares with) are those of
/// the folder it was published to closed: a what-if report of it into another folder does not
/// replace them (a trial's did, and December compared itself with the what-if without a word).
@Suite struct ClosedFiguresTests {
  typealias M = MonthInContextTests

  /// The month before's CC-1 in `month`'s summary: what `month` compares itself with.
  static func previous(_ dir: String, month: String = "2026-10", out: String) throws -> String? {
    _ = try M.job(dir, month, out: out).reportOnly()
    return try TestSupport.readCSV(out + "/summary.csv").first { $0["cost_centre"] == "CC-1" }?["previous_cost_usd"]
  }

  /// Sets m1's input rate (USD per million): September's CC-1 is 2 M input and 1 M output tokens at
  /// 2 USD per million output, so 2 × rate + 2 USD.
  static func inputRate(_ dir: String, _ rate: String) throws {
    let path = dir + "/pricing/bedrock.csv"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let edited = text.split(separator: "\n").map {
      $0.hasPrefix("bedrock,m1,input,") ? "bedrock,m1,input,standard,0,\(rate),2025-01-01,,test" : String($0)
    }
    try (edited.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
  }

  @Test func aWhatIfIntoAnotherFolderDoesNotReplaceTheClosedFigures() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try M.setUp(dir)
    let own = dir + "/out-2026-09"
    let first = try M.job(dir, "2026-09", usage: [dir + "/usage"], out: own).run()
    #expect(first.warnings.isEmpty, "\(first.warnings)")
    // 2 × 1 + 2 = 4 USD.
    #expect(try Self.previous(dir, out: dir + "/oct-1") == "4.000000")

    // A what-if at 2 USD per million input (2 × 2 + 2 = 6 USD) into another folder: written, and
    // said not to be the month's figures; October still compares itself with 4.
    try Self.inputRate(dir, "2")
    let whatIf = try M.job(dir, "2026-09", out: dir + "/what-if").reportOnly()
    #expect(
      try TestSupport.readCSV(dir + "/what-if/summary.csv").first { $0["cost_centre"] == "CC-1" }?["cost_usd"]
        == "6.000000")
    let warning = try #require(
      whatIf.warnings.first { $0.contains("is closed, and its figures are those published in") })
    #expect(warning.contains("published in \(own); this report into \(dir)/what-if differs from them"), "\(warning)")
    #expect(warning.contains("CC-1 4.000000 → 6.000000"), "\(warning)")
    #expect(warning.contains("report 2026-09 into \(own) again"), "\(warning)")
    #expect(!whatIf.warnings.contains { $0.contains("was reported closed before") })
    #expect(try Self.previous(dir, out: dir + "/oct-2") == "4.000000")

    // Reported again into its own folder: those are the month's figures now, with the warning that
    // what was handed out no longer matches.
    let reissued = try M.job(dir, "2026-09", out: own).reportOnly()
    #expect(reissued.warnings.contains { $0.contains("was reported closed before with other amounts") })
    #expect(try Self.previous(dir, out: dir + "/oct-3") == "6.000000")

    // Its folder gone, the next folder it is published to is its own.
    try FileManager.default.removeItem(atPath: own)
    try Self.inputRate(dir, "1")
    let moved = try M.job(dir, "2026-09", out: dir + "/archive").reportOnly()
    #expect(moved.warnings.contains { $0.contains("was reported closed before with other amounts") })
    #expect(!moved.warnings.contains { $0.contains("is closed, and its figures are those published in") })
    #expect(try Self.previous(dir, out: dir + "/oct-4") == "4.000000")
    try Self.inputRate(dir, "3")
    let again = try M.job(dir, "2026-09", out: dir + "/what-if-2").reportOnly()
    #expect(again.warnings.contains { $0.contains("published in \(dir)/archive;") }, "\(again.warnings)")
    #expect(try Self.previous(dir, out: dir + "/oct-5") == "4.000000")
  }

  /// A what-if of a month closed by `--as-of` its end, reported without it, says that it differs.
  ///
  /// A trial: October closed into its folder with `--as-of 2026-11-01`, then a corrected price
  /// table reported into a what-if folder. The month stayed closed (its folder holds it), but only
  /// `--as-of` gave the warning that the figures differ from those handed out.
  @Test func aWhatIfOfAMonthClosedByAsOfSaysItDiffers() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try M.setUp(dir)
    // October: CC-1 is three calls of 1 M input and 0.5 M output tokens, 3 × (1 + 1) = 6 USD.
    let own = dir + "/out-2026-10"
    let end = try #require(Timestamp.parseMillis("2026-11-01T00:00:00Z"))
    let closed = try M.job(dir, "2026-10", usage: [dir + "/usage"], asOf: end, out: own).run()
    #expect(closed.report?.context.isOpen == false)
    // At 2 USD per million input: 3 × (2 + 1) = 9 USD.
    try Self.inputRate(dir, "2")
    let whatIf = try M.job(dir, "2026-10", out: dir + "/what-if").reportOnly()
    #expect(whatIf.report?.context.isOpen == false)
    #expect(whatIf.warnings.contains { $0.contains("because it was closed into \(own)") }, "\(whatIf.warnings)")
    let warning = try #require(
      whatIf.warnings.first { $0.contains("is closed, and its figures are those published in") }, "\(whatIf.warnings)")
    #expect(warning.contains("published in \(own); this report into \(dir)/what-if differs from them"), "\(warning)")
    #expect(warning.contains("CC-1 6.000000 → 9.000000"), "\(warning)")
    // The month's figures are still its own folder's: the same report again there says they changed.
    let reissued = try M.job(dir, "2026-10", asOf: end, out: own).reportOnly()
    #expect(reissued.warnings.contains { $0.contains("CC-1 6.000000 → 9.000000") }, "\(reissued.warnings)")
    // The same figures into another folder: no such warning.
    let same = try M.job(dir, "2026-10", out: dir + "/copy").reportOnly()
    #expect(!same.warnings.contains { $0.contains("differs from them") }, "\(same.warnings)")
  }

  /// The month's own folder spelled another way is its own folder.
  ///
  /// A trailing `/`, `.` and `..`, through a symbolic link: reported again there, its figures are
  /// replaced, not called a what-if of itself. And once its folder is gone, the same figures
  /// published elsewhere make that folder its own, so that a later what-if does not find the
  /// month without a folder and replace them.
  @Test func theOwnFolderSpelledAnotherWayIsTheOwnFolder() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try M.setUp(dir)
    let own = dir + "/out-2026-09"
    _ = try M.job(dir, "2026-09", usage: [dir + "/usage"], out: own).run()
    // A link to the folder holding it (`--out` itself a link is refused).
    try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir)
    for (k, spelled) in [own + "/", dir + "/./x/../out-2026-09", dir + "/link/out-2026-09"].enumerated() {
      try Self.inputRate(dir, "\(k + 2)")
      let again = try M.job(dir, "2026-09", out: spelled).reportOnly()
      #expect(!again.warnings.contains { $0.contains("is closed, and its figures are those") }, "\(spelled)")
      #expect(again.warnings.contains { $0.contains("was reported closed before") }, "\(spelled)")
      // 2 × rate + 2 USD.
      #expect(try Self.previous(dir, out: dir + "/oct-\(k)") == "\(2 * (k + 2) + 2).000000", "\(spelled)")
    }
    // Its folder gone: the same figures (rate 4: 10 USD) into `moved` make it the month's folder.
    try FileManager.default.removeItem(atPath: dir + "/link")
    try FileManager.default.removeItem(atPath: own)
    _ = try M.job(dir, "2026-09", out: dir + "/moved").reportOnly()
    try Self.inputRate(dir, "1")
    let whatIf = try M.job(dir, "2026-09", out: dir + "/what-if").reportOnly()
    #expect(whatIf.warnings.contains { $0.contains("published in \(dir)/moved;") }, "\(whatIf.warnings)")
    #expect(try Self.previous(dir, out: dir + "/oct-last") == "10.000000")
  }

  /// A what-if close (`--as-of` its end) into a scratch folder keeps the month closed for the daily job's folder while
  /// the scratch folder holds it, saying so; once it is removed, the daily folder is open again, with its forecast and
  /// without warnings, and the month's data closing it there makes that folder's figures the month's (a trial: the
  /// daily job's month was closed for good, with no forecast and a warning of other amounts every day).
  @Test func aWhatIfCloseByAsOfHoldsWhileItsFolderDoes() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try M.setUp(dir)
    let daily = dir + "/daily"
    let first = try #require(try M.job(dir, "2026-10", usage: [dir + "/usage"], out: daily).run().report)
    #expect(first.context.isOpen)
    let end = try #require(Timestamp.parseMillis("2026-11-01T00:00:00Z"))
    let whatIf = try #require(try M.job(dir, "2026-10", asOf: end, out: dir + "/scratch").reportOnly().report)
    #expect(!whatIf.context.isOpen)
    let held = try M.job(dir, "2026-10", out: daily).reportOnly()
    #expect(held.report?.context.isOpen == false)
    #expect(
      held.warnings.contains {
        $0.contains("2026-10 is reported closed, as of its end, because it was closed into \(dir)/scratch")
      }, "\(held.warnings)")
    try FileManager.default.removeItem(atPath: dir + "/scratch")
    let next = try M.job(dir, "2026-10", out: daily).reportOnly()
    #expect(next.report?.context.isOpen == true)
    #expect(next.warnings.isEmpty, "\(next.warnings)")
    let total = try TestSupport.readCSV(daily + "/summary.csv").first { $0["cost_centre"] == "TOTAL" }
    #expect((total?["forecast_usd"] ?? "").isEmpty == false)
    // November's first call closes October: the closing run into the daily folder keeps its figures as the month's.
    try (M.call(99, "2026-11-01T08:00:00Z", role: "a", input: 10, output: 0) + "\n").write(
      toFile: dir + "/usage/november.jsonl", atomically: true, encoding: .utf8)
    let closing = try M.job(dir, "2026-10", usage: [dir + "/usage"], out: daily).run()
    #expect(closing.report?.context.isOpen == false)
    #expect(closing.warnings.isEmpty, "\(closing.warnings)")
  }

  /// A month closed by `--as-of` into a folder keeps that folder's figures while it holds them, against a later close
  /// by data into another folder (an official `--as-of` close must not lose its figures to an auditor's what-if, a
  /// review); the folder removed, the next report that closes the month makes its figures the month's.
  @Test func aCloseByAsOfKeepsItsFiguresWhileItsFolderHoldsThem() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try M.setUp(dir)
    let end = try #require(Timestamp.parseMillis("2026-11-01T00:00:00Z"))
    let official = dir + "/official"
    _ = try M.job(dir, "2026-10", usage: [dir + "/usage"], asOf: end, out: official).run()
    // A late October call (1 M input: 1 USD more for CC-1) and November's first: the next close differs.
    try
      (M.call(98, "2026-10-20T08:00:00Z", role: "a", input: 1_000_000, output: 0) + "\n"
      + M.call(99, "2026-11-01T08:00:00Z", role: "a", input: 10, output: 0) + "\n").write(
        toFile: dir + "/usage/late.jsonl", atomically: true, encoding: .utf8)
    let other = try M.job(dir, "2026-10", usage: [dir + "/usage"], out: dir + "/daily").run()
    #expect(
      other.warnings.contains { $0.contains("its figures are those published in \(official)") }, "\(other.warnings)")
    // November compares itself with the official October: a 6 USD (3 calls of 1 M input and 0.5 M output).
    #expect(try Self.previous(dir, month: "2026-11", out: dir + "/nov-1") == "6.000000")
    try FileManager.default.removeItem(atPath: official)
    let taken = try M.job(dir, "2026-10", out: dir + "/final").reportOnly()
    #expect(
      taken.warnings.contains { $0.contains("was reported closed before with other amounts") }, "\(taken.warnings)")
    #expect(try Self.previous(dir, month: "2026-11", out: dir + "/nov-2") == "7.000000")
  }
}
