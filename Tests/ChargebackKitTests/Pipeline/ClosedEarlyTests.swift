import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// A month closed by usage dated after it while its own usage stops days before its end.
///
/// A trial's one call stamped a month ahead by a wrong clock closed October on its second day,
/// without a word (every later daily run then warned that a closed month changed, without saying
/// why). The month is still closed (a quiet month end is closed so too), and the console says so,
/// with how to keep it open, on every run until its own usage reaches its last day.
@Suite struct ClosedEarlyTests {
  typealias D = DailyRunTests

  static func calls(_ day: String, _ n: Int, prefix: String) -> [String] {
    (1...n).map { k in D.call("\(prefix)-\(k)", D.spread(day, k), arn: D.session + "s-\(k)", input: 100_000) }
  }

  static func context(_ dir: String) throws -> [String: Any] {
    let manifest = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json")))
    return try #require((manifest as? [String: Any])?["context"] as? [String: Any])
  }

  @Test func aMonthClosedByAFarLaterCallSaysSo() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try D.setUp(dir)
    try D.day(dir, "2026-10-01.jsonl", Self.calls("2026-10-01", 20, prefix: "a"))
    try D.day(dir, "skewed.jsonl", [D.call("skew", "2026-11-02T10:00:00Z", arn: D.session + "s-1", input: 100_000)])
    let first = try D.run(dir)
    #expect(first.status == 0, "\(first.err)")
    #expect(try Self.context(dir)["period_open"] as? Bool == false)
    #expect(
      first.err.contains(
        "warning: 2026-10 is reported closed by usage dated after it (the latest at 2026-11-02T10:00:00Z), but its"
          + " own usage ends at 2026-10-01T20:20:00Z, 30 days before its end"), "\(first.err)")
    #expect(first.err.contains("run with --as-of (the day its usage runs to) to report it open"))
    // October's next day: still said, beside the closed month's change.
    try D.day(dir, "2026-10-02.jsonl", Self.calls("2026-10-02", 10, prefix: "b"))
    let second = try D.run(dir)
    #expect(second.status == 0, "\(second.err)")
    #expect(second.err.contains("is reported closed by usage dated after it"), "\(second.err)")
    #expect(second.err.contains("own usage ends at 2026-10-02T10:10:00Z, 29 days before its end"))
    // 30 calls × $0.10.
    let total = try TestSupport.readCSV(dir + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }
    #expect(total?["cost_usd"] == "3.000000")
    // Its last day's usage: closed as any month, nothing said of it.
    try D.day(dir, "2026-10-31.jsonl", Self.calls("2026-10-31", 5, prefix: "c"))
    let last = try D.run(dir)
    #expect(last.status == 0, "\(last.err)")
    #expect(!last.err.contains("is reported closed by usage dated after it"), "\(last.err)")
  }
}
