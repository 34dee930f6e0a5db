import ChargebackModel
import ChargebackPricing
import ChargebackStore

/// Computed cost against the providers' own cost reports, per provider, UTC day and canonical model (SPEC §5,
/// §10).
///
/// Only providers that have a cost report in the period are reconciled.
struct Reconciliation {
  private struct Key: Hashable, Comparable {
    var provider: Provider
    var day: Int64
    var model: String

    static func < (a: Self, b: Self) -> Bool {
      (a.provider.rawValue, a.day, a.model) < (b.provider.rawValue, b.day, b.model)
    }
  }

  private let canonical: CanonicalModels
  private var billed: [Key: Money] = [:]
  private var computed: [Key: Money] = [:]

  init(prices: PriceTable) { canonical = CanonicalModels(prices: prices) }

  /// Adds a cost-level row.
  mutating func addBilled(_ r: UsageRecord) {
    guard let amount = r.billed else { return }
    let model = r.model.isEmpty ? "(\(r.lineItem ?? "other"))" : canonical(r.provider, r.model)
    billed[Key(provider: r.provider, day: Self.day(r.time), model: model), default: .zero] += amount
  }

  /// Adds a charged record's computed cost (nil when unpriced: nothing to compare).
  mutating func addComputed(_ r: UsageRecord, model: String, cost: Money?) {
    guard let cost else { return }
    computed[Key(provider: r.provider, day: Self.day(r.time), model: model), default: .zero] += cost
  }

  /// One row per provider, day and model seen on either side, for providers with a cost report.
  func rows() -> [ReconciliationRow] {
    let providers = Set(billed.keys.map(\.provider))
    guard !providers.isEmpty else { return [] }
    let keys = Set(billed.keys).union(computed.keys.filter { providers.contains($0.provider) })
    return keys.sorted().map { k in
      ReconciliationRow(
        provider: k.provider, day: Timestamp.day(k.day * Timestamp.millisPerDay), model: k.model,
        computed: computed[k] ?? .zero, billed: billed[k] ?? .zero)
    }
  }

  private static func day(_ t: Int64) -> Int64 { Timestamp.floorDiv(t, Timestamp.millisPerDay) }
}
