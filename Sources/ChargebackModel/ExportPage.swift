/// One API page of a bucketed export (OpenAI usage and costs, Anthropic usage and cost reports):
/// the time its buckets cover and whether the API said that more pages follow.
///
/// The APIs page by buckets (`limit`: 7 daily buckets by default) and return the empty ones too, so
/// the page after one that says `has_more: true` starts where its last bucket ended. A month fetched
/// with the defaults and saved from the first response holds its first week only: the check
/// (``ExportPage/gaps(_:period:)``) finds the pages no loaded page continues.
package struct ExportPage: Sendable, Hashable {
  /// 0-based position of the page in its file (a file may hold an array of pages, or appended pages).
  package var index: Int
  /// Start of its earliest bucket, UTC epoch ms; nil when it holds no bucket.
  package var start: Int64?
  /// End of its latest bucket, UTC epoch ms; nil when it holds no bucket or its buckets give no end.
  package var end: Int64?
  /// Its narrowest bucket, UTC ms (an hour for a page of `1h` buckets); nil when it holds no
  /// bucket with both ends.
  package var bucketWidth: Int64?
  /// `has_more` as the page says it.
  package var hasMore: Bool
  /// `next_page`, the cursor of the page that follows.
  package var nextPage: String?

  package init(
    index: Int, start: Int64?, end: Int64?, bucketWidth: Int64? = nil, hasMore: Bool, nextPage: String?
  ) {
    self.index = index
    self.start = start
    self.end = end
    self.bucketWidth = bucketWidth
    self.hasMore = hasMore
    self.nextPage = nextPage
  }
}

/// A page of an API that numbers its pages (LiteLLM's `/spend/logs/v2`: `page`, `total_pages`,
/// `total` rows, `page_size`), kept as ``ExportPage/nextPage``'s text: such an API has no cursor,
/// and the page's own number and its query's size say which page follows.
package struct NumberedPage: Sendable, Hashable {
  package var number: Int
  package var count: Int
  /// The query's rows in all and a page's, when the page says.
  package var rows: Int?
  package var size: Int?

  package init(number: Int, count: Int, rows: Int?, size: Int?) {
    self.number = number
    self.count = count
    self.rows = rows
    self.size = size
  }

  /// `page 1 of 3 (21 rows, 10 a page)`.
  package var text: String {
    let query = [rows.map { "\($0) rows" }, size.map { "\($0) a page" }].compactMap { $0 }
    return "page \(number) of \(count)" + (query.isEmpty ? "" : " (" + query.joined(separator: ", ") + ")")
  }

  /// The page `text` describes; nil for any other text (a cursor).
  package init?(text: String) {
    let words = text.split(separator: " ")
    guard words.count >= 4, words[0] == "page", words[2] == "of", let n = Int(words[1]), let c = Int(words[3]) else {
      return nil
    }
    (number, count, rows, size) = (n, c, nil, nil)
    // "(21", "rows,", "10", "a", "page)": a number before "rows" or before "a page".
    let rest = words.dropFirst(4).map { $0.filter { $0 != "(" && $0 != ")" && $0 != "," } }
    for (i, word) in rest.enumerated() {
      guard let v = Int(word), i + 1 < rest.count else { continue }
      if rest[i + 1] == "rows" { rows = v }
      if rest[i + 1] == "a" { size = v }
    }
    // Only the text ``text`` writes: a cursor that happens to read so is not taken for one.
    guard text == self.text else { return nil }
  }

  /// The next page of the same query.
  package var next: NumberedPage { NumberedPage(number: number + 1, count: count, rows: rows, size: size) }

  /// Its number and page size: what a page of the same query fetched later still shares.
  var place: String { "\(number) \(size.map(String.init) ?? "-")" }
}

/// A page as the store keeps it: with the file and format it came from.
package struct StoredPage: Sendable, Hashable {
  package var page: ExportPage
  /// The format id of its file (`openai-usage-completions`): pages continue pages of their format only.
  package var format: String
  /// The file's path as it was loaded.
  package var path: String
  /// The SHA-256 of the file's bytes (hex).
  package var sha256: String

  package init(page: ExportPage, format: String, path: String, sha256: String = "") {
    self.page = page
    self.format = format
    self.path = path
    self.sha256 = sha256
  }
}

/// A page that says more pages follow, none of which the store holds: the usage after it is missing.
package struct MissingPages: Sendable, Hashable {
  /// The page that says `has_more: true`.
  package var after: StoredPage
  /// Where the missing usage starts: the end of that page's last bucket.
  package var from: Int64 { after.page.end ?? 0 }

  package init(after: StoredPage) { self.after = after }

  /// What the user should know and do, in one sentence.
  package var message: String {
    let page = after.page
    if let numbered = page.nextPage.flatMap(NumberedPage.init(text:)) {
      let left = numbered.rows.flatMap { rows in numbered.size.map { max(0, rows - numbered.number * $0) } }
      return "\(ExportPage.noun(of: after.format)) stop at \(numbered.text): \(after.path) is followed by"
        + " no loaded page \(numbered.next.number), so "
        + (left.map { "up to \($0) call\($0 == 1 ? "" : "s") of its query \($0 == 1 ? "is" : "are")" }
          ?? "the calls of its later pages are")
        + " not in this chargeback; fetch pages \(numbered.number + 1) to \(numbered.count) (page=\(numbered.number + 1)) and"
        + " load them"
    }
    let place = "\(after.path)" + (page.index > 0 ? " (page \(page.index + 1) in the file)" : "")
    let cursor = page.nextPage.map { " (next_page \(Self.shortened($0)))" } ?? ""
    // A cost report's pages are the provider's bill, which is reconciled, never charged.
    let lost =
      ExportPage.isCostFormat(after.format)
      ? "the provider's bill from then on is not in the reconciliation"
      : after.format.hasPrefix("empty-")
        ? "usage or billing from then on may be missing" : "usage from then on is not in this chargeback"
    return "\(ExportPage.noun(of: after.format)) stop at \(fromText): \(place) says has_more: true\(cursor)"
      + " and no loaded page covers the time after it, so \(lost); fetch the"
      + " next pages (page=<next_page>, or a larger limit) and load them"
  }

  /// Where the missing usage starts, as a day when it is midnight UTC (daily buckets), else the
  /// instant (`2026-11-08`, `2026-11-05T12:00:00Z`).
  package var fromText: String {
    Timestamp.floorDiv(from, 86_400_000) * 86_400_000 == from ? Timestamp.day(from) : Timestamp.iso(from)
  }

  /// A cursor cut to 40 characters: it is an opaque token, shown to tell pages apart (the console
  /// escapes what it prints).
  static func shortened(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "…" : s }
}

