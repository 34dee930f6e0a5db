import Foundation

/// A folder of the run's own for the report's scratch files (the tasks kept on disk, the workbooks'
/// scratch files from libxlsxwriter), made in the folder they would go to and removed at the end.
///
/// Both make each file with `mkstemp` and unlink it at once, but a run killed between the two left
/// an empty `tmp.XXXXXXXXXX` or `chargeback-tasks-XXXXXX` in the store's folder, beside the user's
/// own files, where no later run could tell it from theirs (a trial, `kill` during the workbooks).
/// In a folder named for its process they go with the folder: at the end of the run, or, when the
/// run was killed, at the next run once that process is gone.
final class ScratchFolder {
  /// The folders' names: the prefix, the process id, `-` and eight hex digits.
  static let prefix = ".chargeback-scratch-"

  /// The folder made.
  let path: String

  /// Makes a folder in `base` (after removing those of ended processes there); nil when it cannot
  /// be made, and the scratch files go to `base` as before.
  init?(in base: String) {
    Self.removeAbandoned(in: base)
    let name =
      Self.prefix + "\(ProcessInfo.processInfo.processIdentifier)-"
      + String(format: "%08x", UInt32.random(in: .min ... .max))
    let path = (base as NSString).appendingPathComponent(name)
    guard mkdir(path, 0o700) == 0 else { return nil }
    self.path = path
  }

  /// Removes the folder and what is in it.
  func remove() { try? FileManager.default.removeItem(atPath: path) }

  /// Removes the folders in `base` named for a process that has ended; a live one's (another run
  /// at work) is left alone, and so is anything not named as these folders are, or not a folder.
  static func removeAbandoned(in base: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
    for name in names where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1)
      guard rest.count == 2, let pid = Int32(rest[0]), pid > 0, pid != ProcessInfo.processInfo.processIdentifier,
        rest[1].count == 8, rest[1].allSatisfy(\.isHexDigit)
      else { continue }
      guard kill(pid, 0) != 0, errno == ESRCH else { continue }
      let path = (base as NSString).appendingPathComponent(name)
      var st = stat()
      guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
      try? FileManager.default.removeItem(atPath: path)
    }
  }
}
