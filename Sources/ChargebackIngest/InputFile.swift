internal import CZlib
import ChargebackModel
import ChargebackSupport
import Foundation

/// A usage export on disk: gzip (one member or several, concatenated) is decompressed
/// transparently, any other file is read as it is (``GzipReader``).
///
/// Streaming: only one chunk is in memory, plus the line being read (at most ``maxLine`` bytes).
/// A UTF-8 byte-order mark at the start of the (decompressed) content is dropped by every reader.
package struct InputFile: Sendable {
  /// The path as the user named it (used in every error).
  package let path: String

  /// Size of a read chunk.
  package static let chunkSize = 1 << 20
  /// The longest line (or CSV record, or JSON Lines record) any reader accepts: 64 MiB.
  ///
  /// Reading stops as soon as a line passes it, so a longer line costs no more memory than that.
  package static let maxLine = 64 << 20
  /// The largest document read whole (an API page, a JSON array, an Azure cost CSV): 512 MiB.
  package static let maxDocument = 512 << 20

  package init(path: String) { self.path = path }

  /// The first `limit` bytes after decompression, for format detection.
  package func head(limit: Int = FormatRegistry.headBytes) throws -> [UInt8] {
    var out: [UInt8] = []
    try withReader { reader in
      var buf = [UInt8](repeating: 0, count: limit)
      var n = 0
      while n < limit {
        let got = try buf.withUnsafeMutableBytes {
          try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[n...]))
        }
        if got == 0 { break }
        n += got
      }
      out = Array(buf[0..<n])
    }
    return out
  }

  /// Calls `body` with each line (without its newline or, unless `keepCR`, a CR before it) and its
  /// 1-based number.
  ///
  /// Empty and whitespace-only lines are skipped unless `keepBlank`. A line longer than `maxLine`
  /// bytes is an error, raised before more of it is read.
  package func forEachLine(
    maxLine: Int = InputFile.maxLine, keepBlank: Bool = false, keepCR: Bool = false,
    _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    // Chunk by chunk, as the parsing threads of a large file read it (``LineChunks``): one reader
    // of lines, so the two readings cannot number, skip or refuse a line differently.
    let chunks = try LineChunks(self, chunkBytes: Self.chunkSize, maxLine: maxLine)
    while let chunk = try chunks.next() {
      try chunk.bytes.withUnsafeBufferPointer {
        try LineChunks.forEachLine(
          in: $0, firstLine: chunk.firstLine, path: path, maxLine: maxLine, keepBlank: keepBlank, keepCR: keepCR, body)
      }
    }
  }

  /// The error for line `line` of `path`, longer than `maxLine` bytes (every reader of lines says it
  /// alike).
  static func lineTooLong(_ path: String, line: Int, maxLine: Int) -> InputError {
    InputError(
      file: path, line: line,
      message: "line longer than \(maxLine >> 20) MiB (\(maxLine) bytes); no export has such lines")
  }

  /// What a reader of lines hands on of `line` (without its newline): the line without a CR at its
  /// end unless `keepCR`; nil for a blank line (spaces and tabs only) unless `keepBlank`.
  static func content(
    ofLine line: UnsafeBufferPointer<UInt8>, keepBlank: Bool = false, keepCR: Bool = false
  ) -> UnsafeBufferPointer<UInt8>? {
    var end = line.count
    if !keepCR, end > 0, line[end - 1] == 13 { end -= 1 }  // CRLF
    if !keepBlank {
      var blank = true
      for k in 0..<end where line[k] != 32 && line[k] != 9 {
        blank = false
        break
      }
      if blank { return nil }
    }
    return UnsafeBufferPointer(rebasing: line[0..<end])
  }

  /// The whole decompressed content, for document-shaped exports (API pages).
  ///
  /// Refuses files larger than `limit` bytes, since those are never single API pages.
  func readAll(limit: Int = InputFile.maxDocument) throws -> Data {
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
    try withReader { reader in
      while true {
        let n = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { break }
        if data.count + n > limit {
          throw InputError(file: path, message: "document larger than \(limit >> 20) MiB; split it into pages")
        }
        data.append(contentsOf: chunk[0..<n])
      }
    }
    return data
  }

  /// Opens the file and hands `body` a reader; the file is closed when `body` returns.
  ///
  /// The reader checks the whole file by the time it returns 0 (see ``GzipReader``), so a body
  /// that reads to the end has seen every fault; one that stops early (``head(limit:)``) has not.
  private func withReader(_ body: (GzipReader) throws -> Void) throws {
    let reader = try GzipReader(path: path)
    defer { reader.close() }
    try body(reader)
  }
}