extension ExportPage {
  /// The pages of `pages` that say more follow, whose continuation is in none of them, and whose
  /// last bucket ends inside `period` (a page that ends before it may well be another month's
  /// last; one that ends after it leaves nothing of the period out), in path and page order.
  ///
  /// A page is continued when another page of its format covers the instant its last bucket ends
  /// (starts at or before it, ends after it): the next page of the same query does, and so does
  /// any other loaded export of that time. A page of empty buckets (format `empty-<provider>`:
  /// nothing says its endpoint) continues a page of any format of its provider only when it starts
  /// at that very instant, as the next page of the same query does: every endpoint of a provider
  /// answers with empty buckets where it has no usage, so an empty page of a month of image usage
  /// (none) fetched whole says nothing of the completions pages after the first week (a trial:
  /// it hid them, and the month was reported complete).
  ///
  /// - Complexity: O(p log p) for p pages with `has_more: true`, O(p × q) at worst against the q
  ///   pages of their format.
  package static func gaps(_ pages: [StoredPage], period: Period) -> [MissingPages] {
    var byFormat: [String: [StoredPage]] = [:]
    for p in pages { byFormat[p.format, default: []].append(p) }
    var missing: [MissingPages] = []
    // The numbered pages of each format, by number and size (made once a format needs them).
    var numberedPages: [String: Set<String>] = [:]
    for p in pages where p.page.hasMore {
      // A page with no bucket cannot be placed in time (the APIs send none such with has_more).
      guard let end = p.page.end, end >= period.startMillis && end < period.endMillis else { continue }
      // A numbered page (``NumberedPage``) is continued by the page of the next number and the
      // same page size: a query fetched up to now counts more rows (and pages) by the time its
      // next page is fetched, so the count and rows are not compared.
      if let numbered = p.page.nextPage.flatMap(NumberedPage.init(text:)) {
        if numberedPages[p.format] == nil {
          numberedPages[p.format] = Set(
            byFormat[p.format, default: []].compactMap { $0.page.nextPage.flatMap(NumberedPage.init(text:))?.place })
        }
        if numberedPages[p.format]?.contains(numbered.next.place) != true { missing.append(MissingPages(after: p)) }
        continue
      }
      // A page of empty buckets of the provider (format `empty-<provider>`) continues any of its
      // formats when it starts where the page ends; one that says more follow is continued by any
      // of them.
      let provider = Self.provider(of: p.format)
      func covers(_ q: StoredPage) -> Bool {
        guard let s = q.page.start, let e = q.page.end else { return false }
        return s <= end && end < e
      }
      let continued =
        p.format.hasPrefix("empty-")
        ? byFormat.filter { Self.provider(of: $0.key) == provider }.values.contains { $0.contains(where: covers) }
        : byFormat[p.format, default: []].contains(where: covers)
          || byFormat["empty-" + provider, default: []].contains { $0.page.start == end && covers($0) }
      if !continued { missing.append(MissingPages(after: p)) }
    }
    // One per format and end: the same page loaded from two files (or one path with two contents)
    // is one gap.
    var seen = Set<String>()
    return missing.sorted { ($0.after.path, $0.after.page.index) < ($1.after.path, $1.after.page.index) }
      .filter { seen.insert("\($0.after.format)\u{0}\($0.from)").inserted }
  }

  /// The provider a page format is of: `openai` for `openai-costs` and `empty-openai`.
  package static func provider(of format: String) -> String {
    let parts = format.split(separator: "-")
    return String((parts.first == "empty" ? parts.dropFirst().first : parts.first) ?? "")
  }

  /// True for the formats of the providers' cost reports (their bills: reconciled, never charged).
  package static func isCostFormat(_ format: String) -> Bool {
    format == "openai-costs" || format == "anthropic-cost-report"
  }

  /// What a format's pages are, for messages: "OpenAI usage pages".
  package static func noun(of format: String) -> String {
    switch format {
    case "openai-usage-completions": "OpenAI usage (completions) pages"
    case "openai-usage-embeddings": "OpenAI usage (embeddings) pages"
    case "openai-costs": "OpenAI costs pages"
    case "anthropic-usage-report": "Anthropic usage report pages"
    case "anthropic-cost-report": "Anthropic cost report pages"
    case "empty-openai": "OpenAI usage or costs pages of empty buckets"
    case "empty-anthropic": "Anthropic usage or cost report pages of empty buckets"
    case "litellm-spend-logs": "LiteLLM spend log pages"
    default: "\(format) pages"
    }
  }
}
