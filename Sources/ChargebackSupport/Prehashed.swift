/// A dictionary key whose hash is computed once, where the key is made.
///
/// The report pass hashes each record's line and FOCUS-group keys (a dozen fields each) once, for
/// the lookup and the change in place that follows it. Equality still compares the whole key.
package struct Prehashed<Key: Hashable & Sendable>: Hashable, Sendable {
  package let key: Key
  private let hash: Int

  package init(_ key: Key) {
    self.key = key
    hash = key.hashValue
  }

  package func hash(into hasher: inout Hasher) { hasher.combine(hash) }

  package static func == (a: Self, b: Self) -> Bool { a.hash == b.hash && a.key == b.key }
}
