/// The list cost a sum holds of calls under provisioned commitments (SPEC §12), per commitment.
///
/// Such a call is charged at list in the pass; what it really costs, list × fee ÷ list of all the
/// commitment's calls, is known only once the period is summed. A finding that sums calls keeps
/// this beside its cost, so that its cost and avoidable cost can be put at the same effective
/// price as the lines (``ProvisionedFees``): a retry storm under a 3,100 USD fee for 10,000 USD of
/// list had shown its list cost, three times what its cost centre was charged for it (a trial).
package struct AtListUnderFee: Sendable, Hashable {
  /// One commitment's part: its index in the directory's commitments, and the list cost.
  package struct Part: Sendable, Hashable {
    package var commitment: Int
    package var list: Money
  }

  /// One part per commitment, in the order they came (a sum seldom holds more than one).
  package private(set) var parts: [Part] = []

  package init() {}

  /// Whether no call of the sum is under a provisioned commitment.
  package var isEmpty: Bool { parts.isEmpty }

  /// Adds `list`, the list cost of calls under `commitment`; nothing for nil (no provisioned
  /// commitment) or an unpriced call.
  package mutating func add(_ list: Money?, commitment: Int?) {
    guard let commitment, let list else { return }
    if let i = parts.firstIndex(where: { $0.commitment == commitment }) {
      parts[i].list += list
    } else {
      parts.append(Part(commitment: commitment, list: list))
    }
  }

}

/// What each provisioned commitment's calls cost against their list, once the period is summed
/// (SPEC §12): with fee F and list L of its calls, L > F puts them at list × F ÷ L; L ≤ F leaves
/// them at list (the rest of the fee is the idle line).
///
/// The lines get F split by largest remainder; a finding's sums are scaled here, each rounded half
/// away from zero to the pico-dollar, so they can be a pico-dollar from the lines' parts.
package struct ProvisionedFees: Sendable {
  private var scales: [Int: (fee: Money, list: Money)] = [:]

  /// No commitment scaled: every amount stays as it is.
  package init() {}

  /// The commitments whose calls' list exceeded their fee, by index in the directory's commitments.
  package init(_ byCommitment: [(commitment: Int, fee: Money, list: Money)]) {
    for c in byCommitment where c.list > c.fee && c.list.pico > 0 { scales[c.commitment] = (c.fee, c.list) }
  }

  /// Whether no amount changes.
  package var isEmpty: Bool { scales.isEmpty }

  /// The effective cost of `list` spent under `commitment`.
  package func effective(_ list: Money, commitment: Int) -> Money {
    guard let s = scales[commitment] else { return list }
    let product = list.pico.multipliedFullWidth(by: s.fee.pico)
    let (q, r) = s.list.pico.dividingFullWidth(product)
    // Half away from zero, as ``Money/roundDiv(_:_:)``; the remainder has the dividend's sign.
    let m = r < 0 ? -r : r
    guard m >= s.list.pico - m else { return Money(pico: q) }
    return Money(pico: r < 0 ? q - 1 : q + 1)
  }

  /// `amount` with the part `atList` holds put at its commitments' effective price.
  package func effective(_ amount: Money, atList: AtListUnderFee) -> Money {
    atList.parts.reduce(amount) { $0 - $1.list + effective($1.list, commitment: $1.commitment) }
  }
}
