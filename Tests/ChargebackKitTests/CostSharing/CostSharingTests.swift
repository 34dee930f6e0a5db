import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The hand-computed month of SPEC §12 (`CostSharingMonth`): every figure below is worked out in
/// the comments from the planted calls and rates, never read from the code under test.
///
/// Rates (USD per million): claude-x 3 in / 15 out; nova-x 1 / 4 (the Bedrock provisioned model
/// `pt-abc` is priced as nova-x through its alias); gemini-p 1 / 2.
///
/// Calls, list cost, effective cost:
/// - b1 a1 (APP1) 5 Oct claude 240k/20k: 0.72 + 0.30 = 1.02; before the discount: 1.02.
/// - b2 a1 (APP1) 20 Oct claude 200k/40k: 0.60 + 0.60 = 1.20; D-CLAUDE 20 %: 0.48 + 0.48 = 0.96.
/// - b3 a2 (APP2) 18 Oct claude 100k/0: 0.30; 20 % off: 0.24.
/// - b4 a3 (APP3) 3 Oct nova 1M/100k: 1.00 + 0.40 = 1.40.
/// - b5 p1 (PLAT) 12 Oct pt-abc 2M/500k: 2.00 + 2.00 = 4.00, under PT-BR.
/// - b6 a2 (APP2) 9 Oct 23:59:59 pt-abc 650k/0: 0.65, before PT-BR starts: list.
/// - b7 a2 (APP2) 25 Oct pt-abc 1M/250k: 1.00 + 1.00 = 2.00, under PT-BR.
/// - b8 shared credential (PLAT, no agent) 14 Oct nova 3M/0: 3.00.
/// - b9 unknown credential (UNATTRIBUTED) 7 Oct nova 600k/100k: 0.60 + 0.40 = 1.00.
/// - v1 a1 (APP1) 11 Oct gemini provisioned 2M/500k: 2.00 + 1.00 = 3.00, under PT-VX.
/// - v2 a3 (APP3) 21 Oct gemini provisioned 1M/0: 1.00, under PT-VX.
/// - v3 a3 (APP3) 22 Oct gemini on demand 1M/0: 1.00, list (not provisioned traffic).
///
/// PT-BR: $31 a month from the 10th = 31 × 22/31 = $22; its calls list 4.00 + 2.00 = 6.00 ≤ 22, so
/// they cost list and the idle line is 22 − 6 = $16 (to PLAT). PT-VX: $3 for the whole month; its
/// calls list 3.00 + 1.00 = 4.00 > 3, so they cost 4 × 3/4: v1 2.25, v2 0.75, and no idle.
///
/// Direct (effective): APP1 1.02 + 0.96 + 2.25 = 4.23; APP2 0.24 + 0.65 + 2.00 = 2.89;
/// APP3 1.40 + 0.75 + 1.00 = 3.15; PLAT 4.00 + 3.00 + 16.00 = 23.00; UNATTRIBUTED 1.00.
/// Σ direct = 34.27.
///
/// Rules, in file order:
/// - R1 UNATTRIBUTED even over `*` = APP1, APP2, APP3, PLAT: 1.00 / 4 = 0.25 each.
/// - R2 the shared credential's 3.00 (in PLAT) by tokens to APP1 (240k+20k + 200k+40k + 2.5M = 3M)
///   and APP2 (100k + 650k + 1.25M = 2M): 1.80 and 1.20.
/// - R3 PLAT holds 23.00 + 0.25 − 3.00 = 20.25: APP1 50 % 10.125, APP2 30 % 6.075, APP3 20 % 4.05.
/// - R4 $100 by direct cost 4.23 : 2.89 : 3.15 (sum 10.27), in pico-USD: floor(10^14 × 423/1027) =
///   41,187,925,998,052 rem 596; 28,140,214,216,163 rem 599; 30,671,859,785,783 rem 859; the 2
///   pico-USD left go to the largest remainders, APP3 then APP2: 41.187925998052, 28.140214216164,
///   30.671859785784.
///
/// Owed: APP1 4.23 + 0.25 + 1.80 + 10.125 + 41.187925998052 = 57.592925998052;
/// APP2 2.89 + 0.25 + 1.20 + 6.075 + 28.140214216164 = 38.555214216164;
/// APP3 3.15 + 0.25 + 4.05 + 30.671859785784 = 38.121859785784; PLAT 0; UNATTRIBUTED 0.
/// Σ owed = 134.27 = Σ direct 34.27 + the $100 overhead.
@Suite struct CostSharingTests {
  static func runMonth() throws -> (ChargebackJob.Result, String) {
    let dir = try TestSupport.tempDir()
    try CostSharingMonth.write(to: dir)
    return (try run(dir), dir)
  }

