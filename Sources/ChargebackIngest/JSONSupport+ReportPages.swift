import ChargebackModel
import ChargebackSupport
import Foundation

/// Helpers shared by the page-shaped report and cost formats (Anthropic usage and cost reports,
/// OpenAI Costs) and the money-carrying JSON formats (GCP billing export).
extension JSONSupport {
  /// Reads a document that is one API page, a JSON array of pages, or JSON Lines with one page per
  /// line, and hands each page to `body` with its JSON path prefix (`$`, `$[2]`) and its 1-based
  /// line (JSON Lines only).
  ///
  /// Decoding errors inside a page's `results` name the record (`$.data[0].results[1]`) as the path
  /// and the rest (`amount.value`) as the field.
  ///
  /// An error that names a record by its path alone also gets the line that record starts on.
  static func forEachPage<Page: Decodable>(
    _ type: Page.Type, in file: InputFile, _ body: (_ page: Page, _ prefix: String, _ line: Int?) throws -> Void
  ) throws {
    let data = try file.readAll()
    do {
      try forEachPage(type, data: data, file: file, body)
    } catch var e as InputError where e.line == nil && e.file == file.path {
      if let path = e.path { e.line = JSONLayout.line(ofPath: path, in: data) }
      throw e
    }
  }

  private static func forEachPage<Page: Decodable>(
    _ type: Page.Type, data: Data, file: InputFile,
    _ body: (_ page: Page, _ prefix: String, _ line: Int?) throws -> Void
  ) throws {
    try validate(data, file: file.path)
    let first = data.first { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }
    if first == UInt8(ascii: "[") {
      let pages = try decodePage([Page].self, from: data, file: file.path, line: nil)
      for (p, page) in pages.enumerated() { try body(page, "$[\(p)]", nil) }
      return
    }
    if let page = try? JSONDecoder().decode(Page.self, from: data) {
      return try body(page, "$", nil)
    }
    // Several pages one after another: JSON Lines of pages, or pages appended each printed over
    // many lines (`curl … >> pages.json`). Each page is decoded alone, and a record at fault is
    // named by the line it starts on, counted from its page's first line, whether decoding or the
    // reader (`body`) found the fault (appended pages had been one "malformed JSON" without a place).
    guard let pages = documents(in: data) else {
      _ = try decodePage(Page.self, from: data, file: file.path, line: nil)  // one value: throws the real error
      return
    }
    var line = 1
    var counted = data.startIndex
    for offsets in pages {
      let range = (data.startIndex + offsets.lowerBound)..<(data.startIndex + offsets.upperBound)
      line += data[counted..<range.lowerBound].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
      counted = range.lowerBound
      let pageData = data.subdata(in: range)
      // A page on one line (JSON Lines): that line is each of its records' line. A page over many
      // lines is read as a file of its own (no line per record, as a pretty-printed page alone).
      let oneLine = !pageData.contains(10)
      do {
        try body(try decodePage(Page.self, from: pageData, file: file.path, line: nil), "$", oneLine ? line : nil)
      } catch var e as InputError where e.line == nil && e.file == file.path {
        e.line = line - 1 + (e.path.flatMap { JSONLayout.line(ofPath: $0, in: pageData) } ?? 1)
        throw e
      }
    }
  }

  /// The byte ranges of the top-level values of `data` when it holds more than one of them and
  /// nothing else but blanks; nil otherwise (one value, malformed JSON).
  static func documents(in data: Data) -> [Range<Int>]? {
    data.withUnsafeBytes { raw -> [Range<Int>]? in
      let b = raw.bindMemory(to: UInt8.self)
      var s = JSONScanner(b)
      var ranges: [Range<Int>] = []
      while true {
        s.skipWhitespace()
        guard s.i < b.count else { break }
        let start = s.i
        guard (try? s.skipValue()) != nil else { return nil }
        ranges.append(start..<s.i)
      }
      return ranges.count > 1 ? ranges : nil
    }
  }

  /// Decodes a page (or array of pages); errors are split into record path and field.
  private static func decodePage<T: Decodable>(_ type: T.Type, from data: Data, file: String, line: Int?) throws -> T {
    do {
      return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
      throw splitRecordPath(ingestError(error, file: file, line: line, path: nil))
    }
  }

