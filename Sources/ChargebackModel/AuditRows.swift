// The report's money-audit rows: what was computed against what the providers billed, and the
// report rows the bucket-width rule left uncharged (company.xlsx's Reconciliation and Granularity
// sheets, reconciliation.csv).

/// One row of the reconciliation: what we computed against what the provider billed.
package struct ReconciliationRow: Sendable, Hashable {
  package var provider: Provider
  /// `YYYY-MM-DD`, UTC.
  package var day: String
  /// Canonical model (or the provider's line item when it names no model).
  package var model: String
  package var computed: Money
  package var billed: Money
  /// True when `model` names a cell that is no model (`(web search)`, a bill's line item in
  /// parentheses, `idle <commitment>`), written by the tool rather than taken from the data.
  package var modelIsLabel = false

  /// computed − billed.
  package var variance: Money { computed - billed }

  /// Variance as a percentage of the billed amount with two decimals (`-1.25`); empty when
  /// nothing was billed, or a credit (billed below zero).
  package var variancePercentText: String {
    // Of a bill above zero only: over a credit (a bill below zero) a percentage reads backwards.
    guard billed.pico > 0 else { return "" }
    let (scaled, overflow) = variance.pico.multipliedReportingOverflow(by: 10_000)
    guard !overflow else { return "" }
    return Money.format(units: Money.roundDiv(scaled, billed.pico), decimals: 2)
  }

  package init(
    provider: Provider, day: String, model: String, computed: Money, billed: Money, modelIsLabel: Bool = false
  ) {
    self.provider = provider
    self.day = day
    self.model = model
    self.computed = computed
    self.billed = billed
    self.modelIsLabel = modelIsLabel
  }
}

/// A coarse report bucket of one group (provider, credential or project, model, tier, context
/// window) that was not charged because rows of a finer bucket width lie within it, against the
/// finest rows within it, which were charged in its place (docs/formats.md, "Report rows at
/// several bucket widths").
package struct GranularityRow: Sendable, Hashable {
  package var provider: Provider
  /// `YYYY-MM-DD`, UTC, of the coarse bucket's start.
  package var day: String
  /// Canonical model (or the raw name, lower-cased, when no price resolves it).
  package var model: String
  /// The rows' credential, or `project:<id>` when they name none.
  package var credential: String
  package var tier: Tier
  package var contextWindow: String?
  /// The coarse bucket, UTC epoch ms, end exclusive.
  package var bucketStart: Int64
  package var bucketEnd: Int64
  /// Report rows in the coarse bucket (several when the rows differ in a dimension outside the
  /// group, such as OpenAI's `user_id`), and the finest rows within it.
  package var coarseRows: Int64
  package var finerRows: Int64
  package var coarseTokens: TokenTotals
  package var finerTokens: TokenTotals
  /// Cost of each side at the report rows' prices; nil when a row on that side is unpriced.
  package var coarseCost: Money?
  package var finerCost: Money?
  /// True when the coarse rows were charged and the finer not: the finer rows' pages cover only
  /// part of the coarse bucket's time (``BucketWidths``).
  package var coarseCharged: Bool

  package init(
    provider: Provider, day: String, model: String, credential: String, tier: Tier, contextWindow: String?,
    bucketStart: Int64, bucketEnd: Int64, coarseRows: Int64, finerRows: Int64, coarseTokens: TokenTotals,
    finerTokens: TokenTotals, coarseCost: Money?, finerCost: Money?, coarseCharged: Bool = false
  ) {
    self.coarseCharged = coarseCharged
    self.provider = provider
    self.day = day
    self.model = model
    self.credential = credential
    self.tier = tier
    self.contextWindow = contextWindow
    self.bucketStart = bucketStart
    self.bucketEnd = bucketEnd
    self.coarseRows = coarseRows
    self.finerRows = finerRows
    self.coarseTokens = coarseTokens
    self.finerTokens = finerTokens
    self.coarseCost = coarseCost
    self.finerCost = finerCost
  }

  /// Finer − coarse, per token class: negative where the coarse row counts more.
  package var tokenDifference: TokenTotals {
    var d = TokenTotals()
    for c in TokenClass.allCases { d[c] = finerTokens[c] - coarseTokens[c] }
    return d
  }

  /// Finer − coarse cost; nil when either side is unpriced.
  package var costDifference: Money? {
    guard let coarseCost, let finerCost else { return nil }
    return finerCost - coarseCost
  }
}
