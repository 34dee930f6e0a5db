import Foundation

/// The outputs' bytes checked without reading them again, where the store remembers their copies.
extension ReportWriter {
  /// True when the output `name` in `--out` has the bytes whose SHA-256 is `sha256`.
  ///
  /// Without reading it when ``knownCopies`` has it with that hash as the very copy that is there
  /// (device, inode, size and modification time: a rename into place keeps them, an edit or a
  /// copy over it does not): the run with nothing new of a large directory's month read every
  /// output to hash it, `focus.csv` alone 1.7 GB, 65 % of its 1.6 s (perf), past the 5 % of the
  /// first run that a daily run may cost. Else it is read and hashed.
  ///
  /// - Throws: the failure to read it.
  func hasBytes(_ name: String, sha256: String) throws -> Bool {
    let target = path(name)
    if let known = knownCopies[name], let copy = Copy(path: target), known == Self.copyText(sha256, copy) {
      return true
    }
    return try Self.sha256(target) == sha256
  }

  /// The copies of the outputs in `--out` whose hashes are `hashes` (name → SHA-256), as
  /// ``knownCopies`` takes them.
  func copies(_ hashes: [String: String]) -> [String: String] {
    var copies: [String: String] = [:]
    for (name, sha) in hashes {
      if let copy = Copy(path: path(name)) { copies[name] = Self.copyText(sha, copy) }
    }
    return copies
  }

  private static func copyText(_ sha256: String, _ copy: Copy) -> String { sha256 + "\t" + copy.text }

  /// ``Publication/copies`` as the store keeps them (a JSON object); ``decodeCopies(_:)`` reads it
  /// back, and anything else as none (every output is then read to check it).
  static func encodeCopies(_ copies: [String: String]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: copies, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  static func decodeCopies(_ text: String?) -> [String: String] {
    guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else {
      return [:]
    }
    return object
  }
}
