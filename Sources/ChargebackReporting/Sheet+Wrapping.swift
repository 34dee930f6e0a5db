extension Sheet {
  /// How many lines `text` takes when wrapped in a column `width` characters wide.
  ///
  /// Measured in the width of a digit of the sheets' font (Calibri 11, whose digit width is what a
  /// column's width counts), character by character (``characterWidth(_:)``): words are kept whole
  /// where they fit, and longer words are broken. Errs on the high side, so that wrapped text is
  /// not cut: a count of characters at 1.2 a digit's width took an ARN of account digits for two
  /// lines where a spreadsheet wraps it on three, and its last line was not printed (a trial).
  package static func lines(_ text: String, width: Double) -> Int {
    // The cell's padding, and a margin for the fonts that stand in for Calibri.
    let capacity = max(1, width - 0.6)
    // No character is wider than two digits (``characterWidth(_:)``), nor an ASCII one than 1.86
    // (`@`): text that fits on a line at that width is one line (this runs for every wrapped cell).
    if Double(text.utf8.count) * 1.86 <= capacity && !text.utf8.contains(0x0A) { return 1 }
    var pieces: [(width: Double, spaced: Bool)] = []
    var lines = 0
    var w = 0.0
    var spaced = false
    for s in text.unicodeScalars {
      switch s {
      case " ":
        pieces.append((w, spaced))
        (w, spaced) = (0, true)
      case "\n":
        pieces.append((w, spaced))
        lines += pack(pieces, capacity)
        pieces = []
        (w, spaced) = (0, false)
      default:
        w += characterWidth(s)
        // LibreOffice and Excel break after a hyphen or a slash too: a long ARN or path wrapped
        // at them takes more lines than one broken only where a line is full.
        if s == "-" || s == "/" {
          pieces.append((w, spaced))
          (w, spaced) = (0, false)
        }
      }
    }
    pieces.append((w, spaced))
    return lines + pack(pieces, capacity)
  }

  /// A character's width in digits of Calibri 11, rounded up a little: its advance widths (in
  /// 2,048ths of an em, a digit 1,038) for printable ASCII; two digits for the wide characters of
  /// East Asian scripts and emoji; none for a combining mark; 1.1 for any other.
  static func characterWidth(_ s: Unicode.Scalar) -> Double {
    let v = s.value
    if v >= 0x20 && v < 0x7F { return asciiWidths[Int(v - 0x20)] }
    if (0x300...0x36F).contains(v) || (0x200B...0x200F).contains(v) { return 0 }
    if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
      || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
      || (0x1F300...0x1FAFF).contains(v) || v >= 0x20000
    {
      return 2
    }
    return 1.1
  }

  /// Calibri's advance widths of U+0020 to U+007E, in 2,048ths of an em.
  private static let calibriAdvances: [Int] = [
    463, 544, 821, 1038, 1038, 1470, 1397, 452, 621, 621, 1018, 1038, 511, 627, 517, 791,  // space to /
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038,  // 0 to 9
    548, 548, 1038, 1038, 1038, 941, 1833,  // : to @
    1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1322, 1356, 1058, 1378, 1112, 941,
    998, 1314, 1162, 1822, 1063, 998, 959,  // A to Z
    627, 791, 627, 1038, 1020, 589,  // [ to `
    981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636, 1076, 1080, 1076, 1076, 714, 801, 686,
    1076, 925, 1464, 887, 927, 809,  // a to z
    644, 943, 644, 1038,  // { to ~
  ]

  /// ``calibriAdvances`` over a digit's (1,038), plus 5 %.
  private static let asciiWidths: [Double] = calibriAdvances.map { Double($0) / 1038 * 1.05 }

  /// Lines taken by these pieces, kept whole where they fit, longer ones broken.
  private static func pack(_ pieces: [(width: Double, spaced: Bool)], _ capacity: Double) -> Int {
    let space = asciiWidths[0]
    var lines = 1
    var used = 0.0
    for (width, spaced) in pieces {
      var w = width
      let join = spaced ? space : 0
      if used > 0 && used + join + w <= capacity {
        used += join + w
        continue
      }
      if used > 0 {
        lines += 1
        used = 0
      }
      // Broken where the line is full: a character that does not fit starts the next (up to two
      // digits' width lost a line).
      while w > capacity {
        lines += 1
        w -= max(capacity - 2, 1)
      }
      used = w
    }
    return lines
  }
}