  /// Moves the `…results[N]` part of an error's field into its path: field
  /// `data[0].results[1].amount.value` becomes path `$.data[0].results[1]`, field `amount.value`.
  static func splitRecordPath(_ error: InputError) -> InputError {
    guard error.path == nil, let f = error.field, let r = f.range(of: "results["),
      let close = f[r.upperBound...].firstIndex(of: "]")
    else { return error }
    let recordEnd = f.index(after: close)
    var out = error
    out.path = "$" + (f.hasPrefix("[") ? "" : ".") + f[..<recordEnd]
    out.field = recordEnd < f.endIndex && f[recordEnd] == "." ? String(f[f.index(after: recordEnd)...]) : nil
    return out
  }

  /// True when `head` has `key` as an object member name.
  ///
  /// That is `"key"` followed by a colon, not the same text as a string value
  /// (`"token_type": "uncached_input_tokens"` does not count).
  static func headHasKey(_ head: String, _ key: String) -> Bool {
    let needle = "\"" + key + "\""
    var rest = head[...]
    while let r = rest.range(of: needle) {
      let after = rest[r.upperBound...].drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
      if after.first == ":" { return true }
      rest = rest[r.upperBound...]
    }
    return false
  }
}

/// A count in a decoded page (`input_tokens`, `num_model_requests`).
///
/// It is a JSON number that is a whole number from 0 to ``Bounds/tokens``. Anything else is a
/// decoding error that says what is wrong (not a whole number, negative, out of bounds, the wrong
/// type), which names the field.
struct CountJSON: Decodable, Sendable, Hashable {
  /// The count.
  let value: Int64

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    func bad(_ message: String) -> DecodingError {
      .dataCorrupted(.init(codingPath: c.codingPath, debugDescription: message))
    }
    if let v = try? c.decode(Int64.self) {
      if let problem = Bounds.countProblem(v) { throw bad(problem) }
      value = v
    } else if let d = try? c.decode(Double.self) {
      if d != d.rounded() { throw bad("is not a whole number (\(d))") }
      throw bad(d < 0 ? "is negative (\(d))" : "is out of bounds (\(d) is more than \(Bounds.tokens) tokens)")
    } else if c.decodeNil() {
      throw bad("is null, expected a whole number")
    } else {
      throw bad("has the wrong type, expected a whole number")
    }
  }
}

extension JSONSupport {
  /// Calls `body` with each bucket of a usage or costs file of pages and its JSON path: the buckets
  /// of its pages, or its bare buckets (an element with neither `data` nor `"object": "page"`: the
  /// OpenAI cookbook's notebook saves the buckets it gathers as one array).
  static func forEachBucket<Bucket: Decodable>(
    _ type: Bucket.Type, in file: InputFile, _ body: (_ bucket: Bucket, _ path: String, _ line: Int?) throws -> Void
  ) throws {
    try forEachPage(PageOrBucket<Bucket>.self, in: file) { element, prefix, line in
      switch element {
      case .page(let buckets):
        for (b, bucket) in buckets.enumerated() { try body(bucket, "\(prefix).data[\(b)]", line) }
      case .bucket(let bucket):
        try body(bucket, prefix, line)
      }
    }
  }
}

/// One element of a usage or costs file of pages: a page's buckets, or a bare bucket.
private enum PageOrBucket<Bucket: Decodable>: Decodable {
  case page([Bucket])
  case bucket(Bucket)

  private enum Keys: String, CodingKey { case object, data }
  private struct Page: Decodable { let data: [Bucket] }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: Keys.self)
    if c.contains(.data) || (try? c.decodeIfPresent(String.self, forKey: .object)) == "page" {
      self = .page(try Page(from: decoder).data)
    } else {
      self = .bucket(try Bucket(from: decoder))
    }
  }
}

/// A JSON number or a numeric string, kept as its exact decimal text; never through `Double`.
///
/// A string is taken as written (trimmed). A number is decoded as `Decimal`, which `JSONDecoder`
/// builds from the number's own digits, so `0.30000000000000004` stays exactly that.
struct DecimalJSON: Decodable, Sendable, Hashable {
  /// The decimal text (`"1.8432"`, `"0.0000001"`).
  let text: String

