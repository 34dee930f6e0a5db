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

  package static func += (a: inout TokenCounts, b: TokenCounts) {
    for c in TokenClass.allCases { a[c] += b[c] }
  }
}
