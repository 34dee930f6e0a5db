/// The mutually exclusive classes of billable units (SPEC §3.1), so nothing is counted twice.
package enum TokenClass: String, CaseIterable, Sendable, Codable {
  /// Uncached input tokens.
  case input
  /// Cache reads.
  case cachedInput = "cached_input"
  /// Cache writes with a 5-minute TTL (or no TTL given).
  case cacheWrite5m = "cache_write_5m"
  /// Cache writes with a 1-hour TTL.
  case cacheWrite1h = "cache_write_1h"
  /// Output tokens, reasoning included.
  case output
  /// Web-search tool requests (priced per million requests).
  case webSearch = "web_search"

  /// The class's position in `allCases`, the index of arrays by class.
  ///
  /// Not `allCases.firstIndex(of:)`: `allCases` is an array made each time it is read, and a search
  /// of it for each priced part of each call was on the report's path (the spike detector).
  package var rank: Int {
    switch self {
    case .input: 0
    case .cachedInput: 1
    case .cacheWrite5m: 2
    case .cacheWrite1h: 3
    case .output: 4
    case .webSearch: 5
    }
  }
}

/// Counts of each ``TokenClass`` for one call or one aggregate.
package struct TokenCounts: Hashable, Sendable {
  /// Uncached input tokens.
  package var input: Int64 = 0
  /// Cache-read tokens.
  package var cachedInput: Int64 = 0
  /// 5-minute cache-write tokens.
  package var cacheWrite5m: Int64 = 0
  /// 1-hour cache-write tokens.
  package var cacheWrite1h: Int64 = 0
  /// Output tokens (reasoning included).
  package var output: Int64 = 0
  /// Web-search requests.
  package var webSearch: Int64 = 0

  package init(
    input: Int64 = 0, cachedInput: Int64 = 0, cacheWrite5m: Int64 = 0, cacheWrite1h: Int64 = 0,
    output: Int64 = 0, webSearch: Int64 = 0
  ) {
    self.input = input
    self.cachedInput = cachedInput
    self.cacheWrite5m = cacheWrite5m
    self.cacheWrite1h = cacheWrite1h
    self.output = output
    self.webSearch = webSearch
  }

  /// The count of one class.
  package subscript(_ c: TokenClass) -> Int64 {
    get {
      switch c {
      case .input: input
      case .cachedInput: cachedInput
      case .cacheWrite5m: cacheWrite5m
      case .cacheWrite1h: cacheWrite1h
      case .output: output
      case .webSearch: webSearch
      }
    }
    set {
      switch c {
      case .input: input = newValue
      case .cachedInput: cachedInput = newValue
      case .cacheWrite5m: cacheWrite5m = newValue
      case .cacheWrite1h: cacheWrite1h = newValue
      case .output: output = newValue
      case .webSearch: webSearch = newValue
      }
    }
  }

  /// Total input of a call as the long-context rule reads it: uncached + cache read + cache writes.
  package var totalInput: Int64 { input + cachedInput + cacheWrite5m + cacheWrite1h }

  /// Both cache-write classes together.
  package var cacheWrite: Int64 { cacheWrite5m + cacheWrite1h }

  /// True when every count is zero.
  package var isZero: Bool { totalInput == 0 && output == 0 && webSearch == 0 }
}

/// Sums of ``TokenCounts`` over many records (lines, days, cost centres, overlap keys), in
/// `Int128` so that no sum can overflow: every record's count is at most ``Bounds/tokens``
/// (10^13), and 2^63 records × 10^13 < 2^107, far below `Int128.max` (see ``Bounds``).
package struct TokenTotals: Hashable, Sendable {
  /// Uncached input tokens.
  package var input: Int128 = 0
  /// Cache-read tokens.
  package var cachedInput: Int128 = 0
  /// 5-minute cache-write tokens.
  package var cacheWrite5m: Int128 = 0
  /// 1-hour cache-write tokens.
  package var cacheWrite1h: Int128 = 0
  /// Output tokens (reasoning included).
  package var output: Int128 = 0
  /// Web-search requests.
  package var webSearch: Int128 = 0

  /// Zero in every class.
  package init() {}

  /// The counts of one record.
  package init(_ t: TokenCounts) {
    input = Int128(t.input)
    cachedInput = Int128(t.cachedInput)
    cacheWrite5m = Int128(t.cacheWrite5m)
    cacheWrite1h = Int128(t.cacheWrite1h)
    output = Int128(t.output)
    webSearch = Int128(t.webSearch)
  }

  /// The sum of one class.
  package subscript(_ c: TokenClass) -> Int128 {
    get {
      switch c {
      case .input: input
      case .cachedInput: cachedInput
      case .cacheWrite5m: cacheWrite5m
      case .cacheWrite1h: cacheWrite1h
      case .output: output
      case .webSearch: webSearch
      }
    }
    set {
      switch c {
      case .input: input = newValue
      case .cachedInput: cachedInput = newValue
      case .cacheWrite5m: cacheWrite5m = newValue
      case .cacheWrite1h: cacheWrite1h = newValue
      case .output: output = newValue
      case .webSearch: webSearch = newValue
      }
    }
  }

  /// Total input: uncached + cache read + cache writes.
  package var totalInput: Int128 { input + cachedInput + cacheWrite5m + cacheWrite1h }

  /// Both cache-write classes together.
  package var cacheWrite: Int128 { cacheWrite5m + cacheWrite1h }

  /// True when every sum is zero.
  package var isZero: Bool { TokenClass.allCases.allSatisfy { self[$0] == 0 } }

  package static func += (a: inout TokenTotals, b: TokenCounts) {
    a.input += Int128(b.input)
    a.cachedInput += Int128(b.cachedInput)
    a.cacheWrite5m += Int128(b.cacheWrite5m)
    a.cacheWrite1h += Int128(b.cacheWrite1h)
    a.output += Int128(b.output)
    a.webSearch += Int128(b.webSearch)
  }

  package static func += (a: inout TokenTotals, b: TokenTotals) {
    for c in TokenClass.allCases { a[c] += b[c] }
  }

  /// True when the sums equal one record's counts.
  package static func == (a: TokenTotals, b: TokenCounts) -> Bool { a == TokenTotals(b) }
}
