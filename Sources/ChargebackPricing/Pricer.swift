import ChargebackModel
import ChargebackSupport

/// Prices records from a ``PriceTable`` (SPEC §3.3, §5, §10).
///
/// Cost = Σ over token classes of units × the rate in effect at the record's time for its tier,
/// using for each class the row with the highest `min_input_tokens` not above the call's total
/// input. A class with units but no rate makes the whole record unpriced: never $0.
package final class Pricer {
  /// The table prices come from.
  package let table: PriceTable
  private var cache: [CacheKey: Resolved] = [:]
  /// ``PriceTable/canonicalModel(provider:raw:)`` by provider and raw model, which the day does not
  /// change: matching every alias again for each day was most of a first price look-up (perf).
  private var canonicalCache: [CanonicalKey: String?] = [:]

  private struct CanonicalKey: Hashable {
    var provider: Provider
    var model: String
  }

  private func canonicalModel(_ provider: Provider, _ raw: String) -> String? {
    let key = CanonicalKey(provider: provider, model: raw)
    if let known = canonicalCache[key] { return known }
    let found = table.canonicalModel(provider: provider, raw: raw)
    canonicalCache[key] = found
    return found
  }

  private struct CacheKey: Hashable {
    var provider: Provider
    var model: String
    var tier: Tier
    var day: Int64
  }

  /// Rates of one model, tier and day: per class, (threshold, rate, row) sorted by threshold
  /// descending.
  package struct Resolved {
    /// The model's name in the price table; nil when no alias or price names it.
    package var canonical: String?
    var perClass: [[(min: Int64, rate: Rate, row: Int)]]
  }

  package init(table: PriceTable) { self.table = table }

  /// Prices one record.
  ///
  /// `totalInput` selects the long-context rate (see ``inputForTier(_:)``).
  package func price(
    provider: Provider, model raw: String, tier: Tier, time: Int64, tokens: TokenCounts, totalInput: Int64
  ) -> PriceQuote {
    price(
      rates(provider: provider, model: raw, tier: tier, time: time), provider: provider, model: raw, tier: tier,
      time: time, tokens: tokens, totalInput: totalInput)
  }

  /// The rates a record of this provider, raw model and tier is priced at on the UTC day of `time`:
  /// what ``price(_:provider:model:tier:time:tokens:totalInput:)`` needs besides the record's tokens.
  package func rates(provider: Provider, model raw: String, tier: Tier, time: Int64) -> Resolved {
    let day = Timestamp.floorDiv(time, Timestamp.millisPerDay)
    let key = CacheKey(provider: provider, model: raw, tier: tier, day: day)
    if let r = cache[key] { return r }
    let resolved = resolve(key, time: time)
    cache[key] = resolved
    return resolved
  }

  /// Prices one record at `resolved`, the ``rates(provider:model:tier:time:)`` of its provider, raw
  /// model, tier and day.
  package func price(
    _ resolved: Resolved, provider: Provider, model raw: String, tier: Tier, time: Int64, tokens: TokenCounts,
    totalInput: Int64
  ) -> PriceQuote {
    guard let canonical = resolved.canonical else {
      return PriceQuote(
        canonicalModel: nil, cost: nil, rows: [],
        unpricedReason: raw.isEmpty
          ? "the usage names no model, so its cost is unknown: export it grouped by model (OpenAI's usage API:"
            + " group_by=model; Anthropic's: group_by[]=model)"
          : PriceModifiers.reportsNoUsage(raw)
            ? "the call's log reports no token usage, so its cost is unknown (for a streamed OpenAI call traced by"
              + " OpenTelemetry, ask for stream_options.include_usage)"
            : PriceModifiers.hasAudio(raw)
              ? "the call's usage includes audio tokens, whose rates are not those of text: add price rows (or an"
                + " alias) for model \"\(raw)\" to price its tokens"
              : "no alias or price for model \"\(raw)\"")
    }
    var cost = Money.zero
    var used: [Int] = []
    var parts: [PriceQuote.Part] = []
    // One allocation each: grown by append, they were reallocated once or twice per call.
    used.reserveCapacity(TokenClass.allCases.count)
    parts.reserveCapacity(TokenClass.allCases.count)
    for (ci, c) in TokenClass.allCases.enumerated() {
      let units = tokens[c]
      guard units != 0 else { continue }
      guard let hit = resolved.perClass[ci].first(where: { $0.min <= totalInput }) else {
        return PriceQuote(
          canonicalModel: canonical, cost: nil, rows: [],
          unpricedReason:
            "no \(c.rawValue) rate for \(provider.rawValue)/\(canonical) at tier \(tier.rawValue) on \(Timestamp.day(time))"
        )
      }
      let classCost = Money(units: units, at: hit.rate)
      cost += classCost
      used.append(hit.row)
      parts.append(PriceQuote.Part(tokenClass: c, units: units, row: hit.row, cost: classCost))
    }
    return PriceQuote(canonicalModel: canonical, cost: cost, rows: used, unpricedReason: nil, parts: parts)
  }

  /// The least total input a call pays the long-context rate at, for this model, tier and day (the
  /// smallest positive `min_input_tokens` of its rows); nil when it has none.
  package func longContextThreshold(provider: Provider, model raw: String, tier: Tier, time: Int64) -> Int64? {
    rates(provider: provider, model: raw, tier: tier, time: time).perClass.joined().map(\.min).filter { $0 > 0 }.min()
  }

  /// Whether a report row of `requests` calls, with no `context_window`, holds more input than
  /// that many calls can hold below the long-context threshold: at least one of them was billed
  /// above it, though SPEC §5.3 prices such a row at the base rate (a trial's OpenAI row of 2 calls
  /// and 600,000 input tokens for gpt-5.4, threshold 272,001, charged $1.53 where any split of it
  /// costs $2.35 or more).
  package func averagesPastLongContext(_ r: UsageRecord) -> Bool {
    guard r.level == .report, r.contextWindow == nil, r.requests > 0,
      let threshold = longContextThreshold(provider: r.provider, model: r.model, tier: r.tier, time: r.time)
    else { return false }
    let (room, overflow) = r.requests.multipliedReportingOverflow(by: threshold - 1)
    return !overflow && r.tokens.totalInput > room
  }

  /// The total input that chooses a record's long-context rate: request level, the call's own
  /// (uncached + cache read + cache writes); report level, the lower bound of `context_window`
  /// (`200k-1M` → 200,001), else 0 (an hourly sum says nothing about one call's size).
  package static func inputForTier(level: SourceLevel, tokens: TokenCounts, contextWindow: String?) -> Int64 {
    if level == .request { return tokens.totalInput }
    guard let w = contextWindow, let dash = w.firstIndex(of: "-") else { return 0 }
    let lower = parseCount(String(w[..<dash]))
    return lower > 0 && lower < Int64.max ? lower + 1 : 0
  }

  /// `200k` → 200,000; `1M` → 1,000,000; `0` → 0; text that is no count, or one beyond 64 bits
  /// (a report's `context_window` is input), → 0.
  static func parseCount(_ s: String) -> Int64 {
    let t = s.trimmingCharacters(in: .blanks).lowercased()
    func scaled(_ v: Int64, _ by: Int64) -> Int64 {
      let (p, overflow) = v.multipliedReportingOverflow(by: by)
      return overflow ? 0 : p
    }
    if t.hasSuffix("k"), let v = Int64(t.dropLast()) { return scaled(v, 1000) }
    if t.hasSuffix("m"), let v = Int64(t.dropLast()) { return scaled(v, 1_000_000) }
    return Int64(t) ?? 0
  }

  private func resolve(_ key: CacheKey, time: Int64) -> Resolved {
    // A call of unknown usage has no price, whatever alias names it: it would be charged $0.
    guard !PriceModifiers.reportsNoUsage(key.model), let canonical = canonicalModel(key.provider, key.model) else {
      return Resolved(canonical: nil, perClass: [])
    }
    var perClass = Array(repeating: [(min: Int64, rate: Rate, row: Int)](), count: TokenClass.allCases.count)
    for i in table.rowIndices(provider: key.provider, model: canonical) {
      let r = table.rows[i]
      guard r.tier == key.tier, r.covers(time) else { continue }
      perClass[r.usageType.rank].append((r.minInputTokens, r.rate, i))
    }
    for i in perClass.indices { perClass[i].sort { $0.min > $1.min } }
    return Resolved(canonical: canonical, perClass: perClass)
  }
}
