import ChargebackModel

/// Raw model name → canonical id, memoised: the overlap rule and the reconciliation both group
/// by canonical model and ask for the same few names many times.
package final class CanonicalModels {
  private let prices: PriceTable
  private var cache: [String: String] = [:]

  package init(prices: PriceTable) { self.prices = prices }

  /// The canonical id of `raw`, or `raw` lower-cased when no price or alias resolves it.
  package func callAsFunction(_ provider: Provider, _ raw: String) -> String {
    let key = provider.rawValue + "\u{0}" + raw
    if let c = cache[key] { return c }
    let c = prices.canonicalModel(provider: provider, raw: raw) ?? raw.lowercased()
    cache[key] = c
    return c
  }
}
