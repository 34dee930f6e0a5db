import ChargebackModel
import ChargebackPricing
import ChargebackStore

/// The bucket-width rule (docs/formats.md, "Report rows at several bucket widths"): usage that a
/// report exports twice, at two bucket widths (a day as `1h` buckets, and again as one `1d`
/// bucket), is charged once, from the finest rows.
///
/// A *group* is provider, credential (else project), canonical model (else the raw name), tier
/// and context window. Within a group, a report row whose bucket contains a bucket of a finer
/// width is *superseded*: it is not charged. The rows charged in its place are the finest rows
/// within it: those whose bucket contains no finer bucket. A bucket with no usage has no row, so
/// the rows alone cannot tell an hour missing from an hourly export from an idle hour; the pages
/// the finer rows came in can (``ExportPage``: the APIs return empty buckets too). When the store
/// holds pages of the provider's usage with finer buckets over part of the coarse bucket's time
/// but not all of it (an hourly page fetched at noon beside the whole day's daily row), the
/// coarse row is charged instead and the finer rows within it are not (a trial had lost the
/// afternoon). With no such page (rows loaded before the store kept pages, whose files are gone
/// since) the finer rows are charged, as before: what the coarse row counts beyond them shows as
/// a difference. Each such bucket becomes one ``GranularityRow`` for the reconciliation: the
/// coarse rows against the finest rows within them, per token class and in cost, and which side
/// was charged.
///
/// Untouched: rows without a bucket end, groups with one width, and rows whose bucket neither
/// contains nor lies within a bucket of another width.
///
/// The rule runs before the overlap rule: superseded rows never reach ``Overlap``, so request logs
/// are compared with the finest report rows only.
///
/// Deterministic: the plan depends only on the set of buckets, read in a fixed order.
///
/// Memory: the plan holds the superseded buckets and the finest buckets within them; building it
/// holds the distinct buckets of one provider × credential × tier × context window at a time.
final class BucketWidths {
  /// The values that group report rows.
  struct Group: Hashable {
    var provider: Provider
    var subject: String
    var model: String
    var tier: Tier
    var contextWindow: String?
  }

  /// One bucket of one group.
  struct Bucket: Hashable {
    var group: Group
    var start: Int64
    var end: Int64
  }

  /// What the rule says of one report row.
  enum Role {
    /// Not concerned: charge as usual.
    case untouched
    /// A coarse row with finer rows within it: not charged; counted in this entry.
    case superseded(Int)
    /// One of the finest rows within these coarse buckets: charged, and counted in their entries.
    case finest([Int])
    /// A coarse row whose finer pages cover only part of its time: charged; counted in this entry,
    /// and as one of the finest rows of these coarser entries (a day superseded by its hours, one
    /// of which is charged whole over its minutes).
    case chargedCoarse(Int, finestOf: [Int])
    /// A finer row within such a coarse bucket: not charged; counted in this entry.
    case dropped(Int)
  }

  /// One side of an entry: rows, tokens and cost.
  private struct Side {
    var rows: Int64 = 0
    var tokens = TokenTotals()
    var cost = Money.zero
    var unpriced = false

    mutating func add(_ r: UsageRecord, cost: Money?) {
      rows += 1
      tokens += r.tokens
      if let cost { self.cost += cost } else { unpriced = true }
    }
  }

  /// A superseded bucket and what was seen on either side of it.
  private struct Entry {
    var bucket: Bucket
    var coarse = Side()
    var finer = Side()
    /// True when the coarse side is charged (its finer pages cover only part of its time).
    var coarseCharged = false
  }

  /// Grouping key of the scan: a group before its model is made canonical.
  private struct Prefix: Equatable {
    var provider: Provider
    var subject: String
    var tier: Tier
    var contextWindow: String?
  }

  private let canonical: CanonicalModels
  private var entries: [Entry] = []
  private var superseded: [Bucket: Int] = [:]
  private var finest: [Bucket: [Int]] = [:]
  private var chargedCoarse: [Bucket: Int] = [:]
  private var dropped: [Bucket: Int] = [:]
  /// Per format, the spans of the kept pages, with their narrowest bucket: looked up by the finer
  /// rows' formats (usage reports: a cost report's pages are never asked) and `empty-<provider>`.
  private var pages: [String: [(start: Int64, end: Int64, width: Int64)]] = [:]
  /// The formats the rows of each bucket came from, for the group being planned.
  private var formats: [Group: [Span: Set<String>]] = [:]
  /// The end of the planned range (`to`).
  private var rangeEnd: Int64 = .max

