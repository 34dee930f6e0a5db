import ChargebackModel
import Foundation

/// A file read in chunks of whole lines, each with the number of its first line, so that several
/// threads can parse its lines at once (the ingest of a large JSON Lines file: one thread parsing
/// it set the pace of the whole load).
///
/// Every reader of lines reads through it: ``InputFile/forEachLine(maxLine:keepBlank:keepCR:_:)``
/// on one thread, ``ParallelLines``' threads in turns. The file is decompressed (gzip), a
/// byte-order mark dropped, a line longer than the limit refused; a chunk's lines are walked with
/// ``forEachLine(in:firstLine:path:maxLine:keepBlank:keepCR:_:)``.
///
/// Not thread-safe: one thread at a time calls ``next()`` (the parsing threads take turns, under
/// their lock).
package final class LineChunks {
  /// The file's path, for errors.
  private let path: String
  private let reader: GzipReader
  /// Bytes of a chunk at least (a chunk ends at the first line end after this many).
  private let chunkBytes: Int
  private let maxLine: Int
  /// Bytes read past the last chunk's last line end: the start of the next chunk.
  private var carry: [UInt8] = []
  /// The number of the next chunk's first line.
  private var nextLine = 1
  private var ended = false
  /// A read's fault, met after whole lines that were handed on first: thrown at the next call.
  private var failure: (any Error)?

  /// One chunk: whole lines (the file's last may have no newline) and the number of the first.
  package struct Chunk: Sendable {
    package var bytes: [UInt8]
    package var firstLine: Int
  }

  /// Opens `file`.
  package init(_ file: InputFile, chunkBytes: Int, maxLine: Int = InputFile.maxLine) throws {
    path = file.path
    reader = try GzipReader(path: file.path)
    self.chunkBytes = max(chunkBytes, 1)
    self.maxLine = maxLine
  }

  deinit { reader.close() }

  /// The next chunk, or nil at the end of the file.
  ///
  /// Throws the reader's faults (a bad gzip member), after the whole lines read before them, and
  /// for a line longer than `maxLine` ``InputFile/lineTooLong(_:line:maxLine:)``, naming its line,
  /// before more of it is read.
  package func next() throws -> Chunk? {
    if let failure {
      (self.failure, ended) = (nil, true)
      throw failure
    }
    guard !ended else { return nil }
    // `carry` holds no newline: it is what followed the last one.
    var bytes: [UInt8] = []
    swap(&bytes, &carry)
    // Where the line still open at the end of `bytes` starts (after its last newline, if any), and
    // the newlines before it (the next chunk's first line is counted on from them).
    var openLine = 0
    var sawLineEnd = false
    var lineEnds = 0
    while true {
      // A line too long is refused once the lines before it were handed on (as the serial reader
      // hands them on).
      if bytes.count >= chunkBytes || bytes.count - openLine > maxLine + 1, sawLineEnd {
        carry = Array(bytes[openLine...])
        bytes.removeSubrange(openLine...)
        return chunk(bytes, lineEnds: lineEnds)
      }
      // Checked before more of it is read: memory stays within the limit.
      if bytes.count - openLine > maxLine + 1 {
        throw InputFile.lineTooLong(path, line: nextLine, maxLine: maxLine)
      }
      let before = bytes.count
      let n: Int
      do {
        n = try append(to: &bytes)
      } catch {
        // The whole lines read before the fault are handed on first, as the serial reader hands
        // them on; the fault comes at the next call.
        guard sawLineEnd else { throw error }
        failure = error
        carry = []
        bytes.removeSubrange(openLine...)
        return chunk(bytes, lineEnds: lineEnds)
      }
      if n == 0 {
        ended = true
        return bytes.isEmpty ? nil : chunk(bytes, lineEnds: lineEnds)
      }
      // Only the bytes just read may hold later line ends.
      let (count, last) = Self.lineEnds(in: bytes, from: before)
      lineEnds += count
      if let last { (openLine, sawLineEnd) = (last + 1, true) }
    }
  }

  /// `bytes` as the next chunk, which holds `lineEnds` newlines.
  private func chunk(_ bytes: [UInt8], lineEnds: Int) -> Chunk {
    let c = Chunk(bytes: bytes, firstLine: nextLine)
    nextLine += lineEnds
    if let last = bytes.last, last != 10 { nextLine += 1 }
    return c
  }

  /// What one read brings, before it is added to the chunk.
  private lazy var readBuffer = [UInt8](repeating: 0, count: min(chunkBytes, InputFile.chunkSize))

  /// Reads what comes next from the file onto the end of `bytes`; how many bytes came (0 at the end).
  private func append(to bytes: inout [UInt8]) throws -> Int {
    let n = try readBuffer.withUnsafeMutableBytes { try reader.read(into: $0) }
    bytes.append(contentsOf: readBuffer[0..<n])
    return n
  }

  /// The newlines in `bytes` at or after `from`, and the index of the last of them.
  private static func lineEnds(in bytes: [UInt8], from: Int) -> (count: Int, last: Int?) {
    bytes.withUnsafeBufferPointer { b in
      guard let base = b.baseAddress else { return (0, nil) }
      var (count, last): (Int, Int?) = (0, nil)
      var at = from
      // memchr: newlines found at memory speed (this runs under the parsing threads' lock).
      while at < b.count, let hit = memchr(base + at, 10, b.count - at) {
        let k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        (count, last, at) = (count + 1, k, k + 1)
      }
      return (count, last)
    }
  }

  /// Calls `body` with each line of `chunk` whose first line is `firstLine`: numbered, without its
  /// newline or, unless `keepCR`, a CR before it, blank lines skipped unless `keepBlank`, a line
  /// longer than `maxLine` an error.
  package static func forEachLine(
    in chunk: UnsafeBufferPointer<UInt8>, firstLine: Int, path: String, maxLine: Int = InputFile.maxLine,
    keepBlank: Bool = false, keepCR: Bool = false, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    guard let base = chunk.baseAddress else { return }
    var line = firstLine
    var start = 0
    while start < chunk.count {
      let end =
        memchr(base + start, 10, chunk.count - start).map {
          base.distance(to: $0.assumingMemoryBound(to: UInt8.self))
        } ?? chunk.count
      if end - start > maxLine + 1 {
        throw InputFile.lineTooLong(path, line: line, maxLine: maxLine)
      }
      if let content = InputFile.content(
        ofLine: UnsafeBufferPointer(start: base + start, count: end - start), keepBlank: keepBlank, keepCR: keepCR)
      {
        try body(line, content)
      }
      line += 1
      start = end + 1
    }
  }
}
