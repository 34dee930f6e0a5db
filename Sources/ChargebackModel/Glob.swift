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

  package init(_ pattern: String) {
    self.pattern = pattern
    characters = Array(pattern.lowercased())
  }

  /// Characters that are not wildcards: the more, the more specific the pattern.
  package var literalCount: Int { characters.filter { $0 != "*" && $0 != "?" }.count }

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
}
