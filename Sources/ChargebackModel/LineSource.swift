/// Where a chargeback line's usage was seen.
package enum LineSource: String, Sendable, CaseIterable {
  /// Request-level logs.
  case request
  /// The provider's usage report, for credentials and days no request log covers.
  case report
  /// Report usage beyond what the request logs show (SPEC §3.1).
  case unlogged
  /// An amount moved by an allocation rule (SPEC §12): negative on the source, positive on targets.
  case allocated
  /// The unused part of a provisioned commitment's fee, charged to its owner cost centre.
  case idle
}
