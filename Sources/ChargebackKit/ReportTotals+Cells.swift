import ChargebackModel
import ChargebackSupport

// The cells of the running totals: the keys they are found by, and how a record is added to a
// line, a cost centre's day and a FOCUS group.
extension ReportTotals {
  /// The hash of the line a charged record goes to (``lineIndex``'s, the same for every record of
  /// one line): the fields ``matches(_:_:priced:source:)`` compares.
  static func lineHash(_ c: borrowing ChargedRecord, priced: Bool, source: LineSource) -> Int {
    var h = Hasher()
    h.combine(c.attribution.costCentre)
    h.combine(c.attribution.agentID)
    h.combine(c.attribution.credentialID)
    h.combine(c.record.provider)
    h.combine(c.model)
    h.combine(c.record.tier)
    h.combine(c.attribution.status)
    h.combine(priced)
    h.combine(source)
    h.combine(c.commitmentID)
    return h.finalize()
  }

  /// True when the charged record goes to the line of key `k` (the key ``add(_:source:)`` makes of
  /// it: no task, no allocation rule).
  static func matches(
    _ k: borrowing ChargebackLine.Key, _ c: borrowing ChargedRecord, priced: Bool, source: LineSource
  ) -> Bool {
    k.costCentre == c.attribution.costCentre && k.agentID == c.attribution.agentID
      && k.credentialID == c.attribution.credentialID && k.taskID == nil && k.provider == c.record.provider
      && k.model == c.model && k.tier == c.record.tier && k.status == c.attribution.status && k.priced == priced
      && k.source == source && k.commitmentID == c.commitmentID && k.ruleID == nil
  }

  /// The hash of a line's FOCUS group without its day and account: the fields
  /// ``sameGroup(_:_:)`` compares.
  static func groupHash(_ k: borrowing ChargebackLine.Key) -> Int {
    var h = Hasher()
    h.combine(k.credentialID)
    h.combine(k.provider)
    h.combine(k.model)
    h.combine(k.tier)
    h.combine(k.costCentre)
    h.combine(k.agentID)
    h.combine(k.commitmentID)
    return h.finalize()
  }

  /// True when two lines' calls go to the same FOCUS groups (``ClassChargeGroup``, day and account
  /// aside).
  static func sameGroup(_ a: borrowing ChargebackLine.Key, _ b: borrowing ChargebackLine.Key) -> Bool {
    a.credentialID == b.credentialID && a.provider == b.provider && a.model == b.model && a.tier == b.tier
      && a.costCentre == b.costCentre && a.agentID == b.agentID && a.commitmentID == b.commitmentID
  }

  struct DayKey: Hashable {
    var costCentre: String
    var day: Int64
  }

  /// Where a line's last record's day went.
  struct LineSlot {
    /// UTC day and account of the last record added; nil before the first.
    var day: Int64?
    var account: String?
    /// Positions of that day's cost-centre day, FOCUS group and commitment day (-1: none).
    var dayPosition = -1
    var classPosition = -1
    var committedPosition = -1
    /// The generation of FOCUS groups `classPosition` is of (``ReportTotals/FocusGroups/generation``).
    var classGeneration = 0
    /// The numbers of the line's FOCUS group (day 0, no account), cost centre and of `account`
    /// (-1: not yet found).
    var group: Int32 = -1
    var centre: Int32 = -1
    var accountNumber: Int32 = -1
  }

  /// A cost centre's day, by the cost centre's number (``ReportTotals/centreNumbers``).
  struct CentreDay: Hashable {
    var centre: Int32
    var day: Int64
  }

  /// A FOCUS group (``ClassChargeGroup``) by the numbers of its line's group and its account.
  struct GroupDay: Hashable {
    var group: Int32
    var account: Int32
    var day: Int64
  }

  /// A commitment's calls of one cost centre on one UTC day.
  struct CommittedDay: Hashable {
    var commitmentID: String
    var costCentre: String
    var day: Int64
  }

  /// One token class and price row within a ``ClassChargeGroup``.
  struct ClassAmount {
    var tokenClass: TokenClass
    var row: Int
    /// Summed over records: Int128 (``Bounds``).
    var units: Int128
    var cost: Money
    var listCost: Money
  }

  /// Adds a record's per-class costs; a group holds a handful of classes, so a linear search.
  static func merge(_ parts: [PriceQuote.Part], into amounts: inout [ClassAmount]) {
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
}

// Sums over records are Int128 (TokenTotals, requests) and Money (Int128 pico) of bounded values
// (`Bounds`: at most 10^13 tokens, 10^12 requests and 6 × 10^24 pico-USD per record, 2^42 records),
// so none can overflow.
extension ChargebackLine {
  /// Adds a charged record; `priceRows` are indices into the price table while the pass runs
  /// (``ReportTotals/takeLineList(room:)`` makes them indices into the report's rows).
  mutating func add(_ r: UsageRecord, cost: Money, listCost: Money, priceRows rows: [Int]) {
    tokens += r.tokens
    requests += Int128(r.requests)
    if r.failed { failedRequests += Int128(r.requests) }
    self.cost += cost
    self.listCost += listCost
    for row in rows where !priceRows.contains(row) { priceRows.append(row) }
  }
}

extension DailyTotal {
  mutating func add(_ r: UsageRecord, cost: Money) {
    tokens += r.tokens
    requests += Int128(r.requests)
    self.cost += cost
  }
}
