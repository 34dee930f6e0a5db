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
    let x = outcome(of: r)
    return ChargedRecord(
      record: r, attribution: x.attribution, model: x.model, modelResolved: x.modelResolved, cost: x.cost,
      parts: x.parts, priceRows: x.priceRows, unpricedReason: x.unpricedReason, inScope: x.inScope,
      listCost: x.listCost, commitmentID: x.commitmentID, feeCommitment: x.feeCommitment)
  }

  /// Charges `c.record` where it lies, as ``charge(_:)`` would: the report pass's records are
  /// charged in their place in the pipe's batch, so the record (thirty-odd strings) is never copied
  /// into a new ``ChargedRecord`` (perf, the 1 M friendly month's `report`: copying and destroying
  /// records was a tenth of the pass's samples).
  package func charge(_ c: inout ChargedRecord) {
    let x = outcome(of: c.record)
    c.attribution = x.attribution
    c.model = x.model
    c.modelResolved = x.modelResolved
    c.cost = x.cost
    c.listCost = x.listCost ?? x.cost  // as ``ChargedRecord``'s initialiser does
    c.commitmentID = x.commitmentID
    c.feeCommitment = x.feeCommitment
    c.parts = x.parts
    c.priceRows = x.priceRows
    c.unpricedReason = x.unpricedReason
    c.inScope = x.inScope
  }

  /// What charging adds to a record: the one place attribution, pricing, the scope check and the
  /// commitment's discount are worked out.
  private func outcome(of r: UsageRecord) -> Outcome {
    let known = remembered(r)
    let a = attributor.withTask(of: r, known?.base ?? attributor.untasked(r))
    let priced = known.map { (rates: $0.rates, commitment: $0.commitment) } ?? ratesAndCommitment(of: r)
    let rates = priced.rates
    let quote = pricer.price(
      rates, provider: r.provider, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens,
      totalInput: Pricer.inputForTier(level: r.level, tokens: r.tokens, contextWindow: r.contextWindow))
    let model = quote.canonicalModel ?? r.model
    let inScope: Bool
    if let known, let scope = a.scopeID, scope == known.base.scopeID, let allowed = known.baseInScope {
      inScope = allowed
    } else {
      inScope = a.scopeID.map { attributor.scopeAllows($0, provider: r.provider, model: model, raw: r.model) } ?? true
    }
    var cost = quote.cost
    var parts = quote.parts
    var commitmentID: String?
    var feeCommitment: Int?
    let index: Int?
    if identities.commitments.isEmpty {
      index = nil
    } else {
      index = priced.commitment < 0 ? nil : priced.commitment
    }
    if let index {
      let c = identities.commitments[index]
      commitmentID = c.id
      if c.kind == .provisioned { feeCommitment = index }
      if c.kind == .discount, cost != nil {
        // Per token class, each rounded to the pico-dollar; the call's cost is their sum.
        for i in parts.indices { parts[i].cost = c.discounted(parts[i].listCost) }
        cost = parts.reduce(Money.zero) { $0 + $1.cost }
      }
    }
    return Outcome(
      attribution: a, model: model, modelResolved: quote.canonicalModel != nil, cost: cost, listCost: quote.cost,
      commitmentID: commitmentID, feeCommitment: feeCommitment, parts: parts, priceRows: quote.rows,
      unpricedReason: quote.unpricedReason,
      inScope: inScope)
  }

  /// What charging a record found that the next record with the same ``RememberedKey`` finds
  /// again: its attribution before its task, its rates, its commitment, and whether the
  /// attribution's own scope allows its model.
  private struct Remembered {
    var base: Attribution
    var rates: Pricer.Resolved
    /// Index into `identities.commitments`; -1 for none.
    var commitment: Int
    /// `base.scopeID`'s verdict on the record's model; nil when `base` has no scope.
    var baseInScope: Bool?
  }

  /// Everything of a stored record that ``Remembered`` depends on, as integers.
  ///
  /// The store's ids of its names (``StoreNameIDs``), its provider, tier, UTC day, provisioned flag
  /// and the directory's ``Attributor/segment(_:)`` of its time. Hashing these instead of the names was the
  /// lever left on the report pass (perf, the 1 M friendly `report`: attribution, pricing and
  /// commitment look-ups, each hashing strings, were a fifth of its samples).
  private struct RememberedKey: Hashable {
    var names: StoreNameIDs
    var provider: Provider
    var tier: Tier
    var provisioned: Bool
    var callerless: Bool
    var day: Int64
    var segment: Int
  }

  private var rememberedCharges: [RememberedKey: Remembered] = [:]
  private var rememberedLookups = 0
  private var rememberedMisses = 0
  /// Set when most look-ups miss (a session name per call): the memo is then only a cost.
  private var rememberingOff = false
  /// Charges remembered at most; past it, remembering stops (memory bounded by the directory).
  static let rememberedLimit = 65_536

  /// The remembered charge of a record read from a store with the same names, provider, tier, day
  /// and segment; nil (the caller works it out) for a record with a credential alias or another
  /// credential provider (fields outside the key), one not read from a store, or once remembering
  /// is off.
  private func remembered(_ r: UsageRecord) -> Remembered? {
    guard !rememberingOff, let names = r.storeNames, r.credentialAlias == nil, r.credentialProvider == nil else {
      return nil
    }
    let key = RememberedKey(
      names: names, provider: r.provider, tier: r.tier, provisioned: r.provisioned,
      callerless: r.namesNoCallerByFormat, day: Timestamp.floorDiv(r.time, Timestamp.millisPerDay),
      segment: attributor.segment(r.time))
    rememberedLookups += 1
    if rememberedLookups == Self.rememberedLimit {
      // More than a quarter of a window's look-ups missed: names that rarely repeat (a session
      // name per call), where each miss costs an insert on top of the work.
      if rememberedMisses * 4 > rememberedLookups {
        rememberingOff = true
        rememberedCharges = [:]
        return nil
      }
      (rememberedLookups, rememberedMisses) = (0, 0)
    }
    if let hit = rememberedCharges[key] { return hit }
    rememberedMisses += 1
    if rememberedCharges.count >= Self.rememberedLimit { rememberedCharges.removeAll(keepingCapacity: true) }
    let base = attributor.untasked(r)
    let (rates, commitmentIndex) = ratesAndCommitment(of: r)
    var baseInScope: Bool?
    if let scope = base.scopeID {
      let model = rates.canonical ?? r.model
      baseInScope = attributor.scopeAllows(scope, provider: r.provider, model: model, raw: r.model)
    }
    let found = Remembered(base: base, rates: rates, commitment: commitmentIndex, baseInScope: baseInScope)
    rememberedCharges[key] = found
    return found
  }

  /// A record's rates and commitment (index into `identities.commitments`, -1 for none), which
  /// depend on its provider, raw model, tier, UTC day and provisioned flag only.
  ///
  /// Kept by the store's id of the model where the record has one: with a session name per call,
  /// where the whole charge is not remembered, the pricer's and the commitments' caches hashed the
  /// model's name for every call (perf, the 1 M cardinality `report`: 2 % of its samples).
  private func ratesAndCommitment(of r: UsageRecord) -> (rates: Pricer.Resolved, commitment: Int) {
    func work() -> (rates: Pricer.Resolved, commitment: Int) {
      let rates = pricer.rates(provider: r.provider, model: r.model, tier: r.tier, time: r.time)
      return (rates, identities.commitments.isEmpty ? -1 : commitmentIndex(for: r) ?? -1)
    }
    guard let names = r.storeNames else { return work() }
    let key = RatesKey(
      model: names.model, provider: r.provider, tier: r.tier, provisioned: r.provisioned,
      day: Timestamp.floorDiv(r.time, Timestamp.millisPerDay))
    if let hit = rememberedRates[key] { return hit }
    let found = work()
    if rememberedRates.count >= Self.rememberedLimit { rememberedRates.removeAll(keepingCapacity: true) }
    rememberedRates[key] = found
    return found
  }

  private struct RatesKey: Hashable {
    var model: Int32
    var provider: Provider
    var tier: Tier
    var provisioned: Bool
    var day: Int64
  }

  private var rememberedRates: [RatesKey: (rates: Pricer.Resolved, commitment: Int)] = [:]

  /// The fields of a ``ChargedRecord`` besides its record.
  private struct Outcome {
    var attribution: Attribution
    var model: String
    var modelResolved: Bool
    var cost: Money?
    var listCost: Money?
    var commitmentID: String?
    var feeCommitment: Int?
    var parts: [PriceQuote.Part]
    var priceRows: [Int]
    var unpricedReason: String?
    var inScope: Bool
  }

  /// ``Pricer/averagesPastLongContext(_:)``: a report row priced at the base rate whose input
  /// proves that some of its calls paid the long-context rate.
  package func averagesPastLongContext(_ r: UsageRecord) -> Bool { pricer.averagesPastLongContext(r) }

  /// The commitment covering a call (SPEC §12), nil when none.
  ///
  /// A `provisioned` row in effect on the call's UTC day
  /// whose models match the raw model (for Vertex, only calls that ran on provisioned throughput),
  /// else such a `discount` row; nil when none. Rows of one kind never overlap on a model seen in
  /// the period (checked before the pass), so the first match is the only one.
  package func commitment(for r: UsageRecord) -> Commitment? {
    commitmentIndex(for: r).map { identities.commitments[$0] }
  }

  /// ``commitment(for:)``'s index in `identities.commitments`.
  private func commitmentIndex(for r: UsageRecord) -> Int? {
    let day = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
    let key = CommitmentKey(provider: r.provider, model: r.model, day: day, provisioned: r.provisioned)
    if let i = commitmentCache[key] { return i < 0 ? nil : i }
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
    return found
  }
}
