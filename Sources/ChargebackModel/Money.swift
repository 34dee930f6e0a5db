/// An exact amount of US dollars, held as a whole number of pico-USD (1e-12 USD).
///
/// A call's exact cost is tokens × micro-USD-per-million, which is a whole number of pico-USD
/// (SPEC §5). A month of sums can pass Int64 (≈ $9.2 M), so the amount is an `Int128`. Amounts are
/// never rounded until ``Money/rounded(toDecimals:)`` or ``Apportion`` at presentation.
package struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The amount in pico-USD.
  package var pico: Int128

  /// pico-USD in one USD.
  package static let picoPerUSD: Int128 = 1_000_000_000_000
  /// Zero dollars.
  package static let zero = Money(pico: 0)

  /// An amount of pico-USD.
  package init(pico: Int128) { self.pico = pico }

  /// The exact cost of `units` at `rate` (USD per million units).
  package init(units: Int64, at rate: Rate) {
    pico = Int128(units) * Int128(rate.microPerMillion)
  }

  package static func + (a: Money, b: Money) -> Money { Money(pico: a.pico + b.pico) }
  package static func - (a: Money, b: Money) -> Money { Money(pico: a.pico - b.pico) }
  package static func += (a: inout Money, b: Money) { a.pico += b.pico }
  package static func < (a: Money, b: Money) -> Bool { a.pico < b.pico }

  /// The amount rounded half away from zero to `decimals` places of USD, as a whole number of that
  /// unit (cents for 2).
  package func rounded(toDecimals decimals: Int) -> Int128 {
    Money.roundDiv(pico, Money.unit(decimals))
  }

  /// The amount as a decimal string with exactly `decimals` places (rounded half away from zero).
  package func formatted(decimals: Int = 6) -> String {
    Money.format(units: rounded(toDecimals: decimals), decimals: decimals)
  }

  /// The amount for a sentence: to the cent, with more places (up to six) when a nonzero amount
  /// would read as zero (`0.0015`, not `0.00`, for a storm whose avoidable cost is a fraction of a
  /// cent: a trial read "0.00 USD could have been avoided" beside 0.001476 in the CSV).
  package var inText: String {
    // Below half a millionth: said so, not "0.00".
    if pico != 0 && rounded(toDecimals: 6) == 0 { return pico > 0 ? "less than 0.000001" : "more than -0.000001" }
    var d = 2
    while d < 6, pico != 0, rounded(toDecimals: d) == 0 { d += 1 }
    // Two significant digits past the cent (0.0015, not 0.001), trailing zeros dropped (0.004).
    var text = formatted(decimals: d > 2 ? min(6, d + 1) : 2)
    while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) > 3 {
      text.removeLast()
    }
    return text
  }

  /// pico-USD in one unit of `decimals` places (1e10 for cents).
  package static func unit(_ decimals: Int) -> Int128 {
    precondition((0...12).contains(decimals), "decimals out of range")
    var u: Int128 = 1
    for _ in 0..<(12 - decimals) { u *= 10 }
    return u
  }

  /// A whole number of `decimals`-place units as a decimal string (`1234` cents → `12.34`).
  package static func format(units: Int128, decimals: Int) -> String {
    let negative = units < 0
    let magnitude = negative ? -units : units
    var digits = String(magnitude)
    if decimals > 0 {
      if digits.count <= decimals {
        digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
      }
      digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
    }
    return negative ? "-" + digits : digits
  }

  /// Division rounding half away from zero (`b` > 0); never overflows (the remainder is compared
  /// with what is left of `b`, not doubled).
  package static func roundDiv(_ a: Int128, _ b: Int128) -> Int128 {
    let q = a / b
    let r = a % b
    if r == 0 { return q }
    let m = r < 0 ? -r : r
    if m >= b - m { return a < 0 ? q - 1 : q + 1 }
    return q
  }

  /// Amount in USD with 6 decimals, for logs and tests.
  package var description: String { "$" + formatted(decimals: 6) }
}

/// A price: micro-USD per million units (so USD per million with six decimals, exactly).
package struct Rate: Hashable, Sendable, CustomStringConvertible {
  /// USD per million units × 1,000,000.
  package var microPerMillion: Int64

  /// A rate of micro-USD per million units.
  package init(microPerMillion: Int64) { self.microPerMillion = microPerMillion }

  /// Parses a decimal string of USD per million (`"0.075"`, `"3"`, `"12.5"`) with at most six
  /// decimals and at most ``Bounds/rate`` (USD 100,000 per million); nil for anything else
  /// (exponents, signs, more decimals, trailing garbage, larger prices).
  package init?(usdPerMillion text: String) {
    guard let units = DecimalText.parse(text, decimals: 6), units >= 0, units <= Int128(Bounds.rate)
    else { return nil }
    microPerMillion = Int64(units)
  }

  /// The rate as USD per million, trailing zeros trimmed (`0.075`).
  package var description: String {
    var s = Money.format(units: Int128(microPerMillion), decimals: 6)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }
}