  /// Plans the rule over the report rows that start in `[from, to)`.
  init(store: any ChargebackStore, from: Int64, to: Int64, canonical: CanonicalModels) throws {
    self.canonical = canonical
    // No usage report in the store: nothing to plan, and the scan is skipped.
    guard try store.fileCount(level: .report) > 0 else { return }
    rangeEnd = to
    for p in try store.exportPages() {
      // The pages that meet a bucket starting in the range (a day wide at most).
      guard let start = p.page.start, let end = p.page.end, let width = p.page.bucketWidth, end > from,
        start < to + UsageStore.widestBucket
      else { continue }
      pages[p.format, default: []].append((start, end, width))
    }
    var prefix: Prefix?
    var spans: [Group: [Span]] = [:]
    try store.reportBuckets(from: from, to: to) { b in
      let p = Prefix(provider: b.provider, subject: b.subject, tier: b.tier, contextWindow: b.contextWindow)
      if p != prefix {
        plan(spans)
        (spans, formats) = ([:], [:])
        prefix = p
      }
      let g = Group(
        provider: b.provider, subject: b.subject, model: canonical(b.provider, b.model), tier: b.tier,
        contextWindow: b.contextWindow)
      spans[g, default: []].append(Span(start: b.start, end: b.end))
      formats[g, default: [:]][Span(start: b.start, end: b.end), default: []].insert(b.format)
    }
    plan(spans)
    formats = [:]
  }

  /// True when no row of the range is superseded, so the pass need not ask.
  var isEmpty: Bool { superseded.isEmpty && dropped.isEmpty && chargedCoarse.isEmpty }

  /// Report rows left uncharged so far (the coarse side, or the finer one where the coarse is charged).
  var supersededRows: Int64 { entries.reduce(0) { $0 + ($1.coarseCharged ? $1.finer.rows : $1.coarse.rows) } }

  /// What the kept pages with buckets narrower than `span` say of its time.
  ///
  /// The pages are those of `formats` (the finer rows' own: an embeddings fetch says nothing of the
  /// completions) and the provider's pages of empty buckets. Nil when none of them meets it
  /// (nothing known: the finer rows are charged), true when they cover all of it, false when only
  /// part. Pages are taken to hold every group of their query: a query filtered to some projects
  /// or keys covers the others' time too.
  private func finerPagesCover(_ formats: Set<String>, _ provider: Provider, _ span: Span) -> Bool? {
    let kept = (formats.sorted() + ["empty-" + provider.rawValue]).flatMap { pages[$0] ?? [] }
    let meeting = kept.filter { $0.width < span.width && $0.end > span.start && $0.start < span.end }
      .sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    guard !meeting.isEmpty else { return nil }
    var covered = span.start
    for p in meeting {
      if p.start > covered { return false }
      covered = max(covered, p.end)
      if covered >= span.end { return true }
    }
    return false
  }

  /// The rule's verdict on one record.
  func role(of r: UsageRecord) -> Role {
    guard !isEmpty, r.level == .report, let end = r.bucketEnd else { return .untouched }
    let key = Bucket(group: group(of: r), start: r.time, end: end)
    if let e = dropped[key] { return .dropped(e) }
    if let e = chargedCoarse[key] { return .chargedCoarse(e, finestOf: finest[key] ?? []) }
    if let e = superseded[key] { return .superseded(e) }
    if let es = finest[key] { return .finest(es) }
    return .untouched
  }

  /// Counts a superseded row and its cost (nil when unpriced).
  func addCoarse(_ entry: Int, _ r: UsageRecord, cost: Money?) {
    entries[entry].coarse.add(r, cost: cost)
  }

  /// Counts one of the finest rows in each coarse bucket that contains it.
  func addFiner(_ coarse: [Int], _ r: UsageRecord, cost: Money?) {
    for e in coarse { entries[e].finer.add(r, cost: cost) }
  }

