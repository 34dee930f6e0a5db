import ChargebackModel
import ChargebackReporting
import ChargebackStore
import ChargebackSupport
import Crypto
import Foundation

/// What a report is a function of, as one digest.
///
/// The store's content (``ChargebackStore/contentDigest(previous:)``); the hashes of the bytes parsed
/// of every identity file, `labels.csv`, `detection.csv` and the price tables (each reader hashes
/// what it read, through links, so a new file a reader reads is covered with no list to keep);
/// the period, `--as-of`, the tool's version and its executable. A run whose key is the one in
/// `--out`'s manifest has nothing new to report.
enum ReportKey {
  static func of(store: any ChargebackStore, options: ChargebackJob.Options, inputs: [String]) throws -> String {
    try of(
      store: store, period: options.period, asOf: options.asOf, out: ChargebackJob.absolute(options.out),
      inputs: inputs)
  }

  /// The key of a report of `period` as of `asOf` (nil: the latest data) into the folder `out`
  /// (absolute), of the input hashes `inputs`.
  static func of(store: any ChargebackStore, period: Period, asOf: Int64?, out: String, inputs: [String]) throws
    -> String
  {
    var text = "chargeback \(Manifest.toolVersion) \(executableStamp)\nperiod \(period)\n"
    text += "as-of \(asOf.map(String.init) ?? "latest")\n"
    for hash in inputs { text += "input \(hash)\n" }
    text += "store \(try store.contentDigest(previous: period.previous.description))\n"
    // Open or closed, as the report would see it: a month closed since (its totals stored by a
    // report into another folder) is no longer the open report kept here.
    let state = try ReportBuilder.state(of: period, store: store, asOf: asOf, out: out)
    text += "state \(state.asOf.map(String.init) ?? "-") \(state.isOpen ? "open" : "closed")\n"
    return SHA256.hash(data: Data(text.utf8)).lowercaseHex
  }

  /// The running executable's size and modification time: another build of the tool (an upgrade,
  /// or a fix under the same version number) never keeps the outputs of the last one.
  static let executableStamp: String = {
    guard let path = Bundle.main.executablePath, let stamp = FileStamp.of(path) else { return "unknown" }
    return "\(stamp.bytes) \(stamp.mtimeNs)"
  }()
}
