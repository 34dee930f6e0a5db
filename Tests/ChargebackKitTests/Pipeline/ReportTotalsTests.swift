import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `ReportTotals` must sum as keys made per record do, whatever order the records come in.
///
/// It hashes only the line key per record and reuses the FOCUS group, cost-centre day and
/// commitment day its line's last record went to. The records here defeat that reuse: two accounts
/// interleaved on one line and day, days going back, commitment-priced, unpriced and part-less
/// calls, three sources.
@Suite struct ReportTotalsTests {
  /// What a FOCUS row is summed over, written here from SPEC §7 and §11 (not from the code).
  private struct GroupKey: Hashable {
    var day: String
    var credential: String?
    var model: String
    var costCentre: String
    var agent: String?
    var account: String?
    var commitment: String?
    var tokenClass: TokenClass
    var tier: Tier
    var price: AppliedPrice
  }

  private struct Sums: Equatable {
    var units: Int128 = 0
    var cost = Money.zero
    var list = Money.zero
  }

  /// Each seed with the tasks in memory, and with at most 7 (line, task) pairs and 5 FOCUS groups in
  /// memory, the rest in runs on disk merged at the end (``TaskLedger``, ``ClassChargeLedger``: over
  /// a hundred runs, so merged in two rounds): the sums must not depend on it.
  @Test(arguments: [1, 2, 3], [TaskLedger.defaultLimit, 7])
  func cachedPositionsSumAsKeysPerRecordDo(seed: UInt64, taskLimit: Int) throws {
    let prices = try PriceTable(directory: TestSupport.packageRoot + "/pricing")
    let rows = Array(prices.rows.indices.prefix(3))
    try #require(rows.count == 3)
    let small = taskLimit < 1_000
    let totals = ReportTotals(
      identities: IdentityDirectory(), prices: prices, taskLimit: taskLimit,
      classLimit: small ? 5 : ClassChargeLedger.defaultGroupLimit)
    var rng = SplitMix64(seed: seed)
    let base: Int64 = 1_790_812_800_000  // 2026-10-01T00:00Z
    var groups: [GroupKey: Sums] = [:]
    var daily: [String: (requests: Int128, cost: Money)] = [:]  // "cc day"
    var committed: [String: Money] = [:]  // "commitment cc dayNumber"
    var centres: [String: (requests: Int128, cost: Money, list: Money, unpriced: Int128)] = [:]
    var unpriced: Int64 = 0
    var rowsSeen = Set<Int>()
    var lineSums: [ChargebackLine.Key: (requests: Int128, cost: Money)] = [:]
    // The lines are keyed without the task; their rows at the task grain with it.
    var baseSums: [ChargebackLine.Key: (requests: Int128, cost: Money)] = [:]
    for n in 0..<3_000 {
      // The first half in day order, the second half on random days (the cache must move back).
      let day = n < 1_500 ? Int64(n / 400) : Int64(rng.below(4))
      let time = base + day * 86_400_000 + Int64(n) * 1_000
      let cc = ["CC-A", "CC-B", "CC-C"][rng.below(3)]
      let agent = [nil, "a1", "a2"][rng.below(3)]
      let credential = ["k1", "k2", nil][rng.below(3)]
      let model = ["m1", "m2"][rng.below(2)]
      let account = [nil, "p1", "p2"][rng.below(3)]
      let commitment = [nil, nil, "c1"][rng.below(3)]
      let source = [LineSource.request, .report, .unlogged][rng.below(3)]
      // Thousands of lines: the line index grows several times while lines are added.
      let task = rng.below(4) == 0 ? nil : "T-\(rng.below(1_500))"
      let priced = rng.below(5) != 0
      var parts: [PriceQuote.Part] = []
      if priced {
        for tokenClass in [TokenClass.input, .output, .cachedInput] where rng.below(3) != 0 {
          let units = Int64(1 + rng.below(10_000))
          let row = rows[rng.below(3)]
          let list = Money(pico: Int128(units) * 5_000_000)
          let cost = commitment == nil ? list : Money(pico: Int128(units) * 3_000_000)
          parts.append(PriceQuote.Part(tokenClass: tokenClass, units: units, row: row, cost: cost, listCost: list))
        }
      }
      let cost = priced ? parts.reduce(Money.zero) { $0 + $1.cost } : nil
      let list = priced ? parts.reduce(Money.zero) { $0 + $1.listCost } : nil
      var r = UsageRecord(
        provider: .openai, level: source == .report ? .report : .request, format: "test", naturalKey: "k\(n)",
        time: time, credential: credential, project: account, model: model,
        tokens: TokenCounts(input: Int64(rng.below(100)), output: Int64(rng.below(100))))
      r.requests = 1
      let charged = ChargedRecord(
        record: r,
        attribution: Attribution(
          costCentre: cc, agentID: agent, credentialID: credential, taskID: task, status: .agentCredential),
        model: model, cost: cost, parts: parts, priceRows: parts.map(\.row), listCost: list, commitmentID: commitment)
      try totals.add(charged, source: source)

      // The same record summed with keys of its own.
      let lineKey = ChargebackLine.Key(
        costCentre: cc, agentID: agent, credentialID: credential, taskID: task, provider: .openai, model: model,
        tier: r.tier, status: .agentCredential, priced: priced, source: source, commitmentID: commitment)
      lineSums[lineKey, default: (0, .zero)].requests += 1
      lineSums[lineKey, default: (0, .zero)].cost += cost ?? .zero
      var baseKey = lineKey
      baseKey.taskID = nil
      baseSums[baseKey, default: (0, .zero)].requests += 1
      baseSums[baseKey, default: (0, .zero)].cost += cost ?? .zero
      let dayName = Timestamp.day(time)
      daily["\(cc) \(dayName)", default: (0, .zero)].requests += 1
      daily["\(cc) \(dayName)", default: (0, .zero)].cost += cost ?? .zero
      centres[cc, default: (0, .zero, .zero, 0)].requests += 1
      centres[cc, default: (0, .zero, .zero, 0)].cost += cost ?? .zero
      centres[cc, default: (0, .zero, .zero, 0)].list += list ?? .zero
      guard priced else {
        unpriced += 1
        centres[cc, default: (0, .zero, .zero, 0)].unpriced += 1
        continue
      }
      rowsSeen.formUnion(parts.map(\.row))
      if let commitment { committed["\(commitment) \(cc) \(day + base / 86_400_000)", default: .zero] += list ?? .zero }
      for p in parts {
        let key = GroupKey(
          day: dayName, credential: credential, model: model, costCentre: cc, agent: agent, account: account,
          commitment: commitment, tokenClass: p.tokenClass, tier: r.tier,
          price: AppliedPrice(prices.rows[p.row]))
        groups[key, default: Sums()].units += Int128(p.units)
        groups[key, default: Sums()].cost += p.cost
        groups[key, default: Sums()].list += p.listCost
      }
    }

    var got: [GroupKey: Sums] = [:]
    let charges = try totals.takeClassCharges()
    #expect((charges.spilledRuns > ClassChargeLedger.mergeWidth) == small, "the small limit must merge in rounds")
    // Each row's key in `focus.csv`'s order (day, provider, credential, model, tier, class, the
    // price row's threshold and start, cost centre, agent, account, commitment), a missing id
    // before every id; the test's texts are ASCII, so `<` on them is the order of their bytes.
    var order: [[String]] = []
    try charges.forEachCharge { c in
      func id(_ s: String?) -> String { s.map { "1" + $0 } ?? "0" }
      let rank = TokenClass.allCases.firstIndex(of: c.tokenClass) ?? 0
      order.append([
        c.day, c.provider.rawValue, id(c.credentialID), c.model, c.tier.rawValue, String(rank),
        String(format: "%020lld", c.price.minInputTokens), String(format: "%020lld", c.price.from), c.costCentre,
        id(c.agentID), id(c.account), id(c.commitmentID),
      ])
      let key = GroupKey(
        day: c.day, credential: c.credentialID, model: c.model, costCentre: c.costCentre, agent: c.agentID,
        account: c.account, commitment: c.commitmentID, tokenClass: c.tokenClass, tier: c.tier, price: c.price)
      #expect(got[key] == nil, "two FOCUS rows for \(key)")
      got[key] = Sums(units: c.units, cost: c.cost, list: c.listCost)
    }
    #expect(charges.chargeCount == got.count)
    #expect(zip(order, order.dropFirst()).allSatisfy { !$1.lexicographicallyPrecedes($0) }, "the rows in key order")
    #expect(got.count == groups.count)
    // Counted, not compared whole: a failure names how many rows are off, not thousands of rows.
    let differing = groups.filter { got[$0.key] != $0.value }.map(\.key)
    #expect(differing.isEmpty, "\(differing.count) FOCUS rows differ, first \(String(describing: differing.first))")
    // Both accounts of a line and day are in the rows (the cache keys on the account too).
    #expect(Set(got.keys.map(\.account)) == [nil, "p1", "p2"])

    let gotDaily = totals.dailyTotals().values
    #expect(gotDaily.count == daily.count)
    for d in gotDaily {
      let want = daily["\(d.costCentre) \(d.day)"]
      #expect(want?.requests == d.requests && want?.cost == d.cost, "\(d.costCentre) \(d.day)")
    }
    let gotCommitted = totals.committedDailyTotals()
    #expect(gotCommitted.count == committed.count)
    for (k, v) in gotCommitted { #expect(committed["\(k.commitmentID) \(k.costCentre) \(k.day)"] == v) }
    let gotCentres = totals.centreSummaries()
    #expect(gotCentres.count == centres.count)
    for (id, s) in gotCentres {
      let want = centres[id]
      #expect(want?.requests == s.requests && want?.cost == s.cost, "\(id)")
      #expect(want?.list == s.listCost && want?.unpriced == s.unpricedRequests, "\(id)")
    }
    #expect(totals.unpriced == unpriced)
    #expect(Set(totals.priceRowsUsed()) == Set(rowsSeen.map { prices.rows[$0] }))
    // One line per key without the task, with its records' sums, in key order.
    let lines = totals.takeLineList(room: 0)
    #expect(lines.reduce(Int128(0)) { $0 + $1.requests } == 3_000)
    #expect(lines.count == baseSums.count)
    let wrongLines = lines.filter { baseSums[$0.key]?.requests != $0.requests || baseSums[$0.key]?.cost != $0.cost }
    #expect(wrongLines.isEmpty, "\(wrongLines.count) lines differ")
    #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.key < $1.key })
    // One row per key with the task, each line's rows in task order.
    var report = ChargebackReport(
      period: Period(year: 2026, month: 10), lines: lines, costCentres: [], daily: [], findings: [],
      priceRowsUsed: [], inputs: [], identityHash: "", pricingHash: "", recordCount: 3_000, unpricedRecords: 0)
    let ledger = try totals.takeLineTasks()
    #expect((ledger?.spilledRuns ?? 0 > 0) == (taskLimit < 1_000), "the small limit must use the disk")
    report.lineTasks = ledger
    let taskRows = try report.taskLines()
    #expect(taskRows.count == lineSums.count)
    #expect(lineSums.count > 2_000)
    let wrong = taskRows.filter { lineSums[$0.key]?.requests != $0.requests || lineSums[$0.key]?.cost != $0.cost }
    #expect(wrong.isEmpty, "\(wrong.count) rows differ")
    #expect(Set(taskRows.map(\.key)).count == taskRows.count, "a key twice")
    for (a, b) in zip(taskRows, taskRows.dropFirst()) {
      var (x, y) = (a.key, b.key)
      (x.taskID, y.taskID) = (nil, nil)
      if x == y { #expect((a.key.taskID ?? "") < (b.key.taskID ?? ""), "tasks of a line in order") }
    }
  }
}
