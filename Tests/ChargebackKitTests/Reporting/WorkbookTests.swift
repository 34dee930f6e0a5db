import Foundation
import Testing

@testable import ChargebackTestSupport

/// Reads the workbooks back with openpyxl (the Python tooling `make test` installs in .venv) and
/// checks what a finance user would see.
@Suite struct WorkbookTests {
  struct SheetDump: Decodable {
    let rows: [[Cell?]]
    let freeze: String?
    let autofilter: String?
    let formats: [String: String]
    /// Cells in bold.
    let bold: [String]
    /// Cells openpyxl reads as dates.
    let dates: [String]
    let charts: Int
    let chartInfo: [ChartInfo]
    /// Cells holding a formula (none may: values from logs are written as text).
    let formulas: [String]
    let page: Page
    /// Merged ranges (`A27:F27`), wrapped cells (`A27`) and row heights in points by row (from 0).
    let merged: [String]
    let wrapped: [String]
    let heights: [String: Double]

    enum CodingKeys: String, CodingKey {
      case rows, freeze, autofilter, formats, bold, dates, charts, formulas, page, merged, wrapped, heights
      case chartInfo = "chart_info"
    }

    /// The row (from 0) whose first cell is `label`.
    func row(_ label: String) -> Int? { rows.firstIndex { $0.first??.text == label } }

    /// The column (from 0) whose header, in the first row, is `header`.
    func column(_ header: String) -> Int? { rows.first?.firstIndex { $0?.text == header } }

    /// The last row (from 0) of the autofilter range.
    var filterLastRow: Int? {
      guard let ref = autofilter, let colon = ref.firstIndex(of: ":") else { return nil }
      return Int(ref[ref.index(after: colon)...].filter(\.isNumber)).map { $0 - 1 }
    }
  }

  /// How a sheet prints, as openpyxl reads it.
  struct Page: Decodable {
    let orientation: String?
    let paper: Int?
    /// Absent when 1 (the OOXML default).
    let fitWidth: Int?
    /// Absent when 1; 0 = as many pages as it takes.
    let fitHeight: Int?
    let fitToPage: Bool
    let titleRows: String?
    let printArea: String?
    let header: [String: String?]
    let footer: [String: String?]
    let margins: [Double]

    enum CodingKeys: String, CodingKey {
      case orientation, paper, header, footer, margins
      case fitWidth = "fit_width"
      case fitHeight = "fit_height"
      case fitToPage = "fit_to_page"
      case titleRows = "title_rows"
      case printArea = "print_area"
    }

    /// The last row (from 0) of the print area, `'Summary'!$A$1:$F$43`.
    var printAreaLastRow: Int? {
      guard let area = printArea, let dollar = area.lastIndex(of: "$") else { return nil }
      return Int(area[area.index(after: dollar)...]).map { $0 - 1 }
    }
  }

  struct ChartInfo: Decodable {
    let type: String
    let grouping: String?
    let series: Int
    let anchor: Int?
    let anchorEnd: Int?

    enum CodingKeys: String, CodingKey {
      case type, grouping, series, anchor
      case anchorEnd = "anchor_end"
    }
  }

  enum Cell: Decodable, Equatable {
    case number(Decimal)
    case text(String)

    init(from decoder: any Decoder) throws {
      let c = try decoder.singleValueContainer()
      if let s = try? c.decode(String.self) {
        self = .text(s)
      } else {
        self = .number(try c.decode(Decimal.self))
      }
    }

    var text: String? { if case .text(let s) = self { s } else { nil } }
    /// Number as exact cents (values are written from whole cents).
    var cents: Int? {
      if case .number(let d) = self {
        NSDecimalNumber(decimal: d * 100).rounding(accordingToBehavior: nil).intValue
      } else {
        nil
      }
    }
  }

  static func python() throws -> String {
    let candidates = [
      ProcessInfo.processInfo.environment["CHARGEBACK_PYTHON"], TestSupport.packageRoot + "/.venv/bin/python",
    ]
    let found = candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    return try #require(found, "no Python with openpyxl: run `make test` (it creates .venv)")
  }

  static func read(_ path: String) throws -> [String: SheetDump] {
    let r = try TestSupport.run(try python(), [TestSupport.packageRoot + "/scripts/read_workbook.py", path])
    try #require(r.status == 0, "openpyxl could not read \(path): \(r.err)")
    return try JSONDecoder().decode([String: SheetDump].self, from: Data(r.out.utf8))
  }

  /// The cents of column `col` in the data rows of `sheet` (from the header to the end of the filter).
  static func dataCents(_ sheet: SheetDump, _ col: Int) -> [Int] {
    let last = sheet.filterLastRow ?? 0
    return sheet.rows.indices.filter { $0 >= 1 && $0 <= last }.compactMap { r in
      col < sheet.rows[r].count ? sheet.rows[r][col]?.cents : nil
    }
  }

  /// Cents of a sheet's column named `column`, by each row's first cell (-1 for an empty cell).
  static func cents(_ wb: [String: SheetDump], _ sheetName: String, _ column: String) throws -> [String: Int] {
    let sheet = try #require(wb[sheetName])
    let col = try #require(sheet.column(column))
    return Dictionary(
      sheet.rows.dropFirst().map { ($0.first??.text ?? "", $0.count > col ? $0[col]?.cents ?? -1 : -1) },
      uniquingKeysWith: { a, _ in a })
  }

