/// Case-insensitive glob matching (`*` any run, `?` one character) over the whole string, used by
/// model aliases and scope model lists.
///
/// On characters (grapheme clusters), so that `?` is one character whatever its UTF-8 length and a
/// character matches its other canonical spellings (`é` precomposed or decomposed), as `String`'s
/// `==` does. A `*` in the pattern is always a wildcard, also where the text has a `*`.
package struct Glob: Sendable, Hashable {
  /// The pattern as written.
  package let pattern: String
  private let characters: [Character]

  /// Characters that are not wildcards: the more, the more specific the pattern.
  package let literalCount: Int

  package init(_ pattern: String) {
    self.pattern = pattern
    characters = Array(pattern.lowercased())
    literalCount = characters.count { $0 != "*" && $0 != "?" }
  }

  /// True when the pattern has no wildcard.
  package var isLiteral: Bool { !characters.contains("*") && !characters.contains("?") }

  /// True when `text` matches the whole pattern.
  ///
  /// Greedy with backtracking to the last `*`: O(pattern × text) at worst, without recursion.
  package func matches(_ text: String) -> Bool {
    let t = Array(text.lowercased())
    let pat = characters
    var p = 0, s = 0
    var star = -1, mark = 0
    while s < t.count {
      if p < pat.count, pat[p] == "*" {
        star = p
        mark = s
        p += 1
      } else if p < pat.count, pat[p] == "?" || pat[p] == t[s] {
        p += 1
        s += 1
      } else if star >= 0 {
        p = star + 1
        mark += 1
        s = mark
      } else {
        return false
      }
    }
    while p < pat.count, pat[p] == "*" { p += 1 }
    return p == pat.count
  }

  /// True when some text matches both `self` and `other` (case-insensitively, as ``matches(_:)``).
  ///
  /// A walk over both patterns at once, each position pair once: O(pattern × other).
  package func overlaps(_ other: Glob) -> Bool {
    let a = characters, b = other.characters
    // reachable[i][j]: a[..<i] and b[..<j] can match one same text.
    var reachable = [[Bool]](repeating: [Bool](repeating: false, count: b.count + 1), count: a.count + 1)
    reachable[0][0] = true
    for i in 0...a.count {
      for j in 0...b.count where reachable[i][j] {
        let ca = i < a.count ? a[i] : nil
        let cb = j < b.count ? b[j] : nil
        if ca == "*" {
          reachable[i + 1][j] = true  // the star matches nothing more
          if cb != nil { reachable[i][j + 1] = true }  // it takes b's next character (or b's star's text)
        }
        if cb == "*" {
          reachable[i][j + 1] = true
          if ca != nil { reachable[i + 1][j] = true }
        }
        if let ca, let cb, ca != "*", cb != "*", ca == "?" || cb == "?" || ca == cb {
          reachable[i + 1][j + 1] = true
        }
      }
    }
    return reachable[a.count][b.count]
  }
}