  init(text: String) { self.text = text }

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "is null, expected a number or a decimal string"))
    }
    if let s = try? c.decode(String.self) {
      text = Self.zeroWithAnyExponent(s.trimmingCharacters(in: .blanks)) ? "0" : s.trimmingCharacters(in: .blanks)
    } else if let d = try? c.decode(Decimal.self) {
      text = d.description
    } else if let d = try? c.decode(Double.self), d == 0 {
      // A zero whose exponent is past `Decimal`'s (`0E-6176`): zero all the same.
      text = "0"
    } else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "has the wrong type, expected a number or a decimal string"))
    }
  }

  /// The value as a whole number of 10^-`decimals` units, rounded half away from zero past them;
  /// nil unless the text is a plain decimal literal (`-12.5`, `1e-7`; no garbage, no `NaN`).
  ///
  /// `decimals: 12` reads USD as pico-USD; `decimals: 10` reads cents as pico-USD.
  func scaled(decimals: Int) -> Int128? {
    guard Self.isDecimalLiteral(text) else { return nil }
    return DecimalText.parseRounding(text, decimals: decimals)
  }

  /// USD text as exact ``Money`` (pico-USD), or nil when it is not a decimal literal or does not fit.
  var usd: Money? { scaled(decimals: 12).map { Money(pico: $0) } }

  /// The amount as exact ``Money``: USD (`decimals: 12`) or cents (`decimals: 10`), within
  /// ±``Bounds/money``; `error` makes the failure for text that is not a decimal amount or is out of
  /// bounds.
  func money(decimals: Int = 12, unit: String = "USD", _ error: (String) -> InputError) throws -> Money {
    let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
    guard Self.isDecimalLiteral(text) else { throw error("\"\(shown)\" is not a decimal amount of \(unit)") }
    guard let pico = scaled(decimals: decimals), pico <= Bounds.money, pico >= -Bounds.money else {
      throw error("is out of bounds (\(shown) \(unit) is more than 9000000 USD)")
    }
    return Money(pico: pico)
  }

  /// Whether `s` is a zero written with an exponent of any length (`0E-6176`, `0.000E+12`).
  ///
  /// OpenAI's costs API returns its amounts as decimals of 34 digits, zero as `0E-6176` (a public
  /// client's note: "both occur on the wire"); an exponent past two digits is otherwise refused,
  /// and a zero amount stopped the whole file (a trial).
  static func zeroWithAnyExponent(_ s: String) -> Bool {
    var it = Array(s.utf8)[...]
    if let c = it.first, c == 43 || c == 45 { it = it.dropFirst() }
    var digits = 0
    var point = false
    while let c = it.first, c == 48 || (c == 46 && !point) {
      if c == 48 { digits += 1 } else { point = true }
      it = it.dropFirst()
    }
    guard digits > 0, let e = it.first, e == 101 || e == 69 else { return false }
    it = it.dropFirst()
    if let c = it.first, c == 43 || c == 45 { it = it.dropFirst() }
    return !it.isEmpty && it.count <= 6 && it.allSatisfy { $0 >= 48 && $0 <= 57 }
  }

  /// `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one mantissa digit and an exponent of at
  /// most two digits (so a hostile `1e999999999` is refused before any work).
  static func isDecimalLiteral(_ s: String) -> Bool {
    var it = Array(s.utf8)[...]
    if let c = it.first, c == 43 || c == 45 { it = it.dropFirst() }
    var mantissaDigits = 0
    var seenPoint = false
    while let c = it.first, (c >= 48 && c <= 57) || (c == 46 && !seenPoint) {
      if c == 46 { seenPoint = true } else { mantissaDigits += 1 }
      it = it.dropFirst()
    }
    guard mantissaDigits > 0 else { return false }
    if let c = it.first, c == 101 || c == 69 {
      it = it.dropFirst()
      if let c = it.first, c == 43 || c == 45 { it = it.dropFirst() }
      var exponentDigits = 0
      while let c = it.first, c >= 48, c <= 57 {
        exponentDigits += 1
        it = it.dropFirst()
      }
      guard (1...2).contains(exponentDigits) else { return false }  // |exponent| < 100
    }
    return it.isEmpty
  }
}

