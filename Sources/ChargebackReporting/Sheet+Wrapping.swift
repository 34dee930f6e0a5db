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
    // Printable ASCII: each byte is one character, so words are measured on the bytes.
    let ascii = text.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
      guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
      return pack(bytes.split(separator: 0x20, omittingEmptySubsequences: false).lazy.map(\.count), capacity)
    }
    if let ascii, let lines = ascii { return lines }
    return pack(text.split(separator: " ", omittingEmptySubsequences: false).lazy.map(\.count), capacity)
  }

  /// Lines taken by words of these lengths, kept whole where they fit, longer ones broken.
  private static func pack(_ words: some Sequence<Int>, _ capacity: Int) -> Int {
    var lines = 1
    var used = 0
    for length in words {
      var w = length
      if used > 0 && used + 1 + w <= capacity {
        used += 1 + w
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
