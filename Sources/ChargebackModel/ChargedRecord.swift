/// A usage record after attribution and pricing: what the aggregates and every detector consume.
///
/// Charged in exactly one place (the pipeline's `Charger`, which makes one or fills in one made
/// ``init(uncharged:)``), so that the report pass, the spike baseline, `explain` and the tests
/// cannot disagree on who pays what.
package struct ChargedRecord: Sendable {
  /// The record as stored.
  package var record: UsageRecord
  /// Who is charged (SPEC §4).
  package var attribution: Attribution
  /// Canonical model, or the raw name when it did not resolve.
  package var model: String
  /// True when the raw model name resolved to a canonical model of the price tables.
  package var modelResolved: Bool
  /// Exact effective cost (list less a discount; list for calls of a provisioned commitment, whose
  /// share of the fee is known only once the period is summed); nil when unpriced (never $0 for lack
  /// of a price).
  package var cost: Money?
  /// Exact cost at list prices; nil when unpriced.
  package var listCost: Money?
  /// The commitment whose terms apply to the call (SPEC §12), nil for list price.
  package var commitmentID: String?
  /// The commitment's index in the directory's commitments when it is a provisioned one: the call
  /// costs its list price until the fee is spread after the pass (``ProvisionedFees``).
  package var feeCommitment: Int? = nil
  /// The exact cost of each token class with units, in ``TokenClass`` order; empty when unpriced.
  package var parts: [PriceQuote.Part]
  /// Indices of the price rows used (into the price table's rows).
  package var priceRows: [Int]
  /// Why the record is unpriced, when it is.
  package var unpricedReason: String?
  /// False when the call's scope does not allow its provider or model.
  package var inScope: Bool

  /// The cost, or zero when unpriced (for sums that leave unpriced calls out).
  package var costOrZero: Money { cost ?? .zero }

  /// The list cost, or zero when unpriced.
  package var listCostOrZero: Money { listCost ?? .zero }
}

extension ChargedRecord {
  /// A charged record; the list cost is the cost unless given.
  // Declared in an extension so that the memberwise initialiser exists, and handing over to it: an
  // initialiser that assigned each property itself built the record in a local and returned a copy
  // of it (a retain and a release of each of its thirty-odd strings per call; every initialiser of
  // this module with assignments does so). The arguments are in another order than the members,
  // so the call cannot mean this initialiser.
  package init(
    record: UsageRecord, attribution: Attribution, model: String, modelResolved: Bool = true, cost: Money?,
    parts: [PriceQuote.Part] = [],
    priceRows: [Int] = [], unpricedReason: String? = nil, inScope: Bool = true, listCost: Money? = nil,
    commitmentID: String? = nil, feeCommitment: Int? = nil
  ) {
    self.init(
      record: record, attribution: attribution, model: model, modelResolved: modelResolved, cost: cost,
      listCost: listCost ?? cost, commitmentID: commitmentID, feeCommitment: feeCommitment, parts: parts,
      priceRows: priceRows,
      unpricedReason: unpricedReason, inScope: inScope)
  }
}

extension ChargedRecord {
  /// `record` before it is charged: attributed to nobody and unpriced, with ``notCharged`` as the
  /// reason, until a `Charger` fills in the rest where it lies.
  package init(uncharged record: UsageRecord) {
    // The model read first: read after `record` was handed over, it made the compiler copy the record.
    let model = record.model
    self.init(
      record: record, attribution: Attribution(costCentre: Attribution.unattributed, status: .unattributed),
      model: model, modelResolved: false, cost: nil, listCost: nil, commitmentID: nil, parts: [], priceRows: [],
      unpricedReason: Self.notCharged, inScope: true)
  }

  /// The unpriced reason of a record not charged yet (``init(uncharged:)``): never in a report.
  package static let notCharged = "(not charged)"
}
