extension Sequence<UInt8> {
  /// The bytes as lowercase hex, two digits a byte: how a digest is written in the manifest, the
  /// store and the content hashes (one helper: `String(format: "%02x")` a byte was written out
  /// a dozen times, and goes through `vfprintf` for each).
  package var lowercaseHex: String {
    var out: [UInt8] = []
    out.reserveCapacity(underestimatedCount * 2)
    // 0–9 are ASCII 48–57, a–f 97–102.
    func digit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }
    for b in self {
      out.append(digit(b >> 4))
      out.append(digit(b & 0x0F))
    }
    return String(decoding: out, as: UTF8.self)
  }
}
