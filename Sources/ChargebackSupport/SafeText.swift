/// Text from inputs made safe to show (SPEC §11): in a CSV a spreadsheet opens, in a workbook cell,
/// and on a terminal.
///
/// Identifiers come from usage logs written by anyone who holds a key: a task id may start with
/// `=` (a live formula once the CSV is opened), hold a NUL that hides the rest of it (`bot\0-evil`
/// would show as `bot`, impersonating a registered agent), terminal escape sequences, or 40,000
/// characters.
package enum SafeText {
  /// The most characters a workbook cell holds.
  package static let cellLimit = 32_767
  /// What marks a value cut to fit a cell.
  package static let cutMarker = "…[cut]"

  /// `s` with control characters shown escaped, so that two different values never look alike.
  ///
  /// Every character ``isHidden(_:)`` names (controls, the line and paragraph separators, the
  /// characters Unicode renders invisibly, the non-characters) becomes `\uXXXX`
  /// (``escapeSequence(_:)``); a backslash becomes `\\`, so an escape written literally in the
  /// input stays distinct from the character it names. Everything else is kept.
  package static func escaped(_ s: String) -> String {
    // Printable ASCII but the backslash needs nothing (every other scalar is either a control or
    // encoded with bytes ≥ 0x80): a byte scan, far cheaper than decoding scalars, for the usual value.
    let plain = s.utf8.withContiguousStorageIfAvailable { bytes in
      bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }
    }
    if plain == true { return s }
    guard s.unicodeScalars.contains(where: needsEscape) else { return s }
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
      if u == "\\" {
        out.append(contentsOf: "\\\\".unicodeScalars)
      } else if needsEscape(u) {
        out.append(contentsOf: escapeSequence(u).unicodeScalars)
      } else {
        out.append(u)
      }
    }
    return String(out)
  }

  private static func needsEscape(_ u: Unicode.Scalar) -> Bool { u == "\\" || isHidden(u) }

  /// `u` escaped as JSON escapes it.
  ///
  /// `\u` and four lowercase hex digits, or for a scalar above U+FFFF (a tag character, a
  /// non-character of another plane) its UTF-16 surrogate pair, two such escapes. Always four
  /// digits, so that the text after an escape may start with hex digits itself (`\u202eabc`).
  package static func escapeSequence(_ u: Unicode.Scalar) -> String {
    func four(_ v: UInt32) -> String {
      let hex = String(v, radix: 16, uppercase: false)
      return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
    guard u.value > 0xFFFF else { return four(u.value) }
    let v = u.value - 0x10000
    return four(0xD800 + (v >> 10)) + four(0xDC00 + (v & 0x3FF))
  }

  /// `u` as Unicode names it, `U+` and at least four hex digits (`U+00AD`, `U+E0041`): how an error
  /// message names a character, since an escape in a message shows doubled once the message is
  /// escaped for the terminal.
  package static func codePoint(_ u: Unicode.Scalar) -> String {
    let hex = String(u.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
  }

  /// Whether `u` is a control, invisible or non-character, which must never reach an output as it is.
  ///
  /// Those are C0, DEL, C1, the line and paragraph separators, every character Unicode says to
  /// render invisibly (`Default_Ignorable_Code_Point`: zero-width and direction marks,
  /// bidirectional controls, invisible operators, the byte-order mark, the soft hyphen, variation
  /// selectors, Hangul fillers, tag characters), and the non-characters (U+FDD0–U+FDEF and the last
  /// two of every plane). ``JSONText`` escapes the same ones.
  ///
  /// Why each group:
  /// - an invisible character makes two different ids look alike (`batcher` followed by a soft
  ///   hyphen or a tag character showed as the registered agent `batcher` in a trial);
  /// - U+FFFE and U+FFFF are not allowed in XML: one in a task id made both workbooks unreadable
  ///   (openpyxl: "not well-formed"; LibreOffice dropped the cells) while the run succeeded.
  package static func isHidden(_ u: Unicode.Scalar) -> Bool {
    // Written out from Unicode 15's DerivedCoreProperties.txt rather than read from the
    // standard library's tables: a switch on the value costs nothing per scalar of a non-ASCII
    // field, and the outputs do not change with the toolchain's Unicode version.
    switch u.value {
    case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1
    // The line and paragraph separators: a line break in a viewer, which a CSV or a terminal line
    // would split on.
    case 0x2028, 0x2029: return true
    // Default_Ignorable_Code_Point.
    case 0xAD, 0x34F, 0x61C, 0x115F...0x1160, 0x17B4...0x17B5, 0x180B...0x180F, 0x200B...0x200F, 0x202A...0x202E,
      0x2060...0x206F, 0x3164, 0xFE00...0xFE0F, 0xFEFF, 0xFFA0, 0xFFF0...0xFFF8, 0x1BCA0...0x1BCA3,
      0x1D173...0x1D17A, 0xE0000...0xE0FFF:
      return true
    // Non-characters.
    case 0xFDD0...0xFDEF: return true
    default: return u.value & 0xFFFE == 0xFFFE
    }
  }

  /// A CSV field: escaped, and formula-like text prefixed with `'`.
  ///
  /// A spreadsheet reads text starting with `=`, `+`, `-` or `@` as a formula; a plain decimal
  /// number (`-12.5`) is left as it is. A value that starts with quotes (`'`, `"`) before such text
  /// (`'=x`) gets one `'` more (`''=x`), so that it never shows as the field of another value (`=x`
  /// shows as `'=x`): one leading `'` is taken off exactly when the text after the leading quotes
  /// is formula-like (``unescaped(_:)``).
  ///
  /// The same holds after every `;`: where the list separator is `;` (much of Europe), a
  /// spreadsheet opening the file splits a line at each `;` outside a field that *starts* with a
  /// quote, so `x;=1+1` in the middle of a line becomes a cell `=1+1`, a live formula. Each part
  /// after a `;` is judged as a value's start: `x;=1+1` is written `x;'=1+1`. The last such part
  /// gets its `'` before any `-`, a number too: that cell runs on past the field's end into the
  /// next field (`arn;-1` beside `5+cmd|…` is the cell `-1,5+cmd|…`, a formula where `,` is the
  /// decimal mark).
  package static func csvField(_ s: String) -> String {
    let e = escaped(s)
    // Most values hold no `;`: one check of the start. The scan on the string's own bytes: the
    // generic `utf8.contains` was 2 % of a report writing a CSV row per task.
    let semicolon = e.utf8.withContiguousStorageIfAvailable { $0.contains(UInt8(ascii: ";")) }
    guard semicolon ?? e.utf8.contains(UInt8(ascii: ";")) else {
      return startsLikeAFormula(afterQuotesOf: e.utf8) ? "'" + e : e
    }
    var out: [UInt8] = []
    out.reserveCapacity(e.utf8.count + 4)
    let parts = e.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
    for (k, part) in parts.enumerated() {
      if k > 0 { out.append(UInt8(ascii: ";")) }
      if needsQuote(part, last: k > 0 && k == parts.count - 1) { out.append(UInt8(ascii: "'")) }
      out.append(contentsOf: part)
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Whether a part of a field (split at `;`) gets a `'`: formula-like after its quotes, or, for
  /// the last part after a `;` (`last`), starting with `-` after them even as a number.
  private static func needsQuote<C: Collection<UInt8>>(_ part: C, last: Bool) -> Bool {
    if startsLikeAFormula(afterQuotesOf: part) { return true }
    return last && part.drop { $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\"") }.first == UInt8(ascii: "-")
  }

  /// A CSV field holding a JSON document (FOCUS `Tags`) that ``JSONText`` made safe: every `;`
  /// written as JSON's own `\u003b`, which a JSON reader reads back as `;`.
  ///
  /// A spreadsheet whose list separator is `;` splits the document at each `;` in its strings, and
  /// a piece such as `=1+1` of `{"agent":"bot;=1+1;"}` would be a live formula. JSON has no `;`
  /// outside strings, so the document stays the same document.
  package static func csvJSONField(_ document: String) -> String {
    guard document.utf8.contains(UInt8(ascii: ";")) else { return document }
    var out: [UInt8] = []
    out.reserveCapacity(document.utf8.count + 10)
    for b in document.utf8 {
      if b == UInt8(ascii: ";") { out.append(contentsOf: "\\u003b".utf8) } else { out.append(b) }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Whether the text of `bytes` after its leading quotes (`'` and `"`) would be read as a formula.
  ///
  /// A `"` counts with the `'`s: after a `;`, `"=1+1` is written `""=1+1` inside a quoted field,
  /// and a spreadsheet splitting at `;` reads a piece that starts with a quote as a quoted value of
  /// its own, whose text can then start with `=`.
  private static func startsLikeAFormula<C: Collection<UInt8>>(afterQuotesOf bytes: C) -> Bool {
    // On bytes: the four and the quotes are ASCII, so a scalar is one of them exactly when its
    // first byte is (the scalar view cost more than the rest of writing the field).
    guard let head = bytes.first else { return false }
    switch head {
    case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"),
      UInt8(ascii: "@"):
      break
    default: return false  // the usual value, settled by its first byte
    }
    let rest = bytes.drop { $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "\"") }
    guard let first = rest.first,
      first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
        || first == UInt8(ascii: "@")
    else { return false }
    return !isPlainNumber(rest)
  }

  /// `shown` with the `'` that ``csvField(_:)`` put at its start and after each `;` taken off.
  private static func withoutFormulaQuotes(_ shown: String) -> String {
    guard shown.utf8.contains(UInt8(ascii: "'")) else { return shown }
    var out: [UInt8] = []
    out.reserveCapacity(shown.utf8.count)
    let parts = shown.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
    for (k, part) in parts.enumerated() {
      if k > 0 { out.append(UInt8(ascii: ";")) }
      if part.first == UInt8(ascii: "'"), needsQuote(part, last: k > 0 && k == parts.count - 1) {
        out.append(contentsOf: part.dropFirst())
      } else {
        out.append(contentsOf: part)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Whether `s` reads like a row or group a sheet makes itself: `TOTAL`, `All other …`, or a
  /// parenthesised label such as `(none)` (any case, after spaces).
  static func readsLikeASheetLabel(_ s: String) -> Bool {
    // Most values start, after ASCII spaces, with an ASCII byte that begins no label: a byte test
    // settles them (splitting into words by `Character.isWhitespace` was 5 % of a report's CPU
    // writing a cell per line), and so does a first word of ASCII letters that is not `TOTAL` or
    // `ALL` (3 % of the 1 M cardinality month's, whose agents and tasks start with a or t). Any
    // other start, a non-ASCII one included (a no-break space may lead), takes the full test below.
    let settled = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
      guard let i = bytes.firstIndex(where: { $0 != 0x20 && !(0x09...0x0D).contains($0) }) else { return false }
      switch bytes[i] {
      // `(` then an ASCII byte or the end is a character of its own; before a combining mark or
      // a joiner it is part of another, which the word test (by characters) does not take for `(`.
      case UInt8(ascii: "("): return i + 1 == bytes.count || bytes[i + 1] < 0x80 ? true : nil
      case UInt8(ascii: "t"), UInt8(ascii: "T"): return firstWord(bytes, at: i, is: "total")
      case UInt8(ascii: "a"), UInt8(ascii: "A"): return firstWord(bytes, at: i, is: "all")
      case let first: return first < 0x80 ? false : nil
      }
    }
    if let settled, let settled { return settled }
    // Any white space around or inside (a no-break space after TOTAL showed as a second TOTAL).
    let words = s.split(whereSeparator: \.isWhitespace)
    guard let first = words.first else { return false }
    if first.hasPrefix("(") { return true }
    return words.count == 1 && first.uppercased() == "TOTAL"
      || words.count >= 2 && first.uppercased() == "ALL" && words[1].uppercased().hasPrefix("OTHER")
  }

  /// Whether the word at `i` is `word` (ASCII, any case) followed by its end: false when it is
  /// not, nil (the full test decides) when it is, or when a byte that matters is not ASCII.
  ///
  /// The words a label starts with (`TOTAL`, `ALL`) are ASCII, and no non-ASCII letter upper-cases
  /// to one of their letters, so an ASCII word that differs settles it. The word followed by white
  /// space, a non-ASCII byte or the end takes the full test: only it knows what follows.
  private static func firstWord(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, is word: StaticString) -> Bool? {
    let n = word.utf8CodeUnitCount
    guard bytes.count - i >= n else { return false }
    let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
    for k in 0..<n {
      let b = bytes[i + k]
      if b >= 0x80 { return nil }
      if b | 0x20 != w[k] { return false }
    }
    guard i + n < bytes.count else { return nil }
    let next = bytes[i + n]
    return next == 0x20 || (0x09...0x0D).contains(next) || next >= 0x80 ? nil : false
  }

  /// `-?digits[.digits]`: a number a spreadsheet reads as a number, never as a formula.
  private static func isPlainNumber<C: Collection<UInt8>>(_ s: C) -> Bool {
    var digits = 0
    var point = false
    var last: UInt8 = 0
    for (k, c) in s.enumerated() {
      last = c
      if c == UInt8(ascii: "-") && k == 0 { continue }
      if c == UInt8(ascii: ".") && !point && digits > 0 {
        point = true
        continue
      }
      guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return false }
      digits += 1
    }
    return digits > 0 && last != UInt8(ascii: ".")
  }

  /// A workbook cell's text: escaped and cut to ``cellLimit`` characters with ``cutMarker``.
  ///
  /// With `data` (an id or a name from the inputs, not a label the sheet makes), a value that reads
  /// like one of a sheet's own rows or groups (`TOTAL`, `All other (…)`, `(none)`, `(allocated: …)`)
  /// shows its first character escaped (`\u0054OTAL`): a key holder could otherwise plant a second
  /// TOTAL row, or a task id `(none)` that reads as the calls without a task. ``unescaped(_:)``
  /// gives the value back, as for any escape.
  package static func cell(_ s: String, data: Bool = false) -> String {
    var e = escaped(s)
    if data, readsLikeASheetLabel(e), let first = e.unicodeScalars.first {
      e = escapeSequence(first) + String(e.unicodeScalars.dropFirst())
    }
    // UTF-16 never takes more code units than UTF-8 takes bytes; counting bytes is O(1).
    guard e.utf8.count > cellLimit, e.utf16.count > cellLimit else { return e }
    var kept = ""
    var count = 0
    let budget = cellLimit - cutMarker.utf16.count
    for ch in e {
      let n = String(ch).utf16.count
      if count + n > budget {
        // A character longer than what is left (one `e` with 40,000 combining accents) is cut
        // between its scalars, so that the cell still shows as much of the value as fits, not the
        // marker alone.
        for u in ch.unicodeScalars {
          let m = UTF16.width(u)
          if count + m > budget { break }
          kept.unicodeScalars.append(u)
          count += m
        }
        break
      }
      kept.append(ch)
      count += n
    }
    return kept + cutMarker
  }

  /// A line for the terminal: control characters escaped, so that a value from a log cannot move
  /// the cursor, recolour or clear the screen.
  package static func terminal(_ s: String) -> String { escaped(s) }

  /// Text for the terminal as it is when it holds no hidden character (``isHidden(_:)``), else
  /// ``terminal(_:)``: for text a reader compares with a file (a record's raw line, whose `\"`
  /// showed as `\\"` in a trial) or escaped once already (a warning a report printed).
  package static func terminalIfHidden(_ s: String) -> String {
    s.unicodeScalars.contains(where: isHidden) ? terminal(s) : s
  }

  /// The most characters an error message shows (``message(_:)``).
  package static let messageCharacters = 2_000

  /// An error message for the terminal: ``terminal(_:)``, and when longer than
  /// ``messageCharacters``, its first 1,500 and last 300 characters with how many were cut
  /// between them.
  ///
  /// A message quotes values from the inputs, and a value can be huge: an agent's cost centre of
  /// 40,000 characters made one stderr line of 40 KB. The start names the file, line and field,
  /// the end says what to do; both stay.
  package static func message(_ s: String) -> String { cut(terminal(s)) }

  /// `line` as ``message(_:)`` cuts it, escaped already.
  package static func cut(_ line: String) -> String {
    guard line.count > messageCharacters else { return line }
    let (head, tail) = (1_500, 300)
    return String(line.prefix(head)) + "…[\(line.count - head - tail) characters cut]…" + String(line.suffix(tail))
  }

  /// The value a CSV field or a terminal line showed as `shown`: ``escaped(_:)`` undone (`\\` and
  /// `\uXXXX`), and the `'`s that ``csvField(_:)`` puts before formula-like text (at the start and
  /// after each `;`) taken off; nil when `shown` has nothing to undo.
  ///
  /// For looking up what a user copied from an output (a key in `findings.csv`'s evidence) when
  /// the text as given matches nothing.
  package static func unescaped(_ shown: String) -> String? {
    let text = Substring(withoutFormulaQuotes(shown))
    var out = String.UnicodeScalarView()
    var scalars = text.unicodeScalars[...]
    while let u = scalars.popFirst() {
      guard u == "\\", let next = scalars.first else {
        out.append(u)
        continue
      }
      if next == "\\" {
        scalars.removeFirst()
        out.append("\\")
      } else if next == "u" {
        // Exactly four digits (``escapeSequence(_:)``); a scalar above U+FFFF is a surrogate pair.
        let rest = scalars.dropFirst()
        guard let high = Self.hexEscape(rest) else {
          out.append(u)
          continue
        }
        if let scalar = Unicode.Scalar(high) {
          scalars.removeFirst(5)
          out.append(scalar)
        } else if (0xD800..<0xDC00).contains(high), rest.dropFirst(4).starts(with: "\\u".unicodeScalars),
          let low = Self.hexEscape(rest.dropFirst(6)), (0xDC00..<0xE000).contains(low),
          let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        {
          scalars.removeFirst(11)
          out.append(scalar)
        } else {
          out.append(u)
        }
      } else {
        out.append(u)
      }
    }
    let result = String(out)
    return result == shown ? nil : result
  }

  /// The value of the four hex digits `digits` starts with; nil when it does not start with four.
  private static func hexEscape(_ digits: Substring.UnicodeScalarView.SubSequence) -> UInt32? {
    let hex = digits.prefix(4)
    guard hex.count == 4, hex.allSatisfy(\.properties.isASCIIHexDigit) else { return nil }
    return UInt32(String(String.UnicodeScalarView(hex)), radix: 16)
  }
}
