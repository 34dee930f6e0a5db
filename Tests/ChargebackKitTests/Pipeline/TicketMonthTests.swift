import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// A ticket id per call (issue 11, SPEC §11): the same calls with one of 5,000 tasks or a task each
/// give the same FOCUS data, summary and journal byte for byte; only `chargeback.csv` grows, a
/// line per call, and its lines still add up to each cost centre's total; a workbook sheet of the
/// lines keeps its 5,000 largest and one "All other" row, and its TOTAL stays exact.
@Suite struct TicketMonthTests {
  static let records = 20_000

  /// Runs the bench month of `shape` through the executable; returns its output folder.
  static func run(_ shape: BenchShape) throws -> String {
    let dir = try TestSupport.tempDir("tickets-\(shape)")
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: records, perFile: 5_000, shape: shape)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", layout.usageDirectory, "--identities", layout.identityDirectory,
      "--pricing", TestSupport.packageRoot + "/pricing", "--out", dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    return dir
  }

  /// Exact micro-dollars of a `cost_usd` text (six decimals).
  static func micros(_ text: String?) -> Int128 {
    guard let text, let v = DecimalText.parse(text, decimals: 6) else { return -1 }
    return v
  }

  /// The `directory` shape of `make bench`: each call is charged to its own service account and
  /// that account's cost centre (`CC-S` and its number modulo 300), and none is unattributed or
  /// claims another agent.
  @Test func theDirectoryShapeChargesEachServiceAccountToItsCostCentre() throws {
    let dir = try TestSupport.tempDir("directory-shape")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: 6_000, perFile: 6_000, shape: .directory)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", layout.usageDirectory, "--identities", layout.identityDirectory,
      "--pricing", TestSupport.packageRoot + "/pricing", "--out", dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    let usage = try TestSupport.readCSV(dir + "/out/chargeback.csv").filter { $0["source"] == "request" }
    // 7,919 and 20,000 have no common factor: the first 6,000 calls are 6,000 accounts, a call each.
    #expect(usage.count == 6_000)
    #expect(Set(usage.compactMap { $0["agent_id"] }).count == 6_000)
    for line in usage {
      let account = try #require(line["agent_id"].flatMap { Int($0.dropFirst(4)) }, "\(line)")
      let centre = "CC-S" + String(repeating: "0", count: 3 - String(account % 300).count) + String(account % 300)
      #expect(line["cost_centre"] == centre, "\(line)")
      #expect(line["credential_id"] == "arn:aws:iam::123456789012:user/svc-\(account)")
    }
    let kinds = Set(try TestSupport.readCSV(dir + "/out/findings.csv").compactMap { $0["kind"] })
    #expect(kinds.isDisjoint(with: ["unattributed", "unregistered_credential", "agent_mismatch"]), "\(kinds)")
  }

  @Test func aTicketPerCallGrowsOnlyTheLines() throws {
    let few = try Self.run(.cardinality)
    let each = try Self.run(.tickets)
    defer {
      try? FileManager.default.removeItem(atPath: few)
      try? FileManager.default.removeItem(atPath: each)
    }
    for name in ["focus.csv", "summary.csv", "journal.csv"] {
      let a = FileManager.default.contents(atPath: few + "/out/" + name)
      #expect(a != nil && a == FileManager.default.contents(atPath: each + "/out/" + name), "\(name)")
    }
    let lines = try TestSupport.readCSV(each + "/out/chargeback.csv")
    let usage = lines.filter { $0["source"] == "request" }
    // Every call has a task of its own, so a line of its own.
    #expect(usage.count == Self.records)
    #expect(usage.allSatisfy { $0["requests"] == "1" })
    #expect(Set(usage.compactMap { $0["task_id"] }).count == Self.records)
    #expect(
      Set(try TestSupport.readCSV(few + "/out/chargeback.csv").compactMap { $0["task_id"] }.filter { !$0.isEmpty })
        .count == 5_000)
    // Each cost centre's lines add up to its total in summary.csv, to the micro-dollar.
    var byCentre: [String: Int128] = [:]
    for l in lines { byCentre[l["cost_centre"] ?? "", default: 0] += Self.micros(l["cost_usd"]) }
    let summary = try TestSupport.readCSV(each + "/out/summary.csv").filter { $0["cost_centre"] != "TOTAL" }
    #expect(!summary.isEmpty)
    for s in summary {
      #expect(byCentre[s["cost_centre"] ?? ""] == Self.micros(s["cost_usd"]), "\(s["cost_centre"] ?? "")")
    }
    // company.xlsx: 5,000 lines, one row for the rest, and a TOTAL of every line's cents.
    let wb = try WorkbookTests.read(each + "/out/company.xlsx")
    let sheet = try #require(wb["Lines"])
    let cost = try #require(sheet.column("Cost (USD)"))
    let data = WorkbookTests.dataCents(sheet, cost)
    // (The TOTAL is summed from these cells; what makes it exact is the All other row, checked
    // against the month's total below.)
    #expect(data.count == 5_001)
    let other = try #require(sheet.rows.first { ($0.first??.text ?? "").hasPrefix("All other (") })
    #expect(other.first??.text == "All other (\(lines.count - 5_000) lines)")
    let total = try #require(sheet.row("TOTAL").flatMap { sheet.rows[$0][cost]?.cents })
    // The month's total in summary.csv (six decimals, its lines' exact sum), to the cent.
    let month = Self.micros(
      try TestSupport.readCSV(each + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" }?["cost_usd"])
    #expect(Int128(total) == (month + 5_000) / 10_000)
    // The same TOTAL as the month with 5,000 tasks.
    let fewSheet = try #require(try WorkbookTests.read(few + "/out/company.xlsx")["Lines"])
    let fewCost = try #require(fewSheet.column("Cost (USD)"))
    #expect(fewSheet.row("TOTAL").flatMap { fewSheet.rows[$0][fewCost]?.cents } == total)
  }
}
