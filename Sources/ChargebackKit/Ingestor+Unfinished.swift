import ChargebackModel
import ChargebackStore
import Foundation

/// A file cut inside its last line while it is still being written.
extension Ingestor {
  /// True when `path` looks still being written, cut inside its last line.
  ///
  /// `error` is `path`'s and says its last line is malformed, the file does not end with a line
  /// end, and it was modified in the last ``unfinishedMinutes`` minutes. An older one is refused as every bad file is (a finished file cut short is an error
  /// to fix, not one to wait for).
  static func looksUnfinished(_ path: String, _ error: InputError) -> Bool {
    guard error.file == path, error.message.contains("malformed JSON") || error.message.contains("unterminated"),
      let stamp = FileStamp.of(path), stamp.bytes > 0,
      Int64(Date().timeIntervalSince1970 * 1e9) - stamp.mtimeNs < Int64(unfinishedMinutes) * 60_000_000_000,
      let handle = FileHandle(forReadingAtPath: path)
    else { return false }
    defer { try? handle.close() }
    // Not a gzip file: its bytes are not its lines (one cut short fails to decompress, an error).
    guard let magic = try? handle.read(upToCount: 2), magic != Data([0x1F, 0x8B]) else { return false }
    // The last byte: no line end (and not a closing bracket a whole document ends with).
    guard (try? handle.seek(toOffset: UInt64(stamp.bytes - 1))) != nil,
      let last = try? handle.read(upToCount: 1)?.first, last != 0x0A, last != UInt8(ascii: "}"),
      last != UInt8(ascii: "]")
    else { return false }
    // The error is on the last line (JSON Lines), or the document has no line (one cut value).
    guard let line = error.line else { return true }
    var lines = 1
    try? handle.seek(toOffset: 0)
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
    return line == lines
  }

  /// How recently a file cut inside its last line must have been modified to be taken for one
  /// still being written (``looksUnfinished(_:_:)``).
  static let unfinishedMinutes = 15
}
