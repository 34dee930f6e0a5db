/// JSON text that the writers build by hand (tags, demo lines): string literals with the escapes
/// JSON requires.
package enum JSONText {
  /// `text` as a JSON string literal, quotes included.
  package static func quoted(_ text: String) -> String {
    var out = "\""
    for u in text.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        // Controls, and the invisible characters SafeText shows escaped (a JSON cell of a CSV is
        // written as it is, so its values are made safe here, in JSON's own escapes).
        if SafeText.isHidden(u) {
          out += SafeText.escapeSequence(u)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
