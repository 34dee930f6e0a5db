import ArgumentParser
import ChargebackModel

/// An instant given on the command line: an ISO-8601 date (`2026-10-15`, midnight UTC) or date-time
/// with a zone (`2026-10-15T12:00:00Z`).
struct Instant: ExpressibleByArgument {
  /// UTC epoch milliseconds.
  var millis: Int64

  init?(argument: String) {
    guard let t = Timestamp.parseMillis(argument) else { return nil }
    millis = t
  }

  static var defaultCompletionKind: CompletionKind { .default }
}
