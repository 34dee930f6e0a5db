import ChargebackModel

/// The budget findings (SPEC §10): a cost centre's or a scope's priced cost in the period against
/// its `monthly_budget_usd`, raised once the pass has summed them.
extension PolicyFindings {
  /// Adds cost-centre and scope budget findings for the period (SPEC §10: the period's priced cost
  /// against `monthly_budget_usd`); a scope's calls under provisioned commitments count at their
  /// effective price (`fees`), as the cost centres' do.
  package mutating func addBudgetFindings(
    period: Period, costCentres: [(id: String, cost: Money, requests: Int128, allocated: Money)],
    directory: (
      centres: [String: CostCentre], scopes: [String: Scope]
    ), fees: ProvisionedFees = ProvisionedFees()
  ) {
    for cc in costCentres.sorted(by: { $0.id < $1.id }) {
      guard let budget = directory.centres[cc.id]?.monthlyBudget, cc.cost > budget else { continue }
      add(
        budgetFinding(
          .costCentreBudgetExceeded, period: period, subject: cc.id, costCentre: cc.id,
          owner: directory.centres[cc.id]?.owner, cost: cc.cost, calls: cc.requests,
          text: Self.centreText(cc.id, cost: cc.cost, allocated: cc.allocated, budget: budget)
        ))
    }
    for scope in scopeCentres.keys.sorted() {
      guard let budget = directory.scopes[scope]?.monthlyBudget else { continue }
      var spent: [String: Money] = [:]
      for (cc, cost) in scopeCentres[scope] ?? [:] {
        spent[cc] = fees.effective(cost, atList: scopeCentresAtList[scope]?[cc] ?? AtListUnderFee())
      }
      let cost = spent.values.reduce(Money.zero, +)
      guard cost > budget else { continue }
      // Filed under the cost centre that spent most of it (SPEC §6: a finding has a cost centre, and
      // its workbook shows it; with none, only company.xlsx showed it), naming the others' shares.
      let centres = spent.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      let shares =
        centres.count > 1
        ? " (" + centres.map { "\($0.key) \($0.value.formatted(decimals: 2)) USD" }.joined(separator: ", ") + ")" : ""
      add(
        budgetFinding(
          .scopeBudgetExceeded, period: period, subject: scope, costCentre: centres.first?.key,
          owner: centres.first.flatMap { directory.centres[$0.key]?.owner }, cost: cost, calls: scopeCalls[scope] ?? 0,
          text:
            "scope \(scope) spent \(Self.over(cost, budget))\(shares)"
        ))
    }
  }

  /// What a cost centre's budget finding says: what it was charged against its budget, and, when
  /// the allocation rules moved money to or from it, how much of that is its own and how much
  /// shared (a trial's "spent 174.85 USD" was 29.68 USD of its own usage and 145.17 USD of a
  /// gateway's overhead: its lead looked for spending that was not there).
  static func centreText(_ id: String, cost: Money, allocated: Money, budget: Money) -> String {
    guard allocated != .zero else { return "cost centre \(id) spent \(Self.over(cost, budget))" }
    // In cents, the own part the charged amount less the allocated one as both are printed, so that
    // the sentence adds up.
    let (charged, moved) = (cost.rounded(toDecimals: 2), allocated.rounded(toDecimals: 2))
    let own = Money.format(units: charged - moved, decimals: 2)
    let part =
      moved >= 0
      ? "\(Money.format(units: moved, decimals: 2)) USD allocated to it"
      : "less \(Money.format(units: -moved, decimals: 2)) USD allocated away"
    return "cost centre \(id) was charged \(Self.over(cost, budget)): its own cost \(own) USD, \(part)"
      + " by the allocation rules (allocation.csv)"
  }

  /// "12.35 USD against a monthly budget of 12.00 USD", with as many decimals (2 to 6) as it
  /// takes for the spend to read above the budget: "spent 0.09 USD against a monthly budget of
  /// 0.09 USD" was a trial's finding of 0.09224 against 0.09.
  static func over(_ cost: Money, _ budget: Money) -> String {
    var d = 2
    while d < 6, cost.formatted(decimals: d) == budget.formatted(decimals: d) { d += 1 }
    return "\(cost.formatted(decimals: d)) USD against a monthly budget of \(budget.formatted(decimals: d)) USD"
  }

  private func budgetFinding(
    _ kind: FindingKind, period: Period, subject: String, costCentre: String?, owner: String?, cost: Money,
    calls: Int128, text: String
  ) -> Finding {
    Finding(
      id: FindingID.make(kind: kind, period: period, subject: subject), kind: kind, severity: kind.severity,
      period: period.description, costCentre: costCentre, agentID: nil, credentialID: nil, ownerID: owner,
      taskApprover: nil, firstTime: period.startMillis, lastTime: period.endMillis - 1, calls: calls, cost: cost,
      avoidableCost: .zero, evidence: [], evidenceCount: 0, explanation: text)
  }
}
