import ChargebackDetect
import ChargebackModel
import ChargebackStore

/// One stored record as the report pass's reading thread hands it to the summing thread: charged
/// there or not (``ChargeSplit``), or kept as it is when it is a billed cost row.
///
/// A struct rather than a tuple: the pipe's generic code copies its elements through their value
/// witnesses, and a tuple's are the runtime's generic ones, which walk the layout field by field
/// (perf: a tenth of the summing thread on the 1 M cardinality month). The record is carried once,
/// inside `charged`, whatever its state, so that the summing thread charges it in place: an enum
/// with the record or its charged copy as payload was copied out of the batch to be charged, and
/// the charged copy made and destroyed again (perf, the 1 M friendly month: a tenth of the pass).
struct PreparedRecord: Sendable {
  /// Row id and file of the stored record.
  let id: Int64
  let fileID: Int64
  var state: State
  /// The record, charged when `state` is `.charged`.
  var charged: ChargedRecord
  /// What the summing thread would hash of the charged record, hashed beside its charge here.
  ///
  /// The hash of its line (``ReportTotals/lineHash(_:priced:source:)``) and its retry-storm
  /// fingerprint (a request-level call's, in a pass that detects). Nil when the summing thread
  /// charges it (or it is billed).
  ///
  /// Both are pure functions of the charged record, worked out here where the reading thread has
  /// time to spare and the summing thread none (perf, the 1 M `directory` `report`: the summing
  /// thread saturated through the pass, the reading thread at about 70 %; these hashes were 1.6 %
  /// of the pass's samples there, 6.4 % on the 1 M `friendly` month).
  var hashes: Hashes?

  struct Hashes: Sendable {
    var line: Int
    var fingerprint: RetryStorms.Fingerprint?
  }

  enum State: Sendable {
    /// Charged on the reading thread.
    case charged
    /// To be charged on the summing thread.
    case uncharged
    /// A billed cost row (never charged).
    case billed
  }

  /// Charges the record with `charger`, and hashes it (``hashes``) for a pass that detects when
  /// `detect`; without a charger, leaves both to the summing thread.
  init(_ stored: consuming StoredRecord, charger: Charger?, detect: Bool) {
    (id, fileID) = (stored.id, stored.fileID)
    // The stored record is handed over whole, its record moved into `charged`, not copied.
    charged = ChargedRecord(uncharged: (consume stored).record)
    if charged.record.level == .cost {
      state = .billed
    } else if let charger {
      charger.charge(&charged)
      state = .charged
      let level = charged.record.level
      let source: LineSource = level == .request ? .request : .report
      hashes = Hashes(
        line: ReportTotals.lineHash(charged, priced: charged.cost != nil, source: source),
        fingerprint: detect && level == .request ? RetryStorms.Fingerprint(charged) : nil)
    } else {
      state = .uncharged
    }
  }
}
