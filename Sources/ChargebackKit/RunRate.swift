import ChargebackIdentity
import ChargebackModel

/// What of each cost centre's amount grows with its calls, for an open month's forecast
/// (``CostCentreSummary/runRateCost``, ``PeriodContext/forecast(owed:runRate:period:)``).
///
/// The amount owed less what is fixed for the month whatever the calls: idle capacity, calls under
/// provisioned capacity (their fee is the same however many calls it covers) and `fixed:`
/// overheads. What is fixed follows the money through the allocation rules, in their order: a rule
/// moving a cost centre's holdings (`UNATTRIBUTED`, `cost_centre:`) moves their fixed part in
/// proportion, split among the targets as the amount is; a `credential:` rule moves that
/// credential's calls, which grow; a `fixed:` rule's amount is fixed. Scaled whole, the first day
/// of a month with a 450 USD overhead and an 85 USD provisioned fee forecast 3.2 times its end.
enum RunRate {
  static func apply(
    lines: [ChargebackLine], allocations: [AllocationResult], identities: IdentityDirectory,
    centres: inout [String: CostCentreSummary]
  ) {
    let provisioned = Set(identities.commitments.filter { $0.kind == .provisioned }.map(\.id))
    // Per cost centre: what it holds (its direct cost, then as the rules move it) and of that, what is fixed.
    var held: [String: Int128] = [:]
    var fixed: [String: Int128] = [:]
    for (id, cc) in centres {
      held[id] = cc.directCost.pico
      fixed[id] = cc.idleCost.pico
    }
    lines.forEachLent { _, l in
      let k = l.pointee.key
      guard k.source == .request || k.source == .report || k.source == .unlogged,
        let c = k.commitmentID, provisioned.contains(c)
      else { return }
      fixed[k.costCentre, default: 0] += l.pointee.cost.pico
    }
    for a in allocations {
      let amounts = a.to.map(\.amount.pico)
      var moved: Int128 = 0
      switch a.rule.source {
      case .fixed: moved = amounts.reduce(0, +)
      case .credential: break
      case .unattributed, .costCentre:
        for p in a.from {
          let h = held[p.costCentre] ?? 0
          let f = min(max(fixed[p.costCentre] ?? 0, 0), max(h, 0))
          let part = h > 0 ? Apportion.split(p.amount.pico, weights: [f, h - f])[0] : 0
          fixed[p.costCentre, default: 0] -= part
          moved += part
        }
      }
      for p in a.from { held[p.costCentre, default: 0] -= p.amount.pico }
      for (p, share) in zip(a.to, Apportion.split(moved, weights: amounts)) {
        held[p.costCentre, default: 0] += p.amount.pico
        fixed[p.costCentre, default: 0] += share
      }
    }
    for (id, cc) in centres {
      let variable = cc.cost.pico - (fixed[id] ?? 0)
      centres[id]?.runRateCost = Money(pico: max(0, variable))
    }
  }
}
