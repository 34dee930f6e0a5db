import ChargebackModel
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A file of a ledger on disk (``TaskLedger``, ``ClassChargeLedger``): made in a folder with
/// `mkstemp` and unlinked at once, so that it is only this descriptor (closed, and its space freed,
/// with the object).
final class SpillFile: @unchecked Sendable {
  // @unchecked: `bytes` is written by the one thread that writes the file, before it is read;
  // readers use `pread`, which does not move the descriptor's offset.
  let fd: Int32
  /// Where it was made, for messages.
  let directory: String
  /// Bytes written.
  var bytes = 0
  /// What is kept in it, for messages ("the tasks").
  let holding: String

  /// A file named `chargeback-<name>-XXXXXX` while it is made; `holding` says what it keeps.
  init(directory: String, name: String = "tasks", holding: String = "the tasks") throws {
    self.holding = holding
    var template = Array((directory + "/chargeback-\(name)-XXXXXX").utf8CString)
    var code: Int32 = EINVAL
    let made = template.withUnsafeMutableBufferPointer { b -> (fd: Int32, path: String)? in
      guard let base = b.baseAddress else { return nil }
      let fd = mkstemp(base)
      guard fd >= 0 else {
        code = errno
        return nil
      }
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // mkostemp is not in Glibc's Swift module
      let path = String(cString: base)
      // Unnamed from now on: a run that stops leaves nothing behind.
      guard unlink(path) == 0 else {
        code = errno
        _ = Glibc.close(fd)
        unlink(path)
        return nil
      }
      return (fd, path)
    }
    guard let made else {
      throw OutputError(
        path: directory,
        reason: "cannot make a temporary file for \(holding) kept on disk (\(String(cString: strerror(code))));"
          + Self.whatToDo)
    }
    fd = made.fd
    self.directory = directory
  }

  deinit { _ = Glibc.close(fd) }

  /// An I/O error of this file.
  func failure(_ what: String, _ code: Int32) -> OutputError {
    OutputError(
      path: directory,
      reason: "\(what) a temporary file of \(holding) kept on disk failed (\(String(cString: strerror(code))));"
        + Self.whatToDo)
  }

  /// The folder a ledger makes its files in: `directory`, else `$TMPDIR`, else `/tmp`, without a
  /// trailing `/`.
  static func folder(_ directory: String?) -> String {
    var folder = directory ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    if folder.isEmpty { folder = "/tmp" }
    while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
    return folder
  }

  /// What the user can do, saying where the folder came from: "set TMPDIR" alone read as if it
  /// were not set when it named the folder that failed.
  static var whatToDo: String {
    if let set = ProcessInfo.processInfo.environment["TMPDIR"], !set.isEmpty {
      return " TMPDIR is set to \(set): set it to a writable folder with room"
    }
    return " set TMPDIR to a writable folder with room"
  }
}

/// Writes bytes and zigzag LEB128 integers to the end of a spill file through a buffer of 1 MiB,
/// or, without a file, keeps them in memory (``bytes``).
struct SpillWriter {
  private let file: SpillFile?
  /// What is not yet written (all of it, without a file).
  private(set) var bytes: [UInt8] = []

  init(_ file: SpillFile?) {
    self.file = file
    if file != nil { bytes.reserveCapacity(1 << 20) }
  }

  /// Bytes written so far (the buffer included).
  var offset: Int { (file?.bytes ?? 0) + bytes.count }

  mutating func put(_ v: Int128) { Self.put(v, into: &bytes) }

  /// Appends `v` to `bytes` as ``put(_:)`` writes it.
  static func put(_ v: Int128, into bytes: inout [UInt8]) {
    var z = UInt128(bitPattern: (v << 1) ^ (v >> 127))
    while z >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: z) | 0x80)
      z >>= 7
    }
    bytes.append(UInt8(z))
  }

  mutating func append(_ b: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: b) }

  /// Makes room for `n` bytes in all.
  mutating func reserve(_ n: Int) { bytes.reserveCapacity(n) }

  /// Forgets what it holds in memory, keeping the room (without a file).
  mutating func clear() {
    precondition(file == nil, "a file's writer is flushed, not cleared")
    bytes.removeAll(keepingCapacity: true)
  }

  mutating func append(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

  /// Writes the buffer out once it holds 1 MiB (never, without a file).
  mutating func flushIfFull() throws {
    if file != nil && bytes.count >= 1 << 20 { try flush() }
  }

  /// Writes what the buffer holds at the end of the file.
  mutating func flush() throws {
    guard let file else { return }
    try bytes.withUnsafeBytes { b in
      var done = 0
      while done < b.count {
        let n = pwrite(file.fd, b.baseAddress.map { $0 + done }, b.count - done, off_t(file.bytes + done))
        if n < 0 {
          if errno == EINTR { continue }
          throw file.failure("writing", errno)
        }
        guard n > 0 else { throw file.failure("writing", EIO) }
        done += n
      }
    }
    file.bytes += bytes.count
    bytes.removeAll(keepingCapacity: true)
  }
}

