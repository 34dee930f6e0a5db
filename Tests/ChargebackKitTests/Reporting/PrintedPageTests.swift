import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// What the printed pages show: sentences wider than the page wrap inside it, page headers fit
/// their third of the page, and a company of many cost centres prints a legible Daily sheet and
/// chart. (LibreOffice printed the Summary's allocation sentences cut at the print area's edge, a
/// long cost-centre name over the sheet's name, and 300 cost centres as 302 columns and a chart of
/// 300 series.)
@Suite struct PrintedPageTests {
  /// Cost centre `k` (1…20) owes k cents: one call of k × 10,000 input tokens at $1/M.
  ///
  /// With `unregistered`, one more call of 10,000 tokens by a role the directory does not know
  /// (1 cent to UNATTRIBUTED).
  static func manyCostCentres(longID: String, longName: String, unregistered: Bool = false) throws -> (
    dir: String, ids: [String]
  ) {
    let ids = (1...20).map { k in k == 20 ? longID : String(format: "CC-%02d", k) }
    let dir = try GroupRoundingTests.run(
      calls: (1...20).map { ("r\($0)", $0 * 10_000) } + (unregistered ? [("nobody", 10_000)] : []),
      agents: "agent_id,owner,cost_centre\n" + (1...20).map { "agent-\($0),p-1,\(ids[$0 - 1])\n" }.joined(),
      credentials: "credential_id,provider,agent_id\n"
        + (1...20).map { "arn:aws:iam::1:role/r\($0),bedrock,agent-\($0)\n" }.joined(),
      centres: "cost_centre,name\n" + ids.enumerated().map { k, id in "\(id),\(k == 0 ? longName : id)\n" }.joined(),
      allocation: "rule_id,source,method,basis,targets,shares,effective_from,effective_to\n"
        + "R-SHARE-THE-PLATFORM-TEAM-COSTS,cost_centre:CC-02,even,,CC-01,,,\n")
    return (dir, ids)
  }

  static let longName = "Department of Applied Token Economics and Very Long Names 150"
  static let longID = "CC-20-" + String(repeating: "x", count: 294)

