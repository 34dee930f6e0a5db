/// One row of a price table (SPEC §3.3).
package struct PriceRow: Sendable, Hashable {
  package var provider: Provider
  /// Canonical model id.
  package var model: String
  package var usageType: TokenClass
  package var tier: Tier
  /// Long-context threshold: the row applies to calls whose total input is at least this.
  package var minInputTokens: Int64
  package var rate: Rate
  /// Effective from, UTC epoch ms (inclusive).
  package var from: Int64
  /// Effective to, UTC epoch ms (exclusive); nil = open.
  package var to: Int64?
  package var source: String
  /// Where the row is: `pricing/bedrock.csv:14`.
  package var location: String

  package init(
    provider: Provider, model: String, usageType: TokenClass, tier: Tier, minInputTokens: Int64, rate: Rate,
    from: Int64, to: Int64?, source: String, location: String
  ) {
    self.provider = provider
    self.model = model
    self.usageType = usageType
    self.tier = tier
    self.minInputTokens = minInputTokens
    self.rate = rate
    self.from = from
    self.to = to
    self.source = source
    self.location = location
  }

  /// True when the row is in effect at `t` (UTC epoch ms).
  package func covers(_ t: Int64) -> Bool { from <= t && (to.map { t < $0 } ?? true) }
}