/// The page links of a bucketed export (``ExportPage``), read apart from its records.
package enum PageLinks {
  // Field names as the APIs spell them: OpenAI's buckets have Unix-second `start_time` and
  // `end_time`, Anthropic's RFC 3339 `starting_at` and `ending_at`.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Bucket: Decodable {
    let start_time: Int64?
    let end_time: Int64?
    let starting_at: String?
    let ending_at: String?
  }

  // A page, or a bucket read as one (the cookbook's bucket arrays): the fields of both.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Page: Decodable {
    let has_more: Bool?
    let next_page: String?
    let data: [Bucket]?
    let start_time: Int64?
    let end_time: Int64?
    let starting_at: String?
    let ending_at: String?

    var asBucket: Bucket {
      Bucket(start_time: start_time, end_time: end_time, starting_at: starting_at, ending_at: ending_at)
    }
  }

  /// Every page of `file` that says whether more follow, in file order; for a file of buckets
  /// without their pages (the cookbook's shape, which keeps the empty buckets too), one page that
  /// says none follow, over all its buckets; none for a file that does not decode (its records'
  /// reading says what is wrong).
  package static func pages(in file: InputFile) -> [ExportPage] {
    var pages: [ExportPage] = []
    var loose: [Bucket] = []
    var index = 0
    try? JSONSupport.forEachPage(Page.self, in: file) { page, _, _ in
      defer { index += 1 }
      guard let hasMore = page.has_more else {
        if page.data == nil { loose.append(page.asBucket) }
        return
      }
      let (start, end, width) = span(page.data ?? [])
      // A cursor is an opaque token of some 40 characters, kept to tell pages apart: a hostile one
      // of megabytes would have grown the store and the manifest by as much (a trial).
      let cursor = page.next_page.map {
        $0.count > Self.cursorCharacters ? String($0.prefix(Self.cursorCharacters)) + "…" : $0
      }
      pages.append(
        ExportPage(index: index, start: start, end: end, bucketWidth: width, hasMore: hasMore, nextPage: cursor))
    }
    if pages.isEmpty, !loose.isEmpty {
      let (start, end, width) = span(loose)
      if start != nil {
        pages.append(ExportPage(index: 0, start: start, end: end, bucketWidth: width, hasMore: false, nextPage: nil))
      }
    }
    return pages
  }

  /// The most characters of a `next_page` cursor kept.
  static let cursorCharacters = 256

  /// The format kept for the pages of a file that holds no record (a page of empty buckets, whose
  /// endpoint its buckets do not say): `empty-<provider>`, from the format it was read as
  /// (Anthropic's cost and usage pages of empty buckets look alike) or, skipped, OpenAI's.
  package static func emptyFormat(of format: String?) -> String {
    // A numbered page says its own format's name (LiteLLM's: its envelope is its own).
    if format == "litellm-spend-logs" { return "litellm-spend-logs" }
    return "empty-" + (format?.hasPrefix("anthropic-") == true ? "anthropic" : "openai")
  }

  /// The earliest start, latest end and narrowest width of `buckets`, UTC ms.
  ///
  /// The width is of the whole buckets (a `1m`, `1h` or `1d` from its width's UTC boundary) when the
  /// page has one: the first and last buckets of a query are cut at its start and at the time of
  /// the call, and a week of days fetched at 17:31, taken for a page of 6.5-hour buckets, counted as
  /// finer than every day it met (a review: a day lost the afternoon of an hourly page fetched at
  /// noon).
  private static func span(_ buckets: [Bucket]) -> (start: Int64?, end: Int64?, width: Int64?) {
    var start: Int64?
    var end: Int64?
    var width: Int64?
    var whole: Int64?
    for b in buckets {
      let s = b.start_time.map { $0 &* 1000 } ?? b.starting_at.flatMap { Timestamp.parseMillis($0) }
      let e = b.end_time.map { $0 &* 1000 } ?? b.ending_at.flatMap { Timestamp.parseMillis($0) }
      if let s { start = min(start ?? s, s) }
      if let e { end = max(end ?? e, e) }
      guard let s, let e, e > s else { continue }
      width = min(width ?? (e &- s), e &- s)
      if [60_000, 3_600_000, 86_400_000].contains(e &- s), s % (e &- s) == 0 { whole = min(whole ?? (e &- s), e &- s) }
    }
    return (start, end, whole ?? width)
  }
}
