/// The enums below are keys of the report pass's maps (a chargeback line's key holds four of
/// them). Each has a `String` raw value, and for such a type the standard library's
/// `RawRepresentable` default `hash(into:)` wins over the synthesised one: it hashes the raw text,
/// a SipHash over up to 30 bytes per field per lookup (callgrind, 100 k-call month: 2,200
/// instructions per line key, a fifth of them on these four fields). They hash their case instead.
/// Equality is unchanged (the synthesised one compares cases).
extension Hasher {
  /// Feeds the case of an enum without payloads: its in-memory tag, which is the same for equal
  /// values and differs between cases (`CaseHashingTests` checks both for every enum here).
  ///
  /// Only for the enums of this file: on a type with stored references, equal values could have
  /// different bytes. `CaseIterable` and the one-byte check keep it to payload-free enums.
  @inlinable
  package mutating func combineCase<E: RawRepresentable & Hashable & CaseIterable>(_ value: E) {
    assert(MemoryLayout<E>.size == 1, "\(E.self) is not a one-byte payload-free enum")
    withUnsafeBytes(of: value) { combine(bytes: $0) }
  }
}

extension Provider {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension SourceLevel {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension Tier {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension TokenClass {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension AttributionStatus {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension LineSource {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension FindingKind {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}

extension Severity {
  package func hash(into hasher: inout Hasher) { hasher.combineCase(self) }
}
