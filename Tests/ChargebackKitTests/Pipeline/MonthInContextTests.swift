import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// The month in context (SPEC §7): last month's figures beside this month's, budget remaining, and
/// for a month still open (judged from the data, never the clock) a run-rate forecast.
@Suite struct MonthInContextTests {
  /// One Bedrock call of `role` at `iso` with `input` and `output` tokens.
  static func call(_ k: Int, _ iso: String, role: String, input: Int64, output: Int64) -> String {
    "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"\(iso)\",\"identity\":{\"arn\":\"arn:aws:iam::1:role/\(role)\"},"
      + "\"requestId\":\"ctx-\(k)\",\"modelId\":\"m1\",\"input\":{\"inputTokenCount\":\(input)},"
      + "\"output\":{\"outputTokenCount\":\(output)}}"
  }

  /// Two months of calls at $1 / $2 per million input / output tokens.
  ///
  /// September: a $4 (2 calls), b $0.50. October to the 10th, 12:00: a $6 (3 calls), b $0.25.
  static func setUp(_ dir: String) throws -> (ids: String, pricing: String) {
    let ids = dir + "/identities"
    let pricing = dir + "/pricing"
    for d in [ids, pricing, dir + "/usage"] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    let files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": "cost_centre,name,monthly_budget_usd\nCC-1,One,10\nCC-2,Two,\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\na,p-1,CC-1\nb,p-1,CC-2\n",
      ids + "/credentials.csv":
        "credential_id,provider,agent_id\narn:aws:iam::1:role/a,bedrock,a\narn:aws:iam::1:role/b,bedrock,b\n",
      ids + "/tasks.csv": "task_id\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,m1,input,standard,0,1,2025-01-01,,test\nbedrock,m1,output,standard,0,2,2025-01-01,,test\n",
      dir + "/usage/september.jsonl": [
        call(1, "2026-09-03T10:00:00Z", role: "a", input: 1_000_000, output: 500_000),
        call(2, "2026-09-20T10:00:00Z", role: "a", input: 1_000_000, output: 500_000),
        call(3, "2026-09-21T10:00:00Z", role: "b", input: 500_000, output: 0),
      ].joined(separator: "\n") + "\n",
      dir + "/usage/october.jsonl": [
        call(4, "2026-10-02T08:00:00Z", role: "a", input: 1_000_000, output: 500_000),
        call(5, "2026-10-03T08:00:00Z", role: "b", input: 250_000, output: 0),
        call(6, "2026-10-05T08:00:00Z", role: "a", input: 1_000_000, output: 500_000),
        call(7, "2026-10-10T12:00:00Z", role: "a", input: 1_000_000, output: 500_000),
      ].joined(separator: "\n") + "\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return (ids, pricing)
  }

  static func job(
    _ dir: String, _ period: String, usage: [String] = [], asOf: Int64? = nil, out: String? = nil
  ) throws -> ChargebackJob {
    ChargebackJob(
      options: .init(
        period: Period(period)!, usage: usage, identities: dir + "/identities", pricing: dir + "/pricing",
        out: out ?? dir + "/out-" + period, database: dir + "/s.sqlite", asOf: asOf),
      progress: .init(force: false))
  }

