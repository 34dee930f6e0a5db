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
    /// True when `model` is a name this type gives a cell that is no model (a bill's line without
    /// one, web searches, an idle fee): a usage model spelled `(web search)` stays a model.
    var label = false

    static func < (a: Self, b: Self) -> Bool {
      (a.provider.rawValue, a.day, a.model, a.label ? 1 : 0) < (b.provider.rawValue, b.day, b.model, b.label ? 1 : 0)
    }
  }

  private let canonical: CanonicalModels
  private var billed: [Key: Money] = [:]
  private var computed: [Key: Money] = [:]
  /// The web searches' part of ``computed``, per cell: a bill that charges web search on lines of
  /// its own, without a model (OpenAI's `web search tool calls`, Anthropic's `web_search` cost
  /// type), is compared with them in a cell of their own (``webSearchCell``), not with the models'.
  private var computedWebSearch: [Key: Money] = [:]
  /// The model column of the web-search cell, billed and computed.
  static let webSearchCell = "(web search)"
  /// The model column of a bill's line that names neither a model nor a line item (OpenAI's costs
  /// fetched without `group_by=line_item`: one amount a day).
  static let ungroupedCell = "(other)"
  /// The model column of a day whose bill is not split by line: everything computed that day,
  /// against the day's bill.
  static let dayTotalCell = "(day total)"
  /// The start of the model column of a provisioned commitment's idle fee (`idle <commitment id>`).
  static let idlePrefix = "idle "
  /// Computed (list) cost of calls under a commitment, per commitment and cell, so that a
  /// provisioned fee can be put on them once the period is summed.
  private var committed: [String: [Key: Money]] = [:]

  init(prices: PriceTable) { canonical = CanonicalModels(prices: prices) }

  /// The first and last UTC day each file of a provider's bill has a row of (by file id): a bill
  /// without pages (an Azure or GCP export file) covers those days.
  private var billedFileDays: [Provider: [Int64: (first: Int64, last: Int64)]] = [:]

  /// Adds a cost-level row, of the file `file` (the store's id; -1 when not known).
  mutating func addBilled(_ r: UsageRecord, file: Int64 = -1) {
    guard let amount = r.billed else { return }
    let day = Self.day(r.time)
    let seen = billedFileDays[r.provider]?[file]
    billedFileDays[r.provider, default: [:]][file] = (min(seen?.first ?? day, day), max(seen?.last ?? day, day))
    // An Anthropic cost row loaded before it was given no line item when it names none kept the
    // made-up `cost` (its file is not read again): it is the day's whole bill all the same.
    let lineItem = r.provider == .anthropic && r.model.isEmpty && r.lineItem == "cost" ? nil : r.lineItem
    let model =
      !r.model.isEmpty
      ? canonical(r.provider, r.model)
      : Self.isWebSearch(lineItem) ? Self.webSearchCell : lineItem.map { "(\($0))" } ?? Self.ungroupedCell
    billed[Key(provider: r.provider, day: Self.day(r.time), model: model, label: r.model.isEmpty), default: .zero] +=
      amount
  }

  /// Adds a charged record's computed cost (nil when unpriced: nothing to compare).
  ///
  /// The cost is the effective cost: list less a discount. Calls of a provisioned commitment come at
  /// list and are scaled to the fee by ``applyProvisioned(_:period:)`` after the pass.
  ///
  /// `webSearch` is the part of `cost` that prices web searches.
  mutating func addComputed(
    _ r: UsageRecord, model: String, cost: Money?, commitmentID: String? = nil, webSearch: Money = .zero
  ) {
    guard let cost else { return }
    let key = Key(provider: r.provider, day: Self.day(r.time), model: model)
    computed[key, default: .zero] += cost
    if webSearch != .zero { computedWebSearch[key, default: .zero] += webSearch }
    if let commitmentID { committed[commitmentID, default: [:]][key, default: .zero] += cost }
  }

  /// Compares effective cost with the bill (SPEC §12): each over-used provisioned commitment's fee
  /// is split over its cells by list (largest remainder), and an idle fee is a cell of its own
  /// (model `idle <commitment id>`) on the first day the commitment is in effect in the period.
  mutating func applyProvisioned(_ uses: [CommitmentUse], period: Period) {
    for u in uses where u.commitment.kind == .provisioned {
      let cells = (committed[u.commitment.id] ?? [:]).sorted { $0.key < $1.key }
      if u.list > u.fee {
        for ((key, list), part) in zip(cells, Apportion.split(u.fee.pico, weights: cells.map { $0.value.pico })) {
          computed[key, default: .zero] += Money(pico: part) - list
        }
      }
      if u.idle.pico > 0 {
        let first = max(u.commitment.from ?? period.startMillis, period.startMillis)
        let key = Key(
          provider: u.commitment.provider, day: Self.day(first), model: Self.idlePrefix + u.commitment.id, label: true)
        computed[key, default: .zero] += u.idle
      }
    }
  }

  /// One row per provider, day and model seen on either side, for providers with a cost report,
  /// on the days their cost report covers; and the days of computed cost it does not cover.
  ///
  /// `billedSpans` is what each provider's cost pages span (their buckets' start and end, UTC ms):
  /// a day no span meets has no bill loaded, and a row for it read as "billed $0", a variance that
  /// does not exist (a trial: costs pages of October 2–3 and usage of the 9th). Those days are
  /// left out of the comparison and named apart (`unbilled`, per provider: `YYYY-MM-DD`, sorted).
  /// A provider with a cost report but no spans (cost rows from no page: export files) covers, in
  /// each file, the days from its first billed day to its last.
  func rows(billedSpans: [Provider: [(start: Int64, end: Int64)]] = [:]) -> (
    rows: [ReconciliationRow], unbilled: [Provider: [String]]
  ) {
    let providers = Set(billed.keys.map(\.provider))
    guard !providers.isEmpty else { return ([], [:]) }
    // The web searches of a provider whose bill has a web-search line go to that cell of their day.
    var computed = computed
    let searchBilled = Set(billed.keys.filter { $0.label && $0.model == Self.webSearchCell }.map(\.provider))
    for (key, amount) in computedWebSearch where searchBilled.contains(key.provider) {
      computed[key, default: .zero] = computed[key, default: .zero] - amount
      computed[Key(provider: key.provider, day: key.day, model: Self.webSearchCell, label: true), default: .zero] +=
        amount
    }
    // A day whose bill is one amount without a line item (costs fetched without
    // `group_by=line_item`) is compared as one cell: model by model, each read "billed 0" and the
    // bill "computed 0, −100 %" (a trial).
    var billed = billed
    let ungrouped = Dictionary(grouping: billed.keys) { BilledDay(provider: $0.provider, day: $0.day) }
      .filter { $0.value.allSatisfy { $0.label && $0.model == Self.ungroupedCell } }
    for (day, keys) in ungrouped {
      let total = Key(provider: day.provider, day: day.day, model: Self.dayTotalCell, label: true)
      for k in keys { billed[total, default: .zero] += billed.removeValue(forKey: k) ?? .zero }
      // Not a provisioned idle fee: put on the commitment's first day by convention, it is no
      // part of that day's bill (a review).
      for k in computed.keys
      where k.provider == day.provider && k.day == day.day && !(k.label && k.model.hasPrefix(Self.idlePrefix)) {
        computed[total, default: .zero] += computed.removeValue(forKey: k) ?? .zero
      }
    }
    // A day with a billed cell of the provider is covered whatever the spans say (its file's pages
    // may not be kept: a file moved since it was loaded), and so is a fee's cell (`idle …`): the
    // fee is put on the commitment's first day by convention, which may be before the bill's.
    let billedDays = Set(billed.keys.map { BilledDay(provider: $0.provider, day: $0.day) })
    // A provider whose bill has no pages (a cost export file: Azure's, GCP's) covers, in each of
    // its files, the days from the file's first billed day to its last: an export made on the 20th
    // showed every later day of usage as billed $0 (−100 %), a variance that does not exist; and
    // two exports, of the 1st to the 5th and of the 15th to the 20th, cover nothing between them
    // (a review). A day within a file's days with no row is compared (billed $0): it covers it.
    var billedSpans = billedSpans
    for provider in providers where (billedSpans[provider] ?? []).isEmpty {
      billedSpans[provider] = (billedFileDays[provider] ?? [:]).values.map {
        ($0.first * Timestamp.millisPerDay, ($0.last + 1) * Timestamp.millisPerDay)
      }
    }
    func covered(_ k: Key) -> Bool {
      let fee = k.label && k.model.hasPrefix(Self.idlePrefix)
      guard !fee, let spans = billedSpans[k.provider], !spans.isEmpty,
        !billedDays.contains(BilledDay(provider: k.provider, day: k.day))
      else { return true }
      let (from, to) = (k.day * Timestamp.millisPerDay, (k.day + 1) * Timestamp.millisPerDay)
      return spans.contains { $0.start < to && $0.end > from }
    }
    var unbilled: [Provider: Set<String>] = [:]
    var keys = Set(billed.keys)
    for (k, amount) in computed where providers.contains(k.provider) && billed[k] == nil {
      if covered(k) {
        keys.insert(k)
      } else if amount != .zero {
        unbilled[k.provider, default: []].insert(Timestamp.day(k.day * Timestamp.millisPerDay))
      }
    }
    let rows = keys.sorted().map { k in
      ReconciliationRow(
        provider: k.provider, day: Timestamp.day(k.day * Timestamp.millisPerDay), model: k.model,
        computed: computed[k] ?? .zero, billed: billed[k] ?? .zero, modelIsLabel: k.label)
    }
    return (rows, unbilled.mapValues { $0.sorted() })
  }

  private struct BilledDay: Hashable {
    var provider: Provider
    var day: Int64
  }

  /// What the cost pages among `pages` span, per provider (``rows(billedSpans:)``).
  static func billedSpans(_ pages: [StoredPage]) -> [Provider: [(start: Int64, end: Int64)]] {
    var spans: [Provider: [(start: Int64, end: Int64)]] = [:]
    for p in pages where ExportPage.isCostFormat(p.format) {
      guard let start = p.page.start, let end = p.page.end,
        let provider = Provider(rawValue: ExportPage.provider(of: p.format))
      else { continue }
      spans[provider, default: []].append((start, end))
    }
    return spans
  }

  private static func day(_ t: Int64) -> Int64 { Timestamp.floorDiv(t, Timestamp.millisPerDay) }

  /// True for a model-less cost line of web searches (`web search tool calls`, `web_search`,
  /// `Web Search`).
  static func isWebSearch(_ lineItem: String?) -> Bool {
    guard let item = lineItem?.lowercased() else { return false }
    return item.replacingOccurrences(of: "_", with: " ").contains("web search")
  }
}
