/// Natural keys of report and cost rows: their grouping values joined with `|`.
///
/// Each value is written so that no two rows share a key: a missing value is `-`, and in a value
/// `\` becomes `\\`, `|` becomes `\|`, and a value that is exactly `-` becomes `\-`. Joined as
/// they were, an OpenAI row of project `P|-|K` and no user and one of project `P` and user `-|K|-`
/// had one key, and the second was refused as a conflicting duplicate (never charged). Values
/// without `\`, `|` or a lone `-` are written as before, so the keys of such rows, which stores
/// already hold, do not change.
package enum KeyParts {
  /// The parts of a key ``join(_:)`` made: `|` between them, `\` escaping the next character, a
  /// lone unescaped `-` for nil.
  package static func split(_ key: String) -> [String?] {
    var out: [String?] = []
    var current = ""
    var escaped = false
    var escaping = false
    func close() {
      out.append(current == "-" && !escaped ? nil : current)
      (current, escaped) = ("", false)
    }
    for c in key {
      if escaping {
        (escaping, escaped) = (false, true)
        current.append(c)
      } else if c == "\\" {
        escaping = true
      } else if c == "|" {
        close()
      } else {
        current.append(c)
      }
    }
    close()
    return out
  }

  /// `parts` escaped and joined with `|`; nil is `-`.
  static func join(_ parts: [String?]) -> String {
    parts.map { part in part.map { escaped($0, also: []) } ?? "-" }.joined(separator: "|")
  }

  /// `value` with `\`, `|` and the characters of `also` escaped by a `\`, and a lone `-` as `\-`.
  static func escaped(_ value: String, also: Set<Character>) -> String {
    if value == "-" { return "\\-" }
    guard value.contains(where: { $0 == "\\" || $0 == "|" || also.contains($0) }) else { return value }
    var out = ""
    for c in value {
      if c == "\\" || c == "|" || also.contains(c) { out.append("\\") }
      out.append(c)
    }
    return out
  }
}
