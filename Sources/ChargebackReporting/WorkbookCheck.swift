import CZlib
import ChargebackModel
import Foundation

/// Reads a written workbook back and checks that every part is whole.
///
/// Why: libxlsxwriter writes each part's XML into a scratch file and then copies it into the zip,
/// and it checks neither the writes nor the reads of those files: with its folder full, a run
/// wrote workbooks whose sheets were cut short or empty, `workbook_close` said all was well, and
/// the run published them with their hashes (a new user's trial: 3 to 8 of 36 workbooks that
/// would not open, exit 0, and a run after freeing space kept them as "nothing new"). No library
/// here reads a zip, so this reads the few fields it needs itself: the central directory (offsets,
/// sizes, CRC-32), each entry inflated by zlib, and the end of each XML part.
package enum WorkbookCheck {
  /// Checks the workbook at `path`; throws an ``OutputError`` (exit 74) naming it and saying what
  /// is wrong, with `scratch` (libxlsxwriter's folder) as the likely cause.
  package static func check(_ path: String, scratch: String?) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw OutputError(path: path, reason: "cannot read the workbook back")
    }
    if let problem = problem(in: [UInt8](data)) {
      let folder =
        scratch ?? (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
      throw OutputError(
        path: path,
        reason: "the workbook came out incomplete (\(problem)): its scratch files in \(folder) could not be written"
          + " whole; is that folder full (or a file-size limit, ulimit -f, too low)? Set TMPDIR to a writable folder"
          + " with room")
    }
  }

  /// What is wrong with the zip `bytes`, nil when every entry is whole.
  static func problem(in bytes: [UInt8]) -> String? {
    func u16(_ i: Int) -> Int? { i + 2 <= bytes.count ? Int(bytes[i]) | Int(bytes[i + 1]) << 8 : nil }
    func u32(_ i: Int) -> Int? {
      guard let lo = u16(i), let hi = u16(i + 2) else { return nil }
      return lo | hi << 16
    }
    // The end of central directory record: its signature within the last 64 KiB + 22 bytes.
    var end = -1
    var i = bytes.count - 22
    while i >= max(0, bytes.count - 22 - 65_535) {
      if u32(i) == 0x0605_4b50 {
        end = i
        break
      }
      i -= 1
    }
    guard end >= 0, let count = u16(end + 10), let start = u32(end + 16) else { return "no zip directory" }
    guard count > 0 else { return "no parts" }
    var at = start
    for _ in 0..<count {
      guard u32(at) == 0x0201_4b50, let method = u16(at + 10), let crc = u32(at + 16),
        let packed = u32(at + 20), let size = u32(at + 24), let nameLength = u16(at + 28),
        let extra = u16(at + 30), let comment = u16(at + 32), let local = u32(at + 42),
        at + 46 + nameLength <= bytes.count
      else { return "a damaged zip directory" }
      let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
      at += 46 + nameLength + extra + comment
      guard u32(local) == 0x0403_4b50, let localName = u16(local + 26), let localExtra = u16(local + 28) else {
        return "part \(name) missing"
      }
      let from = local + 30 + localName + localExtra
      guard from + packed <= bytes.count else { return "part \(name) cut short" }
      // Deflate makes at most about 1,032 bytes of 1: a larger size is a damaged directory, not a
      // reason to allocate gigabytes.
      guard size <= packed * 1_032 + 1_024 else { return "part \(name) damaged" }
      guard let content = contents(bytes, from..<(from + packed), method: method, size: size) else {
        return "part \(name) unreadable"
      }
      guard content.count == size, crc32(content) == crc else { return "part \(name) damaged" }
      if name.hasSuffix(".xml") || name.hasSuffix(".rels") {
        if content.isEmpty { return "part \(name) empty" }
        if !isWholeXML(content) { return "part \(name) cut short" }
        // A write that failed and a later one that did not leave the end whole and a hole in the
        // middle: the elements no longer nest.
        if !isBalanced(content) { return "part \(name) has a piece missing" }
      }
    }
    return nil
  }

  /// An entry's bytes: stored as they are (method 0) or raw deflate (8); nil otherwise or when
  /// zlib rejects them.
  private static func contents(_ bytes: [UInt8], _ range: Range<Int>, method: Int, size: Int) -> [UInt8]? {
    if method == 0 { return Array(bytes[range]) }
    guard method == 8 else { return nil }
    var out = [UInt8](repeating: 0, count: size)
    var stream = z_stream()
    guard czlib_inflate_init_raw(&stream) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    let status: Int32 = bytes.withUnsafeBufferPointer { input in
      out.withUnsafeMutableBufferPointer { output in
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + range.lowerBound })
        stream.avail_in = uInt(range.count)
        stream.next_out = output.baseAddress
        stream.avail_out = uInt(output.count)
        // One more byte of room than the size says would let a longer entry show; the size is
        // checked against what came out instead.
        return inflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END else { return nil }
    if Int(stream.total_out) < out.count { out.removeLast(out.count - Int(stream.total_out)) }
    return out
  }

  private static func crc32(_ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBufferPointer { Int(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
  }

  /// Whether the elements of `xml` nest.
  ///
  /// Every end tag must close the element open last, and none may be left open. Declarations,
  /// comments and CDATA are skipped; quoted attribute values may hold `>`.
  static func isBalanced(_ xml: [UInt8]) -> Bool {
    let (lt, gt, slash) = (UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "/"))
    var open: [ArraySlice<UInt8>] = []
    var roots = 0
    var i = 0
    let n = xml.count
    func starts(_ text: String, at k: Int) -> Bool {
      let t = Array(text.utf8)
      return k + t.count <= n && xml[k..<(k + t.count)].elementsEqual(t)
    }
    /// The index just past `end` from `k` on, nil when it never comes.
    func past(_ end: String, from k: Int) -> Int? {
      let t = Array(end.utf8)
      var j = k
      while j + t.count <= n {
        if xml[j] == t[0], xml[j..<(j + t.count)].elementsEqual(t) { return j + t.count }
        j += 1
      }
      return nil
    }
    while i < n {
      guard xml[i] == lt else {
        i += 1
        continue
      }
      let next = i + 1 < n ? xml[i + 1] : 0
      if next == UInt8(ascii: "!") {
        // A comment, CDATA or a declaration: rare, so looked at by name.
        let end = starts("<!--", at: i) ? "-->" : starts("<![CDATA[", at: i) ? "]]>" : ">"
        guard let j = past(end, from: i + 2) else { return false }
        i = j
      } else if next == UInt8(ascii: "?") {
        guard let j = past("?>", from: i + 2) else { return false }
        i = j
      } else {
        // A tag: its name, then to its `>` past any quoted values.
        let closing = i + 1 < n && xml[i + 1] == slash
        var j = closing ? i + 2 : i + 1
        let nameStart = j
        nameLoop: while j < n {
          switch xml[j] {
          case gt, slash, 32, 9, 10, 13: break nameLoop
          default: j += 1
          }
        }
        let name = xml[nameStart..<j]
        guard !name.isEmpty else { return false }
        var quote: UInt8? = nil
        while j < n {
          let c = xml[j]
          if let q = quote {
            if c == q { quote = nil }
          } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            quote = c
          } else if c == gt {
            break
          } else if c == lt {
            return false
          }
          j += 1
        }
        guard j < n else { return false }
        if closing {
          guard let top = open.popLast(), top.elementsEqual(name) else { return false }
        } else if xml[j - 1] != slash {
          if open.isEmpty { roots += 1 }
          open.append(name)
        } else if open.isEmpty {
          roots += 1
        }
        i = j + 1
      }
    }
    return open.isEmpty && roots == 1
  }

  /// Whether `xml` ends with the end of the element it starts: `</name>` of its first element, or
  /// that element closed on itself (`<name .../>`) and nothing after it.
  static func isWholeXML(_ xml: [UInt8]) -> Bool {
    var i = 0
    // The first element: past the declaration, comments and white space.
    while i < xml.count {
      guard let lt = xml[i...].firstIndex(of: UInt8(ascii: "<")), lt + 1 < xml.count else { return false }
      let next = xml[lt + 1]
      if next == UInt8(ascii: "?") || next == UInt8(ascii: "!") {
        guard let gt = xml[lt...].firstIndex(of: UInt8(ascii: ">")) else { return false }
        i = gt + 1
        continue
      }
      i = lt + 1
      break
    }
    let nameEnd =
      xml[i...].firstIndex {
        $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "/") || $0 == 9 || $0 == 10 || $0 == 13
      } ?? xml.count
    guard nameEnd > i else { return false }
    let name = Array(xml[i..<nameEnd])
    var last = xml.count
    while last > 0, [9, 10, 13, 32].contains(xml[last - 1]) { last -= 1 }
    let closing = [UInt8(ascii: "<"), UInt8(ascii: "/")] + name + [UInt8(ascii: ">")]
    if last >= closing.count, Array(xml[(last - closing.count)..<last]) == closing { return true }
    // Closed on itself: the first tag's own `/>` is the end.
    guard let gt = xml[nameEnd...].firstIndex(of: UInt8(ascii: ">")) else { return false }
    return gt + 1 == last && xml[gt - 1] == UInt8(ascii: "/")
  }
}
