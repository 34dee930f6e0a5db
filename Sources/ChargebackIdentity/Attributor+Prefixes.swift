import ChargebackModel
import Foundation

/// Step 1's prefix rows (ids ending in `*`): matched on bytes where the bytes settle it, the
/// longest first, and cached per name (or per assumed role) for providers of many rows.
extension Attributor {
  /// A prefix row: its prefix (the id without the `*`) and, when that is ASCII, its bytes.
  ///
  /// A class: the rows are tried one by one per call, and a struct was copied out of the array
  /// for each try (a retain and a release of each of its credential's strings).
  final class PrefixRow {
    let prefix: String
    let ascii: [UInt8]?
    let row: RegisteredRow

    init(prefix: String, row: RegisteredRow) {
      self.prefix = prefix
      self.row = row
      ascii = prefix.utf8.allSatisfy { $0 < 0x80 } ? Array(prefix.utf8) : nil
    }

    /// Whether a name whose UTF-8 bytes are `n` (all ASCII when `nameIsASCII`) starts with the
    /// prefix as `hasPrefix` says; nil when the bytes do not settle it.
    ///
    /// `hasPrefix` compares characters (grapheme clusters) up to canonical equivalence, and on
    /// every row that cost more than the rest of an attribution when a call's credential was tried
    /// against a dozen prefix rows (callgrind: 5,000 instructions per call on the 100 k friendly
    /// month). For an ASCII prefix the bytes decide wherever the name's bytes they meet are ASCII:
    /// the only non-ASCII scalars canonically equal to ASCII ones (U+212A KELVIN SIGN, U+037E
    /// GREEK QUESTION MARK, U+1FEF GREEK VARIA) are multi-byte, and an ASCII byte after the prefix
    /// starts a character of its own, but a line feed after a carriage return. At a non-ASCII byte
    /// of the name (a combining mark after the prefix, one of those three), `hasPrefix` answers.
    func bytePrefix(_ n: UnsafeBufferPointer<UInt8>, nameIsASCII: Bool) -> Bool? {
      guard let ascii else { return nil }
      return ascii.withUnsafeBufferPointer { p -> Bool? in
        let same: Bool
        if let nb = n.baseAddress, let pb = p.baseAddress {
          same = n.count >= p.count && memcmp(nb, pb, p.count) == 0
        } else {
          same = p.isEmpty  // an empty prefix (the row `*`) starts every name
        }
        guard same else {
          if nameIsASCII { return false }
          var i = 0
          while i < min(n.count, p.count), n[i] == p[i] { i += 1 }
          return i < n.count && n[i] >= 0x80 ? nil : false
        }
        guard n.count > p.count else { return true }
        let next = n[p.count]
        return next < 0x80 && !(next == UInt8(ascii: "\n") && p.last == UInt8(ascii: "\r")) ? true : nil
      }
    }
  }

  /// The longest prefix row of `provider` that `name` starts with.
  ///
  /// Past ``prefixScanLimit`` rows, cached: by the name, or for an assumed-role session, when no
  /// prefix row of the provider reaches past a role, by the ARN up to its session name. With a
  /// session name per call (Lambda, ECS), a cache by the name missed on every call, each miss a
  /// scan of every row and an insert. When a row does reach past a role (`…/role-8/ci-*`), the
  /// rows that can match a session of the role are kept by the role (``roleCandidates``: those
  /// the role's ARN starts with, and those that start with it), and the session is tried against
  /// them alone: a trial's one such row beside 5,600 others made every call of a session per call
  /// a scan of them all (63 % of a report's time).
  func prefixMatch(provider: String, name: String) -> RegisteredRow? {
    guard let rows = prefixes[provider] else { return nil }
    guard rows.count > Self.prefixScanLimit else { return Self.firstPrefix(of: name, in: rows) }
    if let session = STSSession(name) {
      // Through the slash before the session name, when the session name starts with an ASCII
      // character: the slash then ends a character (a combining mark after it would not), so a
      // prefix that stops at the role matches the session exactly when it matches this, and a
      // longer one can only match when it starts with this.
      let u = name.utf8
      let afterSlash = u.index(after: session.roleEnd)
      if u[afterSlash] < 0x80 {
        let role = String(name[..<afterSlash])
        guard !prefixesStopAtRoles.contains(provider) else {
          return cachedMatch(provider: provider, key: role, name: name, rows: rows)
        }
        let key = provider + "\u{0}" + role
        if let candidates = roleCandidates[key] { return Self.firstPrefix(of: name, in: candidates) }
        let candidates = Self.candidates(rows, role: role)
        if roleCandidates.count >= Self.attributionCacheLimit { roleCandidates.removeAll(keepingCapacity: true) }
        roleCandidates[key] = candidates
        return Self.firstPrefix(of: name, in: candidates)
      }
    }
    return cachedMatch(provider: provider, key: name, name: name, rows: rows)
  }

