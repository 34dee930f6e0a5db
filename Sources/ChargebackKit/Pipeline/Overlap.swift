/// The overlap rule (SPEC §3.1, §10): one call may be in a request log and in the provider's
/// usage report, and must be charged once.
///
/// A provider + credential with request-level records on a UTC day is *covered* that day. Covered
/// report rows are not charged; instead their usage is summed per credential, canonical model, day
/// and tier, and what exceeds the request logs in each token class (never below zero) becomes
/// synthetic **unlogged usage** records, charged and raised as a finding.
final class Overlap {
  struct CoverKey: Hashable, Comparable {
    var provider: Provider
    var credential: String
    var model: String
    var day: Int64
    var tier: Tier

    static func < (a: Self, b: Self) -> Bool {
      (a.provider.rawValue, a.credential, a.day, a.model, a.tier.rawValue)
        < (b.provider.rawValue, b.credential, b.day, b.model, b.tier.rawValue)
    }
  }

  private struct DayCover: Hashable {
    var provider: Provider
    var credential: String
    var day: Int64
  }

  private struct Reported {
    var tokens = TokenCounts()
    var requests: Int64 = 0
    var sample: UsageRecord
  }

  private let prices: PriceTable
  private var logged: [CoverKey: (tokens: TokenCounts, requests: Int64)] = [:]
  private var covered = Set<DayCover>()
  private var reported: [CoverKey: Reported] = [:]
  private var canonical: [String: String] = [:]

  /// Reads the period's request-level totals from the store.
  init(store: UsageStore, period: Period, prices: PriceTable) throws {
    self.prices = prices
    try store.requestTotals(from: period.startMillis, to: period.endMillis) { t in
      let key = CoverKey(
        provider: t.provider, credential: t.credential, model: canonicalModel(t.provider, t.model), day: t.day,
        tier: t.tier)
      var entry = logged[key] ?? (TokenCounts(), 0)
      entry.tokens += t.tokens
      entry.requests += t.requests
      logged[key] = entry
      covered.insert(DayCover(provider: t.provider, credential: t.credential, day: t.day))
    }
  }

  /// True when request logs cover this report row's provider, credential and day.
  func covers(_ r: UsageRecord) -> Bool {
    guard let c = r.credential, !covered.isEmpty else { return false }
    return covered.contains(DayCover(provider: r.provider, credential: c, day: Self.day(r.time)))
  }

  /// Adds a covered report row.
  func addReport(_ r: UsageRecord, id: Int64) {
    guard let c = r.credential else { return }
    let key = CoverKey(
      provider: r.provider, credential: c, model: canonicalModel(r.provider, r.model), day: Self.day(r.time),
      tier: r.tier)
    reported[key, default: Reported(sample: r)].tokens += r.tokens
    reported[key, default: Reported(sample: r)].requests += r.requests
  }

  /// The unlogged usage: one synthetic record per key whose report exceeds the logs, in a stable
  /// order, with a one-line summary of the excess.
  func unloggedRecords() -> [(record: UsageRecord, summary: String)] {
    var out: [(UsageRecord, String)] = []
    for key in reported.keys.sorted() {
      guard let rep = reported[key] else { continue }
      let log = logged[key] ?? (TokenCounts(), 0)
      var excess = TokenCounts()
      for c in TokenClass.allCases { excess[c] = max(0, rep.tokens[c] - log.tokens[c]) }
      guard !excess.isZero else { continue }
      var r = rep.sample
      r.format = "unlogged-usage"
      r.naturalKey = "unlogged:\(key.provider.rawValue)|\(key.credential)|\(key.model)|\(key.day)|\(key.tier.rawValue)"
      r.requestID = nil
      r.time = key.day * Timestamp.millisPerDay
      r.bucketEnd = r.time + Timestamp.millisPerDay
      r.tokens = excess
      r.requests = max(0, rep.requests - log.requests)
      r.contextWindow = nil
      r.line = nil
      r.jsonPath = nil
      let parts = TokenClass.allCases.filter { excess[$0] > 0 }.map { "\(excess[$0]) \($0.rawValue)" }
      out.append((r, "\(Timestamp.day(r.time)) \(key.model) \(key.tier.rawValue): " + parts.joined(separator: ", ")))
    }
    return out
  }

  private func canonicalModel(_ provider: Provider, _ raw: String) -> String {
    let k = provider.rawValue + "\u{0}" + raw
    if let c = canonical[k] { return c }
    let c = prices.canonicalModel(provider: provider, raw: raw) ?? raw.lowercased()
    canonical[k] = c
    return c
  }

  private static func day(_ t: Int64) -> Int64 { Timestamp.floorDiv(t, Timestamp.millisPerDay) }
}
