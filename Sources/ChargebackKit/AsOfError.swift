import ChargebackModel
import ChargebackStore

/// An `--as-of` the period's data contradicts (exit 64).
package struct AsOfError: ChargebackFailure {
  package let message: String
  package var description: String { message }
  package var exitStatus: Int32 { ExitStatus.usage }

  /// Throws unless `asOf` can say how far `period`'s data runs: not before the period, and not
  /// before usage the store holds in it.
  ///
  /// Either would forecast the month from calls counted in full over a fraction of it (October's
  /// usage "as of" its first second gave a forecast of 41,247 USD for 0.02 USD of calls).
  static func check(_ asOf: Int64, period: Period, store: any ChargebackStore) throws {
    guard asOf >= period.startMillis else {
      throw AsOfError(message: "--as-of \(Timestamp.iso(asOf)) is before \(period) begins")
    }
    if asOf < period.endMillis, try store.hasUsage(from: asOf + 1, to: period.endMillis) {
      throw AsOfError(
        message: "--as-of \(Timestamp.iso(asOf)) is before the latest usage of \(period) in the store; "
          + "omit it (the data's own end is used) or give an instant at or after that usage")
    }
  }
}
