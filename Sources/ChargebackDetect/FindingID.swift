import ChargebackModel

/// Stable finding ids: the same kind, period and subject give the same id on every run.
package enum FindingID {
  /// `F-<kind>-<12 hex of FNV-1a 64 over kind|period|subject>`.
  package static func make(kind: FindingKind, period: Period, subject: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in "\(kind.rawValue)|\(period)|\(subject)".utf8 {
      h ^= UInt64(b)
      h &*= 0x100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return "F-" + String(repeating: "0", count: 16 - hex.count) + hex
  }
}
