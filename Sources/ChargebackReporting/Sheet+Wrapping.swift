extension Sheet {
  /// How many lines `text` takes when wrapped in a column `width` characters wide.
  ///
  /// Words are kept whole where they fit and longer words are broken. Errs on the high side (text
  /// averages about 1.3 characters per digit's width; this takes 1.2), so that wrapped text is not
  /// cut.
  package static func lines(_ text: String, width: Double) -> Int {
    let capacity = max(1, Int(width * 1.2))
    // No more bytes than fit on a line: no more characters either, so one line (this runs for
    // every wrapped cell, and splitting by characters is slow).
    if text.utf8.count <= capacity { return 1 }
    // Printable ASCII: each byte is one character, so pieces are measured on the bytes.
    let ascii = text.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
      guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
      return pack(pieces(bytes, space: 0x20, breaksAfter: { $0 == 0x2D || $0 == 0x2F }), capacity)
    }
    if let ascii, let lines = ascii { return lines }
    return pack(pieces(text, space: " ", breaksAfter: { $0 == "-" || $0 == "/" }), capacity)
  }

  /// The pieces a spreadsheet may wrap `text` between, each its length and whether a space joins
  /// it to the one before.
  ///
  /// Words, and within a word the parts that end with a hyphen or a slash (LibreOffice and Excel break there too: a long ARN or path
  /// wrapped at them takes more lines than one broken only where a line is full, and a row
  /// sized for the fewer lines cut its last one off, a trial found).
  private static func pieces<C: Collection>(
    _ text: C, space: C.Element, breaksAfter: (C.Element) -> Bool
  ) -> [(length: Int, spaced: Bool)] where C.Element: Equatable {
    var out: [(length: Int, spaced: Bool)] = []
    var length = 0
    var spaced = false
    for c in text {
      if c == space {
        out.append((length, spaced))
        (length, spaced) = (0, true)
      } else {
        length += 1
        if breaksAfter(c) {
          out.append((length, spaced))
          (length, spaced) = (0, false)
        }
      }
    }
    out.append((length, spaced))
    return out
  }

  /// Lines taken by these pieces, kept whole where they fit, longer ones broken.
  private static func pack(_ pieces: [(length: Int, spaced: Bool)], _ capacity: Int) -> Int {
    var lines = 1
    var used = 0
    for (length, spaced) in pieces {
      var w = length
      let join = spaced ? 1 : 0
      if used > 0 && used + join + w <= capacity {
        used += join + w
        continue
      }
      if used > 0 {
        lines += 1
        used = 0
      }
      while w > capacity {
        lines += 1
        w -= capacity
      }
      used = w
    }
    return lines
  }
}