  @Test func costCentreWorkbookShowsTheChargeback() throws {
    let (_, dir) = try MonthTests.runMonth()
    let wb = try Self.read(dir + "/out/CC-B.xlsx")
    #expect(Set(wb.keys) == ["Summary", "Agents", "Tasks", "Models", "Daily", "Findings", "Lines", "Method"])
    let summary = try #require(wb["Summary"])
    let total = try #require(summary.rows.first { $0.first??.text == "Total cost (USD)" })
    #expect(total[1]?.cents == 111)  // $1.1064
    #expect(summary.charts == 1)
    // Lines are apportioned so that the cents add up to the cost centre's total.
    let lines = try #require(wb["Lines"])
    #expect(lines.freeze == "A2")
    #expect(lines.autofilter?.hasPrefix("A1:") == true)
    let costCol = try #require(lines.column("Cost (USD)"))
    #expect(Self.dataCents(lines, costCol).reduce(0, +) == 111)
    #expect(lines.rows[try #require(lines.row("TOTAL"))][costCol]?.cents == 111)
    #expect(lines.formats.values.contains { $0.contains("#,##0.00") })
    // Agents: agent-y spent 0.0112 + 0.0102 + 0.036 + 0.056 = 0.1134; agent-x after the move 0.993.
    let cost = try Self.cents(wb, "Agents", "Cost (USD)")
    #expect(cost["agent-x"] == 99)
    #expect(cost["agent-y"] == 12)
    #expect(cost["TOTAL"] == 111)
    let daily = try #require(wb["Daily"])
    let dailyCost = try #require(daily.column("Cost (USD)"))
    #expect(Self.dataCents(daily, dailyCost).reduce(0, +) == 111)
    #expect(daily.filterLastRow == 31)  // every day of October
    let method = try #require(wb["Method"])
    #expect(method.rows.contains { $0.count > 1 && $0[1]?.text == "nova-pro" })
    // The unpriced model's row and finding have no cost: an empty cell, never $0 (SPEC §5).
    let models = try #require(wb["Models"])
    let modelCost = try #require(models.column("Cost (USD)"))
    let llama = try #require(models.rows.first { $0.count > 1 && $0[1]?.text == "meta.llama9-v1:0" })
    #expect(llama.count > modelCost && llama[modelCost] == nil)
    #expect(llama.count > 2 && llama[models.column("Requests") ?? 0]?.cents == 100)  // one request
    // The Summary counts it: one request, and its 500 input + 50 output tokens (a usage report's
    // unpriced row counts no requests, so the tokens are what shows its size).
    let unpricedRequests = try #require(summary.rows.first { $0.first??.text == "Unpriced requests" })
    let unpricedTokens = try #require(summary.rows.first { $0.first??.text == "Unpriced tokens" })
    #expect(unpricedRequests[1]?.cents == 100)
    #expect(unpricedTokens[1]?.cents == 550 * 100)
    let findings = try TestSupport.readCSV(dir + "/out/findings.csv")
    let unpriced = try #require(findings.first { $0["kind"] == "unpriced_model" })
    #expect(unpriced["cost_usd"] == "" && unpriced["avoidable_cost_usd"] == "")
    let sheet = try #require(wb["Findings"])
    let findingCost = try #require(sheet.column("Cost (USD)"))
    let row = try #require(sheet.rows.first { $0.count > 1 && $0[1]?.text == "unpriced model" })
    #expect(row.count > findingCost && row[findingCost] == nil)
  }

  @Test func companyWorkbookAddsUpToTheCent() throws {
    let (_, dir) = try MonthTests.runMonth()
    let wb = try Self.read(dir + "/out/company.xlsx")
    #expect(
      Set(wb.keys) == [
        "Summary", "Cost centres", "Agents", "Daily", "Unattributed", "Findings", "Lines", "Method", "Inputs",
      ])
    let ccs = try #require(wb["Cost centres"])
    let col = try #require(ccs.column("Cost (USD)"))
    let byCC = Dictionary(
      uniqueKeysWithValues: ccs.rows.dropFirst().compactMap { r -> (String, Int)? in
        guard let id = r.first??.text, r.count > col, let c = r[col]?.cents else { return nil }
        return (id, c)
      })
    #expect(byCC == ["CC-A": 1, "CC-B": 111, "CC-C": 2, "UNATTRIBUTED": 0, "TOTAL": 114])
    // The TOTAL row is below the filter range, not in it.
    #expect(try #require(ccs.row("TOTAL")) > (try #require(ccs.filterLastRow)))
    // Agents across cost centres: agent-x moved from CC-A to CC-B on the 16th, one row naming both,
    // its cents those of its rows on the two cost centres' Agents sheets; the TOTAL is the month's
    // (no allocation moves any).
    let agents = try #require(wb["Agents"])
    let (cost, centres) = (try #require(agents.column("Cost (USD)")), try #require(agents.column("Cost centres")))
    let x = try #require(agents.row("agent-x"))
    #expect(agents.rows[x][centres]?.text == "CC-A; CC-B")
    var own = 0
    for cc in ["CC-A", "CC-B"] {
      let sheet = try #require(try Self.read(dir + "/out/\(cc).xlsx")["Agents"])
      let row = try #require(sheet.row("agent-x"), "\(cc)")
      let column = try #require(sheet.column("Cost (USD)"))
      own += try #require(sheet.rows[row][column]?.cents)
    }
    #expect(agents.rows[x][cost]?.cents == own)
    let total = try #require(agents.row("TOTAL"))
    #expect(agents.rows[total][cost]?.cents == 114)
    let unattributed = try #require(wb["Unattributed"])
    #expect(unattributed.filterLastRow == 1)  // one line
    #expect(unattributed.rows[1][0]?.text == "arn:aws:iam::111122223333:user/ghost")
    #expect(wb["Findings"]?.filterLastRow == 4)
    // The input files, with their hashes, are the company's.
    let inputs = try #require(wb["Inputs"])
    #expect(inputs.filterLastRow == 2)
    #expect(inputs.rows.dropFirst().contains { $0.first??.text?.hasSuffix("month.jsonl") == true })
  }
}
