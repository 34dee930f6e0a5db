import ChargebackIngest
import ChargebackModel
import ChargebackPricing
import ChargebackStore

/// The overlap rule (SPEC §3.1, §10): one call may be in a request log and in the provider's
/// usage report, and must be charged once.
///
/// A provider + credential with request-level records on a UTC day is *covered* that day. Covered
/// report rows are not charged; instead their usage is summed per credential, canonical model, day
/// and tier, and what exceeds the request logs in each token class (never below zero) becomes
/// synthetic **unlogged usage** records, charged and raised as a finding.
///
/// When the report splits a key by `context_window` (Anthropic's `0-200k` and `200k-1M`), each
/// window is compared with the logged calls of that size, and the excess of the long window keeps
/// its `context_window`, so that it is priced at the long-context rate (SPEC §10: report rows take
/// the tier from `context_window`).
final class Overlap {
  /// A call whose total input (uncached + cache read + cache writes) is above this is one a usage
  /// report counts in its long `context_window` (`200k-1M`; `0-200k` includes 200,000 itself).
  static let longContextAbove: Int64 = 200_000

  struct CoverKey: Hashable, Comparable {
    var provider: Provider
    var credential: String
    var model: String
    var day: Int64
    var tier: Tier
    /// Long-context usage: report rows of a `context_window` that starts above 0 (`200k-1M`), or
    /// calls whose total input is above ``Overlap/longContextAbove``.
    var long = false

    static func < (a: Self, b: Self) -> Bool {
      (a.provider.rawValue, a.credential, a.day, a.model, a.tier.rawValue, a.long ? 1 : 0)
        < (b.provider.rawValue, b.credential, b.day, b.model, b.tier.rawValue, b.long ? 1 : 0)
    }
  }

  private struct DayCover: Hashable {
    var provider: Provider
    var credential: String
    var day: Int64
  }

  /// Sums over many rows and calls: Int128 (see ``Bounds``), never overflowing.
  private struct Reported {
    var tokens = TokenTotals()
    var requests: Int128 = 0
    var sample: UsageRecord
    /// True when a row carried a `context_window`.
    var windowed = false
  }

  private let canonical: CanonicalModels
  private var logged: [CoverKey: (tokens: TokenTotals, requests: Int128)] = [:]
  private var covered = Set<DayCover>()
  /// The providers' UTC days with request-level records of any credential, for
  /// ``isUnmatchable(_:)``.
  private var loggedDays = Set<DayCover>()
  /// Report rows charged although they may be calls of the request logs: no credential to match
  /// them by (``isUnmatchable(_:)``), counted for the report's warning.
  private(set) var unmatchableRows: Int64 = 0
  private var reported: [CoverKey: Reported] = [:]

  /// Reads the period's request-level totals from the store.
  init(store: any ChargebackStore, period: Period, prices: PriceTable) throws {
    canonical = CanonicalModels(prices: prices)
    // No usage report in the store: nothing can overlap, and the grouped scan is skipped.
    guard try store.fileCount(level: .report) > 0 else { return }
    // Only the providers of the usage reports in the store can have report rows to compare: the
    // request totals of the others (a large directory's Bedrock logs beside an OpenAI usage
    // report: 176 MB) are not kept. Every provider when a report's format may name any.
    let reportProviders = Self.providers(ofReports: try store.files())
    try store.requestTotals(from: period.startMillis, to: period.endMillis, longContextAbove: Self.longContextAbove) {
      t in
      guard reportProviders?.contains(t.provider) ?? true else { return }
      let key = CoverKey(
        provider: t.provider, credential: t.credential, model: canonical(t.provider, PriceModifiers.base(t.model)),
        day: t.day,
        tier: t.tier, long: t.longContext)
      var entry = logged[key] ?? (TokenTotals(), 0)
      entry.tokens += t.tokens
      entry.requests += Int128(t.requests)
      logged[key] = entry
      covered.insert(DayCover(provider: t.provider, credential: t.credential, day: t.day))
      loggedDays.insert(DayCover(provider: t.provider, credential: "", day: t.day))
    }
  }