  /// One row per superseded bucket, sorted by provider, start, model, credential, tier, context
  /// window and end.
  func rows() -> [GranularityRow] {
    entries.map { e in
      let b = e.bucket
      return GranularityRow(
        provider: b.group.provider, day: Timestamp.day(b.start), model: b.group.model, credential: b.group.subject,
        tier: b.group.tier, contextWindow: b.group.contextWindow, bucketStart: b.start, bucketEnd: b.end,
        coarseRows: e.coarse.rows, finerRows: e.finer.rows, coarseTokens: e.coarse.tokens,
        finerTokens: e.finer.tokens, coarseCost: e.coarse.unpriced ? nil : e.coarse.cost,
        finerCost: e.finer.unpriced ? nil : e.finer.cost, coarseCharged: e.coarseCharged)
    }
    .sorted {
      let a = ($0.provider.rawValue, $0.bucketStart, $0.model, $0.credential, $0.tier.rawValue)
      let b = ($1.provider.rawValue, $1.bucketStart, $1.model, $1.credential, $1.tier.rawValue)
      if a != b { return a < b }
      return ($0.contextWindow ?? "", $0.bucketEnd) < ($1.contextWindow ?? "", $1.bucketEnd)
    }
  }

  private func group(of r: UsageRecord) -> Group {
    let window = r.contextWindow.flatMap { $0.isEmpty ? nil : $0 }
    return Group(
      provider: r.provider, subject: ReportBucket.subject(of: r), model: canonical(r.provider, r.model), tier: r.tier,
      contextWindow: window)
  }

  /// A bucket's time, end exclusive.
  private struct Span: Hashable, Comparable {
    var start: Int64
    var end: Int64
    var width: Int64 { end - start }

    static func < (a: Self, b: Self) -> Bool { (a.start, a.end) < (b.start, b.end) }
  }

  /// Finds the superseded buckets of each group of one prefix, and the finest buckets within them.
  ///
  /// - Complexity: O(b log b) per group of b buckets when buckets nest (each is contained in at
  ///   most one bucket of each coarser width).
  private func plan(_ groups: [Group: [Span]]) {
    // Groups in a fixed order, so entry numbers do not depend on hashing.
    let ordered = groups.sorted { ($0.key.model) < ($1.key.model) }
    for (group, all) in ordered {
      // Cut buckets inside a whole one are the whole one's usage in part: out of the rule, dropped
      // once it has run (``dropCut(_:in:of:)``).
      let (spans, cut) = Self.separateCut(Array(Set(all)).sorted())
      defer { dropCut(cut, in: spans, of: group) }
      guard Set(spans.map(\.width)).count > 1 else { continue }
      // For each bucket, the finer buckets within it: they start inside it (a binary search on
      // the sorted starts) and end inside it.
      var within: [[Int]] = Array(repeating: [], count: spans.count)
      for (i, s) in spans.enumerated() {
        var lo = 0
        var hi = spans.count
        while lo < hi {
          let mid = (lo + hi) / 2
          if spans[mid].start < s.start { lo = mid + 1 } else { hi = mid }
        }
        var j = lo
        while j < spans.count, spans[j].start < s.end {
          if j != i, spans[j].end <= s.end, spans[j].width < s.width { within[i].append(j) }
          j += 1
        }
      }
      // First the coarse buckets charged whole, widest first: each takes every bucket within it
      // out of the rule. One that crosses the range's end is never one (its finer rows after the
      // end are the next range's, charged there).
      let widestFirst = spans.indices.sorted {
        (spans[$0].width, spans[$1].start) > (spans[$1].width, spans[$0].start)
      }
      var taken = Set<Int>()
      var whole = Set<Int>()
      for i in widestFirst where !within[i].isEmpty && !taken.contains(i) {
        let s = spans[i]
        let finer = within[i].reduce(into: Set<String>()) { $0.formUnion(formats[group]?[spans[$1]] ?? []) }
        guard s.end <= rangeEnd, finerPagesCover(finer, group.provider, s) == false else { continue }
        let bucket = Bucket(group: group, start: s.start, end: s.end)
        whole.insert(i)
        chargedCoarse[bucket] = entries.count
        entries.append(Entry(bucket: bucket, coarseCharged: true))
        for j in within[i] {
          taken.insert(j)
          dropped[Bucket(group: group, start: spans[j].start, end: spans[j].end)] = chargedCoarse[bucket]
        }
      }
      // Then the others: superseded by the finest charged rows within them (rows with nothing
      // finer within them, or charged whole), never by a row taken out of the rule.
      for i in widestFirst where !within[i].isEmpty && !taken.contains(i) && !whole.contains(i) {
        let s = spans[i]
        let bucket = Bucket(group: group, start: s.start, end: s.end)
        superseded[bucket] = entries.count
        for j in within[i] where !taken.contains(j) && (within[j].isEmpty || whole.contains(j)) {
          finest[Bucket(group: group, start: spans[j].start, end: spans[j].end), default: []].append(entries.count)
        }
        entries.append(Entry(bucket: bucket))
      }
    }
  }

