import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import ChargebackSupport

/// The running totals of one report pass: every charged record is added by ``add(_:source:)`` to the
/// lines, days, cost centres and FOCUS cells.
///
/// Memory grows with the number of distinct keys (lines, days, cells), not with the records.
final class ReportTotals {
  private let identities: IdentityDirectory
  private let prices: PriceTable
  private var lines: [Prehashed<ChargebackLine.Key>: ChargebackLine] = [:]
  private(set) var daily: [DayKey: DailyTotal] = [:]
  private var dayNames: [Int64: String] = [:]
  private(set) var centres: [String: CostCentreSummary] = [:]
  private(set) var rowsUsed = Set<Int>()
  /// Records that could not be priced.
  private(set) var unpriced: Int64 = 0
  /// Priced usage per day × credential × model × tier × cost centre × agent (not task: SPEC §11),
  /// split by token class and price row (`focus.csv`'s grain); see ``classChargeList()``.
  private var classCharges: [Prehashed<ClassGroup>: [ClassAmount]] = [:]
  /// List cost of calls under a commitment per commitment, cost centre and UTC day, so that a
  /// provisioned fee's share can be put on the days (``Commitments``).
  private(set) var committedDaily: [CommittedDay: Money] = [:]

  init(identities: IdentityDirectory, prices: PriceTable) {
    self.identities = identities
    self.prices = prices
  }

  /// The map keys of a record, each hashed once for the lookups and the in-place changes.
  private struct Keys {
    let line: Prehashed<ChargebackLine.Key>
    let group: Prehashed<ClassGroup>?
  }

  private static func keys(_ c: ChargedRecord, source: LineSource) -> Keys {
    let (r, a) = (c.record, c.attribution)
    let priced = c.cost != nil
    let line = ChargebackLine.Key(
      costCentre: a.costCentre, agentID: a.agentID, credentialID: a.credentialID, taskID: a.taskID,
      provider: r.provider, model: c.model, tier: r.tier, status: a.status, priced: priced, source: source,
      commitmentID: c.commitmentID)
    var group: Prehashed<ClassGroup>?
    if priced, !c.parts.isEmpty {
      group = Prehashed(
        ClassGroup(
          day: Timestamp.floorDiv(r.time, Timestamp.millisPerDay), credentialID: a.credentialID, provider: r.provider,
          model: c.model, tier: r.tier, costCentre: a.costCentre, agentID: a.agentID, account: r.project,
          commitmentID: c.commitmentID))
    }
    return Keys(line: Prehashed(line), group: group)
  }

  /// Adds one charged record seen at `source`.
  func add(_ c: ChargedRecord, source: LineSource) {
    let r = c.record
    let a = c.attribution
    rowsUsed.formUnion(c.priceRows)
    let cost = c.costOrZero
    let priced = c.cost != nil
    let keys = Self.keys(c, source: source)
    lines[keys.line, default: ChargebackLine(key: keys.line.key)].add(
      r, cost: cost, listCost: c.listCostOrZero, priceRows: c.priceRows)

    let dayNumber = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
    let dayKey = DayKey(costCentre: a.costCentre, day: dayNumber)
    // One hash per map and record on the common path: the value is changed in place.
    if let i = daily.index(forKey: dayKey) {
      daily.values[i].add(r, cost: cost)
    } else {
      var day = DailyTotal(costCentre: a.costCentre, day: dayName(dayNumber))
      day.add(r, cost: cost)
      daily[dayKey] = day
    }
    if let id = c.commitmentID, priced {
      committedDaily[CommittedDay(commitmentID: id, costCentre: a.costCentre, day: dayNumber), default: .zero] +=
        c.listCostOrZero
    }
    if let group = keys.group { Self.merge(c.parts, into: &classCharges[group, default: []]) }
    if !priced { unpriced += 1 }
    Self.count(
      r, cost: cost, listCost: c.listCostOrZero, priced: priced,
      into: &centres[a.costCentre, default: summary(a.costCentre)])
  }

  private func summary(_ id: String) -> CostCentreSummary {
    let known = identities.costCentres[id]
    return CostCentreSummary(
      id: id, name: known?.name ?? id, budget: known?.monthlyBudget, glAccount: known?.glAccount, entity: known?.entity)
  }

  /// Int128 sums of bounded values (``Bounds``): no overflow.
  private static func count(
    _ r: UsageRecord, cost: Money, listCost: Money, priced: Bool, into cc: inout CostCentreSummary
  ) {
    cc.requests += Int128(r.requests)
    cc.tokens += r.tokens
    cc.cost += cost
    cc.listCost += listCost
    if !priced { cc.unpricedRequests += Int128(r.requests) }
  }

