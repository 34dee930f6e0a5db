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
    let inScope = a.scopeID.map { attributor.scopeAllows($0, provider: r.provider, models: [model, r.model]) } ?? true
    return ChargedRecord(
      record: r, attribution: a, model: model, modelResolved: quote.canonicalModel != nil, cost: quote.cost,
      parts: quote.parts, priceRows: quote.rows,
      unpricedReason: quote.unpricedReason, inScope: inScope)
  }
}