  @Test func lastMonthBudgetAndForecastOfAnOpenMonth() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.setUp(dir)
    // September is closed (the store has October data), so its report keeps its totals.
    let september = try #require(try Self.job(dir, "2026-09", usage: [dir + "/usage"]).run().report)
    #expect(!september.context.isOpen)
    let october = try #require(try Self.job(dir, "2026-10").reportOnly().report)
    #expect(october.context.previousSource == "reported")
    #expect(october.context.isOpen)
    #expect(october.context.asOf.map(Timestamp.iso) == "2026-10-10T12:00:00Z")
    // The console says so, and how to close it.
    let openLine = ConsoleSummary.lines(october).filter { $0.contains("is reported as open") }
    #expect(openLine.count == 1)
    #expect(openLine.first?.contains("runs to 2026-10-10T12:00:00Z") == true)
    #expect(openLine.first?.contains("--as-of 2026-11-01") == true)
    #expect(!ConsoleSummary.lines(september).contains { $0.contains("is reported as open") })
    let rows = try TestSupport.readCSV(dir + "/out-2026-10/summary.csv")
    func row(_ id: String) throws -> [String: String] { try #require(rows.first { $0["cost_centre"] == id }) }
    // CC-1: 6.00 against 4.00: +2.00, +50 %; budget 10 − 6 = 4; 6 × 31 days / 9.5 days = 19.578947…
    let one = try row("CC-1")
    #expect(one["cost_usd"] == "6.000000")
    #expect(one["previous_cost_usd"] == "4.000000")
    #expect(one["change_usd"] == "2.000000")
    #expect(one["change_pct"] == "50.00")
    #expect(one["budget_remaining_usd"] == "4.000000")
    #expect(one["forecast_usd"] == "19.578947")
    // CC-2: 0.25 against 0.50: −0.25, −50 %; no budget; 0.25 × 31 / 9.5 = 0.8157894…
    let two = try row("CC-2")
    #expect(two["change_usd"] == "-0.250000")
    #expect(two["change_pct"] == "-50.00")
    #expect(two["budget_remaining_usd"] == "")
    // TOTAL: 6.25 against 4.50: +1.75, +38.89 %; 6.25 × 31 / 9.5 = 20.3947368… → 20.394737. The
    // forecasts are apportioned to it: 19.578947 + 0.815789 = 20.394736, and the missing micro-dollar
    // goes to the larger remainder (CC-2's .47 over CC-1's .37), so the column adds up.
    #expect(two["forecast_usd"] == "0.815790")
    let total = try row("TOTAL")
    #expect(total["previous_cost_usd"] == "4.500000")
    #expect(total["change_pct"] == "38.89")
    #expect(total["forecast_usd"] == "20.394737")
    // Every money column's rows add up to its TOTAL.
    for column in [
      "cost_usd", "avoidable_cost_usd", "previous_cost_usd", "change_usd", "forecast_usd", "direct_cost_usd",
      "allocated_in_usd", "allocated_out_usd", "list_cost_usd", "idle_cost_usd",
    ] {
      let parts = rows.filter { $0["cost_centre"] != "TOTAL" }.map { DecimalText.parse($0[column] ?? "", decimals: 6) }
      #expect(!parts.contains(nil), "\(column)")
      #expect(parts.compactMap { $0 }.reduce(0, +) == DecimalText.parse(total[column] ?? "", decimals: 6), "\(column)")
    }
    // Per agent and model, the same comparison.
    let previous = try #require(october.context.previous)
    #expect(previous.agents[PeriodContext.Item(costCentre: "CC-1", item: "a")] == TestSupport.usd("4"))
    #expect(
      previous.models[PeriodContext.Item(costCentre: "CC-2", item: "bedrock/m1/standard")] == TestSupport.usd("0.5"))
    // The cost centre's workbook shows the same: last month, change, budget left, forecast.
    let book = try WorkbookTests.read(dir + "/out-2026-10/CC-1.xlsx")
    let summary = try #require(book["Summary"])
    func figure(_ label: String) -> Int? {
      summary.row(label).flatMap { summary.rows[$0].count > 1 ? summary.rows[$0][1]?.cents : nil }
    }
    #expect(figure("Last month (USD)") == 400)
    #expect(figure("Change (USD)") == 200)
    #expect(figure("Budget remaining (USD)") == 400)
    #expect(figure("Forecast (USD)") == 1958)
    let agents = try #require(book["Agents"])
    let last = try #require(agents.column("Last month (USD)"))
    let a = try #require(agents.row("a"))
    #expect(agents.rows[a][last]?.cents == 400)
    // company.xlsx: the cost centres with last month and the forecast.
    let centres = try #require(try WorkbookTests.read(dir + "/out-2026-10/company.xlsx")["Cost centres"])
    let forecast = try #require(centres.column("Forecast (USD)"))
    let ccTwo = try #require(centres.row("CC-2"))
    // In cents: 1957.89… and 81.57…, total 2039.47… → 2039; the floors give 2038 and the cent
    // goes to the larger remainder, CC-1's: 1958 and 81 (rounded one by one, 1958 + 82 = 2040).
    #expect(centres.rows[ccTwo][forecast]?.cents == 81)
    // Its TOTAL is the company Summary's forecast.
    let totalRow = try #require(centres.row("TOTAL"))
    let company = try #require(try WorkbookTests.read(dir + "/out-2026-10/company.xlsx")["Summary"])
    let companyForecast = company.row("Forecast (USD)").flatMap { company.rows[$0][1]?.cents }
    #expect(centres.rows[totalRow][forecast]?.cents == 2039)
    #expect(companyForecast == 2039)
  }

  /// An allocation is a row of the Agents and Models sheets, with last month's amount beside it:
  /// their TOTALs' last month is the Summary's (without it, the rows showed nothing last month and
  /// the TOTAL's change was +510 % beside the Summary's +0.5 %, a trial).
  @Test func lastMonthsAllocationIsBesideThisMonths() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.setUp(dir)
    // A $3 overhead each month, 60 % to CC-1 ($1.80) and 40 % to CC-2 ($1.20).
    try
      "rule_id,source,method,basis,targets,shares,effective_from,effective_to\nR-GW,fixed:3,fixed,,CC-1;CC-2,CC-1=60;CC-2=40,,\n"
      .write(toFile: dir + "/identities/allocation.csv", atomically: true, encoding: .utf8)
    _ = try Self.job(dir, "2026-09", usage: [dir + "/usage"]).run()
    _ = try Self.job(dir, "2026-10").reportOnly()
    let book = try WorkbookTests.read(dir + "/out-2026-10/CC-1.xlsx")
    let summary = try #require(book["Summary"])
    let summaryLast = summary.row("Last month (USD)").flatMap { summary.rows[$0][1]?.cents }
    // September: a's $4 and the $1.80 overhead.
    #expect(summaryLast == 580)
    for name in ["Agents", "Models"] {
      let sheet = try #require(book[name])
      let last = try #require(sheet.column("Last month (USD)"))
      let labelColumn = name == "Agents" ? 0 : 1
      let allocation = try #require(
        sheet.rows.firstIndex { $0.count > labelColumn && $0[labelColumn]?.text == "(allocated: R-GW)" })
      #expect(sheet.rows[allocation][last]?.cents == 180, "\(name)")
      let total = try #require(sheet.row("TOTAL"))
      #expect(sheet.rows[total][last]?.cents == summaryLast, "\(name)")
    }
  }

  /// Last month's rows add up to the Summary's figure when the stored groups add up to the cost
  /// centre's total; totals stored without the shared costs (an earlier version) are rounded one by
  /// one, so no row takes another's cents.
  @Test func lastMonthsCentsFollowTheSummaryOnlyWhenTheGroupsAreWhole() {
    let cent = Money.picoPerUSD / 100
    // 1.004 and 2.003 USD: 100.4 and 200.3 cents.
    let groups: [(key: [String], amount: Money)] = [
      (["dA"], Money(pico: 1_004 * cent / 10)), (["dB"], Money(pico: 2_003 * cent / 10)),
    ]
    let whole = WorkbookReports.LastMonth(groups: groups, target: 301, exactTotal: Money(pico: 3_007 * cent / 10))
    // Floors 100 + 200; the missing cent to the larger remainder (A's .4).
    #expect(WorkbookReports.lastMonthCents([["dA"], ["dB"], ["dC"]], whole) == [101, 200, 0])
    let old = WorkbookReports.LastMonth(groups: groups, target: 451, exactTotal: Money(pico: 4_507 * cent / 10))
    #expect(WorkbookReports.lastMonthCents([["dA"], ["dB"], ["dC"]], old) == [100, 200, 0])
  }

  @Test func asOfClosesTheMonthAndANeverReportedMonthIsComputed() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.setUp(dir)
    let end = Period("2026-10")!.endMillis
    let october = try #require(try Self.job(dir, "2026-10", usage: [dir + "/usage"], asOf: end).run().report)
    // September was never reported: charged now from the store.
    #expect(october.context.previousSource == "computed")
    #expect(october.context.previous?.costCentres["CC-1"] == TestSupport.usd("4"))
    // --as-of at the month's end: closed, no forecast.
    #expect(!october.context.isOpen)
    #expect(!ConsoleSummary.lines(october).contains { $0.contains("is reported as open") })
    let rows = try TestSupport.readCSV(dir + "/out-2026-10/summary.csv")
    #expect(rows.allSatisfy { $0["forecast_usd"] == "" })
    // Reported again without --as-of (an identity file fixed after the close): still closed, as of
    // its end; an --as-of before the end reopens it.
    let again = try #require(try Self.job(dir, "2026-10").reportOnly().report)
    #expect(!again.context.isOpen)
    #expect(again.context.asOf == end)
    #expect(try TestSupport.readCSV(dir + "/out-2026-10/summary.csv").allSatisfy { $0["forecast_usd"] == "" })
    let reopened = try #require(try Self.job(dir, "2026-10", asOf: end - Timestamp.millisPerDay).reportOnly().report)
    #expect(reopened.context.isOpen)
    // A month with no earlier data has nothing to compare with.
    let september = try #require(try Self.job(dir, "2026-09").reportOnly().report)
    #expect(september.context.previous == nil)
    let sept = try TestSupport.readCSV(dir + "/out-2026-09/summary.csv")
    #expect(sept.allSatisfy { $0["previous_cost_usd"] == "" && $0["change_pct"] == "" })
  }

  /// A nightly run keeps its open report while nothing new arrives, but not once the month has
  /// been closed by a report into another folder: the next nightly run rebuilds it closed.
  @Test func aNightlyOpenReportIsRebuiltClosedOnceTheMonthIsClosedElsewhere() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.setUp(dir)
    let nightly = dir + "/nightly"
    let first = try #require(try Self.job(dir, "2026-10", usage: [dir + "/usage"], out: nightly).run().report)
    #expect(first.context.isOpen)
    #expect(try TestSupport.readCSV(nightly + "/summary.csv").contains { $0["forecast_usd"] != "" })
    // Nothing new: the open outputs are kept.
    #expect(try Self.job(dir, "2026-10", usage: [dir + "/usage"], out: nightly).run().report == nil)
    // Finance closes October into its own folder.
    let end = Period("2026-10")!.endMillis
    _ = try Self.job(dir, "2026-10", asOf: end, out: dir + "/final").reportOnly()
    // The next nightly run: no new file, but the month is closed now; rebuilt without a forecast.
    let next = try #require(try Self.job(dir, "2026-10", usage: [dir + "/usage"], out: nightly).run().report)
    #expect(!next.context.isOpen)
    #expect(try TestSupport.readCSV(nightly + "/summary.csv").allSatisfy { $0["forecast_usd"] == "" })
    // And kept as it is after that.
    #expect(try Self.job(dir, "2026-10", usage: [dir + "/usage"], out: nightly).run().report == nil)
  }
}