  struct DayKey: Hashable {
    var costCentre: String
    var day: Int64
  }

  /// A commitment's calls of one cost centre on one UTC day.
  struct CommittedDay: Hashable {
    var commitmentID: String
    var costCentre: String
    var day: Int64
  }

  /// What a class charge is summed over, but its token class and price row.
  struct ClassGroup: Hashable {
    var day: Int64
    var credentialID: String?
    var provider: Provider
    var model: String
    var tier: Tier
    var costCentre: String
    var agentID: String?
    /// The account or project the export names (Bedrock account, OpenAI project, Anthropic
    /// workspace, Azure subscription), for FOCUS.
    var account: String?
    /// The commitment whose terms priced the calls, nil for list price.
    var commitmentID: String?
  }

  /// One token class and price row within a ``ClassGroup``.
  struct ClassAmount {
    var tokenClass: TokenClass
    var row: Int
    /// Summed over records: Int128 (``Bounds``).
    var units: Int128
    var cost: Money
    var listCost: Money
  }

  /// Adds a record's per-class costs; a group holds a handful of classes, so a linear search.
  private static func merge(_ parts: [PriceQuote.Part], into amounts: inout [ClassAmount]) {
    for p in parts {
      if let i = amounts.firstIndex(where: { $0.tokenClass == p.tokenClass && $0.row == p.row }) {
        amounts[i].units += Int128(p.units)
        amounts[i].cost += p.cost
        amounts[i].listCost += p.listCost
      } else {
        amounts.append(
          ClassAmount(
            tokenClass: p.tokenClass, row: p.row, units: Int128(p.units), cost: p.cost, listCost: p.listCost))
      }
    }
  }

  /// The price rows used by at least one record, in table order (``ChargebackReport/priceRowsUsed``).
  func priceRowsUsed() -> [PriceRow] { rowsUsed.sorted().map { prices.rows[$0] } }

  /// The lines of the pass, sorted, each with its price rows as indices into ``priceRowsUsed()``.
  func lineList() -> [ChargebackLine] {
    let position = Dictionary(uniqueKeysWithValues: rowsUsed.sorted().enumerated().map { ($1, $0) })
    return lines.values.map { line in
      var l = line
      l.priceRows = l.priceRows.compactMap { position[$0] }.sorted()
      return l
    }.sortedByKey()
  }

  /// The class charges of the pass, sorted (see ``ChargebackReport/classCharges``).
  func classChargeList() -> [ClassCharge] {
    var names: [String: String] = [:]
    for c in identities.credentials {
      if names[c.id] == nil, let d = c.description, !d.isEmpty { names[c.id] = d }
    }
    var list: [ClassCharge] = []
    list.reserveCapacity(classCharges.count * 3)
    for (hashed, amounts) in classCharges {
      let g = hashed.key
      let day = dayName(g.day)
      for a in amounts {
        list.append(
          ClassCharge(
            day: day, credentialID: g.credentialID, credentialName: g.credentialID.flatMap { names[$0] },
            provider: g.provider, model: g.model, tier: g.tier, tokenClass: a.tokenClass,
            price: prices.rows[a.row], costCentre: g.costCentre, agentID: g.agentID,
            units: a.units, cost: a.cost, account: g.account, listCost: a.listCost, commitmentID: g.commitmentID))
      }
    }
    let classOrder = Dictionary(uniqueKeysWithValues: TokenClass.allCases.enumerated().map { ($1, $0) })
    list.sort { x, y in
      let a = (x.day, x.provider.rawValue, x.credentialID ?? "", x.model, x.tier.rawValue)
      let b = (y.day, y.provider.rawValue, y.credentialID ?? "", y.model, y.tier.rawValue)
      if a != b { return a < b }
      let c = (classOrder[x.tokenClass] ?? 0, x.price.minInputTokens, x.price.from, x.costCentre)
      let d = (classOrder[y.tokenClass] ?? 0, y.price.minInputTokens, y.price.from, y.costCentre)
      if c != d { return c < d }
      return (x.agentID ?? "", x.account ?? "", x.commitmentID ?? "") < (
        y.agentID ?? "", y.account ?? "", y.commitmentID ?? ""
      )
    }
    return list
  }

  private func dayName(_ day: Int64) -> String {
    if let s = dayNames[day] { return s }
    let s = Timestamp.day(day * Timestamp.millisPerDay)
    dayNames[day] = s
    return s
  }
}
