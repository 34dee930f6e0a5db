/// Case-insensitive glob matching (`*` any run, `?` one character) over the whole string, used by
/// model aliases and scope model lists.
package struct Glob: Sendable, Hashable {
  /// The pattern as written.
  package let pattern: String
  private let bytes: [UInt8]

  package init(_ pattern: String) {
    self.pattern = pattern
    bytes = Array(pattern.lowercased().utf8)
  }

  /// Characters that are not wildcards: the more, the more specific the pattern.
  package var literalCount: Int { bytes.filter { $0 != 42 && $0 != 63 }.count }

  /// True when the pattern has no wildcard.
  package var isLiteral: Bool { !bytes.contains(42) && !bytes.contains(63) }

  /// True when `text` matches the whole pattern.
  package func matches(_ text: String) -> Bool {
    let t = Array(text.lowercased().utf8)
    var p = 0, s = 0
    var star = -1, mark = 0
    while s < t.count {
      if p < bytes.count, bytes[p] == 63 || bytes[p] == t[s] {
        p += 1
        s += 1
      } else if p < bytes.count, bytes[p] == 42 {
        star = p
        mark = s
        p += 1
      } else if star >= 0 {
        p = star + 1
        mark += 1
        s = mark
      } else {
        return false
      }
    }
    while p < bytes.count, bytes[p] == 42 { p += 1 }
    return p == bytes.count
  }
}
