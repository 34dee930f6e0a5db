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
    return RuleRestScaleTests.report(lines)
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

/// The same at a scale where the units pile up (a review).
///
/// 24 overheads of 12,345.67 USD each,
/// split evenly over the same 97 cost centres (127.274948453608… each: every part the same
/// remainder, so each rule's extra cents go to the same first cost centres), beside one agent
/// each of 12.345678 USD plus 13 millionths a cost centre. Rounded rule by rule, the first cost
/// centres' agents ended up to 12 cents off; every line, cost centre and rule is its exact value
/// rounded down or up here. And a cost centre that no move can fix does not stop the others'.
@Suite struct RuleRestScaleTests {
  static func within(_ shown: Int128, _ exact: Money) -> Bool {
    let e = exact.pico
    let f = e >= 0 ? e / 10_000_000_000 : -((-e + 9_999_999_999) / 10_000_000_000)
    return shown == f || shown == f + 1
  }

  static func report(_ lines: [ChargebackLine]) -> ChargebackReport {
    var centres: [String: CostCentreSummary] = [:]
    for l in lines {
      centres[l.key.costCentre, default: CostCentreSummary(id: l.key.costCentre, name: l.key.costCentre)].cost += l.cost
    }
    return ChargebackReport(
      period: Period(year: 2026, month: 10), lines: lines, costCentres: centres.values.sorted { $0.id < $1.id },
      daily: [], findings: [], priceRowsUsed: [], inputs: [], identityHash: "", pricingHash: "", recordCount: 0,
      unpricedRecords: 0)
  }

  static func line(_ cc: String, agent: String? = nil, rule: String? = nil, pico: Int128) -> ChargebackLine {
    var l = RuleRestRoundingTests.line(cc, agent: agent, rule: rule, "0")
    l.cost = Money(pico: pico)
    l.listCost = l.cost
    return l
  }

  @Test func evenSplitsOfManyRulesStayWithinACent() throws {
    let centres = (0..<97).map { String(format: "CC%03d", $0) }
    var lines: [ChargebackLine] = []
    for (i, cc) in centres.enumerated() {
      lines.append(Self.line(cc, agent: "a-\(cc)", pico: 12_345_678_000_000 + Int128(i) * 13_000_000))
    }
    let total: Int128 = 12_345_670_000_000_000
    let (base, extra) = (total / 97, Int(total % 97))
    for r in 0..<24 {
      for (i, cc) in centres.enumerated() {
        lines.append(Self.line(cc, rule: "R\(r)", pico: base + (i < extra ? 1 : 0)))
      }
    }
    let report = Self.report(lines)
    let cents = ReportRounding(report, decimals: 2)
    let off = report.lines.indices.filter { !Self.within(cents.lines[$0], report.lines[$0].cost) }
    #expect(
      off.isEmpty, "\(off.count) lines out: \(off.prefix(3).map { (report.lines[$0].key.costCentre, cents.lines[$0]) })"
    )
    for cc in report.costCentres {
      #expect(Self.within(try #require(cents.costCentres[cc.id]), cc.cost), "\(cc.id)")
    }
    for r in 0..<24 {
      let sum = report.lines.indices.filter { report.lines[$0].key.ruleID == "R\(r)" }.map { cents.lines[$0] }
      #expect(sum.reduce(0, +) == 1_234_567, "R\(r)")
    }
  }

  /// A cost centre that no move fixes leaves the others to be fixed.
  ///
  /// c1 (agent 0.28, R0 +0.065 → 0.07, R1 +0.115 → 0.12, owing 0.46 exactly) cannot be fixed: its
  /// parts have no partners on their sides and its amount is whole, so its agent shows 0.27. c3
  /// (agent 0.108, R1 −0.023) can: R1's negative side has c0 (−0.092) beside it. a3 shows 0.10 or
  /// 0.11 (it showed 0.12 when the first stuck cost centre stopped the search).
  @Test func aStuckCostCentreDoesNotStopTheOthers() throws {
    let m = Int128(1_000_000_000)  // a thousandth of a dollar
    let report = Self.report([
      Self.line("c0", agent: "a0", pico: 73 * m), Self.line("c0", rule: "R1", pico: -92 * m),
      Self.line("c1", agent: "a1", pico: 280 * m), Self.line("c1", rule: "R0", pico: 65 * m),
      Self.line("c1", rule: "R1", pico: 115 * m), Self.line("c2", rule: "R0", pico: -65 * m),
      Self.line("c3", agent: "a3", pico: 108 * m), Self.line("c3", rule: "R1", pico: -23 * m),
    ])
    let cents = ReportRounding(report, decimals: 2)
    let a3 = try #require(report.lines.firstIndex { $0.key.agentID == "a3" })
    #expect([10, 11].contains(cents.lines[a3]), "\(cents.lines[a3])")
    for cc in report.costCentres {
      let sum = report.lines.indices.filter { report.lines[$0].key.costCentre == cc.id }.map { cents.lines[$0] }
      #expect(sum.reduce(0, +) == cents.costCentres[cc.id], "\(cc.id)")
    }
    #expect(cents.total == 46)
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
