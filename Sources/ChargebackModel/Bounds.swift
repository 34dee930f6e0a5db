/// The plausible range of every count, amount and time read from an export (README, "Bounds").
///
/// Every reader checks its fields against these at the edge, and ``UsageRecord`` values outside
/// them are bad input (exit 65): no real export comes near them, and inside them no later sum can
/// overflow. The argument, once for every stage:
///
/// - A pass sums at most 2^42 records: SQLite stores at most 2^32 − 2 pages of at most 64 KiB
///   (2^48 bytes), and a usage row with its two index entries takes more than 64 bytes.
/// - Token and request sums are ``TokenTotals`` and `Int128`: 2^42 × 10^13 < 2^42 × 2^44 = 2^86,
///   far below `Int128.max` (≈ 1.7 × 10^38); even 2^63 records × 10^13 < 2^107 would fit.
/// - One record's cost is at most 6 classes × 10^13 units × 10^11 pico-USD per unit (``rate``) =
///   6 × 10^24 pico-USD, and a cost row's billed amount at most 9 × 10^18 (``money``). A pass's sum of
///   costs is at most 2^42 × 6 × 10^24 < 2.7 × 10^37 < `Int128.max`. Products beyond one sum (a
///   forecast, a percentage) use overflow-reporting arithmetic.
/// - Within one record, Int64 arithmetic on counts adds at most a handful of values of ≤ 10^13
///   (≈ 2^43.2), far below `Int64.max` (≈ 9.2 × 10^18).
package enum Bounds {
  /// Most tokens (or web-search requests) one field or one class of one record may hold: 10^13.
  ///
  /// A call never has more than a few million; a day's report bucket of one key and model stays far
  /// below a trillion.
  package static let tokens: Int64 = 10_000_000_000_000
  /// Most calls one record may stand for (a report row's request count): 10^12.
  package static let requests: Int64 = 1_000_000_000_000
  /// Most retries one call may name: 10^6.
  package static let retries: Int64 = 1_000_000
  /// The earliest time a record may have: 2000-01-01T00:00:00Z (UTC epoch ms).
  package static let earliestMillis: Int64 = 946_684_800_000
  /// The first time a record may no longer have: 2100-01-01T00:00:00Z (UTC epoch ms).
  package static let latestMillis: Int64 = 4_102_444_800_000
  /// Largest amount (either sign) one cost row may bill: USD 9,000,000, as pico-USD (9 × 10^18).
  ///
  /// The store keeps a billed amount as 64-bit pico-USD (at most ≈ 9.22 × 10^18), and a provider's
  /// cost row (one line item of one day or hour) never nears USD 9 million.
  package static let money: Int128 = 9_000_000_000_000_000_000
  /// Largest price: USD 100,000 per million units, as micro-USD per million (10^11).
  package static let rate: Int64 = 100_000_000_000
  /// Most records one pass is taken to sum in the overflow argument above (2^42).
  package static let recordsPerPass: Int64 = 1 << 42

  /// True when `millis` (UTC epoch ms) is within [2000-01-01, 2100-01-01).
  package static func isPlausible(millis: Int64) -> Bool {
    millis >= earliestMillis && millis < latestMillis
  }

  /// UTC epoch milliseconds of `seconds` (UTC epoch seconds), nil unless within [2000, 2100), or
  /// [2000, 2100] for the `end` of a bucket (exclusive: the last bucket of 2099 ends at 2100-01-01,
  /// and a trial's `demo --period 2099-12` refused its own last bucket).
  package static func millis(epochSeconds seconds: Int64, end: Bool = false) -> Int64? {
    guard seconds >= earliestMillis / 1000, end ? seconds <= latestMillis / 1000 : seconds < latestMillis / 1000
    else { return nil }
    return seconds * 1000
  }

  /// What is wrong with `value` as a count of at most `max` `unit`; nil when it is fine.
  package static func countProblem(_ value: Int64, max: Int64 = tokens, unit: String = "tokens") -> String? {
    if value < 0 { return "is negative (\(value))" }
    if value > max { return "is out of bounds (\(value) is more than \(max) \(unit))" }
    return nil
  }
}

extension UsageRecord {
  /// The first value of the record outside ``Bounds``, by its normalised name (`tokens.input`,
  /// `requests`, `retries`, `time`, `bucket_end`, `billed`) with what is wrong; nil when none is.
  package var boundsViolation: (field: String, message: String)? {
    countsViolation ?? timesViolation
  }

  /// Like ``boundsViolation`` for the times alone.
  package var timesViolation: (field: String, message: String)? {
    guard Bounds.isPlausible(millis: time) else {
      return ("time", "is out of bounds (\(time) ms is not within the years 2000 to 2099)")
    }
    if let end = bucketEnd, end < time || end > Bounds.latestMillis {
      return ("bucket_end", "is out of bounds (\(end) ms is before the start or after 2099)")
    }
    return nil
  }

  /// Like ``boundsViolation`` for what is summed (tokens, requests, retries, billed amounts): the
  /// check of records read back from the store, whose times are within the period selected.
  package var countsViolation: (field: String, message: String)? {
    for c in TokenClass.allCases {
      if let problem = Bounds.countProblem(tokens[c], unit: c == .webSearch ? "requests" : "tokens") {
        return ("tokens." + c.rawValue, problem)
      }
    }
    if let problem = Bounds.countProblem(requests, max: Bounds.requests, unit: "requests") {
      return ("requests", problem)
    }
    if let retries, let problem = Bounds.countProblem(retries, max: Bounds.retries, unit: "retries") {
      return ("retries", problem)
    }
    if let billed, billed.pico > Bounds.money || billed.pico < -Bounds.money {
      return ("billed", "is out of bounds (\(billed.formatted()) USD is more than 9000000 USD)")
    }
    return nil
  }
}
