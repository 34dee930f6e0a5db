import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// A cost centre's own lines stay within a cent of their exact sum when shared-cost rules' parts,
/// each rounded up, fill its rounded amount (a finance trial: one agent at $10.89 for 10.908661 USD
/// and a Summary rounding of −$0.02, in a cost centre receiving three rules' parts).
///
/// The month, in USD (exact, by construction):
/// - X: agent a 10.902284; R2 5.444449, R3 0.822667, R1 0.040600: owes 17.21 exactly.
/// - Y: agent b 1.00; R2 5.444449, R3 0.822667: 7.267116. Z: agent c 2.00; R2 5.444449, R3
///   0.822667: 8.267116. W: agent d 3.00; R2 5.444449: 8.444449.
/// - S: agent s 21.777796, R2 −21.777796: 0.
///
/// In cents, rounded each on its own: the total 41.188681 → 41.19; floors 17.21 + 7.26 + 8.26 +
/// 8.44 + 0 = 41.17, the two cents left to Y and Z (remainders 0.7116). R2's four parts 21.777796 →
/// 21.78: 5.45 for X and Y (the first two of equal remainders), 5.44 for Z and W; R3's three
/// 2.468001 → 2.47: 0.83 for X. X's rules take 5.45 + 0.83 + 0.04 = 6.32 of its 17.21, which left
/// agent a 10.89, below 10.902284 rounded down. One cent of R2 moved from X to Z (whose 8.27 less
/// 5.44 + 0.82 left agent c 2.01 for 2.00) fixes both: a 10.90, c 2.00.
@Suite struct RuleRestRoundingTests {
  static func usd(_ s: String) -> Money { TestSupport.usd(s) }

  static func line(_ cc: String, agent: String? = nil, rule: String? = nil, _ cost: String) -> ChargebackLine {
    var l = ChargebackLine(
      key: .init(
        costCentre: cc, agentID: agent, provider: .bedrock, model: rule == nil ? "m" : "(allocated: \(rule!))",
        tier: .standard, status: .agentCredential, priced: true, source: rule == nil ? .request : .allocated,
        ruleID: rule))
    l.cost = usd(cost)
    l.listCost = l.cost
    return l
  }

  static func report() -> ChargebackReport {
    let lines = [
      line("X", agent: "a", "10.902284"), line("X", rule: "R2", "5.444449"), line("X", rule: "R3", "0.822667"),
      line("X", rule: "R1", "0.0406"),
      line("Y", agent: "b", "1"), line("Y", rule: "R2", "5.444449"), line("Y", rule: "R3", "0.822667"),
      line("Z", agent: "c", "2"), line("Z", rule: "R2", "5.444449"), line("Z", rule: "R3", "0.822667"),
      line("W", agent: "d", "3"), line("W", rule: "R2", "5.444449"),
      line("S", agent: "s", "21.777796"), line("S", rule: "R2", "-21.777796"),
    ]
    var centres: [String: CostCentreSummary] = [:]
    for l in lines {
      centres[l.key.costCentre, default: CostCentreSummary(id: l.key.costCentre, name: l.key.costCentre)].cost += l.cost
    }
    return ChargebackReport(
      period: Period(year: 2026, month: 10), lines: lines, costCentres: centres.values.sorted { $0.id < $1.id },
      daily: [], findings: [], priceRowsUsed: [], inputs: [], identityHash: "", pricingHash: "", recordCount: 0,
      unpricedRecords: 0)
  }

  /// Every line, cost centre and rule side its exact amount rounded down or up; the rules add up
  /// to what they shared; each cost centre's lines to its amount; agent a 10.90 or 10.91.
  @Test func everyLineWithinACentAndTheRulesStillAddUp() throws {
    let report = Self.report()
    let cents = ReportRounding(report, decimals: 2)
    func within(_ shown: Int128, _ exact: Money) -> Bool {
      let e = exact.pico
      let f = e >= 0 ? e / 10_000_000_000 : -((-e + 9_999_999_999) / 10_000_000_000)
      return shown == f || shown == f + 1
    }
    for (i, l) in report.lines.enumerated() {
      #expect(
        within(cents.lines[i], l.cost), "line \(i) \(l.key.costCentre) \(l.key.ruleID ?? "own"): \(cents.lines[i])")
    }
    for cc in report.costCentres {
      let shown = try #require(cents.costCentres[cc.id])
      #expect(within(shown, cc.cost), "\(cc.id) \(shown)")
      let sum = report.lines.indices.filter { report.lines[$0].key.costCentre == cc.id }.map { cents.lines[$0] }
      #expect(sum.reduce(0, +) == shown, "\(cc.id)")
    }
    #expect(cents.total == 4_119)
    func side(_ rule: String, positive: Bool) -> Int128 {
      report.lines.indices.filter {
        report.lines[$0].key.ruleID == rule && (report.lines[$0].cost.pico > 0) == positive
      }.map { cents.lines[$0] }.reduce(0, +)
    }
    #expect(side("R2", positive: true) == 2_178)
    #expect(side("R2", positive: false) == -2_178)
    #expect(side("R3", positive: true) == 247)
    #expect(side("R1", positive: true) == 4)
    // Agent a: 10.902284 → 10.90 or 10.91 (it was 10.89).
    #expect([1_090, 1_091].contains(cents.lines[0]), "\(cents.lines[0])")
    // The six-place rounding of the CSVs keeps the same properties.
    let micros = ReportRounding(report, decimals: 6)
    #expect(micros.lines[0] == 10_902_284)
  }
}

/// A finding shows the same cents in company.xlsx and in its cost centre's workbook.
///
/// A trial found one that read $2.67 in the first and $2.68 in the second, each sheet rounded over
/// its own findings. The
/// demo's month has such a finding: `WorkbookPrintTests.everySheetOfTheDemoPrints` checks it.
enum FindingCentsTests {
  /// Compares each finding's cost in every cost centre's workbook with company.xlsx's; returns
  /// how many rows were compared.
  static func compared(_ out: String) throws -> Int {
    let company = try #require(try WorkbookTests.read(out + "/company.xlsx")["Findings"])
    let (id, cost) = (try #require(company.column("Finding")), try #require(company.column("Cost (USD)")))
    var shown: [String: Int] = [:]
    for row in company.rows.dropFirst() {
      if let f = row.count > id ? row[id]?.text : nil, f.hasPrefix("F-"), let c = row[cost]?.cents { shown[f] = c }
    }
    var compared = 0
    let names = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
    let workbooks = try #require((names as? [String: Any])?["workbooks"] as? [String: String])
    for (_, file) in workbooks where file != "company.xlsx" {
      guard let sheet = try WorkbookTests.read(out + "/" + file)["Findings"] else { continue }
      let (i, c) = (try #require(sheet.column("Finding")), try #require(sheet.column("Cost (USD)")))
      for row in sheet.rows.dropFirst() {
        guard let f = row.count > i ? row[i]?.text : nil, f.hasPrefix("F-"), let cents = row[c]?.cents else { continue }
        #expect(shown[f] == cents, "\(f) in \(file): \(cents), company.xlsx: \(shown[f] ?? -1)")
        compared += 1
      }
    }
    return compared
  }
}