/// Reads what a ``SpillWriter`` wrote: a range of a file with `pread`, through a buffer of its own,
/// or bytes in memory.
struct SpillReader {
  private let file: SpillFile?
  private var position: Int
  private let end: Int
  private var buffer: [UInt8]
  private var at = 0
  private var filled = 0

  init(file: SpillFile, range: Range<Int>) {
    (self.file, position, end) = (file, range.lowerBound, range.upperBound)
    // No bigger than the range: a group of a few tasks is read a few times per line.
    buffer = [UInt8](repeating: 0, count: max(1, min(1 << 16, range.count)))
  }

  /// Reads `bytes` (shared, not copied: an array is copied on write).
  init(memory bytes: [UInt8]) {
    (file, position, end) = (nil, 0, 0)
    (buffer, filled) = (bytes, bytes.count)
  }

  /// True when a byte is left to read.
  mutating func more() throws -> Bool {
    if at < filled { return true }
    guard let file else { return false }
    while position < end {
      let n = buffer.withUnsafeMutableBytes { b in
        pread(file.fd, b.baseAddress, min(b.count, end - position), off_t(position))
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw file.failure("reading", errno)
      }
      guard n > 0 else { throw file.failure("reading", EIO) }  // shorter than written
      (at, filled) = (0, n)
      position += n
      return true
    }
    return false
  }

  /// The error of a file that is not what was written: shorter, or with a broken integer.
  private func damaged() -> OutputError {
    file?.failure("reading", EIO) ?? OutputError(path: "memory", reason: "a run kept in memory is damaged")
  }

  private mutating func byte() throws -> UInt8 {
    guard try more() else { throw damaged() }  // ends inside a record
    at += 1
    return buffer[at - 1]
  }

  /// Reads a length (an integer) and that many bytes into `out`.
  mutating func bytes(into out: inout [UInt8]) throws {
    guard let length = Int(exactly: try integer()), length >= 0 else { throw damaged() }
    out.removeAll(keepingCapacity: true)
    if length <= filled - at {
      out.append(contentsOf: buffer[at..<at + length])
      at += length
    } else {
      for _ in 0..<length { out.append(try byte()) }
    }
  }

  mutating func integer() throws -> Int128 {
    // Most integers are one or two bytes and lie whole in the buffer (a varint of 128 bits takes
    // at most 19): read them without a check per byte (perf, the 1 M tickets `report`: this
    // function was 2 % of the pass byte by byte).
    if filled - at >= 19 {
      let (z, used) = buffer.withUnsafeBufferPointer { b -> (UInt128, Int) in
        var z: UInt128 = 0
        var shift = 0
        var k = at
        while true {
          let byte = b[k]
          k += 1
          z |= UInt128(byte & 0x7F) << shift
          if byte < 0x80 || shift >= 126 { return (z, byte < 0x80 ? k - at : -1) }
          shift += 7
        }
      }
      guard used > 0 else { throw damaged() }  // not written by SpillWriter
      at += used
      return Int128(bitPattern: z >> 1) ^ -Int128(bitPattern: z & 1)
    }
    var z: UInt128 = 0
    var shift: UInt128 = 0
    while true {
      let b = try byte()
      z |= UInt128(b & 0x7F) << shift
      if b < 0x80 { break }
      shift += 7
      guard shift < 133 else { throw damaged() }  // not written by SpillWriter
    }
    return Int128(bitPattern: z >> 1) ^ -Int128(bitPattern: z & 1)
  }
}

/// The runs of a k-way merge whose next record is read, as a binary min-heap of their numbers on
/// the order `less` gives (``TaskLedger`` and ``ClassChargeLedger`` merge their runs with it).
struct RunHeap {
  private(set) var runs: [Int]

  /// The heap of `runs`, ordered.
  init(_ runs: [Int], less: (Int, Int) -> Bool) {
    self.runs = runs
    for i in stride(from: runs.count / 2 - 1, through: 0, by: -1) { siftDown(i, less: less) }
  }

  /// The run whose record comes first; nil when every run is read.
  var top: Int? { runs.first }

  /// Puts the top back in its place after its next record was read.
  mutating func topMoved(less: (Int, Int) -> Bool) { siftDown(0, less: less) }

  /// Drops the top, its run read to the end.
  mutating func removeTop(less: (Int, Int) -> Bool) {
    runs.swapAt(0, runs.count - 1)
    runs.removeLast()
    siftDown(0, less: less)
  }

  private mutating func siftDown(_ start: Int, less: (Int, Int) -> Bool) {
    var i = start
    while true {
      let (l, r) = (2 * i + 1, 2 * i + 2)
      var m = i
      if l < runs.count && less(runs[l], runs[m]) { m = l }
      if r < runs.count && less(runs[r], runs[m]) { m = r }
      if m == i { return }
      runs.swapAt(i, m)
      i = m
    }
  }
}
