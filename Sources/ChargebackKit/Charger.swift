import ChargebackIdentity
import ChargebackModel
import ChargebackPricing

/// The one charge path: attributes a record and prices it.
///
/// Attribution follows SPEC §4 (credential → agent → owner → cost centre, as of the call's time);
/// pricing follows SPEC §3.3 and §5 (exact list price from the versioned tables). The report pass,
/// the spike baseline, the loop detector's ancestor lookups, `explain` and the tests all charge
/// through ``charge(_:)``, so they cannot disagree.
///
/// Not Sendable: it memoises attribution and prices in mutable caches; make one per thread.
package final class Charger {
  /// The identity directory records are attributed against.
  package let identities: IdentityDirectory
  /// The price table records are priced from.
  package let prices: PriceTable
  private let attributor: Attributor
  private let pricer: Pricer
  /// The commitment row (index into `identities.commitments`) per provider, raw model, UTC day and
  /// provisioned flag; -1 for none.
  private var commitmentCache: [CommitmentKey: Int] = [:]

  private struct CommitmentKey: Hashable {
    var provider: Provider
    var model: String
    var day: Int64
    var provisioned: Bool
  }

  package init(identities: IdentityDirectory, prices: PriceTable) {
    self.identities = identities
    self.prices = prices
    attributor = Attributor(directory: identities)
    pricer = Pricer(table: prices)
  }

  /// Attributes and prices one record.
  ///
  /// A record whose model has no alias or no rate for one of its token classes is unpriced
  /// (`cost == nil`), never $0. The scope check uses the canonical and the raw model name.
  package func charge(_ r: UsageRecord) -> ChargedRecord {
    let a = attributor.attribute(r)
    let quote = pricer.price(
      provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
      totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
    let model = quote.canonicalModel ?? r.model
    let inScope = a.scopeID.map { attributor.scopeAllows($0, provider: r.provider, model: model, raw: r.model) } ?? true
    var cost = quote.cost
    var parts = quote.parts
    var commitmentID: String?
    if !identities.commitments.isEmpty, let c = commitment(for: r) {
      commitmentID = c.id
      if c.kind == .discount, cost != nil {
        // Per token class, each rounded to the pico-dollar; the call's cost is their sum.
        for i in parts.indices { parts[i].cost = c.discounted(parts[i].listCost) }
        cost = parts.reduce(Money.zero) { $0 + $1.cost }
      }
    }
    // Made once, as the result: a record built and then changed was copied whole on return (a
    // retain and a release of each of its strings).
    return ChargedRecord(
      record: r, attribution: a, model: model, modelResolved: quote.canonicalModel != nil, cost: cost,
      parts: parts, priceRows: quote.rows, unpricedReason: quote.unpricedReason, inScope: inScope,
      listCost: quote.cost, commitmentID: commitmentID)
  }

  /// The commitment covering a call (SPEC §12), nil when none.
  ///
  /// A `provisioned` row in effect on the call's UTC day
  /// whose models match the raw model (for Vertex, only calls that ran on provisioned throughput),
  /// else such a `discount` row; nil when none. Rows of one kind never overlap on a model seen in
  /// the period (checked before the pass), so the first match is the only one.
  package func commitment(for r: UsageRecord) -> Commitment? {
    let day = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
    let key = CommitmentKey(provider: r.provider, model: r.model, day: day, provisioned: r.provisioned)
    if let i = commitmentCache[key] { return i < 0 ? nil : identities.commitments[i] }
    let t = day * Timestamp.millisPerDay
    let rows = identities.commitments
    func find(_ kind: Commitment.Kind) -> Int? {
      rows.indices.first { i in
        let c = rows[i]
        guard c.kind == kind, c.provider == r.provider, c.covers(t), c.matches(model: r.model) else { return false }
        return kind == .discount || c.provider != .vertex || r.provisioned
      }
    }
    let found = find(.provisioned) ?? find(.discount)
    commitmentCache[key] = found ?? -1
    return found.map { rows[$0] }
  }
}
