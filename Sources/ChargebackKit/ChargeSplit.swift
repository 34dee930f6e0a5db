/// Which thread of the report pass charges each record.
///
/// Charging (attribution and pricing) is the one step either thread can do. Where the other steps
/// fall makes either thread the slower depending on the month (perf: on the 1 M friendly month the
/// reading thread took 54 % of the pass's samples with every charge; on the 1 M cardinality month, with its per-call session
/// names and 5,000 tasks, it took 11 s against the summing thread's 8 s), so by default it moves
/// with the load. The fixed splits exist for tests: a report is the same whichever thread charged.
package enum ChargeSplit: Sendable, CaseIterable {
  /// The reading thread charges while the summing thread is behind (more than two of the pipe's
  /// 16 batches queued), else leaves records to it.
  case balanced
  /// Every record on the reading thread.
  case reader
  /// Every record on the summing thread.
  case summing
  /// The reading thread every other batch (tests: each thread's Charger sees only part of each
  /// day, as the balanced split can make it, so a charge that depends on what its Charger saw
  /// before shows).
  case alternating

  func chargesOnReader(consumerBehind: Bool, batch: Int) -> Bool {
    switch self {
    case .balanced: consumerBehind
    case .reader: true
    case .summing: false
    case .alternating: batch % 2 == 0
    }
  }
}