/// Exact parsing of decimal text, since `Decimal(string:)` accepts `"12abc"` as 12.
///
/// Never traps: exponents are limited to ±400, and digits are accumulated with overflow-reporting
/// arithmetic, so text whose value does not fit `Int128` at the asked scale gives nil.
package enum DecimalText {
  /// Parses `[-]digits[.digits]` (and `[eE][+-]digits` with `allowExponent`) as a whole number of
  /// 10^-decimals units; nil for anything else, or when the value does not fit `Int128`.
  ///
  /// More fraction digits than `decimals` are accepted only when they are zeros (`"0.5760000000"`); nil
  /// otherwise.
  package static func parse(_ text: String, decimals: Int, allowExponent: Bool = false) -> Int128? {
    guard (0...36).contains(decimals) else { return nil }
    var bytes = Array(text.utf8)
    var exponent = 0
    if allowExponent, let e = bytes.firstIndex(where: { $0 == 101 || $0 == 69 }) {
      guard let x = smallInteger(bytes[(e + 1)...]) else { return nil }
      exponent = x
      bytes.removeSubrange(e...)
    }
    var i = 0
    var negative = false
    if i < bytes.count, bytes[i] == 45 {
      negative = true
      i += 1
    } else if i < bytes.count, bytes[i] == 43 {
      i += 1
    }
    var intDigits: [UInt8] = []
    var fracDigits: [UInt8] = []
    var seenPoint = false
    var digits = 0
    while i < bytes.count {
      let c = bytes[i]
      if c == 46 {
        if seenPoint { return nil }
        seenPoint = true
      } else if c >= 48, c <= 57 {
        digits += 1
        if seenPoint {
          fracDigits.append(c - 48)
        } else if !(intDigits.isEmpty && c == 48) {
          intDigits.append(c - 48)  // leading zeros dropped
        }
      } else {
        return nil
      }
      i += 1
    }
    guard digits > 0 else { return nil }
    // Apply the exponent by moving the point (|exponent| ≤ 400, so no Int arithmetic can overflow).
    var all = intDigits + fracDigits
    var pointPos = intDigits.count + exponent
    if pointPos < 0 {
      all.insert(contentsOf: [UInt8](repeating: 0, count: -pointPos), at: 0)
      pointPos = 0
    }
    if pointPos > all.count { all.append(contentsOf: [UInt8](repeating: 0, count: pointPos - all.count)) }
    let whole = all[..<pointPos].drop { $0 == 0 }
    let frac = all[pointPos...]
    guard whole.count + decimals <= 39 else { return nil }
    var value: Int128 = 0
    func push(_ d: UInt8) -> Bool {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int128(d))
      value = s
      return !o1 && !o2
    }
    for d in whole where !push(d) { return nil }
    var k = 0
    for d in frac {
      if k < decimals {
        guard push(d) else { return nil }
      } else if d != 0 {
        return nil
      }
      k += 1
    }
    while k < decimals {
      guard push(0) else { return nil }
      k += 1
    }
    return negative ? -value : value
  }

  /// `[+-]digits` with at most three digits (|value| ≤ 400), for exponents; nil otherwise.
  private static func smallInteger(_ bytes: ArraySlice<UInt8>) -> Int? {
    var rest = bytes
    var sign = 1
    if let c = rest.first, c == 43 || c == 45 {
      sign = c == 45 ? -1 : 1
      rest = rest.dropFirst()
    }
    guard (1...3).contains(rest.count), rest.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    let v = rest.reduce(0) { $0 * 10 + Int($1 - 48) }
    return v <= 400 ? sign * v : nil
  }

  /// Like ``parse(_:decimals:allowExponent:)`` but rounds extra fraction digits half away from zero
  /// instead of refusing them; for providers' billed amounts, which carry float noise.
  package static func parseRounding(_ text: String, decimals: Int) -> Int128? {
    let extra = 6
    guard
      let fine = parse(text, decimals: decimals + extra, allowExponent: true) ?? parseTruncated(text, decimals + extra)
    else { return nil }
    var u: Int128 = 1
    for _ in 0..<extra { u *= 10 }
    return Money.roundDiv(fine, u)
  }

  private static func parseTruncated(_ text: String, _ decimals: Int) -> Int128? {
    guard let dot = text.firstIndex(of: "."), !text.contains("e"), !text.contains("E") else {
      return nil
    }
    let fracLen = text.distance(from: text.index(after: dot), to: text.endIndex)
    guard fracLen > decimals else { return nil }
    let cut = text.index(dot, offsetBy: decimals + 1)
    return parse(String(text[..<cut]), decimals: decimals)
  }
}