  /// The providers the report-level files' formats name; nil when one of them may name any, or
  /// is not a known format.
  static func providers(ofReports files: [StoredFile]) -> Set<Provider>? {
    var providers = Set<Provider>()
    for f in files where f.level == SourceLevel.report.rawValue {
      guard let p = FormatRegistry.all.first(where: { $0.id == f.format })?.provider else { return nil }
      providers.insert(p)
    }
    return providers
  }

  /// Notes a report row that cannot be matched to the request logs beside it.
  ///
  /// A row with no credential (grouped by project or workspace only) on a day the provider's
  /// request logs have calls is charged, and may count their calls a second time. Counted for a
  /// warning (``unmatchableRows``).
  func noteUnmatchable(_ r: UsageRecord) {
    guard r.credential == nil, !loggedDays.isEmpty,
      loggedDays.contains(DayCover(provider: r.provider, credential: "", day: Self.day(r.time)))
    else { return }
    unmatchableRows += 1
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
      provider: r.provider, credential: c, model: canonical(r.provider, PriceModifiers.base(r.model)),
      day: Self.day(r.time),
      tier: r.tier,
      long: Pricer.inputForTier(level: .report, tokens: r.tokens, contextWindow: r.contextWindow) > 0)
    reported[key, default: Reported(sample: r)].tokens += r.tokens
    reported[key, default: Reported(sample: r)].requests += Int128(r.requests)
    if r.contextWindow != nil { reported[key, default: Reported(sample: r)].windowed = true }
  }

  /// The unlogged usage: one synthetic record per key whose report exceeds the logs, in a stable
  /// order.
  func unloggedRecords() -> [UsageRecord] {
    var out: [UsageRecord] = []
    for key in reported.keys.sorted() {
      guard let rep = reported[key] else { continue }
      var base = key
      base.long = false
      var long = key
      long.long = true
      // Fix: the excess used to be computed over every context window at once and priced at the
      // base rate (`contextWindow = nil`), so report usage in `200k-1M` beyond the logs was charged
      // at the short-context rate. A report that splits by window is now compared window by window
      // with the calls of that size; a report without windows, with all the calls, as before.
      let split = reported[long] != nil || reported[base]?.windowed == true
      var log = logged[key] ?? (TokenTotals(), 0)
      if !split, let other = logged[long] {
        log.tokens += other.tokens
        log.requests += other.requests
      }
      var excess = TokenTotals()
      for c in TokenClass.allCases { excess[c] = max(0, rep.tokens[c] - log.tokens[c]) }
      guard !excess.isZero else { continue }
      var requests = max(0, rep.requests - log.requests)
      // A record holds at most Bounds.tokens per class and Bounds.requests: a larger excess (many
      // report rows summed) is carried by several records, `#2`, `#3`, … after the first.
      var part = 1
      while !excess.isZero || requests > 0 {
        var r = rep.sample
        r.format = "unlogged-usage"
        r.naturalKey =
          "unlogged:\(key.provider.rawValue)|\(key.credential)|\(key.model)|\(key.day)|\(key.tier.rawValue)"
        r.requestID = nil
        r.time = key.day * Timestamp.millisPerDay
        r.bucketEnd = r.time + Timestamp.millisPerDay
        var tokens = TokenCounts()
        for c in TokenClass.allCases {
          let take = min(excess[c], Int128(Bounds.tokens))
          tokens[c] = Int64(take)
          excess[c] -= take
        }
        r.tokens = tokens
        let takeRequests = min(requests, Int128(Bounds.requests))
        r.requests = Int64(takeRequests)
        requests -= takeRequests
        r.contextWindow = key.long ? rep.sample.contextWindow : nil
        if key.long { r.naturalKey += "|" + (r.contextWindow ?? "long") }
        if part > 1 { r.naturalKey += "#\(part)" }
        r.line = nil
        r.jsonPath = nil
        out.append(r)
        part += 1
      }
    }
    return out
  }

  private static func day(_ t: Int64) -> Int64 { Timestamp.floorDiv(t, Timestamp.millisPerDay) }
}