  /// A label beside its value fits column A (29 wide: about 1.15 bold characters a unit, as printed); every
  /// other text of the first column longer than it spans the page's columns, merged and wrapped,
  /// in a row high enough for its lines (15 points a line, 1.2 characters a unit, 95 units).
  @Test func everySentenceOfASummaryPrintsInsideThePage() throws {
    let (dir, _) = try Self.manyCostCentres(longID: Self.longID, longName: Self.longName)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".xlsx") }
    var long = 0
    for file in files {
      let summary = try #require(try WorkbookTests.read(dir + "/out/" + file)["Summary"])
      for (r, row) in summary.rows.enumerated() {
        guard let text = row.first??.text else { continue }
        let label = row.count > 1 && row[1] != nil
        if label { #expect(Double(text.count) <= 29 * 1.15, "\(file) A\(r + 1): \(text)") }
        guard !label, text.count > 29 else { continue }
        long += 1
        let at = "\(file) A\(r + 1): \(text.prefix(50))"
        #expect(summary.merged.contains("A\(r + 1):F\(r + 1)"), "\(at) not across the page")
        #expect(summary.wrapped.contains("A\(r + 1)"), "\(at) not wrapped")
        let lines = (Double(text.count) / (95 * (r == 0 ? 1 / 1.3 : 1) * 1.2)).rounded(.up)
        if lines > 1 { #expect((summary.heights[String(r)] ?? 15) >= 15 * lines, "\(at) too low for \(lines) lines") }
      }
    }
    // Every period note, and CC-01's long title and allocation sentence, at least.
    #expect(long >= files.count + 2)
    // The cost centre's id and name beside their labels: wrapped over B and C (17 units, about 20
    // characters a line), never cut at the top agents' table in D. CC-01's name is 61 characters:
    // 4 lines at 20 a line, so at least 60 points; the id of the other is 300: at least 225.
    var values = 0
    for file in files where file != "company.xlsx" {
      let summary = try #require(try WorkbookTests.read(dir + "/out/" + file)["Summary"])
      for label in ["Cost centre", "Name"] {
        let r = try #require(summary.row(label), "\(file) \(label)")
        let text = summary.rows[r][1]?.text ?? ""
        #expect(summary.merged.contains("B\(r + 1):C\(r + 1)"), "\(file) \(label)")
        #expect(summary.wrapped.contains("B\(r + 1)"), "\(file) \(label)")
        let lines = (Double(text.count) / 20).rounded(.up)
        if lines > 1 {
          #expect((summary.heights[String(r)] ?? 15) >= 15 * lines, "\(file) \(label): \(text.count) characters")
          values += 1
        }
      }
    }
    #expect(values >= 2)
  }

  /// A long cost-centre name is cut in the middle with `…` in the header's left third on upright
  /// pages (44 character widths) and kept to 70 on landscape ones, its start and its end showing;
  /// the sheet's name stays in the centre.
  @Test func aLongNameIsCutToItsThirdOfTheHeader() throws {
    let (dir, _) = try Self.manyCostCentres(longID: Self.longID, longName: Self.longName)
    let wb = try WorkbookTests.read(dir + "/out/CC-01.xlsx")
    var seen: Set<String> = []
    for (name, sheet) in wb {
      let left = try #require(sheet.page.header["left"] ?? nil)
      let room = sheet.page.orientation == "portrait" ? 44 : 70
      // Latin letters and a dash: a width each.
      #expect(left.count <= room, "\(name): \(left)")
      #expect(left.hasPrefix("Cost centre CC-01 — Depar"), "\(name): \(left)")
      #expect(left.contains("…") && left.hasSuffix(String(Self.longName.suffix(9))), "\(name): \(left)")
      if sheet.page.orientation == "portrait" {
        // 44 widths but the `…`'s: two thirds of 43 (28) from the start, the other 15 from the end.
        #expect(left == "Cost centre CC-01 — Departme…" + String(Self.longName.suffix(15)), "\(name): \(left)")
      }
      #expect(sheet.page.header["center"] == .some("&A"))
      seen.insert(sheet.page.orientation ?? "")
    }
    #expect(seen == ["portrait", "landscape"])
  }

  /// 20 cost centres: the company Daily sheet has the 12 that owe most (CC-09…CC-20, 9 to 20
  /// cents), one "All other (8)" column of the rest (1 + … + 8 = 36 cents) and the total (210
  /// cents), and says so; its chart has those 13 series, and the Summary's labels are cut to 32
  /// characters (the 300-character id), its Daily header to 60.
  @Test func manyCostCentresPrintAsTheLargestAndAllOther() throws {
    let (dir, ids) = try Self.manyCostCentres(longID: Self.longID, longName: Self.longName)
    let company = try WorkbookTests.read(dir + "/out/company.xlsx")
    let daily = try #require(company["Daily"])
    let header = try #require(daily.rows.first).map { $0?.text ?? "" }
    #expect(header.count == 15)
    #expect(header.first == "Date (UTC)")
    #expect(header.last == "Total (USD)")
    #expect(header[13] == "All other (8)")
    let cut = String(Self.longID.prefix(59)) + "…"
    #expect(Set(header[1...12]) == Set(ids[8..<19] + [cut]))
    let totals = try #require(daily.row("TOTAL"))
    #expect(daily.rows[totals][13]?.cents == 36)
    #expect(daily.rows[totals][14]?.cents == 210)
    for k in 1...12 {
      let id = header[k] == cut ? Self.longID : header[k]
      let owed = try #require(ids.firstIndex(of: id)) + 1
      #expect(daily.rows[totals][k]?.cents == owed, "\(id)")
    }
    #expect(daily.rows.contains { $0.first??.text?.contains("All other sums the other 8 day by day") == true })
    #expect(header.allSatisfy { $0.count <= 60 })
    let summary = try #require(company["Summary"])
    #expect(summary.chartInfo.contains { $0.grouping == "stacked" && $0.series == 13 })
    let labels = summary.rows.compactMap { $0.count > 3 ? $0[3]?.text : nil }
    #expect(labels.contains(String(Self.longID.prefix(31)) + "…"))
    #expect(labels.allSatisfy { $0.count <= 32 })
  }

  /// UNATTRIBUTED keeps its own column however little it has (1 cent): the 11 cost centres that
  /// owe most (CC-10…CC-20) and UNATTRIBUTED have columns, All other (9) sums 1 + … + 9 = 45 cents.
  @Test func unattributedSpendIsNeverFoldedAway() throws {
    let (dir, ids) = try Self.manyCostCentres(longID: Self.longID, longName: Self.longName, unregistered: true)
    let daily = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Daily"])
    let header = try #require(daily.rows.first).map { $0?.text ?? "" }
    #expect(header.count == 15)
    #expect(header.contains("UNATTRIBUTED"))
    #expect(header[13] == "All other (9)")
    let cut = String(Self.longID.prefix(59)) + "…"
    #expect(Set(header[1...12]) == Set(ids[9..<19] + [cut, "UNATTRIBUTED"]))
    let totals = try #require(daily.row("TOTAL"))
    #expect(daily.rows[totals][13]?.cents == 45)
    #expect(daily.rows[totals][14]?.cents == 211)
    let column = try #require(header.firstIndex(of: "UNATTRIBUTED"))
    #expect(daily.rows[totals][column]?.cents == 1)
    #expect(daily.rows.contains { $0.first??.text?.hasPrefix("UNATTRIBUTED and the 11 cost centres") == true })
  }
}