  /// The widths the APIs cut their buckets at (`1m`, `1h`, `1d`), in ms.
  private static let wholeWidths: Set<Int64> = [60_000, 3_600_000, 86_400_000]

  /// Whether a bucket is one the API cut at the query's start or end (the cookbook's week fetched
  /// at 17:31 begins and ends with such buckets): not a whole `1m`, `1h` or `1d` from its width's
  /// UTC boundary.
  private static func isCut(_ s: Span) -> Bool {
    !wholeWidths.contains(s.width) || s.start % s.width != 0
  }

  /// The widest whole bucket of `whole` that holds `s`, looked up by its UTC boundary (whole
  /// buckets start at a multiple of their width): O(1) a bucket.
  private static func wholeAround(_ s: Span, in whole: Set<Span>) -> Span? {
    for width in wholeWidths.sorted(by: >) where width > s.width {
      let w = Span(start: s.start - ((s.start % width) + width) % width, end: 0)
      let around = Span(start: w.start, end: w.start + width)
      if s.end <= around.end, whole.contains(around) { return around }
    }
    return nil
  }

  /// `spans` (sorted) without the cut buckets that lie inside a wider whole bucket with no whole
  /// bucket finer than it within it, and those.
  ///
  /// A day cut at 17:31 beside the same day whole was taken for a finer width and charged instead
  /// of it, losing the evening (a trial: 75 of 100 requests); it is the same usage in part. Where
  /// whole finer buckets lie in the whole one too (its hours), the cut buckets stay in the rule, as
  /// finest rows where nothing finer covers them: dropped, an hour cut at a fetch's 17:31 beside
  /// hours that stop at 17:00 lost its half hour (a review).
  private static func separateCut(_ spans: [Span]) -> (kept: [Span], cut: [Span]) {
    let whole = Set(spans.filter { !isCut($0) })
    // The whole buckets that hold a whole finer one.
    var holding = Set<Span>()
    for s in whole { if let w = wholeAround(s, in: whole) { holding.insert(w) } }
    var kept: [Span] = []
    var cut: [Span] = []
    for s in spans {
      if isCut(s), let w = wholeAround(s, in: whole), !holding.contains(w) { cut.append(s) } else { kept.append(s) }
    }
    return (kept, cut)
  }

  /// Drops each cut bucket against the widest whole bucket of `spans` it lies in: that bucket's
  /// entry when the rule has one (it is charged whole, or dropped itself within a coarser bucket
  /// charged whole), else a new entry that charges it whole; the cut bucket's rows are its finer
  /// side, never charged.
  private func dropCut(_ cut: [Span], in spans: [Span], of group: Group) {
    let whole = Set(spans.filter { !Self.isCut($0) })
    for c in cut {
      guard let w = Self.wholeAround(c, in: whole) else { continue }
      let bucket = Bucket(group: group, start: w.start, end: w.end)
      let entry: Int
      if let e = chargedCoarse[bucket] ?? dropped[bucket] {
        entry = e
      } else {
        entry = entries.count
        chargedCoarse[bucket] = entry
        entries.append(Entry(bucket: bucket, coarseCharged: true))
      }
      dropped[Bucket(group: group, start: c.start, end: c.end)] = entry
    }
  }
}
