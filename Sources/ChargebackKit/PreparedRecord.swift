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

  enum State: Sendable {
    /// Charged on the reading thread.
    case charged
    /// To be charged on the summing thread.
    case uncharged
    /// A billed cost row (never charged).
    case billed
  }

  /// Charges the record with `charger`; without one, leaves it to the summing thread.
  init(_ stored: consuming StoredRecord, charger: Charger?) {
    (id, fileID) = (stored.id, stored.fileID)
    // The stored record is handed over whole, its record moved into `charged`, not copied.
    charged = ChargedRecord(uncharged: (consume stored).record)
    if charged.record.level == .cost {
      state = .billed
    } else if let charger {
      charger.charge(&charged)
      state = .charged
    } else {
      state = .uncharged
    }
  }
}
