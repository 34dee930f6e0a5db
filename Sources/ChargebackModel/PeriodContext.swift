/// The month in context (SPEC §7): the same figures last month, and for a month still open, how
/// far the data runs and where the month is heading.
package struct PeriodContext: Sendable, Hashable {
  /// A cost centre and one of its agents or models, or what one of its allocations or idle fees
  /// shares (``Totals/sharingItem(_:)``).
  package struct Item: Hashable, Sendable, Comparable {
    package var costCentre: String
    package var item: String

    package init(costCentre: String, item: String) {
      self.costCentre = costCentre
      self.item = item
    }

    package static func < (a: Item, b: Item) -> Bool { (a.costCentre, a.item) < (b.costCentre, b.item) }
  }

  /// Priced cost of one period per cost centre, per cost centre and agent (`""` for none), per cost
  /// centre and model (`provider/model/tier`, the canonical model); an allocation's or idle fee's
  /// lines are in both maps under their ``sharingItem(_:)``, so each map adds up to the cost centres.
  package struct Totals: Sendable, Hashable {
    package var costCentres: [String: Money] = [:]
    package var agents: [Item: Money] = [:]
    package var models: [Item: Money] = [:]
    /// Each cost centre's amount as the outputs printed it, in cents.
    ///
    /// Largest remainder over the cost centres: another cost centre's change can move a cent of
    /// this one's (a trial: an owner's handed-out invoice went from 0.47 to 0.48, its exact amount
    /// unchanged). Empty for totals not made by a report's outputs.
    package var printedCostCentres: [String: Int128] = [:]

    package init(costCentres: [String: Money] = [:], agents: [Item: Money] = [:], models: [Item: Money] = [:]) {
      self.costCentres = costCentres
      self.agents = agents
      self.models = models
    }

    /// The totals of a report's priced lines.
    package init(lines: [ChargebackLine]) {
      lines.forEachLent { _, l in
        guard l.pointee.key.priced else { return }
        let (cc, cost) = (l.pointee.key.costCentre, l.pointee.cost)
        costCentres[cc, default: .zero] += cost
        // An allocation or an idle fee is a row of its own in the Agents and Models sheets, by what
        // it shares (``sharingItem(_:)``): left out, those rows showed nothing last month, and the
        // sheets' TOTAL another change than the Summary's (a trial: +510 % beside +0.5 %).
        if let label = l.pointee.key.sharingLabel {
          agents[Item(costCentre: cc, item: Self.sharingItem(label)), default: .zero] += cost
          models[Item(costCentre: cc, item: Self.sharingItem(label)), default: .zero] += cost
          return
        }
        agents[Item(costCentre: cc, item: l.pointee.key.agentID ?? ""), default: .zero] += cost
        models[Item(costCentre: cc, item: Self.modelItem(l.pointee.key)), default: .zero] += cost
      }
    }

    /// The item of an allocation's or idle fee's row (its ``ChargebackLine/Key/sharingLabel``),
    /// after a control character that no agent id or model item holds (ids with one are refused).
    package static func sharingItem(_ label: String) -> String { "\u{1}" + label }

    /// The label of a ``sharingItem(_:)``; nil for an agent's or a model's item.
    package static func sharingLabel(_ item: String) -> String? {
      item.utf8.first == 1 ? String(item.unicodeScalars.dropFirst()) : nil
    }

    /// The item a line's model is compared by: `provider/model/tier`.
    package static func modelItem(_ k: ChargebackLine.Key) -> String {
      "\(k.provider.rawValue)/\(k.model)/\(k.tier.rawValue)"
    }

    /// The total of every cost centre.
    package var total: Money { costCentres.values.reduce(Money.zero, +) }
  }

  /// The previous period's totals, nil when the store holds nothing of it.
  package var previous: Totals?
  /// Where `previous` comes from: `reported` (as the previous period's own report charged it) or
  /// `computed` (charged now, with today's directory and prices, because it was never reported).
  package var previousSource: String?
  /// The instant the period's data runs to: the latest usage record in the store (or `--as-of`),
  /// UTC epoch ms; nil when the store has none.
  package var asOf: Int64?
  /// True when `asOf` is before the period's end: the month is still open.
  package var isOpen: Bool = false
  /// Where usage is known to be missing before `asOf` (an API page says more follow and none is
  /// loaded, while another source runs later): no forecast is made from such a month, since its
  /// run rate would count the missing days as idle.
  package var forecastWithheldFrom: Int64?
  /// Set when usage dated after the period closed it while its own usage stops more than a day
  /// before its end: maybe a wrong clock's (a trial: one call stamped a month ahead closed October
  /// on its second day, without a word).
  package var closedEarly: ClosedEarly?

  /// What closed a period early (``closedEarly``).
  package struct ClosedEarly: Sendable, Hashable {
    /// The start of the latest usage the store holds, after the period, UTC epoch ms.
    package var laterStart: Int64
    /// How far the period's own data runs, UTC epoch ms.
    package var lastOwn: Int64

    package init(laterStart: Int64, lastOwn: Int64) {
      (self.laterStart, self.lastOwn) = (laterStart, lastOwn)
    }
  }

  package init(previous: Totals? = nil, previousSource: String? = nil, asOf: Int64? = nil, isOpen: Bool = false) {
    self.previous = previous
    self.previousSource = previousSource
    self.asOf = asOf
    self.isOpen = isOpen
  }

  /// The forecast of an open period to its end: what is owed so far (`owed`, month to date) plus
  /// the run rate of the part that grows with calls (`runRate`) over the time left: owed + runRate ×
  /// (time left ÷ time elapsed up to `asOf`), rounded to the pico-dollar; nil for a closed period,
  /// and before the data runs a whole day into it (``forecastLeastElapsed``).
  ///
  /// Fixed amounts are in `owed` once, never extrapolated: a month's `fixed:` overhead, idle
  /// capacity and provisioned fees (the whole month's, from its first day) scaled by 31 on the
  /// first day forecast a month 3.2 times its end.
  package func forecast(owed: Money, runRate: Money, period: Period) -> Money? {
    guard isOpen, forecastWithheldFrom == nil, let asOf, asOf - period.startMillis >= Self.forecastLeastElapsed else {
      return nil
    }
    let elapsed = Int128(asOf) - Int128(period.startMillis)
    let left = max(0, Int128(period.endMillis) - Int128(asOf))
    // A run rate ≤ 2.7 × 10^37 pico-USD (Bounds) times a period's milliseconds could pass Int128:
    // no forecast rather than a trap.
    let (scaled, overflow) = runRate.pico.multipliedReportingOverflow(by: left)
    guard !overflow else { return nil }
    let (total, overflow2) = owed.pico.addingReportingOverflow(Money.roundDiv(scaled, elapsed))
    guard !overflow2 else { return nil }
    return Money(pico: total)
  }

  /// How far into the period the data must run before it is forecast: a day.
  ///
  /// One call a
  /// millisecond after midnight, scaled to the month, forecast 17.7 billion USD (a trial); a day
  /// holds a day's rhythm, and a daily run's first forecast is the 2nd's.
  package static let forecastLeastElapsed = Timestamp.millisPerDay

  /// Change from `previous` to `current` as a percentage with two decimals (`-12.50`); nil when
  /// there was nothing before.
  package static func changePercent(from previous: Money, to current: Money) -> String? {
    guard previous.pico != 0 else { return nil }
    let (change, o1) = current.pico.subtractingReportingOverflow(previous.pico)
    let (scaled, o2) = change.multipliedReportingOverflow(by: 10_000)
    guard !o1, !o2 else { return nil }
    return Money.format(units: Money.roundDiv(scaled, previous.pico), decimals: 2)
  }
}
