/// Where a chargeback line's usage was seen.
package enum LineSource: String, Sendable, CaseIterable {
  /// Request-level logs.
  case request
  /// The provider's usage report, for credentials and days no request log covers.
  case report
  /// Report usage beyond what the request logs show (SPEC §3.1).
  case unlogged
}
