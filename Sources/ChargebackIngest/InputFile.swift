internal import CZlib
import ChargebackModel
import Foundation

/// A usage export on disk, read through zlib so that `.gz` files are decompressed transparently (gzread passes
/// plain files through unchanged).
///
/// Streaming: only one chunk is in memory, plus the line being read (at most ``maxLine`` bytes).
/// A UTF-8 byte-order mark at the start of the (decompressed) content is dropped by every reader.
package struct InputFile: Sendable {
  /// The path as the user named it (used in every error).
  package let path: String

  /// Size of a read chunk.
  static let chunkSize = 1 << 20
  /// The longest line (or CSV record, or JSON Lines record) any reader accepts: 64 MiB.
  ///
  /// Reading stops as soon as a line passes it, so a longer line costs no more memory than that.
  package static let maxLine = 64 << 20
  /// The largest document read whole (an API page, a JSON array, an Azure cost CSV): 512 MiB.
  package static let maxDocument = 512 << 20

  package init(path: String) { self.path = path }

  /// The first `limit` bytes after decompression, for format detection.
  func head(limit: Int = 65_536) throws -> [UInt8] {
    var out: [UInt8] = []
    try withReader { read in
      var buf = [UInt8](repeating: 0, count: limit)
      let n = try buf.withUnsafeMutableBytes { try read($0) }
      out = Array(buf[0..<n])
      return false
    }
    return out
  }

  /// Calls `body` with each line (without its newline or a CR before it) and its 1-based number.
  ///
  /// Empty and whitespace-only lines are skipped unless `keepBlank`. A line longer than `maxLine`
  /// bytes is an error, raised before more of it is read.
  package func forEachLine(
    maxLine: Int = InputFile.maxLine, keepBlank: Bool = false, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    var carry: [UInt8] = []
    var lineNo = 0
    var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
    func emit(_ line: UnsafeBufferPointer<UInt8>) throws {
      lineNo += 1
      var end = line.count
      if end > 0, line[end - 1] == 13 { end -= 1 }  // CRLF
      if !keepBlank {
        var blank = true
        for k in 0..<end where line[k] != 32 && line[k] != 9 {
          blank = false
          break
        }
        if blank { return }
      }
      try body(lineNo, UnsafeBufferPointer(rebasing: line[0..<end]))
    }
    try withReader { read in
      while true {
        let n = try chunk.withUnsafeMutableBytes { try read($0) }
        if n == 0 { break }
        try chunk.withUnsafeBufferPointer { whole in
          let buf = UnsafeBufferPointer(rebasing: whole[0..<n])
          var start = 0
          func tooLong() -> InputError {
            InputError(
              file: path, line: lineNo + 1,
              message: "line longer than \(maxLine >> 20) MiB (\(maxLine) bytes); no export has such lines")
          }
          guard let base = buf.baseAddress else { return }
          // memchr: the line breaks are found at memory speed (this is ingest's hot loop).
          while start < n, let hit = memchr(base + start, 10, n - start) {
            let nl = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if carry.isEmpty {
              if nl - start > maxLine + 1 { throw tooLong() }
              try emit(UnsafeBufferPointer(start: base + start, count: nl - start))
            } else {
              if carry.count + (nl - start) > maxLine + 1 { throw tooLong() }
              carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: nl - start))
              try carry.withUnsafeBufferPointer { try emit($0) }
              carry.removeAll(keepingCapacity: carry.capacity <= Self.chunkSize)
            }
            start = nl + 1
          }
          // Checked before the rest of the chunk is kept: memory stays within the limit.
          if carry.count + (n - start) > maxLine + 1 { throw tooLong() }
          carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: n - start))
        }
      }
      return true
    }
    if !carry.isEmpty { try carry.withUnsafeBufferPointer { try emit($0) } }
  }

  /// The whole decompressed content, for document-shaped exports (API pages).
  ///
  /// Refuses files larger than `limit` bytes, since those are never single API pages.
  func readAll(limit: Int = InputFile.maxDocument) throws -> Data {
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
    try withReader { read in
      while true {
        let n = try chunk.withUnsafeMutableBytes { try read($0) }
        if n == 0 { break }
        if data.count + n > limit {
          throw InputError(file: path, message: "document larger than \(limit >> 20) MiB; split it into pages")
        }
        data.append(contentsOf: chunk[0..<n])
      }
      return true
    }
    return data
  }

  /// Opens the file with zlib and hands `body` a reader that fills a buffer and returns the count (0 at the end).
  ///
  /// `body` returns true when it read to the end, so that a truncated or corrupt gzip stream is reported.
  /// A UTF-8 byte-order mark at the start is dropped (buffers are at least 4 bytes).
  private func withReader(_ body: ((UnsafeMutableRawBufferPointer) throws -> Int) throws -> Bool) throws {
    guard let gz = gzopen(path, "rb") else {
      throw InputMissingError(path: path, reason: "cannot open for reading")
    }
    var closed = false
    defer { if !closed { gzclose_r(gz) } }
    _ = gzbuffer(gz, 1 << 18)
    var first = true
    let toEnd = try body { buf in
      let n = Int(gzread(gz, buf.baseAddress, UInt32(min(buf.count, Int(Int32.max)))))
      if n < 0 || (n == 0 && gzeof(gz) == 0) {
        throw InputError(file: path, message: "cannot decompress: \(gzipError(gz))")
      }
      guard first else { return n }
      first = false
      // gzread fills the buffer unless the content ends, so a BOM is whole in the first read.
      guard n >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF else { return n }
      guard let base = buf.baseAddress else { return n }
      memmove(base, base + 3, n - 3)
      return n - 3
    }
    if toEnd {
      var errnum: Int32 = 0
      _ = gzerror(gz, &errnum)
      if errnum != Z_OK && errnum != Z_STREAM_END {
        throw InputError(file: path, message: "cannot decompress: \(gzipError(gz))")
      }
    }
    closed = true
    let rc = gzclose_r(gz)
    if toEnd && rc != Z_OK {
      throw InputError(file: path, message: "truncated or corrupt gzip stream")
    }
  }

  private func gzipError(_ gz: gzFile) -> String {
    var errnum: Int32 = 0
    guard let msg = gzerror(gz, &errnum) else { return "unknown error" }
    let text = String(cString: msg)
    if errnum == Z_BUF_ERROR { return "truncated gzip stream (\(text))" }
    return text.isEmpty ? "zlib error \(errnum)" : text
  }
}
