import Testing

@testable import ChargebackModel

/// A finding's sums under provisioned commitments at the effective price (``ProvisionedFees``),
/// worked by hand.
@Suite struct ProvisionedFeesTests {
  /// 1e12 pico-USD (1 USD) under a fee of 1 for 3 of list: 1/3 USD, 333,333,333,333.33… →
  /// 333,333,333,333; 2 USD: 666,666,666,666.67 → 666,666,666,667; under a fee of 1 for 8 of list
  /// an eighth: 125,000,000,000 exactly; half a pico-dollar rounds away from
  /// zero: 1 pico × 1/2 = 0.5 → 1, and −1 pico → −1.
  @Test func listTimesFeeOverListRoundedHalfAwayFromZero() {
    let usd = Money.picoPerUSD
    let fees = ProvisionedFees([
      (commitment: 0, fee: Money(pico: usd), list: Money(pico: 3 * usd)),
      (commitment: 1, fee: Money(pico: usd), list: Money(pico: 8 * usd)),
      (commitment: 2, fee: Money(pico: 1), list: Money(pico: 2)),
    ])
    #expect(fees.effective(Money(pico: usd), commitment: 0) == Money(pico: 333_333_333_333))
    #expect(fees.effective(Money(pico: 2 * usd), commitment: 0) == Money(pico: 666_666_666_667))
    #expect(fees.effective(Money(pico: usd), commitment: 1) == Money(pico: 125_000_000_000))
    #expect(fees.effective(Money(pico: 1), commitment: 2) == Money(pico: 1))
    #expect(fees.effective(Money(pico: -1), commitment: 2) == Money(pico: -1))
  }

  /// A commitment whose calls list at or below its fee leaves them at list (the rest is idle), as
  /// does one the scales do not know.
  @Test func listAtOrBelowTheFeeStaysAtList() {
    let fees = ProvisionedFees([(commitment: 0, fee: Money(pico: 10), list: Money(pico: 10))])
    #expect(fees.isEmpty)
    #expect(fees.effective(Money(pico: 7), commitment: 0) == Money(pico: 7))
    #expect(fees.effective(Money(pico: 7), commitment: 5) == Money(pico: 7))
  }

  /// A sum with parts under two commitments and a part under none: each part scaled by its own.
  ///
  /// The rest is as it is. 10 USD in all: 3 under A (fee 1 for list 3: 1), 4 under B (fee 1 for list
  /// 2: 2), 3 under none: 1 + 2 + 3 = 6 USD.
  @Test func aSumIsScaledPartByPart() {
    let usd = Money.picoPerUSD
    let fees = ProvisionedFees([
      (commitment: 0, fee: Money(pico: usd), list: Money(pico: 3 * usd)),
      (commitment: 1, fee: Money(pico: usd), list: Money(pico: 2 * usd)),
    ])
    var atList = AtListUnderFee()
    atList.add(Money(pico: 2 * usd), commitment: 0)
    atList.add(Money(pico: 4 * usd), commitment: 1)
    atList.add(Money(pico: usd), commitment: 0)
    atList.add(nil, commitment: 1)
    atList.add(Money(pico: usd), commitment: nil)
    #expect(atList.parts.count == 2)
    #expect(fees.effective(Money(pico: 10 * usd), atList: atList) == Money(pico: 6 * usd))
  }
}
