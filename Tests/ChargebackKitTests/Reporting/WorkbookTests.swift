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
    let charts: Int
    /// Cells holding a formula (none may: values from logs are written as text).
    let formulas: [String]
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
    let header = lines.rows[0].map { $0?.text }
    let costCol = try #require(header.firstIndex(of: "cost_usd"))
    let sum = lines.rows.dropFirst().compactMap { $0.count > costCol ? $0[costCol]?.cents : nil }.reduce(0, +)
    #expect(sum == 111)
    #expect(lines.formats.values.contains { $0.contains("#,##0.00") })
    // Agents: agent-y spent 0.0112 + 0.0102 + 0.036 + 0.056 = 0.1134; agent-x after the move 0.993.
    let agents = try #require(wb["Agents"])
    let cost = Dictionary(
      uniqueKeysWithValues: agents.rows.dropFirst().map { ($0[0]?.text ?? "", $0[costColumn(agents)]?.cents ?? -1) })
    #expect(cost["agent-x"] == 99)
    #expect(cost["agent-y"] == 12)
    let daily = try #require(wb["Daily"])
    #expect(daily.rows.dropFirst().compactMap { $0[2]?.cents }.reduce(0, +) == 111)
    let method = try #require(wb["Method"])
    #expect(method.rows.contains { $0.count > 1 && $0[1]?.text == "nova-pro" })
  }

  @Test func companyWorkbookAddsUpToTheCent() throws {
    let (_, dir) = try MonthTests.runMonth()
    let wb = try Self.read(dir + "/out/company.xlsx")
    let ccs = try #require(wb["Cost centres"])
    let col = costColumn(ccs)
    let byCC = Dictionary(
      uniqueKeysWithValues: ccs.rows.dropFirst().compactMap { r -> (String, Int)? in
        guard let id = r.first??.text, r.count > col, let c = r[col]?.cents else { return nil }
        return (id, c)
      })
    #expect(byCC == ["CC-A": 1, "CC-B": 111, "CC-C": 2, "UNATTRIBUTED": 0, "TOTAL": 114])
    #expect(wb["Unattributed"]?.rows.count == 2)
    #expect(wb["Findings"].map { $0.rows.count - 1 } == 4)
  }

  private func costColumn(_ s: SheetDump) -> Int {
    s.rows[0].firstIndex { $0?.text == "cost_usd" } ?? -1
  }
}
