import ChargebackIdentity
import ChargebackModel

/// Shared-cost allocation (SPEC §12), applied after the record pass and the commitments, on what
/// each cost centre owes directly.
///
/// Rules apply once per period, in file order, each to what its source holds at that point: its
/// direct cost plus what earlier rules moved to it, less what they moved away (a `credential:`
/// source holds the credential's own spend; a `fixed:` source its amount). The amount is split
/// among the targets by largest remainder to the pico-dollar, so the parts add up to it exactly.
/// Each move is two kinds of `allocated` line: a negative one on the source and a positive one per
/// target, with the rule's id, so every cost centre's lines still add up to what it owes.
struct Allocation {
  let period: Period
  let identities: IdentityDirectory

  /// Applies the rules of the period; returns what each rule moved, in file order.
  /// - Complexity: O(rules × (cost centres + lines)).
  /// - Throws: ``AllocationFailure`` (exit 65) when a `fixed:` overhead has no cost centre to go to.
  func apply(lines: inout [ChargebackLine], centres: inout [String: CostCentreSummary]) throws -> [AllocationResult] {
    centres = centres.mapValues { cc in
      var cc = cc
      cc.directCost = cc.cost
      return cc
    }
    let rules = identities.allocationRules.filter { $0.applies(to: period) }
    guard !rules.isEmpty else { return [] }
    // The direct figures `proportional` weighs, fixed before any rule moves money.
    let direct = centres.mapValues { $0.directCost }
    let tokens = centres.mapValues { cc in TokenClass.allCases.reduce(Int128(0)) { $0 + cc.tokens[$1] } }
    let requests = centres.mapValues(\.requests)
    var holdings = direct
    // What each shared credential's unnamed spend still holds in each cost centre: a
    // `credential:` rule moves at most this, and a rule that empties the cost centre empties it
    // too (that spend left with it), so no amount is ever moved twice.
    var credentialHeld: [String: [String: Money]] = [:]
    lines.forEachLent { _, l in
      guard l.pointee.key.status == .sharedCostCentre, l.pointee.key.agentID == nil, l.pointee.key.priced,
        let id = l.pointee.key.credentialID
      else { return }
      credentialHeld[id, default: [:]][l.pointee.key.costCentre, default: .zero] += l.pointee.cost
    }
    var results: [AllocationResult] = []
    for rule in rules {
      var from: [AllocationResult.Part] = []
      var amount = Money.zero
      switch rule.source {
      case .unattributed:
        amount = holdings[Attribution.unattributed] ?? .zero
        from = [AllocationResult.Part(costCentre: Attribution.unattributed, amount: amount)]
        for id in credentialHeld.keys { credentialHeld[id]?[Attribution.unattributed] = nil }
      case .costCentre(let cc):
        amount = holdings[cc] ?? .zero
        from = [AllocationResult.Part(costCentre: cc, amount: amount)]
        for id in credentialHeld.keys { credentialHeld[id]?[cc] = nil }
      case .credential(let id):
        let held = credentialHeld[id] ?? [:]
        from = held.keys.sorted().map { cc in
          // Never more than the cost centre still holds (an earlier rule may have moved some away).
          let cap = max(Int128(0), holdings[cc]?.pico ?? 0)
          return AllocationResult.Part(costCentre: cc, amount: Money(pico: min(held[cc]?.pico ?? 0, cap)))
        }
        for p in from { credentialHeld[id]?[p.costCentre, default: .zero] += Money(pico: -p.amount.pico) }
        amount = from.reduce(Money.zero) { $0 + $1.amount }
      case .fixed(let overhead):
        amount = overhead
      }
      from = from.filter { $0.amount.pico != 0 }
      guard amount.pico > 0 else { continue }
      let sources = Set(from.map(\.costCentre))
      let everyone = identities.costCentres.keys.filter { (direct[$0] ?? .zero).pico > 0 && !sources.contains($0) }
      let targets: [String] = rule.targets ?? everyone.sorted()
      guard !targets.isEmpty else {
        // An overhead must be owed by someone: dropping it would break Σ owed = Σ direct + overheads.
        if case .fixed = rule.source { throw AllocationFailure(rule: rule.id, period: period, amount: amount) }
        continue
      }
      let weights: [Int128]
      switch rule.method {
      case .even: weights = targets.map { _ in 1 }
      case .fixed(let shares): weights = targets.map { shares[$0] ?? 0 }
      case .proportional(.cost): weights = targets.map { max(0, direct[$0]?.pico ?? 0) }
      case .proportional(.tokens): weights = targets.map { tokens[$0] ?? 0 }
      case .proportional(.requests): weights = targets.map { requests[$0] ?? 0 }
      }
      let parts = Apportion.split(amount.pico, weights: weights)
      let to = zip(targets, parts).map { AllocationResult.Part(costCentre: $0, amount: Money(pico: $1)) }
      for p in from {
        holdings[p.costCentre, default: .zero] += Money(pico: -p.amount.pico)
        centres[p.costCentre, default: Commitments.summary(p.costCentre, identities)].allocatedOut += p.amount
        lines.append(line(rule, costCentre: p.costCentre, amount: Money(pico: -p.amount.pico)))
      }
      for p in to where p.amount.pico != 0 {
        holdings[p.costCentre, default: .zero] += p.amount
        centres[p.costCentre, default: Commitments.summary(p.costCentre, identities)].allocatedIn += p.amount
        lines.append(line(rule, costCentre: p.costCentre, amount: p.amount))
      }
      results.append(AllocationResult(rule: rule, from: from, to: to))
    }
    for id in centres.keys {
      guard var cc = centres[id] else { continue }
      cc.cost = cc.directCost + cc.allocatedIn - cc.allocatedOut
      centres[id] = cc
    }
    return results
  }

  /// An `allocated` line of `amount` (negative on the source's side).
  private func line(_ rule: AllocationRule, costCentre: String, amount: Money) -> ChargebackLine {
    let key = ChargebackLine.Key(
      costCentre: costCentre, provider: .other, model: "", tier: .standard, status: .allocation, priced: true,
      source: .allocated, ruleID: rule.id)
    var l = ChargebackLine(key: key)
    l.cost = amount
    l.listCost = amount
    l.allocatedFrom = rule.source.description
    return l
  }
}

/// A `fixed:` overhead whose `*` finds no cost centre with direct spend in the period.
struct AllocationFailure: ChargebackFailure {
  var rule: String
  var period: Period
  var amount: Money

  var description: String {
    "allocation.csv: rule \(rule): targets: `*` names no cost centre with direct spend in \(period), so the "
      + "overhead of \(amount.formatted(decimals: 2)) USD has nowhere to go; name its targets"
  }

  var exitStatus: Int32 { 65 }
}