  /// The rows of `rows` that can match a session of the assumed role whose ARN up to its session
  /// name is `role`: those `role` starts with, and those that start with `role`, in order.
  ///
  /// On the bytes when both are ASCII (`hasPrefix` on every row for every role was most of a
  /// report with thousands of roles); a row the bytes leave out can then not match, and the
  /// session is still tried against the rows kept with `hasPrefix`'s own rules.
  static func candidates(_ rows: [PrefixRow], role: String) -> [PrefixRow] {
    let roleBytes = Array(role.utf8)
    let roleASCII = roleBytes.allSatisfy { $0 < 0x80 }
    return rows.filter { row in
      guard roleASCII, let p = row.ascii else { return role.hasPrefix(row.prefix) || row.prefix.hasPrefix(role) }
      return p.count <= roleBytes.count
        ? roleBytes.starts(with: p) : p.starts(with: roleBytes)
    }
  }

  /// The first row of `rows` that `name` starts with, cached under `key`.
  private func cachedMatch(provider: String, key: String, name: String, rows: [PrefixRow]) -> RegisteredRow? {
    let cacheKey = CredentialKey(provider: provider, id: key, alias: nil, project: nil)
    if let hit = credentialCache[cacheKey] { return hit }
    let found = Self.firstPrefix(of: name, in: rows)
    if credentialCache.count >= Self.attributionCacheLimit { credentialCache.removeAll(keepingCapacity: true) }
    credentialCache[cacheKey] = found
    return found
  }

  /// Whether a prefix row's prefix runs past an assumed role's name into its session names.
  ///
  /// Such a prefix (`…:assumed-role/batch/nightly-`) can match two sessions of one role
  /// differently. A prefix that stops at the role (`…/batch/`) or inside its name (`…/fin-`) matches every
  /// session of a role or none.
  static func reachesPastRole(_ prefix: String) -> Bool {
    guard let r = prefix.range(of: ":assumed-role/") else { return false }
    let afterRole = prefix[r.upperBound...]
    guard let slash = afterRole.firstIndex(of: "/") else { return false }
    return afterRole.index(after: slash) != afterRole.endIndex
  }

  /// The first row of `rows` whose prefix `name` starts with.
  ///
  /// On the name's bytes (``PrefixRow/bytePrefix(_:nameIsASCII:)``), with `hasPrefix` where they
  /// do not settle it.
  static func firstPrefix(of name: String, in rows: [PrefixRow]) -> RegisteredRow? {
    let found: RegisteredRow?? = name.utf8.withContiguousStorageIfAvailable { n in
      let ascii = n.allSatisfy { $0 < 0x80 }
      for row in rows where row.bytePrefix(n, nameIsASCII: ascii) ?? name.hasPrefix(row.prefix) {
        return row.row
      }
      return nil
    }
    if let found { return found }
    for row in rows where name.hasPrefix(row.prefix) { return row.row }
    return nil
  }
}
