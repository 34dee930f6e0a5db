import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackReporting

/// A sheet cut to its largest rows shows amounts that are the exact amounts of what it shows: each
/// row kept and the "All other" row within a cent of their exact sums, the TOTAL unchanged.
///
/// The report rounds every line by largest remainder over the cost centre; with thousands of lines
/// of a fraction of a cent each, the cents it gives the lines left in "All other" added up to
/// anything (a $1.92 rest showed $0.00 while the 5,000 rows above it showed a cent each).
@Suite struct CutSheetRoundingTests {
  static let cent = Money.unit(2)

  /// `n` exact amounts between 0.1 and 2.1 cents, pseudo-random but fixed.
  static func amounts(_ n: Int) -> [Int128] {
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<n).map { _ in
      x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return cent / 10 + Int128((x >> 33) % UInt64(2 * cent))
    }
  }

  /// A Lines-like table of `exact` amounts, each with the report's cents: largest remainder over
  /// all of them.
  static func table(_ exact: [Int128]) -> (DetailTable, total: Int128) {
    let total = (exact.reduce(0, +) + cent / 2) / cent
    let cents = Apportion.apportion(exact, unit: cent, target: total)
    let table = DetailTable(
      name: "Lines",
      columns: [
        .init(header: "Line", width: 10), .init(header: "Requests", width: 10, total: .count),
        .init(header: "Cost (USD)", width: 10, total: .money),
        .init(header: "Share", width: 8, total: .share(of: 2)),
      ], count: exact.count,
      row: { i in
        [.text("line \(i)"), .int(1), .money(exact: exact[i], cents: cents[i]), .shareOf(column: 2, total: total)]
      }, noun: "lines", rank: { $0[2].rankValue ?? 0 })
    return (table, total)
  }

  @Test(arguments: [1, 100, 5_000])
  func theRestAndEachRowShownAreTheirExactAmounts(limit: Int) throws {
    let exact = Self.amounts(30_000)
    let (table, total) = Self.table(exact)
    let shown = table.shownRows(limit: limit)
    #expect(shown.count == limit + 1)
    // The rows kept are the `limit` largest exact amounts, in their order.
    let kept = exact.indices.sorted { exact[$0] != exact[$1] ? exact[$0] > exact[$1] : $0 < $1 }.prefix(limit).sorted()
    #expect(
      shown.dropLast().map { row -> String in if case .text(let t) = row[0] { t } else { "" } }
        == kept.map { "line \($0)" })
    var sum: Int128 = 0
    for (row, i) in zip(shown.dropLast(), kept) {
      let cents = try #require(row[2].summand)
      #expect(abs(cents * Self.cent - exact[i]) < Self.cent, "line \(i)")
      sum += cents
      // The share is of the row's own cents.
      if case .ratio(let n, let d) = row[3] { #expect(n == cents && d == total) } else { Issue.record("share") }
    }
    let rest = try #require(shown.last?[2].summand)
    let restExact = exact.reduce(0, +) - kept.reduce(Int128(0)) { $0 + exact[$1] }
    #expect(abs(rest * Self.cent - restExact) < Self.cent, "All other \(rest) for \(restExact) pico")
    #expect(sum + rest == total)
    // Uncut, each row is the report's own cents.
    let whole = table.shownRows(limit: Int.max)
    #expect(whole.count == exact.count)
    #expect(whole.compactMap { $0[2].summand }.reduce(0, +) == total)
  }

  /// Rows are ranked by the size of their cost, whatever its sign: a large negative line (an
  /// allocation moved out) is shown, never summed into "All other" (a trial's rest showed −5.80 USD
  /// of usage), and a small negative one is left out like any small row.
  @Test func aLargeNegativeRowIsShown() throws {
    var exact = Self.amounts(3_000)
    exact[7] = -500 * Self.cent
    exact[20] = -Self.cent / 20
    let (table, _) = Self.table(exact)
    let shown = table.shownRows(limit: 100)
    let names = shown.dropLast().map { row -> String in if case .text(let t) = row[0] { t } else { "" } }
    let kept = exact.indices.sorted { abs(exact[$0]) != abs(exact[$1]) ? abs(exact[$0]) > abs(exact[$1]) : $0 < $1 }
      .prefix(100).sorted()
    #expect(names == kept.map { "line \($0)" })
    #expect(names.contains("line 7") && !names.contains("line 20"))
    let rest = try #require(shown.last?[2].summand)
    let restExact = exact.reduce(0, +) - kept.reduce(Int128(0)) { $0 + exact[$1] }
    #expect(rest > 0 && abs(rest * Self.cent - restExact) < Self.cent)
  }

  /// A change from last month follows the row's cents as shown.
  @Test func aChangeFollowsTheCostShown() throws {
    let exact = Self.amounts(300)
    let cents = Apportion.apportion(exact, unit: Self.cent, target: (exact.reduce(0, +) + Self.cent / 2) / Self.cent)
    let table = DetailTable(
      name: "Agents",
      columns: [
        .init(header: "Agent", width: 10), .init(header: "Cost (USD)", width: 10, total: .money),
        .init(header: "Last month (USD)", width: 10, total: .money),
        .init(header: "Change (USD)", width: 10, total: .money),
      ], count: exact.count,
      row: { i in [.text("a\(i)"), .money(exact: exact[i], cents: cents[i]), .cents(1), .less(column: 1, minus: 1)] },
      noun: "agents", rank: { $0[1].rankValue ?? 0 })
    let shown = table.shownRows(limit: 10)
    // Each row, and the rest (290 rows of last month's cent each): the change is the cost less last month.
    for row in shown {
      let (cost, last, change) = (
        try #require(row[1].summand), try #require(row[2].summand), try #require(row[3].summand)
      )
      #expect(change == cost - last)
    }
    #expect(shown.last?[2].summand == 290)
  }

  /// Findings: the sheet keeps the largest by cost (it ranked by the column after it, the
  /// avoidable cost, and kept 5,000 findings of a cent over two of $884.40), and its TOTAL is the
  /// findings' exact sum to the cent (6,000 findings of $0.01134 each rounded on its own gave
  /// $60.00 for $68.04).
  @Test(arguments: [false, true])
  func findingsKeepTheLargestByCostAndFootToTheirSum(costCentre: Bool) throws {
    // In the sheet's order: severity first, so the small ones come before the large.
    var findings = (0..<6_000).map { Self.finding($0, .unregisteredCredential, .high, usd: 11_340) }
    findings += [
      Self.finding(6_000, .agentMismatch, .medium, usd: 884_400_000),
      Self.finding(6_001, .unknownAgent, .medium, usd: 884_400_000),
    ]
    let table = WorkbookReports.findingsTable(findings, costCentre: costCentre)
    let cost = try #require(table.columns.firstIndex { $0.header == "Cost (USD)" })
    let shown = table.shownRows(limit: 5_000)
    let ids = shown.dropLast().compactMap { row -> String? in if case .text(let t) = row[0] { t } else { nil } }
    #expect(ids.suffix(2) == ["F-6000", "F-6001"])
    // 6,000 × 11,340 + 2 × 884,400,000 micro-dollars = 1,836,840,000: $1,836.84.
    #expect(table.aggregate(shown, label: "TOTAL")[cost].summand == 183_684)
    #expect(table.aggregate(table.rows, label: "TOTAL")[cost].summand == 183_684)
  }

  /// Every critical finding is kept before the costliest others: 6,000 critical findings of a cent
  /// beside two medium ones of $884.40, cut to 5,000 rows, show 5,000 critical findings (a trial's
  /// company.xlsx had folded 3,487 of 5,837 critical findings into "All other").
  @Test func criticalFindingsAreKeptBeforeCostlierOthers() throws {
    var findings = (0..<6_000).map { Self.finding($0, .revokedCredential, .critical, usd: 11_340) }
    findings += [
      Self.finding(6_000, .agentMismatch, .medium, usd: 884_400_000),
      Self.finding(6_001, .unknownAgent, .medium, usd: 884_400_000),
    ]
    let table = WorkbookReports.findingsTable(findings, costCentre: false)
    let shown = table.shownRows(limit: 5_000).dropLast()
    let severities = shown.compactMap { row -> String? in if case .text(let t) = row[2] { t } else { nil } }
    #expect(severities.count == 5_000)
    #expect(Set(severities) == ["critical"])
  }

  /// Finding `F-n` of CC-1: one call of `micros` micro-dollars.
  static func finding(_ n: Int, _ kind: FindingKind, _ severity: Severity, usd micros: Int128) -> Finding {
    Finding(
      id: "F-\(n)", kind: kind, severity: severity, period: "2026-10", costCentre: "CC-1", firstTime: 0, lastTime: 0,
      calls: 1, cost: Money(pico: micros * 1_000_000), avoidableCost: .zero, evidence: [], evidenceCount: 1,
      explanation: "")
  }
}