/// A closed month reported again with other amounts says so: a price row edited in place re-priced
/// a closed month without a word, its outputs replaced after they may have been handed out.
@Suite struct ClosedMonthChangedTests {
  /// The amounts a warning shows for `cc`: `cc was → now`.
  static func amounts(_ warning: Substring, _ cc: String) throws -> (Money, Money) {
    let part = try #require(warning.components(separatedBy: cc + " ").dropFirst().first)
    let words = part.split(separator: " ")
    let was = try #require(DecimalText.parse(String(words[0]), decimals: 12))
    let now = try #require(
      DecimalText.parse(String(words[2].trimmingCharacters(in: CharacterSet(charactersIn: ",;"))), decimals: 12))
    return (Money(pico: was), Money(pico: now))
  }

  /// A closed month reported again after one cost centre's fix: another cost centre whose exact
  /// amount did not change is printed a cent apart (largest remainder over the cost centres), so
  /// its handed-out invoice changed too, and the warning names it (a trial named only the two
  /// whose exact amounts moved).
  @Test func aCostCentrePrintedACentApartIsNamedThoughItsExactAmountIsTheSame() {
    func usd(_ s: String) -> Money { TestSupport.usd(s) }
    // Before: 21.976686 in all, 21.98 printed. Floors 47 + 124 + 2023 + 2 = 2196 cents; the two
    // left go to the largest remainders, SUPPORT's .6274 and UNATTRIBUTED's .55.
    let before = PeriodContext.Totals(
      costCentres: [
        "CC-PLATFORM": usd("0.473892"), "CC-SUPPORT": usd("1.246274"), "CC-RESEARCH": usd("20.231020"),
        "UNATTRIBUTED": usd("0.025500"),
      ])
    var was = before
    was.printedCostCentres = ["CC-PLATFORM": 47, "CC-SUPPORT": 125, "CC-RESEARCH": 2023, "UNATTRIBUTED": 3]
    // After: 0.0045 moved from UNATTRIBUTED to SUPPORT, the same total. Floors 47 + 125 + 2023 + 2 =
    // 2197; the one cent left goes to PLATFORM's .3892.
    var now = before
    now.costCentres["CC-SUPPORT"] = usd("1.250774")
    now.costCentres["UNATTRIBUTED"] = usd("0.021000")
    now.printedCostCentres = ["CC-PLATFORM": 48, "CC-SUPPORT": 125, "CC-RESEARCH": 2023, "UNATTRIBUTED": 2]
    let warning = ChargebackJob.changedCostCentres(before: was, now: now) ?? ""
    #expect(warning.contains("CC-PLATFORM 0.473892 (printed 0.47 → 0.48)"), "\(warning)")
    #expect(warning.contains("CC-SUPPORT 1.246274 → 1.250774,"), "\(warning)")
    #expect(warning.contains("UNATTRIBUTED 0.025500 → 0.021000 (printed 0.03 → 0.02)"), "\(warning)")
    #expect(!warning.contains("CC-RESEARCH"))
    // Totals kept by an earlier version, without cents: the exact amounts alone are compared.
    let older = ChargebackJob.changedCostCentres(before: before, now: now) ?? ""
    #expect(!older.contains("CC-PLATFORM") && older.contains("CC-SUPPORT"))
    // The same cents and amounts: nothing to say.
    #expect(ChargebackJob.changedCostCentres(before: now, now: now) == nil)
  }

  @Test func aClosedMonthRepricedWarnsNamingTheCostCentres() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pricing = dir + "/pricing"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/pricing", toPath: pricing)
    func report() throws -> (status: Int32, out: String, err: String) {
      try TestSupport.runCLI([
        "run", "--period", "2026-10", "--usage", Fixtures.month + "/usage", "--identities",
        Fixtures.month + "/identities", "--pricing", pricing, "--out", dir + "/out", "--db", dir + "/s.sqlite",
        "--as-of", "2026-11-01",
      ])
    }
    let first = try report()
    #expect(first.status == 0, "\(first.err)")
    #expect(!(first.out + first.err).contains("was reported closed before"))
    // The cents kept are those the outputs print: summary.csv's amounts rounded to the cent, which
    // add up (largest remainder) to its TOTAL rounded.
    let kept = try UsageStore(path: dir + "/s.sqlite")
    let printed = try #require(try kept.reportedTotals(Period(year: 2026, month: 10))).printedCostCentres
    try kept.close()
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let total = try #require(summary.first { $0["cost_centre"] == "TOTAL" }?["cost_usd"])
    #expect(printed.values.reduce(0, +) == (TestSupport.usd(total).pico + 5_000_000_000) / 10_000_000_000)
    for row in summary where row["cost_centre"] != "TOTAL" {
      let exact = TestSupport.usd(row["cost_usd"] ?? "").pico
      let cents = try #require(printed[row["cost_centre"] ?? ""], "\(row)")
      #expect(cents == exact / 10_000_000_000 || cents == exact / 10_000_000_000 + 1, "\(row)")
    }
    // The same inputs again (nothing new), then the same month with claude-sonnet-4's input rate
    // edited in place from 3 to 30 USD per million.
    let same = try report()
    #expect(!(same.out + same.err).contains("was reported closed before"))
    let path = pricing + "/bedrock.csv"
    let rates = try String(contentsOfFile: path, encoding: .utf8)
    try rates.replacingOccurrences(
      of: "bedrock,claude-sonnet-4,input,standard,0,3,", with: "bedrock,claude-sonnet-4,input,standard,0,30,"
    ).write(toFile: path, atomically: true, encoding: .utf8)
    let after = try report()
    #expect(after.status == 0, "\(after.err)")
    let warning = try #require(
      after.err.split(separator: "\n").first { $0.hasPrefix("warning: 2026-10 was reported closed before") })
    // req-1 (claude-sonnet-4, CC-A): 1,000 input tokens at 30 instead of 3 USD per million, 0.027 more.
    let (was, now) = try Self.amounts(warning, "CC-A")
    #expect(now - was == TestSupport.usd("0.027"))
    #expect(warning.contains("never edit a row that was used"))
    // Reported again as it now is: no warning.
    let again = try TestSupport.runCLI([
      "report", "--period", "2026-10", "--identities", Fixtures.month + "/identities", "--pricing", pricing, "--out",
      dir + "/out2", "--db", dir + "/s.sqlite", "--as-of", "2026-11-01",
    ])
    #expect(again.status == 0, "\(again.err)")
    #expect(!(again.out + again.err).contains("was reported closed before"))
  }
}
