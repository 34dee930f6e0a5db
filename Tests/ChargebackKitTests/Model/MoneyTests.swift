import Testing

@testable import ChargebackModel

@Suite struct MoneyTests {
  @Test(arguments: [
    ("0.075", Int64(75_000)), ("3", 3_000_000), ("12.5", 12_500_000), ("0.000001", 1), ("0.5760000000", 576_000),
  ])
  func parsesRates(text: String, micro: Int64) {
    #expect(Rate(usdPerMillion: text)?.microPerMillion == micro)
  }

  @Test(arguments: ["12abc", "1e-6", "0.0000001", "", ".", "-1", "1.2.3", " 3"])
  func rejectsBadRates(text: String) {
    #expect(Rate(usdPerMillion: text) == nil)
  }

  @Test func costIsExactInPicoUSD() throws {
    // 37 tokens at $0.075/M = 2.775 micro-USD: not a whole micro-USD, exact in pico-USD.
    let rate = try #require(Rate(usdPerMillion: "0.075"))
    let cost = Money(units: 37, at: rate)
    #expect(cost.pico == 2_775_000)
    #expect(cost.formatted(decimals: 12) == "0.000002775000")
    #expect(cost.formatted(decimals: 6) == "0.000003")
  }

  @Test func sumsPastInt64() {
    // 10 M calls of $1 = 1e19 pico-USD, beyond Int64.
    var total = Money.zero
    for _ in 0..<10 { total += Money(pico: 1_000_000 * Money.picoPerUSD) }
    #expect(total.formatted(decimals: 2) == "10000000.00")
  }

  @Test func largestRemainderAddsUpToTheTotal() {
    // Three cost centres of half a cent each: total 1.5 cents rounds to 2; the parts must add to 2.
    let half = Money(pico: Money.unit(2) / 2)
    let (parts, total) = Apportion.rounded([half, half, half], decimals: 2)
    #expect(total == 2)
    #expect(parts == [1, 1, 0])
    // Naive per-part rounding would give 3 cents.
    #expect([half, half, half].map { $0.rounded(toDecimals: 2) }.reduce(0, +) == 3)
  }

  @Test func apportionsByLargestRemainder() {
    let exact: [Int128] = [3_333, 3_333, 3_334]  // units of 1e-4 → cents (unit 100)
    let parts = Apportion.apportion(exact, unit: 100, target: 100)
    #expect(parts.reduce(0, +) == 100)
    #expect(parts == [33, 33, 34])
  }

  @Test func parsesBilledAmountsWithNoise() {
    #expect(DecimalText.parseRounding("0.0000045000000000000000000000000000000", decimals: 12) == 4_500_000)
    #expect(DecimalText.parse("1.8432", decimals: 6) == 1_843_200)
  }
}

@Suite struct TimestampTests {
  @Test(arguments: [
    ("2026-10-05T09:00:00Z", Int64(1_791_190_800_000)),
    ("2026-10-05T09:00:00.250Z", 1_791_190_800_250),
    ("2026-10-05T11:00:00+02:00", 1_791_190_800_000),
    ("2026-10-05 09:00:00", 1_791_190_800_000),
    ("2026-10-05", 1_791_158_400_000),
  ])
  func parses(text: String, millis: Int64) {
    #expect(Timestamp.parseMillis(text) == millis)
  }

  @Test(arguments: ["2026-02-30", "2026-13-01", "2026-10-05T25:00:00Z", "2026-10-05T09:00:00Zjunk", "yesterday", ""])
  func rejectsImpossible(text: String) {
    #expect(Timestamp.parseMillis(text) == nil)
  }

  @Test func formatsRoundTrip() {
    #expect(Timestamp.iso(1_791_190_800_250) == "2026-10-05T09:00:00.250Z")
    #expect(Timestamp.day(1_791_190_800_000) == "2026-10-05")
    let p = Period("2026-10")!
    #expect(p.dayCount == 31)
    #expect(Timestamp.iso(p.startMillis) == "2026-10-01T00:00:00Z")
    #expect(Timestamp.iso(p.endMillis) == "2026-11-01T00:00:00Z")
  }

  /// An amount in a finding's sentence reads as zero only when it is zero.
  ///
  /// A fraction of a cent gets the places it needs (up to six), a larger one stays to the cent.
  /// Amounts in pico-USD (10^12 a dollar).
  @Test(arguments: [
    (Int64(1_476_000_000), "0.0015"), (4_000_000_000, "0.004"), (400_000, "less than 0.000001"), (0, "0.00"),
    (5_794_000_000_000, "5.79"), (-3_000_000_000, "-0.003"),
  ])
  func anAmountInTextNeverHidesAFractionOfACent(pico: Int64, shown: String) {
    #expect(Money(pico: Int128(pico)).inText == shown)
  }
}
