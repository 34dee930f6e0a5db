/// A dictionary key whose hash is computed once, where the key is made.
///
/// The report pass hashes a FOCUS group's key once when a line moves to another day or account, for
/// the lookup and, for a new group, the insert (a line's key is found from the record's own fields:
/// ``LineIndex``). Equality still compares the whole key.
///
/// In the module of its only user: from another module, its generic code was not specialised for
/// the key types (even marked inlinable), and every call looked its type metadata up (callgrind,
/// 100 k-call month: the wrapper's calls and metadata lookups were 10 % of the report).
struct Prehashed<Key: Hashable & Sendable>: Hashable, Sendable {
  let key: Key
  private let hash: Int

  init(_ key: Key) {
    self.key = key
    hash = key.hashValue
  }

  /// The key's hash, as computed when it was made.
  var storedHash: Int { hash }

  func hash(into hasher: inout Hasher) { hasher.combine(hash) }

  static func == (a: Self, b: Self) -> Bool { a.hash == b.hash && a.key == b.key }
}
