import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `focus.csv` (SPEC §7, §10): FOCUS 1.2 rows that add up to the chargeback and pass focus-validator.
@Suite struct FocusTests {
  /// Rules of focus-validator 2.2.1's FOCUS 1.2 model that no non-empty file can pass.
  ///
  /// SPEC §10 names the first three. CapacityReservationStatus-C-003-C and -C-004-C have malformed
  /// conditions (`{"AND": …}`), so the validator wants the column null and not null on every row.
  /// CommitmentDiscountStatus-C-004-C's condition is inverted (not null when CommitmentDiscountId *is*
  /// null), so it contradicts -C-003-C. A fourth pair has the same flaw: InvoiceId-C-004-C (null when
  /// there is no invoice) and -C-005-C (not null when there is one) have no condition at all, so one
  /// of them fails whatever InvoiceId holds. These rows are not invoiced, so InvoiceId is null and
  /// -C-005-C fails. Their parent, InvoiceId-C-003-C, is an OR and passes.
  static let contradictory: Set<String> = [
    "CapacityReservationStatus-C-003-C", "CapacityReservationStatus-C-004-C", "CommitmentDiscountStatus-C-004-C",
    "InvoiceId-C-005-C",
  ]

  @Test func rowsAddUpToTheChargeback() throws {
    let (result, dir) = try MonthTests.runMonth()
    let report = try #require(result.report)
    #expect(result.outputs.contains(dir + "/out/focus.csv"))
    let rows = try TestSupport.readCSV(dir + "/out/focus.csv")
    let header = try CSVTable(path: dir + "/out/focus.csv").header
    #expect(header == FocusCSV.columns)
    #expect(rows.count == report.classCharges.chargeCount)

    // BilledCost and EffectiveCost add up to summary.csv, in total and per cost centre.
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let printed = Dictionary(uniqueKeysWithValues: summary.map { ($0["cost_centre"]!, $0["cost_usd"]!) })
    func micro(_ s: String?) -> Int128 { DecimalText.parse(s ?? "", decimals: 6)! }
    #expect(rows.reduce(0) { $0 + micro($1["BilledCost"]) } == micro(printed["TOTAL"]))
    #expect(rows.reduce(0) { $0 + micro($1["EffectiveCost"]) } == micro(printed["TOTAL"]))
    #expect(micro(printed["TOTAL"]) == 1_140_600)
    let tags = try rows.map { try JSONDecoder().decode([String: String].self, from: Data($0["Tags"]!.utf8)) }
    var byCC: [String: Int128] = [:]
    for (r, t) in zip(rows, tags) { byCC[try #require(t["cost_centre"]), default: 0] += micro(r["BilledCost"]) }
    #expect(byCC == printed.filter { $0.key != "TOTAL" }.mapValues { micro($0) })

    // ListCost is exact: unit price × quantity on every row, and the exact total over all rows.
    var exact: Int128 = 0
    for r in rows {
      let list = try #require(DecimalText.parse(r["ListCost"]!, decimals: 12))
      let price = try #require(DecimalText.parse(r["ListUnitPrice"]!, decimals: 6))
      let quantity = try #require(DecimalText.parse(r["PricingQuantity"]!, decimals: 6))
      #expect(price * quantity == list, "\(r["SkuPriceId"]!)")
      #expect(r["ContractedCost"] == r["ListCost"])
      exact += list
    }
    #expect(exact == report.totalCost.pico)

    // One row per day × credential × model × tier × token class × price row × cost centre × agent × task.
    let keys = rows.map { [$0["ChargePeriodStart"]!, $0["ResourceId"]!, $0["SkuPriceId"]!, $0["Tags"]!] }
    #expect(Set(keys).count == rows.count)
    // Tokens per class add up to the priced lines'.
    var consumed: [String: Int128] = [:]
    for r in rows {
      let units = try #require(DecimalText.parse(r["ConsumedQuantity"]!, decimals: 0))
      consumed[r["SkuMeter"]!, default: 0] += units
    }
    var lineTokens = TokenTotals()
    for l in report.lines where l.key.priced { lineTokens += l.tokens }
    #expect(consumed["Input Tokens"] == lineTokens.input)
    #expect(consumed["Cached Input Tokens"] == lineTokens.cachedInput)
    #expect(consumed["Output Tokens"] == lineTokens.output)
    #expect(consumed["1-Hour Cache Write Tokens", default: 0] == lineTokens.cacheWrite1h)

    // The unpriced llama call has no row; its tokens stay in chargeback.csv.
    #expect(!rows.contains { $0["SkuId"]!.contains("llama") })
    // agent-x is tagged CC-A before its move on the 16th and CC-B after; its long-context call on
    // claude uses the ≥ 200,001 input row, in its own row.
    let x = zip(rows, tags).filter { $0.1["agent"] == "agent-x" }
    #expect(Set(x.map { $0.1["cost_centre"]! }) == ["CC-A", "CC-B"])
    for (r, t) in x { #expect((r["ChargePeriodStart"]! < "2026-10-16") == (t["cost_centre"] == "CC-A")) }
    #expect(x.contains { $0.0["SkuPriceId"]!.hasPrefix("bedrock/claude-sonnet-4/input/standard/200001/") })
    // Shared key_B is charged to CC-C; the unknown credential is UNATTRIBUTED with no agent.
    #expect(zip(rows, tags).filter { $0.0["ResourceId"] == "key_B" }.allSatisfy { $0.1["cost_centre"] == "CC-C" })
    #expect(tags.contains { $0["cost_centre"] == "UNATTRIBUTED" && $0["agent"] == nil })
    // The task is not in FOCUS's grain (SPEC §11): no row is tagged with one.
    #expect(!tags.contains { $0["task"] != nil })

    // Fixed columns and the shape the validator infers types from.
    for r in rows {
      #expect(r["ServiceCategory"] == "AI and Machine Learning")
      #expect(r["ServiceSubcategory"] == "Generative AI")
      #expect(r["ChargeCategory"] == "Usage")
      #expect(r["BillingCurrency"] == "USD")
      #expect(r["BillingPeriodStart"] == "2026-10-01T00:00:00Z" && r["BillingPeriodEnd"] == "2026-11-01T00:00:00Z")
      for c in ["BilledCost", "EffectiveCost", "ListCost", "ListUnitPrice", "PricingQuantity", "ConsumedQuantity"] {
        #expect(r[c]!.contains("."), "\(c) = \(r[c]!) does not look decimal")
      }
      #expect(["1000000 Tokens", "1000000 Requests"].contains(r["PricingUnit"]!))
      // Each row's columns agree with one another (FOCUS 1.2): a day's charge period, the billed
      // amount in both currencies' columns, the sub-account named by its id, the price's details
      // as its id says them.
      let iso = ISO8601DateFormatter()
      let start = try #require(iso.date(from: r["ChargePeriodStart"]!))
      #expect(iso.date(from: r["ChargePeriodEnd"]!) == start.addingTimeInterval(86_400))
      #expect(r["EffectiveCost"] == r["BilledCost"] && r["PricingCurrencyEffectiveCost"] == r["BilledCost"])
      #expect(r["SubAccountName"] == r["SubAccountId"])
      #expect(r["PricingCurrencyListUnitPrice"] == r["ListUnitPrice"])
      let priceID = r["SkuPriceId"]!.split(separator: "/").map(String.init)
      let details = try JSONSerialization.jsonObject(with: Data(r["SkuPriceDetails"]!.utf8)) as? [String: Any]
      #expect(details?["x_ServiceTier"] as? String == priceID[priceID.count - 3])
      #expect((details?["x_MinInputTokens"] as? Int).map(String.init) == priceID[priceID.count - 2])
      #expect(details?["x_EffectiveFrom"] as? String == priceID[priceID.count - 1])
      #expect(r["SkuId"].map { priceID.joined(separator: "/").hasPrefix($0 + "/") } == true)
    }
  }

  /// Rows whose costs each round to nothing still add up to the rounded total; ListCost keeps every digit.
  @Test func billedCostIsApportionedWithinTheCostCentre() throws {
    let row = PriceRow(
      provider: .openai, model: "gpt-4.1", usageType: .cachedInput, tier: .standard, minInputTokens: 0,
      rate: Rate(usdPerMillion: "0.333333")!, from: 0, to: nil, source: "test", location: "test")
    // 1 token at $0.333333 per million = $0.000000333333, three times: $0.000000999999 ≈ $0.000001.
    let charges = ["2026-10-01", "2026-10-02", "2026-10-03"].map {
      ClassCharge(
        day: $0, credentialID: "key", credentialName: nil, provider: .openai, model: "gpt-4.1", tier: .standard,
        tokenClass: .cachedInput, price: AppliedPrice(row), costCentre: "CC", agentID: "agent", units: 1,
        cost: Money(units: 1, at: row.rate))
    }
    var cc = CostCentreSummary(id: "CC", name: "CC")
    cc.cost = charges.reduce(Money.zero) { $0 + $1.cost }
    var report = ChargebackReport(
      period: Period("2026-10")!, lines: [], costCentres: [cc], daily: [], findings: [], priceRowsUsed: [row],
      inputs: [], identityHash: "", pricingHash: "", recordCount: 3, unpricedRecords: 0)
    report.classCharges = charges
    let dir = try TestSupport.tempDir()
    let rows = try TestSupport.readCSV(try FocusCSV.write(report, to: dir))
    #expect(rows.map { $0["BilledCost"]! }.sorted() == ["0.000000", "0.000000", "0.000001"])
    #expect(rows.allSatisfy { $0["ListCost"] == "0.000000333333" && $0["ListUnitPrice"] == "0.333333" })
    #expect(rows.allSatisfy { $0["PricingQuantity"] == "0.000001" && $0["ConsumedQuantity"] == "1.0" })
    #expect(rows.allSatisfy { $0["ResourceId"] == "key" && $0["ResourceName"] == "" })
    #expect(rows.allSatisfy { $0["ResourceType"] == "Credential" })
    // A period without priced usage still gets the header.
    report.classCharges = []
    let empty = try String(contentsOfFile: try FocusCSV.write(report, to: dir), encoding: .utf8)
    #expect(empty == FocusCSV.columns.joined(separator: ",") + "\n")
  }

  /// An idle commitment fee's row is on the account its commitment's calls were billed to, when
  /// the provider's calls span several accounts: whichever account's charges come first, and when
  /// the commitment's first charge follows an uncommitted one on its own account.
  @Test(arguments: [("111122223333", false), ("999988887777", false), ("111122223333", true)])
  func idleFeeIsOnTheAccountOfItsCommitmentsCalls(committedAccount: String, sameAccountBefore: Bool) throws {
    let row = PriceRow(
      provider: .bedrock, model: "claude-x", usageType: .input, tier: .standard, minInputTokens: 0,
      rate: Rate(usdPerMillion: "3")!, from: 0, to: nil, source: "test", location: "test")
    let other = committedAccount == "111122223333" ? "999988887777" : "111122223333"
    func charge(_ day: String, _ credential: String, account: String, commitment: String?) -> ClassCharge {
      ClassCharge(
        day: day, credentialID: credential, credentialName: nil, provider: .bedrock, model: "claude-x",
        tier: .standard, tokenClass: .input, price: AppliedPrice(row), costCentre: "CC", agentID: nil,
        units: 1_000_000, cost: Money(units: 1_000_000, at: row.rate), account: account,
        listCost: Money(units: 1_000_000, at: row.rate), commitmentID: commitment)
    }
    // Sorted as a ledger gives them: by day, then credential. The first day's uncommitted call is
    // on the other account, or on the commitment's own.
    let charges = [
      charge("2026-10-01", "a-role", account: sameAccountBefore ? committedAccount : other, commitment: nil),
      charge("2026-10-01", "b-role", account: committedAccount, commitment: "PT-1"),
      charge("2026-10-02", "a-role", account: committedAccount, commitment: "PT-1"),
      charge("2026-10-02", "b-role", account: other, commitment: nil),
    ]
    let commitment = Commitment(
      id: "PT-1", provider: .bedrock, kind: .provisioned, models: [],
      monthlyFee: Money(pico: 10 * Money.picoPerUSD),
      ownerCostCentre: "CC")
    var idleKey = ChargebackLine.Key(
      costCentre: "CC", provider: .bedrock, model: "", tier: .standard, status: .idleCapacity, priced: true,
      source: .idle)
    idleKey.commitmentID = "PT-1"
    var idle = ChargebackLine(key: idleKey)
    idle.cost = Money(pico: Money.picoPerUSD)
    idle.listCost = idle.cost
    var cc = CostCentreSummary(id: "CC", name: "CC")
    cc.cost = charges.reduce(idle.cost) { $0 + $1.cost }
    var report = ChargebackReport(
      period: Period("2026-10")!, lines: [idle], costCentres: [cc], daily: [], findings: [], priceRowsUsed: [row],
      inputs: [], identityHash: "", pricingHash: "", recordCount: 4, unpricedRecords: 0)
    report.classCharges = charges
    report.commitments = [
      CommitmentUse(
        commitment: commitment, fee: commitment.monthlyFee, list: .zero, effective: .zero, idle: idle.cost,
        requests: 2)
    ]
    let rows = try TestSupport.readCSV(try FocusCSV.write(report, to: try TestSupport.tempDir()))
    let unused = rows.filter { $0["CommitmentDiscountStatus"] == "Unused" }
    #expect(unused.count == 1)
    #expect(unused.first?["BillingAccountId"] == committedAccount)
    #expect(unused.first?["BilledCost"] == "1.000000")
    // The calls keep their own accounts, row by row.
    let calls = rows.filter { $0["CommitmentDiscountStatus"] != "Unused" }.map {
      "\($0["ChargePeriodStart"]!.prefix(10)) \($0["ResourceId"]!) \($0["BillingAccountId"]!)"
    }
    #expect(calls.sorted() == charges.map { "\($0.day) \($0.credentialID!) \($0.account!)" }.sorted())
  }

  /// Runs focus-validator 2.2.1 (`make test` installs it in .venv) and fails on any failed rule that is
  /// not one of ``contradictory`` or a composite that fails only through them: on the month as SPEC
  /// §7 calls it, and on the mixed month (all five providers) with every applicability criterion on,
  /// which also checks the columns FOCUS makes conditional (commitments, reservations, regions…).
  @Test func passesFocusValidator() throws {
    let (_, dir) = try MonthTests.runMonth()
    let (_, mixed) = try MixedMonthTests.runMonth()
    let runs: [(String, String, [String])] = [
      (dir, "month", []), (mixed, "mixed month", ["--applicability-criteria", "ALL"]),
    ]
    for (dir, name, criteria) in runs {
      let output = try Self.validate(dir + "/out/focus.csv", extra: criteria, workDir: dir)
      let (total, failed) = Self.parse(output)
      #expect(total > 500, "validator output not understood: \(output.prefix(500))")
      let unexplained = Self.unexplained(failed)
      #expect(unexplained.isEmpty, "\(name), criteria \(criteria): rules failed: \(unexplained.sorted())")
    }
  }

  /// The validator's console report.
  static func validate(_ file: String, extra: [String], workDir: String) throws -> String {
    let python = try WorkbookTests.python()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    // focus-validator 2.2.1 opens `focus_validator/rules/currency_codes.csv` relative to the working
    // directory (and writes its log there): run it in the test's directory with that path linked.
    p.arguments =
      [
        "-c",
        """
        import os, sys
        import focus_validator
        if not os.path.exists("focus_validator"):
            os.symlink(os.path.dirname(focus_validator.__file__), "focus_validator")
        from focus_validator.main import main
        sys.argv = ["focus-validator"] + sys.argv[1:]
        main()
        """,
        "--data-file", file, "--validate-version", "1.2", "--block-download",
      ] + extra
    p.currentDirectoryURL = URL(fileURLWithPath: workDir)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try #require(
      p.terminationStatus == 0,
      "focus-validator did not run (\(p.terminationStatus)): `make test` installs it (scripts/requirements-focus.txt)"
    )
    return String(decoding: data, as: UTF8.self)
  }

  /// The total rule count and the failed rules with the failed children a composite names.
  static func parse(_ output: String) -> (total: Int, failed: [String: [String]]) {
    var total = 0
    var failed: [String: [String]] = [:]
    for line in output.split(separator: "\n") {
      if line.hasPrefix("Total: "), let n = Int(line.dropFirst(7).prefix { $0.isNumber }) { total = n }
      guard let r = line.range(of: ": FAIL") else { continue }
      let id = line[..<r.lowerBound].split(separator: " ").last.map(String.init) ?? ""
      var children: [String] = []
      if let open = line.range(of: "failed child rules: ["),
        let close = line[open.upperBound...].firstIndex(of: "]")
      {
        children = line[open.upperBound..<close].split(separator: ",").map {
          $0.trimmingCharacters(in: .whitespaces)
        }
      }
      failed[id] = children
    }
    return (total, failed)
  }

  /// Failed rules other than ``contradictory`` and composites whose failed children are all explained.
  static func unexplained(_ failed: [String: [String]]) -> Set<String> {
    var explained = contradictory
    var changed = true
    while changed {
      changed = false
      for (id, children) in failed where !explained.contains(id) && !children.isEmpty {
        if children.allSatisfy(explained.contains) {
          explained.insert(id)
          changed = true
        }
      }
    }
    return Set(failed.keys).subtracting(explained)
  }
}
