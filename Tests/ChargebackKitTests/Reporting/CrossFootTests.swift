import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Every printed column adds up, and every row cross-foots, on a month of fractional amounts: a
/// line per call (ticket ids), discounts, provisioned capacity and allocations (the benchmark
/// directory has all three), so that rounding each figure on its own would show.
@Suite struct CrossFootTests {
  static func runMonth() throws -> (ChargebackJob.Result, String) {
    let dir = try TestSupport.tempDir()
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: 4_000, perFile: 2_000, shape: .tickets)
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [layout.usageDirectory], identities: layout.identityDirectory,
        pricing: TestSupport.pricing, out: dir + "/out", database: dir + "/s.sqlite",
        asOf: Period("2026-10")!.endMillis),
      progress: ProgressReporter(force: false))
    return (try job.run(), dir + "/out")
  }

  func micros(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 6) ?? -1 }

  /// Each cost centre's Daily TOTAL is its column of the company Daily sheet.
  ///
  /// Two cost centres each with 15,000 input tokens at 1 USD per million (0.015 USD of usage) and
  /// half of a 1 USD overhead: their usage is 3 cents in all, so one shows 2 cents and the other 1,
  /// on the company Daily sheet and on its own, the same (each workbook rounded its 1.5 cents on
  /// its own to 2: the two showed 4 cents of a 3-cent month, a cent apart from the company's). The
  /// company's sheet says that its usage is not the amount owed.
  @Test func eachCostCentresDailyTotalIsItsCompanyColumn() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try MonthInContextTests.setUp(dir)
    try FileManager.default.removeItem(atPath: dir + "/usage/september.jsonl")
    try [
      MonthInContextTests.call(1, "2026-10-02T08:00:00Z", role: "a", input: 15_000, output: 0),
      MonthInContextTests.call(2, "2026-10-03T08:00:00Z", role: "b", input: 15_000, output: 0),
    ].joined(separator: "\n").write(toFile: dir + "/usage/october.jsonl", atomically: true, encoding: .utf8)
    try "rule_id,source,method,basis,targets,shares,effective_from,effective_to\nR-fee,fixed:1,even,,CC-1;CC-2,,,\n"
      .write(toFile: dir + "/identities/allocation.csv", atomically: true, encoding: .utf8)
    _ = try MonthInContextTests.job(
      dir, "2026-10", usage: [dir + "/usage"], asOf: Period("2026-10")!.endMillis, out: dir + "/out"
    ).run()
    let company = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Daily"])
    let total = try #require(company.row("TOTAL"))
    var own: [Int] = []
    for cc in ["CC-1", "CC-2"] {
      let column = try #require(company.rows[0].firstIndex { $0?.text == cc })
      let daily = try #require(try WorkbookTests.read(dir + "/out/\(cc).xlsx")["Daily"])
      let row = try #require(daily.row("TOTAL"))
      let cents = try #require(daily.rows[row][WorkbookReports.dailyCostColumn]?.cents)
      #expect(cents == company.rows[total][column]?.cents, "\(cc)")
      own.append(cents)
    }
    #expect(own.sorted() == [1, 2])
    // Its TOTAL (3 cents) is not the month's 1.03: the sheet says why, as each cost centre's does.
    #expect(company.rows.contains { $0.first??.text?.hasPrefix("Usage by day. Overheads shared") == true })
  }

  /// One month for both checks (a generated month and a dozen workbooks read back take seconds).
  @Test func csvColumnsAndWorkbookSheetsAddUp() throws {
    let (result, out) = try Self.runMonth()
    try chargebackColumnsAddUpToTheSummary(out)
    try workbookSheetsCrossFoot(result, out)
  }

  func chargebackColumnsAddUpToTheSummary(_ out: String) throws {
    let summary = Dictionary(
      uniqueKeysWithValues: try TestSupport.readCSV(out + "/summary.csv").map { ($0["cost_centre"]!, $0) })
    let lines = try TestSupport.readCSV(out + "/chargeback.csv")
    #expect(lines.count > 3_000)
    // The list cost of usage lines (an allocated or idle line's list cost is its amount, which
    // the cost centre's list cost does not hold).
    let usage = lines.filter { $0["source"] != "allocated" && $0["source"] != "idle" }
    #expect(usage.count < lines.count)  // the month has allocations and idle capacity
    for (column, rows) in [("cost_usd", lines), ("list_cost_usd", usage)] {
      var byCC: [String: Int128] = [:]
      for l in rows { byCC[l["cost_centre"]!, default: 0] += l[column]!.isEmpty ? 0 : micros(l[column]) }
      for (cc, row) in summary where cc != "TOTAL" {
        #expect(byCC[cc, default: 0] == micros(row[column]), "\(column) of \(cc)")
      }
      if column == "list_cost_usd" { #expect(rows.allSatisfy { $0[column]!.isEmpty || micros($0[column]) >= 0 }) }
      #expect(byCC.values.reduce(0, +) == micros(summary["TOTAL"]?[column]), "\(column)")
    }
  }

  func workbookSheetsCrossFoot(_ result: ChargebackJob.Result, _ out: String) throws {
    let report = try #require(result.report)
    let company = try WorkbookTests.read(out + "/company.xlsx")
    // Daily: the TOTAL is the month's usage (every day's cost) to the cent, and the column totals
    // add up to it.
    let daily = try #require(company["Daily"])
    let totalRow = try #require(daily.row("TOTAL"))
    let totalColumn = daily.rows[0].count - 1
    let usage = Money(pico: report.daily.reduce(Int128(0)) { $0 + $1.cost.pico }).rounded(toDecimals: 2)
    #expect(Int128(try #require(daily.rows[totalRow][totalColumn]?.cents)) == usage)
    let columnTotals = daily.rows[totalRow][1..<totalColumn].map { Int128($0?.cents ?? -1) }
    #expect(columnTotals.reduce(0, +) == usage)
    // Commitments: list − used − idle = savings on every row and in the TOTAL.
    let commitments = try #require(company["Commitments"])
    #expect(commitments.rows.count > 2)
    let header = commitments.rows[0].map { $0?.text ?? "" }
    let (l, u, i, s) = try (
      #require(header.firstIndex(of: "List (USD)")), #require(header.firstIndex(of: "Used (USD)")),
      #require(header.firstIndex(of: "Idle (USD)")), #require(header.firstIndex(of: "Savings vs list (USD)"))
    )
    for row in commitments.rows.dropFirst() where row.count > s && row[l]?.cents != nil {
      let cents = [l, u, i, s].map { row[$0]?.cents ?? 0 }
      #expect(cents[0] - cents[1] - cents[2] == cents[3], "\(row.first??.text ?? "")")
    }
    // Each money column's TOTAL is its exact sum rounded (as summary.csv shows the idle), not the
    // sum of rows rounded one by one.
    let commitmentsTotal = try #require(commitments.row("TOTAL"))
    let uses = report.commitments.filter { $0.requests > 0 || $0.fee.pico > 0 }
    for (column, amount) in [(l, \CommitmentUse.list), (u, \.effective), (i, \.idle)] {
      let exact = Money(pico: uses.reduce(Int128(0)) { $0 + $1[keyPath: amount].pico }).rounded(toDecimals: 2)
      #expect(Int128(try #require(commitments.rows[commitmentsTotal][column]?.cents)) == exact, "column \(column)")
    }
    // Each cost centre's bridge: the rows add up to the amount owed, and a cost centre with no
    // contract effect shows none.
    let names = WorkbookNames.assign(report.costCentres.map(\.id))
    var bridges = 0
    var allocatedRows = 0
    var dailyColumns = 0
    var contracts = 0
    for cc in report.costCentres {
      guard let file = names[cc.id] else { continue }
      let book = try WorkbookTests.read(out + "/" + file)
      // Its Daily TOTAL is its column's on the company Daily sheet (a cost centre with allocations
      // rounded its usage on its own, a cent apart from the company's: a trial).
      if let column = daily.rows[0].firstIndex(where: { $0?.text == cc.id }), let own = book["Daily"],
        let ownTotal = own.row("TOTAL")
      {
        #expect(
          own.rows[ownTotal][WorkbookReports.dailyCostColumn]?.cents == daily.rows[totalRow][column]?.cents,
          "Daily of \(cc.id)")
        dailyColumns += 1
      }
      // An allocated amount names its rule and source where the model goes, with no provider, tier
      // or price status of its own (it showed `other`, `standard`, `priced`).
      if let lines = book["Lines"], let header = lines.rows.first?.map({ $0?.text ?? "" }),
        let source = header.firstIndex(of: "Source"), let model = header.firstIndex(of: "Model"),
        let provider = header.firstIndex(of: "Provider"), let status = header.firstIndex(of: "Price status")
      {
        for row in lines.rows.dropFirst() where row.count > source && row[source]?.text == "allocated" {
          let label = row[model]?.text ?? ""
          #expect(label.hasPrefix("(allocated: ") && label.contains(" from "), "\(label)")
          #expect(row[provider]?.text == nil && row[status]?.text == nil, "\(row)")
          allocatedRows += 1
        }
      }
      try agentsAreTheSumsOfTheirLines(book, report, cc.id)
      let summary = try #require(book["Summary"])
      guard let list = summary.row("Direct usage at list (USD)"), let owed = summary.row("Amount owed (USD)")
      else { continue }
      let parts = summary.rows[list..<owed].map { $0.count > 1 ? $0[1]?.cents ?? 0 : 0 }
      let owedCents = summary.rows[owed][1]?.cents
      #expect(parts.reduce(0, +) == owedCents, "owed of \(cc.id)")
      let hasEffect = summary.row("Contract effect (USD)") != nil
      let contract = cc.directCost - cc.idleCost != cc.listCost
      #expect(hasEffect == contract, "contract effect of \(cc.id)")
      // The row is the calls' cost as the Lines sheet shows it (its lines neither allocated nor
      // idle) less their list, and the sentence says that cost (a finance trial: "$1.03" beside an
      // agent's 1.02, the cost rounded alone).
      if let row = summary.row("Contract effect (USD)"), let lines = book["Lines"],
        let header = lines.rows.first?.map({ $0?.text ?? "" }), let source = header.firstIndex(of: "Source"),
        let cost = header.firstIndex(of: "Cost (USD)"),
        !lines.rows.contains(where: { $0.first??.text?.hasPrefix("All other") == true })
      {
        let calls = lines.rows.dropFirst().filter { $0.count > cost && $0.first??.text != "TOTAL" }
          .filter { !["allocated", "idle"].contains($0[source]?.text ?? "") }
          .reduce(0) { $0 + ($1[cost]?.cents ?? 0) }
        let list = try #require(summary.rows[list][1]?.cents)
        // The sheets' figure unless its cents turn the exact effect around: then the exact rounded.
        let exact = cc.directCost - cc.idleCost - cc.listCost
        let fromSheets = calls - list
        let agrees = fromSheets == 0 ? exact.rounded(toDecimals: 2) == 0 : (fromSheets < 0) == (exact.pico < 0)
        let expected = agrees ? fromSheets : Int(exact.rounded(toDecimals: 2))
        #expect(summary.rows[row][1]?.cents == expected, "contract effect of \(cc.id)")
        let said = String(
          format: "your calls cost $%d.%02d instead of", (list + expected) / 100, (list + expected) % 100)
        #expect(
          summary.rows.contains { $0.first??.text?.contains(said) == true } == (expected != 0), "\(cc.id): \(said)")
        if expected != 0 { contracts += 1 }
      }
      bridges += 1
    }
    #expect(bridges >= 2)
    #expect(contracts >= 1)
    #expect(allocatedRows > 0)
    #expect(dailyColumns >= 2)
  }

  /// Each agent's row on the Agents sheet is the sum of its rows on Lines, to the cent, and its
  /// exact cost (worked out here from the report's lines) rounded down or up (a trial found an
  /// agent at $3.84 beside lines adding up to $3.85: each sheet had been rounded on its own).
  func agentsAreTheSumsOfTheirLines(_ book: [String: WorkbookTests.SheetDump], _ report: ChargebackReport, _ cc: String)
    throws
  {
    let (agents, lines) = (try #require(book["Agents"]), try #require(book["Lines"]))
    guard !lines.rows.contains(where: { $0.first??.text?.hasPrefix("All other") == true }) else { return }
    func column(_ sheet: WorkbookTests.SheetDump, _ name: String) throws -> Int {
      try #require(sheet.rows[0].firstIndex { $0?.text == name }, "\(name)")
    }
    let (agentOfLine, costOfLine) = (try column(lines, "Agent"), try column(lines, "Cost (USD)"))
    var fromLines: [String: Int] = [:]
    for row in lines.rows.dropFirst() where row.count > costOfLine {
      guard let agent = row[agentOfLine]?.text, !agent.isEmpty, agent != "TOTAL" else { continue }
      fromLines[agent, default: 0] += row[costOfLine]?.cents ?? 0
    }
    var exact: [String: Int128] = [:]
    for l in report.lines where l.key.costCentre == cc {
      if let agent = l.key.agentID { exact[agent, default: 0] += l.cost.pico }
    }
    let (agentColumn, costColumn) = (try column(agents, "Agent"), try column(agents, "Cost (USD)"))
    var checked = 0
    for row in agents.rows.dropFirst() where row.count > costColumn {
      guard let agent = row[agentColumn]?.text, let pico = exact[agent], let cents = row[costColumn]?.cents else {
        continue
      }
      #expect(cents == fromLines[agent], "\(cc) \(agent)")
      let unit: Int128 = 10_000_000_000  // pico-USD per cent
      #expect(abs(Int128(cents) * unit - pico) < unit, "\(cc) \(agent): \(cents) cents for \(pico) pico-USD")
      checked += 1
    }
    #expect(checked == exact.count, "\(cc)")
  }

  /// Commitment columns are rounded by largest remainder, so their TOTAL is their exact sum rounded.
  ///
  /// The helper's month: two provisioned commitments idle 8.955126 and 37.549579 USD. By largest
  /// remainder over 895.5126 and 3754.9579 cents (target 4650): 8.95 and 37.55, TOTAL 46.50 (as
  /// summary.csv shows the idle), not 8.96 + 37.55 = 46.51.
  @Test func commitmentColumnsAddUpToTheirExactTotal() {
    func use(_ id: String, idle: String) -> CommitmentUse {
      CommitmentUse(
        commitment: Commitment(id: id, provider: .vertex, kind: .provisioned, models: []),
        fee: TestSupport.usd("50"), list: .zero, effective: TestSupport.usd("50") - TestSupport.usd(idle),
        idle: TestSupport.usd(idle), requests: 1)
    }
    let table = WorkbookReports.commitmentsTable([use("P1", idle: "8.955126"), use("P2", idle: "37.549579")])
    let idle = table.columns.firstIndex { $0.header == "Idle (USD)" } ?? -1
    let rows = (0..<table.count).map { table.row($0)[idle].summand }
    #expect(rows == [895, 3755])
    #expect(table.aggregate((0..<table.count).map { table.row($0) }, label: "TOTAL")[idle].summand == 4650)
  }

  /// A discount the apportionment's cent turns around is not shown as a price rise (a review).
  ///
  /// X's calls list at 1.0240 USD and cost 1.0239 (a discount of 0.0001); Y's cost 0.0011. The
  /// total, 1.025, is 1.03 USD: the floors (1.02 + 0.00) leave a cent for the largest remainder,
  /// X's (.39 against .11), so X owes 1.03, a cent above its list's 1.02. The contract effect is
  /// the exact one rounded (0.00), the cent a rounding row, and no sentence says the calls cost
  /// more than their list.
  @Test func aDiscountIsNotShownAsAPriceRise() throws {
    var x = RuleRestRoundingTests.line("X", agent: "a", "1.0239")
    x.listCost = TestSupport.usd("1.024")
    var report = RuleRestScaleTests.report([x, RuleRestRoundingTests.line("Y", agent: "b", "0.0011")])
    for i in report.costCentres.indices {
      report.costCentres[i].directCost = report.costCentres[i].cost
      report.costCentres[i].listCost = report.costCentres[i].id == "X" ? x.listCost : report.costCentres[i].cost
    }
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let names = WorkbookNames.assign(report.costCentres.map(\.id))
    _ = try WorkbookReports.write(report, names: names, to: dir)
    let summary = try #require(try WorkbookTests.read(dir + "/" + (names["X"] ?? ""))["Summary"])
    func cents(_ label: String) -> Int? { summary.row(label).flatMap { summary.rows[$0][1]?.cents } }
    #expect(cents("Amount owed (USD)") == 103)
    #expect(cents("Direct usage at list (USD)") == 102)
    #expect(cents("Contract effect (USD)") == 0)
    #expect(cents("Rounding (USD)") == 1)
    #expect(!summary.rows.contains { $0.first??.text?.contains("your calls cost") == true })
  }
}
