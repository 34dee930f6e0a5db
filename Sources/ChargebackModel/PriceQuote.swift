/// The price of one record, or why it has none.
package struct PriceQuote: Sendable {
  /// One token class of a priced record: its units, the row whose rate applied and their exact cost.
  package struct Part: Sendable, Hashable {
    package var tokenClass: TokenClass
    package var units: Int64
    /// Index into ``PriceTable/rows``.
    package var row: Int
    /// Effective cost: units × the row's rate, exactly, less a discount when a commitment applies.
    package var cost: Money
    /// units × the row's rate, exactly.
    package var listCost: Money

    package init(tokenClass: TokenClass, units: Int64, row: Int, cost: Money, listCost: Money? = nil) {
      self.tokenClass = tokenClass
      self.units = units
      self.row = row
      self.cost = cost
      self.listCost = listCost ?? cost
    }
  }

  /// Canonical model id, when the raw name resolved.
  package var canonicalModel: String?
  /// Exact cost; nil when unpriced.
  package var cost: Money?
  /// Indices (into ``PriceTable/rows``) of the rows used.
  package var rows: [Int]
  /// Why the record is unpriced.
  package var unpricedReason: String?
  /// The cost per token class with units, in ``TokenClass`` order (they add up to `cost`); empty when
  /// unpriced.
  package var parts: [Part] = []

  package init(
    canonicalModel: String? = nil, cost: Money? = nil, rows: [Int], unpricedReason: String? = nil, parts: [Part] = []
  ) {
    self.canonicalModel = canonicalModel
    self.cost = cost
    self.rows = rows
    self.unpricedReason = unpricedReason
    self.parts = parts
  }
}
