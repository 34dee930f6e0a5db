import ChargebackModel

extension RetryStorms {
  /// Everything of the fingerprint but the input size class, as two 64-bit hashes of its fields:
  /// `Hasher`'s (SipHash, seeded per process) and ``WordHash``'s, each of the fields with their
  /// lengths and whether they are there.
  ///
  /// Two different fingerprints are taken for one only when both hashes agree: for 10⁷ calls a
  /// month, each against up to 10⁶ runs open at once, a chance of about 2⁻⁸⁵. Comparing the fields
  /// themselves needs the first call's strings kept, which is what this type avoids. The hashes
  /// are of the fields' bytes (`Hasher`'s of a `String` is of its canonical form, `WordHash`'s of
  /// its UTF-8): two spellings of one text that differ only in their Unicode normalisation (NFC,
  /// NFD) are two fingerprints, where `String`'s `==` made them one.
  ///
  /// Package-visible so that the report pass's reading thread can work it out beside the charge
  /// and hand it to ``observe(_:row:fingerprint:)`` with the record: it is a pure function of the
  /// charged record, and the thread that observes is the pass's busier one.
  package struct Fingerprint: Hashable, Sendable {
    let high: Int
    let low: UInt64

    package init(_ c: borrowing ChargedRecord) {
      var h = Hasher()
      var w = WordHash()
      func text(_ s: String) {
        h.combine(s)
        w.combine(s)
      }
      func optional(_ s: String?) {
        if let s {
          h.combine(true)
          w.combine(1)
          text(s)
        } else {
          h.combine(false)
          w.combine(0)
        }
      }
      text(c.record.provider.rawValue)
      optional(c.attribution.credentialID)
      if c.attribution.credentialID == nil { optional(c.record.credential) }
      optional(c.attribution.agentID)
      optional(c.attribution.ownerID)
      text(c.attribution.costCentre)
      text(c.model)
      optional(c.attribution.taskID)
      optional(c.record.metadata.parentID)
      optional(c.record.promptHash)
      high = h.finalize()
      low = w.finalize()
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(high) }
  }
}