  /// The October run of the month written under `dir`.
  static func run(_ dir: String) throws -> ChargebackJob.Result {
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    return try job.run()
  }

  private func usd(_ s: String) -> Money { TestSupport.usd(s) }

  /// The console says what went unattributed when the rules shared it out: UNATTRIBUTED's row reads
  /// 0.00, what it still owes (R1 shares its 1.00 USD, b9, evenly).
  @Test func theConsoleSaysWhatWentUnattributedAndWasShared() throws {
    let (result, _) = try Self.runMonth()
    let lines = ConsoleSummary.lines(try #require(result.report))
    #expect(
      lines.contains(
        "UNATTRIBUTED: 1.00 USD of usage nobody could be charged for; the allocation rules shared 1.00 USD of it"
          + " among the cost centres (company.xlsx, Summary and Unattributed)"), "\(lines)")
    #expect(lines.contains { $0.hasPrefix("UNATTRIBUTED ") && $0.contains(" 0.00 ") })
  }

  @Test func everyCostCentreToThePicoDollar() throws {
    let (result, _) = try Self.runMonth()
    let report = try #require(result.report)
    let cc = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0) })
    let expected: [String: (direct: String, allocatedIn: String, allocatedOut: String, owed: String)] = [
      "APP1": ("4.23", "53.362925998052", "0", "57.592925998052"),
      "APP2": ("2.89", "35.665214216164", "0", "38.555214216164"),
      "APP3": ("3.15", "34.971859785784", "0", "38.121859785784"),
      "PLAT": ("23", "0.25", "23.25", "0"),
      "UNATTRIBUTED": ("1", "0", "1", "0"),
    ]
    #expect(Set(cc.keys) == Set(expected.keys))
    for (id, e) in expected {
      let c = try #require(cc[id])
      #expect(c.directCost == usd(e.direct), "\(id) direct")
      #expect(c.allocatedIn == usd(e.allocatedIn), "\(id) allocated in")
      #expect(c.allocatedOut == usd(e.allocatedOut), "\(id) allocated out")
      #expect(c.cost == usd(e.owed), "\(id) owed")
    }
    // List: APP1 1.02 + 1.20 + 3.00; APP2 0.30 + 0.65 + 2.00; APP3 1.40 + 1.00 + 1.00; PLAT 4 + 3.
    #expect(cc["APP1"]?.listCost == usd("5.22"))
    #expect(cc["APP2"]?.listCost == usd("2.95"))
    #expect(cc["APP3"]?.listCost == usd("3.40"))
    #expect(cc["PLAT"]?.listCost == usd("7"))
    #expect(cc["PLAT"]?.idleCost == usd("16"))
    // Σ owed = Σ direct + the fixed overhead, exactly.
    let direct = report.costCentres.reduce(Money.zero) { $0 + $1.directCost }
    #expect(direct == usd("34.27"))
    #expect(report.totalCost == direct + usd("100"))
    // Every cost centre's lines add up to what it owes.
    for c in report.costCentres {
      let lines = report.lines.filter { $0.key.costCentre == c.id && $0.key.priced }
      #expect(lines.reduce(Money.zero) { $0 + $1.cost } == c.cost, "\(c.id) lines")
    }
  }

  /// The platform's rule before the shared credential's: the credential's spend moves once.
  ///
  /// The credential's $3 leaves with the
  /// platform's whole $23.25, and the credential's rule then finds nothing left to move (never the
  /// same money twice). By hand: R1 gives 0.25 to each of APP1, APP2, APP3 and PLAT; R3 splits
  /// PLAT's 23.25 50/30/20 = 11.625, 6.975, 4.65; R2 moves 0; R4 as before (100 × 423, 289 and
  /// 315 over 1,027: 41.187925998052, 28.140214216164, 30.671859785784).
  @Test func aCredentialsSpendMovesOnceWhateverTheRuleOrder() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let lines = CostSharingMonth.allocation.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let reordered = [lines[0], lines[1], lines[3], lines[2], lines[4]].joined(separator: "\n") + "\n"
    try CostSharingMonth.write(to: dir, allocation: reordered)
    let report = try #require(try Self.run(dir).report)
    let owed = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0.cost) })
    #expect(owed["APP1"] == usd("57.292925998052"))
    #expect(owed["APP2"] == usd("38.255214216164"))
    #expect(owed["APP3"] == usd("38.721859785784"))
    #expect(owed["PLAT"] == .zero)
    #expect(owed["UNATTRIBUTED"] == .zero)
    #expect(report.costCentres.reduce(Money.zero) { $0 + $1.cost } == usd("134.27"))
  }

  /// company.xlsx's Unattributed sheet names the amount moved out of UNATTRIBUTED by its rule, as
  /// the Agents sheet does, with no provider or model: it showed as usage of the provider `other`.
  @Test func theUnattributedSheetNamesAnAllocationByItsRule() throws {
    let (_, dir) = try Self.runMonth()
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Unattributed"])
    let (provider, cost) = (try #require(sheet.column("Provider")), try #require(sheet.column("Cost (USD)")))
    let rows = sheet.rows.dropFirst().filter { ($0.first??.text ?? "") != "TOTAL" && $0.count > cost }
    let moved = try #require(rows.first { $0.first??.text == "(allocated: R1-unattributed)" })
    #expect(moved[provider] == nil && moved[cost]?.cents == -100)
    // b9's own dollar, on its provider.
    #expect(rows.contains { $0[provider]?.text == "bedrock" && $0[cost]?.cents == 100 })
    #expect(!rows.contains { $0[provider]?.text == "other" })
  }

  /// company.xlsx's front page shows the spend nobody could be charged for before the rule that
  /// spread it (b9's 1.00 USD), and after it (0.00): after alone read as no unattributed spend.
  @Test func theFrontPageShowsUnattributedSpendBeforeItsRule() throws {
    let (_, dir) = try Self.runMonth()
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Summary"])
    func value(_ label: String) -> Int? {
      sheet.rows.first { $0.first??.text == label }?.dropFirst().compactMap { $0?.cents }.first
    }
    #expect(value("Unattributed spend (USD)") == 100)
    #expect(value("Still unattributed (USD)") == 0)
    #expect(value("Unattributed (USD)") == nil)
    // No provider's bill was loaded: the page says which providers' spend is not reconciled.
    let unbilled = sheet.rows.first { $0.first??.text == "Not reconciled (no bill)" }
    #expect(unbilled?.dropFirst().compactMap { $0?.text }.first == "bedrock, vertex")
  }

  @Test func linesShowListEffectiveRulesAndIdle() throws {
    let (result, dir) = try Self.runMonth()
    let report = try #require(result.report)
    func line(_ where: (ChargebackLine) -> Bool) throws -> ChargebackLine {
      let found = report.lines.filter(`where`)
      try #require(found.count == 1, "\(found.count) lines")
      return found[0]
    }
    // b2 and b3 under the discount; b1 before it.
    let b2 = try line { $0.key.agentID == "a1" && $0.key.commitmentID == "D-CLAUDE" }
    #expect(b2.listCost == usd("1.20") && b2.cost == usd("0.96"))
    let b1 = try line { $0.key.agentID == "a1" && $0.key.model == "claude-x" && $0.key.commitmentID == nil }
    #expect(b1.listCost == usd("1.02") && b1.cost == usd("1.02"))
    // Provisioned: PT-BR at list, PT-VX at 3/4 of list.
    let b7 = try line { $0.key.agentID == "a2" && $0.key.commitmentID == "PT-BR" }
    #expect(b7.listCost == usd("2") && b7.cost == usd("2"))
    let b6 = try line { $0.key.agentID == "a2" && $0.key.model == "nova-x" && $0.key.commitmentID == nil }
    #expect(b6.cost == usd("0.65"))
    let v1 = try line { $0.key.agentID == "a1" && $0.key.commitmentID == "PT-VX" }
    #expect(v1.listCost == usd("3") && v1.cost == usd("2.25"))
    let v2 = try line { $0.key.agentID == "a3" && $0.key.commitmentID == "PT-VX" }
    #expect(v2.listCost == usd("1") && v2.cost == usd("0.75"))
    let v3 = try line { $0.key.agentID == "a3" && $0.key.provider == .vertex && $0.key.commitmentID == nil }
    #expect(v3.cost == usd("1"))
    let idle = try line { $0.key.source == .idle }
    #expect(idle.key.costCentre == "PLAT" && idle.key.commitmentID == "PT-BR" && idle.cost == usd("16"))

    let uses = Dictionary(uniqueKeysWithValues: report.commitments.map { ($0.commitment.id, $0) })
    #expect(uses["PT-BR"]?.fee == usd("22") && uses["PT-BR"]?.list == usd("6"))
    #expect(uses["PT-BR"]?.idle == usd("16") && uses["PT-BR"]?.savings == usd("-16"))
    #expect(uses["PT-BR"]?.utilisationPercentText == "27.3")
    #expect(uses["PT-VX"]?.fee == usd("3") && uses["PT-VX"]?.effective == usd("3"))
    #expect(uses["PT-VX"]?.idle == .zero && uses["PT-VX"]?.savings == usd("1"))
    #expect(uses["D-CLAUDE"]?.list == usd("1.50") && uses["D-CLAUDE"]?.savings == usd("0.30"))

    // chargeback.csv: allocated lines with their rule, out on the source, in on the targets.
    let rows = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let r3 = rows.filter { $0["rule_id"] == "R3-platform" }
    #expect(
      Set(r3.map { "\($0["cost_centre"]!) \($0["cost_usd"]!)" })
        == ["PLAT -20.250000", "APP1 10.125000", "APP2 6.075000", "APP3 4.050000"])
    #expect(r3.allSatisfy { $0["source"] == "allocated" && $0["allocated_from"] == "cost_centre:PLAT" })
    let idleRow = try #require(rows.first { $0["source"] == "idle" })
    #expect(idleRow["cost_usd"] == "16.000000" && idleRow["commitment_id"] == "PT-BR")
    let b2Row = try #require(rows.first { $0["commitment_id"] == "D-CLAUDE" && $0["agent_id"] == "a1" })
    #expect(b2Row["list_cost_usd"] == "1.200000" && b2Row["cost_usd"] == "0.960000")
  }

  /// A rule's parts add up to what it shared in every output, and each cost centre to its amount.
  ///
  /// Here R4 is 100 USD in equal parts over APP1, APP2 and APP3: 33.333…, which each cost centre
  /// rounded on its own made 3 × 33.33 in the workbooks and 3 × 33.333333 in `chargeback.csv` (a
  /// finance trial). Rounded together, one part is a unit more: 33.34 + 33.33 + 33.33, and
  /// 33.333334 + 33.333333 + 33.333333. The month's other figures are the ones above, but R4's: the
  /// cost centres owe 4.23 + 0.25 + 1.80 + 10.125 + 33.333… (APP1), and so on.
  @Test func aRulesPartsAddUpToWhatItShared() throws {
    let dir = try TestSupport.tempDir()
    let even = CostSharingMonth.allocation.replacingOccurrences(
      of: "R4-gateway,fixed:100,proportional,cost,", with: "R4-gateway,fixed:100,even,,")
    try CostSharingMonth.write(to: dir, allocation: even)
    _ = try Self.run(dir)
    func micros(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 6) ?? -1 }
    let rows = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let r4 = rows.filter { $0["rule_id"] == "R4-gateway" }.map { micros($0["cost_usd"]) }.sorted()
    #expect(r4 == [33_333_333, 33_333_333, 33_333_334])
    // Every rule: in = out (R4's source is outside, 100 USD).
    for rule in ["R1-unattributed", "R2-shared", "R3-platform"] {
      let parts = rows.filter { $0["rule_id"] == rule }.map { micros($0["cost_usd"]) }
      #expect(parts.reduce(0, +) == 0, "\(rule): \(parts)")
    }
    // Each cost centre's rows still add up to its summary amount, and its allocated lines to its
    // allocated-in and -out columns.
    let summary = Dictionary(
      uniqueKeysWithValues: try TestSupport.readCSV(dir + "/out/summary.csv").map { ($0["cost_centre"]!, $0) })
    for cc in ["APP1", "APP2", "APP3", "PLAT", "UNATTRIBUTED"] {
      let mine = rows.filter { $0["cost_centre"] == cc }
      #expect(mine.map { micros($0["cost_usd"]) }.reduce(0, +) == micros(summary[cc]?["cost_usd"]), "\(cc)")
      let allocated = mine.filter { $0["source"] == "allocated" }.map { micros($0["cost_usd"]) }
      #expect(allocated.filter { $0 > 0 }.reduce(0, +) == micros(summary[cc]?["allocated_in_usd"]), "\(cc)")
      #expect(-allocated.filter { $0 < 0 }.reduce(0, +) == micros(summary[cc]?["allocated_out_usd"]), "\(cc)")
    }
    // The workbooks: R4's three lines on company.xlsx's Lines sheet are 100.00 together.
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Lines"])
    let (model, cost) = (try #require(sheet.column("Model")), try #require(sheet.column("Cost (USD)")))
    let shown = sheet.rows.filter {
      ($0.count > model ? $0[model]?.text : nil)?.hasPrefix("(allocated: R4-gateway") == true
    }
    .compactMap { $0[cost]?.cents }
    #expect(shown.sorted() == [3_333, 3_333, 3_334])
    // And in focus.csv: R4's allocation rows bill 100 USD together, as chargeback.csv's.
    let focus = try TestSupport.readCSV(dir + "/out/focus.csv").filter { $0["x_AllocationRuleId"] == "R4-gateway" }
    #expect(focus.map { micros($0["BilledCost"]) }.sorted() == [33_333_333, 33_333_333, 33_333_334])
  }

  /// A cost centre that only receives a shared cost owes the rule's parts it shows, and an
  /// unpriced line takes no part of a rounding difference: APP4 (no usage of its own) gets
  /// 33.3334 % of R4's 100 USD, and a1 makes one call of a model without a price.
  ///
  /// In cents: R4's parts 33.3333, 33.3333 and 33.3334 round to 33.33, 33.33 and 33.34 (APP4's
  /// remainder is the largest). The cost centres rounded alone: APP1 4.23 + 0.25 + 1.80 + 10.125 +
  /// 33.3333 = 49.7383 and APP2 2.89 + 0.25 + 1.20 + 6.075 + 33.3333 = 43.7483 take the two cents
  /// the total's rounding leaves (remainders 0.0083) before APP4 (0.0034), which would owe 33.33
  /// beside its 33.34 line. It owes 33.34, and APP1 and APP2 what is left.
  @Test func aCostCentreOfRulesAloneOwesTheirParts() throws {
    let dir = try TestSupport.tempDir()
    let rules = CostSharingMonth.allocation.replacingOccurrences(
      of: "R4-gateway,fixed:100,proportional,cost,APP1;APP2;APP3,,",
      with: "R4-gateway,fixed:100,fixed,,APP1;APP2;APP4,APP1=33.3333;APP2=33.3333;APP4=33.3334,")
    try CostSharingMonth.write(to: dir, allocation: rules)
    let centres = dir + "/identities/cost_centres.csv"
    try (String(contentsOfFile: centres, encoding: .utf8) + "APP4,App four,p-1\n").write(
      toFile: centres, atomically: true, encoding: .utf8)
    let usage = dir + "/usage/bedrock.jsonl"
    let unpriced = CostSharingMonth.bedrockLine(("b10", "2026-10-06T09:00:00Z", "a1", "no-such-model", 1_000, 10))
    try (String(contentsOfFile: usage, encoding: .utf8) + unpriced + "\n").write(
      toFile: usage, atomically: true, encoding: .utf8)
    _ = try Self.run(dir)
    func micros(_ s: String?) -> Int128 { (s ?? "").isEmpty ? 0 : DecimalText.parse(s ?? "", decimals: 6) ?? -1 }
    let rows = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let r4 = rows.filter { $0["rule_id"] == "R4-gateway" }
    #expect(r4.map { micros($0["cost_usd"]) }.reduce(0, +) == 100_000_000)
    let summary = Dictionary(
      uniqueKeysWithValues: try TestSupport.readCSV(dir + "/out/summary.csv").map { ($0["cost_centre"]!, $0) })
    let app4 = try #require(r4.first { $0["cost_centre"] == "APP4" })
    #expect(micros(summary["APP4"]?["cost_usd"]) == micros(app4["cost_usd"]))
    for cc in ["APP1", "APP2", "APP3", "APP4", "PLAT", "UNATTRIBUTED"] {
      let mine = rows.filter { $0["cost_centre"] == cc }.map { micros($0["cost_usd"]) }
      #expect(mine.reduce(0, +) == micros(summary[cc]?["cost_usd"]), "\(cc)")
    }
    // The unpriced call's row is blank, never a cent either way.
    let b10 = try #require(rows.first { $0["model"] == "no-such-model" })
    #expect(b10["cost_usd"] == "")
    // In the workbooks too: APP4's R4 line and its Summary's amount owed are one figure.
    let book = try WorkbookTests.read(dir + "/out/APP4.xlsx")
    let lines = try #require(book["Lines"])
    let (model, cost) = (try #require(lines.column("Model")), try #require(lines.column("Cost (USD)")))
    let shown = lines.rows.dropFirst().filter {
      ($0.count > model ? $0[model]?.text : nil)?.hasPrefix("(allocated: R4-gateway") == true
    }
    .compactMap { $0[cost]?.cents }
    let owed = try #require(book["Summary"]?.rows.first { $0.first??.text == "Amount owed (USD)" })
    #expect(shown == [3_334])
    #expect(owed.dropFirst().compactMap { $0?.cents }.first == 3_334)
    // company.xlsx: R4's lines are 100.00 together.
    let company = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Lines"])
    let (m, c) = (try #require(company.column("Model")), try #require(company.column("Cost (USD)")))
    let shared = company.rows.filter {
      ($0.count > m ? $0[m]?.text : nil)?.hasPrefix("(allocated: R4-gateway") == true
    }
    #expect(shared.compactMap { $0[c]?.cents }.reduce(0, +) == 10_000)
  }

  @Test func summaryJournalAndFocusFollowTheOwedAmounts() throws {
    let (_, dir) = try Self.runMonth()
    let summary = Dictionary(
      uniqueKeysWithValues: try TestSupport.readCSV(dir + "/out/summary.csv").map { ($0["cost_centre"]!, $0) })
    #expect(summary["APP1"]?["cost_usd"] == "57.592926")
    #expect(summary["APP1"]?["direct_cost_usd"] == "4.230000")
    #expect(summary["APP1"]?["allocated_in_usd"] == "53.362926")
    #expect(summary["PLAT"]?["allocated_out_usd"] == "23.250000")
    #expect(summary["PLAT"]?["cost_usd"] == "0.000000")
    #expect(summary["TOTAL"]?["cost_usd"] == "134.270000")
    #expect(summary["TOTAL"]?["direct_cost_usd"] == "34.270000")
    // Every money column's rows add up to its TOTAL (allocations and idle fees included), and every
    // row cross-foots: cost = direct + allocated in − allocated out.
    func micros(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 6) ?? -1 }
    let centres = summary.filter { $0.key != "TOTAL" }.map(\.value)
    for column in [
      "cost_usd", "avoidable_cost_usd", "direct_cost_usd", "allocated_in_usd", "allocated_out_usd", "list_cost_usd",
      "idle_cost_usd",
    ] {
      #expect(centres.reduce(0) { $0 + micros($1[column]) } == micros(summary["TOTAL"]?[column]), "\(column)")
    }
    for row in summary.values {
      #expect(
        micros(row["cost_usd"])
          == micros(row["direct_cost_usd"]) + micros(row["allocated_in_usd"]) - micros(row["allocated_out_usd"]),
        "\(row["cost_centre"] ?? "")")
    }

    let journal = try TestSupport.readCSV(dir + "/out/journal.csv")
    func cents(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 2) ?? -1 }
    let debits = Dictionary(
      uniqueKeysWithValues: journal.filter { !$0["cost_centre"]!.isEmpty }.map {
        ($0["cost_centre"]!, cents($0["debit_usd"]))
      })
    // Cent-rounded owed: 57.59, 38.56, 38.12 (they add up to 134.27).
    #expect(debits == ["APP1": 5759, "APP2": 3856, "APP3": 3812])
    #expect(journal.reduce(0) { $0 + cents($1["debit_usd"]) } == journal.reduce(0) { $0 + cents($1["credit_usd"]) })
    let clearing = try #require(journal.first { $0["account"] == "LLM-ALLOCATION-CLEARING" })
    #expect(cents(clearing["credit_usd"]) == 10_000)

    let focus = try TestSupport.readCSV(dir + "/out/focus.csv")
    func micro(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 6) ?? -1 }
    #expect(focus.reduce(0) { $0 + micro($1["EffectiveCost"]) } == 134_270_000)
    #expect(focus.reduce(0) { $0 + micro($1["BilledCost"]) } == 134_270_000)
    let unused = focus.filter { $0["CommitmentDiscountStatus"] == "Unused" }
    #expect(unused.count == 1 && unused.first?["CommitmentDiscountId"] == "PT-BR")
    #expect(unused.first?["EffectiveCost"] == "16.000000")
    // The idle fee on the account PT-BR's calls are billed to (b5, b7: AWS account 111122223333).
    #expect(unused.first?["BillingAccountId"] == "111122223333")
    #expect(unused.first?["BillingAccountType"] == "AWS Account")
    let used = focus.filter { $0["CommitmentDiscountStatus"] == "Used" }
    #expect(Set(used.map { $0["CommitmentDiscountId"]! }) == ["D-CLAUDE", "PT-BR", "PT-VX"])
    #expect(used.allSatisfy { $0["PricingCategory"] == "Committed" })
    // D-CLAUDE's rows (b2, b3 from the 16th): the contracted rate is list less 20 %, claude-x's 3
    // and 15 USD a million at 2.4 and 12; b2 + b3's 300k input: 0.72 contracted of 0.90 list.
    let claude = focus.filter { $0["SkuId"] == "bedrock/claude-x/input" && $0["ContractedUnitPrice"] == "2.4" }
    #expect(!claude.isEmpty)
    #expect(claude.allSatisfy { $0["CommitmentDiscountId"] == "D-CLAUDE" })
    #expect(claude.reduce(0) { $0 + micro($1["ContractedCost"]) } == 720_000)
    #expect(claude.reduce(0) { $0 + micro($1["ListCost"]) } == 900_000)
    #expect(focus.contains { $0["SkuId"] == "bedrock/claude-x/output" && $0["ContractedUnitPrice"] == "12.0" })
    let allocated = focus.filter { !($0["x_AllocationRuleId"] ?? "").isEmpty }
    #expect(
      Set(allocated.map { $0["x_AllocationRuleId"]! }) == ["R1-unattributed", "R2-shared", "R3-platform", "R4-gateway"])
    #expect(allocated.contains { $0["x_AllocatedFrom"] == "fixed:100.00" })
  }

  @Test func focusValidatorPasses() throws {
    let (_, dir) = try Self.runMonth()
    for criteria in [[], ["--applicability-criteria", "ALL"]] {
      let output = try FocusTests.validate(dir + "/out/focus.csv", extra: criteria, workDir: dir)
      let (total, failed) = FocusTests.parse(output)
      #expect(total > 500, "validator output not understood: \(output.prefix(500))")
      let unexplained = FocusTests.unexplained(failed)
      #expect(unexplained.isEmpty, "criteria \(criteria): rules failed: \(unexplained.sorted())")
    }
  }
}
