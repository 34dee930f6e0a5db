import ChargebackModel
import ChargebackStore
import Foundation

/// A file cut inside its last line while it is still being written.
extension Ingestor {
  /// True when `path` looks still being written, cut inside its last line.
  ///
  /// `error` is `path`'s and says its last line is malformed, the file does not end with a line
  /// end, and it was modified in the last ``unfinishedMinutes`` minutes. An older one is refused as
  /// every bad file is (a finished file cut short is an error to fix, not one to wait for).
  static func looksUnfinished(_ path: String, _ error: InputError) -> Bool {
    guard let stamp = FileStamp.of(path),
      Int64(Date().timeIntervalSince1970 * 1e9) - stamp.mtimeNs < Int64(unfinishedMinutes) * 60_000_000_000
    else { return false }
    return endsInsideLastLine(path, error)
  }

  /// True when `error` is a record cut short (``InputError/endsEarly``: its bytes end before its
  /// JSON value) on the last line of `path`, which has no line end: the file was cut inside that
  /// line (a JSON Lines file, or a document on one line, as `curl -o` saves an API page).
  ///
  /// Malformed JSON of another kind on that line (a duplicate key, a leading zero) is not a cut (a
  /// review: it was said to be one, and a fresh such page was left for later as being written).
  static func endsInsideLastLine(_ path: String, _ error: InputError) -> Bool {
    guard error.file == path, error.endsEarly, let line = error.line,
      let stamp = FileStamp.of(path), stamp.bytes > 0, let handle = FileHandle(forReadingAtPath: path)
    else { return false }
    defer { try? handle.close() }
    // Not a gzip file: its bytes are not its lines (one cut short fails to decompress, an error).
    guard let magic = try? handle.read(upToCount: 2), magic != Data([0x1F, 0x8B]) else { return false }
    // No line end at its end, and the error on its last line.
    guard (try? handle.seek(toOffset: UInt64(stamp.bytes - 1))) != nil,
      let last = try? handle.read(upToCount: 1)?.first, last != 0x0A
    else { return false }
    var lines = 1
    try? handle.seek(toOffset: 0)
    while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
    return line == lines
  }

  /// `error`, said to be a file cut short when it is malformed JSON on the last line of `path`,
  /// which has no line end (written to more than ``unfinishedMinutes`` ago, or it would have been
  /// left for later): "malformed JSON (expected a member name)" alone sent a trial looking for a
  /// bad record in a copy that had stopped part-way.
  static func namingCut(_ error: any Error, _ path: String) -> any Error {
    guard var bad = error as? InputError, endsInsideLastLine(path, bad) else { return error }
    bad.message +=
      "; this is the file's last line and it has no line end: the file was cut short (a copy or"
      + " download that stopped part-way); fetch it again"
    return bad
  }

  /// How recently a file cut inside its last line must have been modified to be taken for one
  /// still being written (``looksUnfinished(_:_:)``).
  static let unfinishedMinutes = 15

  /// `body`'s result; a bad line of `path` it throws is a change (``InputChangedError``) when the
  /// file is no longer as it was when its reading began (`before`).
  ///
  /// A log appended to while it is read fails on a line its writer had written half of; by the time
  /// the error is looked at, the line is whole, so the file was neither bad nor unfinished (a
  /// trial's daily run failed whole, "malformed JSON", on a live log written in halves).
  func changedIfStale<T>(
    _ path: String, _ before: (bytes: Int64, mtimeNs: Int64)?, _ body: () throws -> T
  ) throws -> T {
    do {
      return try body()
    } catch let bad as InputError where bad.file == path {
      try Self.checkUnchanged(path, since: before)
      throw bad
    }
  }

  /// Throws ``InputChangedError`` when `path` is no longer as it was at `before` (its size or time
  /// changed, or it is gone from its path: its writer may still be appending to the bytes read);
  /// nothing when `before` is nil (a file not stamped).
  static func checkUnchanged(_ path: String, since before: (bytes: Int64, mtimeNs: Int64)?) throws {
    guard let before else { return }
    let now = FileStamp.of(path)
    if now.map({ $0 != before }) ?? true { throw InputChangedError(path: path, before: before, after: now) }
  }
}
