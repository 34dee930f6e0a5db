import ChargebackModel

/// The budget findings (SPEC §10): a cost centre's or a scope's priced cost in the period against
/// its `monthly_budget_usd`, raised once the pass has summed them.
extension PolicyFindings {
  /// Adds cost-centre and scope budget findings for the period (SPEC §10: the period's priced cost
  /// against `monthly_budget_usd`).
  package mutating func addBudgetFindings(
    period: Period, costCentres: [(id: String, cost: Money)],
    directory: (
      centres: [String: CostCentre], scopes: [String: Scope]
    )
  ) {
    for cc in costCentres.sorted(by: { $0.id < $1.id }) {
      guard let budget = directory.centres[cc.id]?.monthlyBudget, cc.cost > budget else { continue }
      add(
        budgetFinding(
          .costCentreBudgetExceeded, period: period, subject: cc.id, costCentre: cc.id,
          owner: directory.centres[cc.id]?.owner, cost: cc.cost,
          text:
            "cost centre \(cc.id) spent \(cc.cost.formatted(decimals: 2)) USD against a monthly budget of \(budget.formatted(decimals: 2)) USD"
        ))
    }
    for (scope, cost) in scopeCost.sorted(by: { $0.key < $1.key }) {
      guard let budget = directory.scopes[scope]?.monthlyBudget, cost > budget else { continue }
      add(
        budgetFinding(
          .scopeBudgetExceeded, period: period, subject: scope, costCentre: nil, owner: nil, cost: cost,
          text:
            "scope \(scope) spent \(cost.formatted(decimals: 2)) USD against a monthly budget of \(budget.formatted(decimals: 2)) USD"
        ))
    }
  }

  private func budgetFinding(
    _ kind: FindingKind, period: Period, subject: String, costCentre: String?, owner: String?, cost: Money,
    text: String
  ) -> Finding {
    Finding(
      id: FindingID.make(kind: kind, period: period, subject: subject), kind: kind, severity: kind.severity,
      period: period.description, costCentre: costCentre, agentID: nil, credentialID: nil, ownerID: owner,
      taskApprover: nil, firstTime: period.startMillis, lastTime: period.endMillis - 1, calls: 0, cost: cost,
      avoidableCost: .zero, evidence: [], evidenceCount: 0, explanation: text)
  }
}
