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
    /// `Hasher`'s of the cost centre charged and of the owner: not part of the fingerprint (a run
    /// goes on across a change of the directory), they name the run's part (``RetryStorms/Part``).
    let centre: Int
    let owner: Int

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
      text(c.model)
      optional(c.attribution.taskID)
      optional(c.record.metadata.parentID)
      optional(c.record.promptHash)
      high = h.finalize()
      low = w.finalize()
      centre = c.attribution.costCentre.hashValue
      owner = c.attribution.ownerID.hashValue
    }

    package static func == (a: Self, b: Self) -> Bool { a.high == b.high && a.low == b.low }

    package func hash(into hasher: inout Hasher) { hasher.combine(high) }
  }
}

extension RetryStorms {
  /// The places of one fingerprint's open runs in ``RetryStorms/runs``, oldest first: most
  /// fingerprints have one run, kept without an array.
  struct Places: Sequence {
    private var firstPlace: Int32 = -1
    private var more: [Int32] = []

    init() {}

    init(first: Int32) { firstPlace = first }

    var isEmpty: Bool { firstPlace < 0 }

    mutating func append(_ p: Int32) {
      if firstPlace < 0 { firstPlace = p } else { more.append(p) }
    }

    func makeIterator() -> Iterator { Iterator(places: self) }

    struct Iterator: IteratorProtocol {
      let places: Places
      var position = 0

      mutating func next() -> Int32? {
        defer { position += 1 }
        if position == 0 { return places.firstPlace < 0 ? nil : places.firstPlace }
        return position - 1 < places.more.count ? places.more[position - 1] : nil
      }
    }
  }
}
