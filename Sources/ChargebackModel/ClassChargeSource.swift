/// The FOCUS class charges of a report (``ChargebackReport/classCharges``), read in their order:
/// day, provider, credential, model, tier, token class, the price row's threshold and start, cost
/// centre, agent, account, commitment.
///
/// Read, not held: with a large directory they outnumber the calls (a 20,000-credential month of a
/// million calls: 4.8 million rows), so the report keeps them on disk past a limit
/// (`ClassChargeLedger`) and every reader streams them. An array of charges is one too (tests, small
/// reports made by hand), read in its own order.
package protocol ClassChargeSource: Sendable {
  /// Calls `body` with each charge, in order; throws what reading them throws.
  func forEachCharge(_ body: (ClassCharge) throws -> Void) throws
  /// Calls `body` with each charge's amounts and what they are summed by, in the order of
  /// ``forEachCharge(_:)``: for a pass that adds the charges up and writes none of them (a ledger
  /// reads only these fields of its records, and makes no text of the rest).
  func forEachChargeAmount(_ body: (ClassChargeAmount) throws -> Void) throws
  /// How many charges ``forEachCharge(_:)`` gives.
  var chargeCount: Int { get }
  /// The providers of the charges.
  var chargeProviders: Set<Provider> { get }
}

extension ClassChargeSource {
  /// Each charge's amounts, read from the whole charge.
  package func forEachChargeAmount(_ body: (ClassChargeAmount) throws -> Void) throws {
    try forEachCharge { try body(ClassChargeAmount($0)) }
  }
}

/// What a pass that adds the class charges up reads of each (``ClassChargeSource/forEachChargeAmount(_:)``):
/// a charge's provider, cost centre, account and commitment, and its costs.
package struct ClassChargeAmount: Equatable, Sendable {
  package var provider: Provider
  package var costCentre: String
  package var account: String?
  package var commitmentID: String?
  package var cost: Money
  package var listCost: Money

  package init(
    provider: Provider, costCentre: String, account: String?, commitmentID: String?, cost: Money, listCost: Money
  ) {
    (self.provider, self.costCentre, self.account, self.commitmentID) = (provider, costCentre, account, commitmentID)
    (self.cost, self.listCost) = (cost, listCost)
  }

  /// The amounts of `c`.
  package init(_ c: ClassCharge) {
    self.init(
      provider: c.provider, costCentre: c.costCentre, account: c.account, commitmentID: c.commitmentID, cost: c.cost,
      listCost: c.listCost)
  }
}

extension Array: ClassChargeSource where Element == ClassCharge {
  package func forEachCharge(_ body: (ClassCharge) throws -> Void) throws { for c in self { try body(c) } }
  package var chargeCount: Int { count }
  package var chargeProviders: Set<Provider> { Set(map(\.provider)) }
}

/// What a class charge is summed over, but its token class and price row: a UTC day × credential ×
/// provider × model × tier × cost centre × agent × account × commitment (not the task: SPEC §11).
package struct ClassChargeGroup: Hashable, Sendable {
  /// Days since the epoch, UTC.
  package var day: Int64
  package var credentialID: String?
  package var provider: Provider
  package var model: String
  package var tier: Tier
  package var costCentre: String
  package var agentID: String?
  /// The account or project the export names (Bedrock account, OpenAI project, Anthropic
  /// workspace, Azure subscription), for FOCUS.
  package var account: String?
  /// The commitment whose terms priced the calls, nil for list price.
  package var commitmentID: String?

  package init(
    day: Int64, credentialID: String?, provider: Provider, model: String, tier: Tier, costCentre: String,
    agentID: String?, account: String?, commitmentID: String?
  ) {
    self.day = day
    self.credentialID = credentialID
    self.provider = provider
    self.model = model
    self.tier = tier
    self.costCentre = costCentre
    self.agentID = agentID
    self.account = account
    self.commitmentID = commitmentID
  }
}
