import ChargebackIdentity
import ChargebackModel

/// Provisioned capacity (SPEC §12), applied after the record pass, when every call of the period
/// is summed: each `provisioned` commitment's fee for the period is spread over the calls it
/// served, and what is left is an `idle` line of its owner cost centre.
///
/// A discount needs no pass: ``Charger`` prices each call at list less the discount. Here, per
/// provisioned commitment with fee F and list L of its priced calls in the period:
/// - L ≤ F: every call costs its list price, and the idle line is F − L;
/// - L > F: the calls cost list × F ÷ L together, exactly F: F is split over the cost centres by
///   their list (largest remainder, to the pico-dollar), then each cost centre's part over its
///   lines, over its FOCUS cells and over its days, each by list. So lines, FOCUS rows, days and
///   cost centres agree to the pico-dollar, and Σ effective + idle = F exactly.
struct Commitments {
  let period: Period
  let rows: [Commitment]

  /// Applies every provisioned commitment of the period; returns the Commitments sheet's rows
  /// (discounts too, with their list and effective sums).
  /// - Complexity: O(lines + cells + days) per commitment with calls.
  func apply(
    lines: inout [ChargebackLine], classCharges: inout any ClassChargeSource,
    daily: inout [ReportTotals.DayKey: DailyTotal], committedDaily: [ReportTotals.CommittedDay: Money],
    centres: inout [String: CostCentreSummary], identities: IdentityDirectory
  ) throws -> [CommitmentUse] {
    var uses: [CommitmentUse] = []
    var cellShares: [ScaledClassCharges.Cells: Int128] = [:]
    for c in rows {
      let lineIndices = lines.indices.filter { lines[$0].key.commitmentID == c.id && lines[$0].key.priced }
      let unpriced = lines.reduce(Int128(0)) { n, l in
        n + (l.key.commitmentID == c.id && !l.key.priced ? l.requests : 0)
      }
      let fee = c.kind == .provisioned ? c.fee(in: period) : .zero
      let inEffect = (c.from ?? .min) < period.endMillis && period.startMillis < (c.to ?? .max)
      // A discount of unpriced calls only has nothing to show (it has no utilisation).
      guard !lineIndices.isEmpty || (c.kind == .provisioned && (inEffect || unpriced > 0)) else { continue }
      let list = lineIndices.reduce(Money.zero) { $0 + lines[$1].listCost }
      let requests = lineIndices.reduce(Int128(0)) { $0 + lines[$1].requests }
      guard c.kind == .provisioned else {
        let effective = lineIndices.reduce(Money.zero) { $0 + lines[$1].cost }
        var use = CommitmentUse(
          commitment: c, fee: .zero, list: list, effective: effective, idle: .zero, requests: requests)
        use.unpricedRequests = unpriced
        uses.append(use)
        continue
      }
      if list > fee {
        scale(
          c.id, fee: fee, lines: &lines, lineIndices, cellShares: &cellShares, daily: &daily,
          committedDaily: committedDaily, centres: &centres)
      }
      let effective = list > fee ? fee : list
      let idle = fee - effective
      if idle.pico > 0, let owner = c.ownerCostCentre {
        var key = ChargebackLine.Key(
          costCentre: owner, provider: c.provider, model: "", tier: .standard, status: .idleCapacity, priced: true,
          source: .idle)
        key.commitmentID = c.id
        var line = ChargebackLine(key: key)
        line.cost = idle
        line.listCost = idle
        lines.append(line)
        var cc = centres[owner] ?? Self.summary(owner, identities)
        cc.cost += idle
        cc.idleCost += idle
        centres[owner] = cc
      }
      var use = CommitmentUse(commitment: c, fee: fee, list: list, effective: effective, idle: idle, requests: requests)
      use.unpricedRequests = unpriced
      uses.append(use)
    }
    if !cellShares.isEmpty { classCharges = try ScaledClassCharges(classCharges, shares: cellShares) }
    return uses
  }

  /// Puts `fee` on the commitment's calls in proportion to their list cost (see the type's note).
  private func scale(
    _ id: String, fee: Money, lines: inout [ChargebackLine], _ lineIndices: [Int],
    cellShares: inout [ScaledClassCharges.Cells: Int128], daily: inout [ReportTotals.DayKey: DailyTotal],
    committedDaily: [ReportTotals.CommittedDay: Money], centres: inout [String: CostCentreSummary]
  ) {
    var listByCentre: [String: Money] = [:]
    for i in lineIndices { listByCentre[lines[i].key.costCentre, default: .zero] += lines[i].listCost }
    let names = listByCentre.keys.sorted()
    let shares = Apportion.split(fee.pico, weights: names.map { listByCentre[$0]?.pico ?? 0 })
    for (cc, share) in zip(names, shares) {
      // Lines.
      let ccLines = lineIndices.filter { lines[$0].key.costCentre == cc }
      for (i, part) in zip(ccLines, Apportion.split(share, weights: ccLines.map { lines[$0].listCost.pico })) {
        lines[i].cost = Money(pico: part)
      }
      // FOCUS cells: split as they are read (``ScaledClassCharges``).
      cellShares[ScaledClassCharges.Cells(commitmentID: id, costCentre: cc)] = share
      // Days.
      let days = committedDaily.filter { $0.key.commitmentID == id && $0.key.costCentre == cc }
        .sorted { $0.key.day < $1.key.day }
      for ((key, list), part) in zip(days, Apportion.split(share, weights: days.map { $0.value.pico })) {
        daily[ReportTotals.DayKey(costCentre: cc, day: key.day)]?.cost += Money(pico: part) - list
      }
      centres[cc]?.cost += Money(pico: share) - (listByCentre[cc] ?? .zero)
    }
  }

  /// A summary row for a cost centre without usage of its own.
  static func summary(_ id: String, _ identities: IdentityDirectory) -> CostCentreSummary {
    let row = identities.costCentres[id]
    return CostCentreSummary(
      id: id, name: row?.name ?? id, budget: row?.monthlyBudget, glAccount: row?.glAccount, entity: row?.entity)
  }
}
