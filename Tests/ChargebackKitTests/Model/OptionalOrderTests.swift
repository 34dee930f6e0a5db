import Testing

@testable import ChargebackModel

/// `emptyFirstOrder` orders optional ids as `(a ?? "") < (b ?? "")` does, field by field: nil when
/// equal so, so a sort goes on to its next field.
@Suite struct OptionalOrderTests {
  @Test func ordersAsTheCoalescedStrings() {
    let values: [String?] = [nil, "", "a", "B", "b", "é", "e\u{301}", "ab", " "]
    for a in values {
      for b in values {
        let (x, y) = (a ?? "", b ?? "")
        let expected: Bool? = x == y ? nil : x < y
        #expect(emptyFirstOrder(a, b) == expected, "\(String(describing: a)) \(String(describing: b))")
      }
    }
  }
}
