import Testing

@testable import ChargebackModel
@testable import ChargebackPricing

/// The bounds every value is read within, and the arithmetic that must never trap on values at
/// them (README, "Bounds").
@Suite struct BoundsTests {
  @Test(arguments: [
    "0.00331e30", "1e999999", "1e-999999", "9e400", "123456789012345678901234567890123456789012345",
    "1" + String(repeating: "0", count: 200), "-99999999999999999999999999999", "1e+401", "1e9223372036854775807",
    "0." + String(repeating: "0", count: 500) + "1",
  ])
  func decimalTextNeverTraps(text: String) {
    // nil or a value: never a trap, whatever the exponent or the number of digits.
    _ = DecimalText.parse(text, decimals: 12, allowExponent: true)
    _ = DecimalText.parseRounding(text, decimals: 12)
    _ = DecimalText.parse(text, decimals: 36, allowExponent: true)
  }

  @Test func decimalTextStillReadsExactly() {
    #expect(DecimalText.parse("0.00331e3", decimals: 12, allowExponent: true) == 3_310_000_000_000)
    #expect(DecimalText.parse("1e-7", decimals: 12, allowExponent: true) == 100_000)
    #expect(DecimalText.parse("000012.50", decimals: 2) == 1250)
    #expect(DecimalText.parse("0", decimals: 6) == 0)
    #expect(DecimalText.parse("-0.5", decimals: 1) == -5)
    #expect(DecimalText.parse(".5", decimals: 1) == 5)
    #expect(DecimalText.parse("", decimals: 1) == nil)
    #expect(DecimalText.parse(".", decimals: 1) == nil)
    #expect(DecimalText.parseRounding("0.0000045000000000000000000000000000000", decimals: 12) == 4_500_000)
  }

  @Test func ratesAreBounded() {
    #expect(Rate(usdPerMillion: "100000")?.microPerMillion == Bounds.rate)
    #expect(Rate(usdPerMillion: "100000.000001") == nil)
    #expect(Rate(usdPerMillion: "9223372036854775807") == nil)
  }

  @Test func roundDivNeverOverflows() {
    let big = Int128.max / 2 + 10
    #expect(Money.roundDiv(big, Int128.max) == 1)
    #expect(Money.roundDiv(7, 2) == 4)
    #expect(Money.roundDiv(-7, 2) == -4)
    #expect(Money.roundDiv(5, 3) == 2)
    #expect(Money.roundDiv(4, 3) == 1)
  }

  /// The largest month the bounds allow: 2^42 records of the largest cost; sums fit.
  @Test func theWorstMonthFitsInt128() {
    let perRecord = Int128(6) * Int128(Bounds.tokens) * Int128(Bounds.rate)
    let (total, overflow) = perRecord.multipliedReportingOverflow(by: Int128(Bounds.recordsPerPass))
    #expect(!overflow)
    #expect(total < Int128.max / 4)
    var sums = TokenTotals()
    let record = TokenCounts(
      input: Bounds.tokens, cachedInput: Bounds.tokens, cacheWrite5m: Bounds.tokens, cacheWrite1h: Bounds.tokens,
      output: Bounds.tokens, webSearch: Bounds.tokens)
    for _ in 0..<1000 { sums += record }
    #expect(sums.totalInput == 4000 * Int128(Bounds.tokens))
  }

  @Test func aForecastOrPercentageBeyondInt128IsNoneRatherThanATrap() throws {
    let period = Period(year: 2026, month: 10)
    let context = PeriodContext(asOf: period.startMillis + PeriodContext.forecastLeastElapsed, isOpen: true)
    #expect(context.forecast(owed: .zero, runRate: Money(pico: Int128.max / 2), period: period) == nil)
    #expect(
      context.forecast(owed: Money(pico: Int128.max / 2), runRate: Money(pico: Int128.max / 2), period: period) == nil)
    #expect(context.forecast(owed: TestMoney.usd(10), runRate: TestMoney.usd(10), period: period) != nil)
    #expect(PeriodContext.changePercent(from: Money(pico: 1), to: Money(pico: Int128.max / 2)) == nil)
  }

  @Test func contextWindowsBeyond64BitsAreNoCount() {
    #expect(Pricer.parseCount("200k") == 200_000)
    #expect(Pricer.parseCount("99999999999999999k") == 0)
    #expect(Pricer.parseCount("9223372036854775807m") == 0)
  }

  @Test func recordsOutsideTheBoundsAreNamed() {
    var r = UsageRecord(
      provider: .bedrock, level: .request, format: "x", naturalKey: "k", time: 1_790_000_000_000, model: "m",
      tokens: TokenCounts(input: 1))
    #expect(r.boundsViolation == nil)
    r.tokens.output = Bounds.tokens + 1
    #expect(r.boundsViolation?.field == "tokens.output")
    r.tokens.output = -1
    #expect(r.boundsViolation?.message == "is negative (-1)")
    r.tokens.output = 0
    r.time = 0
    #expect(r.boundsViolation?.field == "time")
    #expect(r.countsViolation == nil)
    r.time = 1_790_000_000_000
    r.billed = Money(pico: Bounds.money + 1)
    #expect(r.boundsViolation?.field == "billed")
  }
}

/// USD amounts for these tests.
private enum TestMoney {
  static func usd(_ whole: Int128) -> Money { Money(pico: whole * Money.picoPerUSD) }
}