/// Reads a file through zlib's inflate when it starts with the gzip magic bytes, else as it is.
///
/// A gzip file is read member by member (concatenated members are legal: `cat a.gz b.gz`, and
/// S3 and CloudWatch writers append them). zlib checks each member's header and its trailer
/// (CRC-32 and length) as it ends, and the stream is reset for the next member. After the last
/// member only zero bytes may follow (block padding some writers leave); anything else is bad
/// input. Every fault is an ``InputError`` with the compressed byte offset where the bad member
/// or the stray bytes start:
/// - a member that zlib rejects (bad header, bad data, CRC or length mismatch): its start;
/// - a member cut short by the end of the file: its start;
/// - bytes after a member that are neither another member nor zero padding to the end of the
///   file: where they start (zeros before them included).
///
/// Memory: one input buffer and zlib's window, whatever the file's size.
final class GzipReader {
  /// Compressed bytes read from the file at a time.
  static let inputSize = 1 << 18

  private enum State {
    /// Not gzip: bytes are passed through.
    case plain
    /// Inside a member.
    case member
    /// A member has ended; what follows is not yet known.
    case between
    /// Zero bytes after the last member, to the end of the file so far.
    case padding
    /// The end of the file, every member checked.
    case done
  }

  private let path: String
  private var fd: Int32
  private let input: UnsafeMutablePointer<UInt8>
  /// Valid bytes in `input`, and the next one to use.
  private var count = 0
  private var pos = 0
  /// File offset of `input[0]`.
  private var base: Int64 = 0
  private var eof = false
  private var state = State.plain
  private var stream: UnsafeMutablePointer<z_stream>?
  /// File offset where the current member starts, and its 1-based number.
  private var memberStart: Int64 = 0
  private var member = 0
  /// File offset of the first zero byte after the last member.
  private var paddingStart: Int64 = 0

  /// Opens `path`; a file that starts with `1f 8b` is gzip.
  init(path: String) throws {
    self.path = path
    fd = try FileDescriptor.openForReading(path)
    input = .allocate(capacity: Self.inputSize)
    try fill()
    if count >= 2, input[0] == 0x1f, input[1] == 0x8b {
      let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
      s.initialize(to: z_stream())
      guard czlib_inflate_init_gzip(s) == Z_OK else {
        s.deallocate()
        throw InputError(file: path, message: "cannot start zlib (out of memory)")
      }
      stream = s
      state = .member
      member = 1
    }
  }

  deinit {
    close()
    input.deallocate()
  }

  /// Releases the file and zlib's state (idempotent).
  func close() {
    if let s = stream {
      inflateEnd(s)
      s.deallocate()
      stream = nil
    }
    if fd >= 0 {
      FileDescriptor.close(fd)
      fd = -1
    }
  }

