import ChargebackModel
import ChargebackSupport
import Foundation

/// Thresholds of the detectors (SPEC §6), with the SPEC's defaults.
///
/// Any of them can be set in an optional `detection.csv` (`setting,value`) beside the identity files.
package struct DetectionSettings: Sendable, Hashable {
  /// Calls with one fingerprint that make a retry storm.
  package var stormMinCalls: Int64 = 10
  /// Largest gap between two calls of one storm, milliseconds.
  package var stormMaxGapMillis: Int64 = 60_000
  /// Depth of a call tree above which it is a loop.
  package var loopMaxDepth = 8
  /// Repeats of one (agent, model, input size class) along a path that make a loop.
  package var loopRepeats = 5
  /// Scaled MADs above the median that make a spike.
  package var spikeMADs: Int64 = 6
  /// A spike or new spender must cost more than this in a day (spike) or period (new spender).
  package var spikeFloor = Money(pico: 25 * Money.picoPerUSD)
  /// Prior days with usage needed before a day can be called a spike.
  package var spikeMinBaselineDays = 7
  /// Days before the period that the baseline reads from the store.
  package var baselineDays = 28
  /// SHA-256 of `detection.csv`'s bytes as parsed; empty when there is no file.
  package var contentHash = ""

  package init() {}

  /// Reads `detection.csv` in `directory` when present.
  package init(directory: String) throws {
    self.init()
    let path = (directory as NSString).appendingPathComponent("detection.csv")
    guard FileManager.default.fileExists(atPath: path) else { return }
    let t = try CSVTable(path: path)
    contentHash = t.sha256
    try t.require(["setting", "value"])
    // The line each setting was set on: a second value is refused, not taken silently.
    var lines: [String: Int] = [:]
    for r in t.rows {
      let name = try t.req(r, "setting")
      let text = try t.req(r, "value")
      if let first = lines[name] {
        throw InputError(
          file: path, line: r.line, field: "setting", message: "\"\(name)\" is set on line \(first) already")
      }
      lines[name] = r.line
      /// The whole number of the line, at least `least`: a loop of one repeat is any call, a storm of
      /// one call has no retry, and a spike needs a day to compare with (`loop_repeats` 1 crashed
      /// every report with a parent link, a trial).
      func int(least: Int64 = 0) throws -> Int64 {
        guard let v = Int64(text), v >= 0 else {
          throw InputError(file: path, line: r.line, field: "value", message: "\"\(text)\" is not a whole number")
        }
        guard v >= least else {
          throw InputError(
            file: path, line: r.line, field: "value", message: "\(name) must be at least \(least) (it is \(v))")
        }
        // Every setting is a count of calls, seconds, days or MADs: at most 10^6 keeps the arithmetic
        // on them (seconds × 1000, days × ms per day) far from overflow.
        guard v <= 1_000_000 else {
          throw InputError(
            file: path, line: r.line, field: "value", message: "is out of bounds (\(v) is more than 1000000)")
        }
        return v
      }
      switch name {
      case "storm_min_calls": stormMinCalls = try int(least: 2)
      case "storm_max_gap_seconds": stormMaxGapMillis = try int() * 1000
      case "loop_max_depth": loopMaxDepth = Int(try int(least: 1))
      case "loop_repeats": loopRepeats = Int(try int(least: 2))
      case "spike_mads": spikeMADs = try int()
      case "spike_min_baseline_days": spikeMinBaselineDays = Int(try int(least: 1))
      case "baseline_days": baselineDays = Int(try int())
      case "spike_floor_usd":
        guard let pico = DecimalText.parse(text, decimals: 12), pico >= 0 else {
          throw InputError(file: path, line: r.line, field: "value", message: "\"\(text)\" is not a USD amount")
        }
        spikeFloor = Money(pico: pico)
      default:
        throw InputError(file: path, line: r.line, field: "setting", message: "unknown setting \"\(name)\"")
      }
    }
  }
}

/// Input size classes for fingerprints: calls whose total input is within a factor of two share a
/// class (retries of one request have the same input).
enum SizeClass {
  static func of(_ tokens: TokenCounts) -> Int {
    let total = tokens.totalInput
    return total <= 0 ? 0 : 64 - total.leadingZeroBitCount
  }
}
