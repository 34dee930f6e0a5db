import Testing

@testable import ChargebackDemo
@testable import ChargebackModel
@testable import ChargebackReporting

/// The amounts and quantities of `focus.csv`, written straight into the row's bytes
/// (`FocusCSV.appendDecimal`): the same text as the point put into the integer's digits.
@Suite struct FocusNumberTests {
  /// `value` × 10^-scale, from the digits of `String(value)`: padded with zeros to one more digit
  /// than `scale`, the point put `scale` digits from the end; `trimmed`, with the fraction's
  /// trailing zeros dropped but one digit kept.
  static func expected(_ value: Int128, scale: Int, trimmed: Bool) -> String {
    var digits = String(value.magnitude)
    if digits.count < scale + 1 { digits = String(repeating: "0", count: scale + 1 - digits.count) + digits }
    let whole = String(digits.prefix(digits.count - scale))
    var fraction = String(digits.suffix(scale))
    if trimmed {
      while fraction.hasSuffix("0") { fraction.removeLast() }
      if fraction.isEmpty { fraction = "0" }
    }
    return (value < 0 ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
  }

  static func appended(_ value: Int128, scale: Int, trimmed: Bool) -> String {
    let before: [UInt8] = [UInt8(ascii: "x"), UInt8(ascii: ",")]
    var out = before
    FocusCSV.appendDecimal(value, scale: scale, trimmed: trimmed, to: &out)
    #expect(Array(out.prefix(2)) == before, "what was in the row is kept")
    return String(decoding: out.dropFirst(2), as: UTF8.self)
  }

  @Test func knownAmounts() {
    #expect(FocusCSV.decimal(120, scale: 0) == "120.0")
    #expect(FocusCSV.decimal(75, scale: 6) == "0.000075")
    #expect(FocusCSV.decimal(0, scale: 12) == "0.0")
    #expect(FocusCSV.decimal(-5, scale: 2) == "-0.05")
    #expect(FocusCSV.decimal(1_500_000_000_000, scale: 12) == "1.5")
    #expect(Self.appended(1_234_500, scale: 6, trimmed: false) == "1.234500")
    #expect(Self.appended(0, scale: 6, trimmed: false) == "0.000000")
    #expect(Self.appended(-42, scale: 0, trimmed: false) == "-42")
    #expect(
      FocusCSV.decimal(.max, scale: 38) == "1.70141183460469231731687303715884105727")
    #expect(FocusCSV.decimal(.min, scale: 0) == "-170141183460469231731687303715884105728.0")
  }

  /// Random amounts of every size (within 64 bits and past them, negative, zero) at every scale
  /// `focus.csv` uses and more: the same text as the digits' arithmetic, and as `Money.format`
  /// for the untrimmed amounts (BilledCost).
  @Test func randomAmountsMatchTheirDigits() {
    var rng = DemoRandom(seed: 20_261_206)
    let scales = [0, 1, 2, 6, 12, 14, 20, 30]
    for _ in 0..<4_000 {
      let bits = Int.random(in: 0...126, using: &rng)
      var value = Int128(UInt64.random(in: 0...UInt64.max, using: &rng)) << 64
      value |= Int128(UInt64.random(in: 0...UInt64.max, using: &rng))
      value &= (Int128(1) << bits) - 1
      if Bool.random(using: &rng) { value = -value }
      if Int.random(in: 0..<20, using: &rng) == 0 { value = 0 }
      for scale in scales {
        let plain = Self.appended(value, scale: scale, trimmed: false)
        #expect(plain == Self.expected(value, scale: scale, trimmed: false), "\(value) at \(scale)")
        #expect(plain == Money.format(units: value, decimals: scale), "\(value) at \(scale)")
        #expect(
          Self.appended(value, scale: scale, trimmed: true) == Self.expected(value, scale: scale, trimmed: true),
          "\(value) at \(scale)")
      }
    }
  }
}