  /// Fills `buf` with the next decompressed bytes; returns how many, and 0 only at the end of a
  /// file whose every member was good and whose trailing bytes are at most zero padding.
  ///
  /// A UTF-8 byte-order mark at the very start of the content is dropped.
  func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
    guard atStart else { return try readRaw(into: buf) }
    atStart = false
    // Read until 3 bytes are in hand (or the content ends), so a BOM split across reads is seen.
    var head = [UInt8](repeating: 0, count: 3)
    var got = 0
    while got < 3 {
      let n = try head.withUnsafeMutableBytes { try readRaw(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
      if n == 0 { break }
      got += n
    }
    if got == 3, head == [0xEF, 0xBB, 0xBF] { return try readRaw(into: buf) }
    pending = Array(head[0..<got])
    return try read(into: buf)
  }

  private var atStart = true
  /// Bytes read ahead to look for a BOM, handed out before anything else.
  private var pending: [UInt8] = []

  private func readRaw(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let out = buf.baseAddress?.assumingMemoryBound(to: UInt8.self), !buf.isEmpty else { return 0 }
    if !pending.isEmpty {
      let n = min(buf.count, pending.count)
      for k in 0..<n { out[k] = pending[k] }
      pending.removeFirst(n)
      return n
    }
    let capacity = min(buf.count, Int(UInt32.max))
    if case .plain = state { return try readPlain(out, capacity) }
    var produced = 0
    while produced < capacity {
      switch state {
      case .plain, .done:
        return produced
      case .member:
        if pos == count {
          guard !eof else { throw fault(memberStart, "truncated: the file ends inside this gzip member") }
          try fill()
          continue
        }
        produced += try inflateStep(out + produced, capacity - produced)
      case .between:
        try betweenMembers()
      case .padding:
        while pos < count, input[pos] == 0 { pos += 1 }
        if pos < count { throw stray(paddingStart, nonZero: offset(pos)) }
        if eof { state = .done } else { try fill() }
      }
    }
    return produced
  }

  /// Plain files: what is left in the input buffer, then straight from the file.
  private func readPlain(_ out: UnsafeMutablePointer<UInt8>, _ capacity: Int) throws -> Int {
    if pos < count {
      let n = min(capacity, count - pos)
      out.update(from: input + pos, count: n)
      pos += n
      return n
    }
    if eof { return 0 }
    let n = try readFile(out, capacity)
    if n == 0 { eof = true }
    return n
  }

  /// One call of inflate over the buffered input; returns the bytes it produced.
  private func inflateStep(_ out: UnsafeMutablePointer<UInt8>, _ capacity: Int) throws -> Int {
    guard let s = stream else { return 0 }
    let available = count - pos
    s.pointee.next_in = input + pos
    s.pointee.avail_in = UInt32(available)
    s.pointee.next_out = out
    s.pointee.avail_out = UInt32(capacity)
    let rc = inflate(s, Z_NO_FLUSH)
    pos = count - Int(s.pointee.avail_in)
    let produced = capacity - Int(s.pointee.avail_out)
    switch rc {
    case Z_OK:
      break
    case Z_STREAM_END:
      state = .between
    case Z_BUF_ERROR where produced > 0 || pos > count - available:
      break  // progress was made; inflate wants more input or more room
    default:
      let reason = s.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
      throw fault(memberStart, "damaged gzip member (\(reason), found at byte \(offset(pos)))")
    }
    return produced
  }

  /// After a member: the end of the file, another member, zero padding or stray bytes.
  private func betweenMembers() throws {
    if count - pos < 2, !eof {
      try fill()
      return
    }
    if pos == count {
      state = .done
      return
    }
    switch input[pos] {
    case 0x1f where count - pos >= 2 && input[pos + 1] == 0x8b:
      guard let s = stream, inflateReset(s) == Z_OK else {
        throw InputError(file: path, offset: offset(pos), message: "cannot reset zlib")
      }
      memberStart = offset(pos)
      member += 1
      state = .member
    case 0x1f where count - pos < 2:
      memberStart = offset(pos)
      member += 1
      throw fault(memberStart, "truncated: the file ends inside a gzip member's header")
    case 0:
      paddingStart = offset(pos)
      state = .padding
    default:
      throw stray(offset(pos))
    }
  }

  /// Keeps the unused bytes and reads more after them, until the buffer is full or the file ends.
  private func fill() throws {
    if pos > 0 {
      let left = count - pos
      if left > 0 { input.update(from: input + pos, count: left) }
      base += Int64(pos)
      count = left
      pos = 0
    }
    while count < Self.inputSize, !eof {
      let n = try readFile(input + count, Self.inputSize - count)
      if n == 0 { eof = true } else { count += n }
    }
  }

  private func readFile(_ into: UnsafeMutablePointer<UInt8>, _ capacity: Int) throws -> Int {
    try FileDescriptor.read(fd, into: into, capacity: capacity, path: path)
  }

  /// The file offset of `input[i]`.
  private func offset(_ i: Int) -> Int64 { base + Int64(i) }

  /// A fault in the current member.
  private func fault(_ at: Int64, _ message: String) -> InputError {
    InputError(file: path, field: "gzip member \(member)", offset: at, message: message)
  }

  /// Bytes after member `member`, from `at`, that are neither a member nor zero padding to the
  /// end; `nonZero` is the first byte that is not zero, when zeros come first.
  private func stray(_ at: Int64, nonZero: Int64? = nil) -> InputError {
    let after = nonZero.map { ", a non-zero byte at \($0)" } ?? ""
    return InputError(
      file: path, field: "gzip", offset: at,
      message:
        "bytes after gzip member \(member) are not a gzip member\(after) (only zero padding may follow the last one)"
    )
  }
}
