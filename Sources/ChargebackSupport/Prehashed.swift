/// A dictionary key whose hash is computed once, where the key is made.
///
/// The report pass makes its keys (a line's dozen fields, a retry fingerprint's seven strings) on
/// the reading thread and looks them up on the summing one; hashing them there again was a tenth of
/// the summing thread's time. Equality still compares the whole key.
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
