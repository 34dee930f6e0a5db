import ChargebackModel
import ChargebackSupport

extension ReportTotals {
  /// The FOCUS groups a report pass holds in memory, each a group-day's amounts by token class and
  /// price row, handed to their ledger as runs.
  ///
  /// Priced usage per day × credential × model × tier × cost centre × agent × account (not task:
  /// SPEC §11), split by token class and price row (`focus.csv`'s grain). At most ``limit`` groups
  /// are held: then they go to ``charges`` as a run and the pass starts anew (``generation``), so
  /// memory does not grow with a large directory × days (``ClassChargeLedger``).
  struct FocusGroups {
    /// The most group-days held; nil when the FOCUS rows are not kept (the previous period's
    /// totals).
    let limit: Int?
    let charges: ClassChargeLedger
    /// Each price row as a charge keeps it.
    let prices: [AppliedPrice]
    /// Each group-day's position in ``amounts``.
    private var index: [GroupDay: Int] = [:]
    private var amounts: [[ClassAmount]] = []
    /// Bumped each time the groups go to a run: a position is of its generation's groups only.
    private(set) var generation = 0
    /// How many accounts the ledger has numbered (as the totals number them, from 0 in order).
    private var ledgerAccounts = 0

    init(limit: Int?, charges: ClassChargeLedger, prices: [AppliedPrice]) {
      (self.limit, self.charges, self.prices) = (limit, charges, prices)
    }

    var keepsRows: Bool { limit != nil }
    var isEmpty: Bool { amounts.isEmpty }

    /// The position of `key`'s amounts, made when new; at the limit, the groups held go to the
    /// ledger first, as a run (`accounts`: the totals' accounts, by number).
    mutating func position(of key: GroupDay, accounts: @autoclosure () -> [String?]) throws -> Int {
      if let i = index[key] { return i }
      if let limit, amounts.count >= limit {
        handOver(accounts: accounts())
        try charges.endRun()
      }
      let i = amounts.count
      amounts.append([])
      index[key] = i
      return i
    }

    /// Adds a call's priced parts to the group-day at `position`.
    mutating func merge(_ parts: [PriceQuote.Part], at position: Int) {
      ReportTotals.merge(parts, into: &amounts[position])
    }

    /// Hands the groups held to ``charges``'s run being made and lets them go: a new generation.
    mutating func handOver(accounts: [String?]) {
      guard !amounts.isEmpty else { return }
      // The ledger numbers the accounts as the totals do, from 0 in the same order.
      for account in accounts.dropFirst(ledgerAccounts) { _ = charges.addAccount(account) }
      ledgerAccounts = accounts.count
      for (key, position) in index {
        for a in amounts[position] {
          charges.append(
            group: key.group, account: key.account, day: key.day, tokenClass: a.tokenClass, price: prices[a.row],
            row: a.row, units: a.units, cost: a.cost, listCost: a.listCost)
        }
      }
      index.removeAll(keepingCapacity: true)
      amounts.removeAll(keepingCapacity: true)
      generation += 1
    }

    /// Hands the groups held over, lets their room go and finishes the ledger.
    ///
    /// No group may be added after. `credentialNames` are the credentials' descriptions, by id.
    mutating func finish(accounts: [String?], credentialNames: [String: String]) throws -> ClassChargeLedger {
      handOver(accounts: accounts)
      (index, amounts) = ([:], [])
      try charges.finish(credentialNames: credentialNames)
      return charges
    }
  }
}
