import Foundation

/// A folder of the run's own for the report's scratch files (the tasks kept on disk, the workbooks'
/// scratch files from libxlsxwriter), made in the folder they would go to and removed at the end.
///
/// Both make each file with `mkstemp` and unlink it at once, but a run killed between the two left
/// an empty `tmp.XXXXXXXXXX` or `chargeback-tasks-XXXXXX` in the store's folder, beside the user's
/// own files, where no later run could tell it from theirs (a trial, `kill` during the workbooks).
/// In a folder of the run's own they go with the folder: at the end of the run, or, when the run
/// was killed, at a later run.
///
/// A later run removes a folder only when it is named for this host and its lock (`.lock`, held by
/// the run for as long as it lives) can be taken: a live run's folder is never removed, whether
/// its process id is reused or seen from another host or container sharing the folder.
final class ScratchFolder {
  /// The folders' names: the prefix, the host (``ReportWriter/hostTag``), the process id, and
  /// eight hex digits, joined by `-`.
  static let prefix = ".chargeback-scratch-"

  /// The folder made.
  let path: String
  /// The descriptor holding the folder's lock while the run lives.
  private let lock: Int32

  /// Makes a folder in `base` (after removing abandoned ones there); nil when it cannot be made,
  /// and the scratch files go to `base` as before.
  init?(in base: String) {
    Self.removeAbandoned(in: base)
    let name =
      Self.prefix + "\(ReportWriter.hostTag)-\(ProcessInfo.processInfo.processIdentifier)-"
      + String(format: "%08x", UInt32.random(in: .min ... .max))
    let path = (base as NSString).appendingPathComponent(name)
    guard mkdir(path, 0o700) == 0 else { return nil }
    let fd = open(
      (path as NSString).appendingPathComponent(".lock"), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      if fd >= 0 { close(fd) }
      Self.empty(path)
      return nil
    }
    (self.path, lock) = (path, fd)
  }

  deinit { close(lock) }

  /// Removes the folder and what is in it.
  func remove() { Self.empty(path) }

  /// Removes the folders in `base` a run of this host left: named as these folders are, owned by
  /// this user, not a link, and with a lock no live run holds.
  static func removeAbandoned(in base: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
    let own = prefix + ReportWriter.hostTag + "-"
    for name in names where name.hasPrefix(own) {
      let rest = name.dropFirst(own.count).split(separator: "-", omittingEmptySubsequences: false)
      guard rest.count == 2, Int32(rest[0]) != nil, rest[1].count == 8, rest[1].allSatisfy(\.isHexDigit) else {
        continue
      }
      let path = (base as NSString).appendingPathComponent(name)
      var st = stat()
      guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid() else { continue }
      // Its lock: taken only when no live run holds it. A folder with no lock file (a run killed
      // between making the folder and its lock) holds nothing yet: taken as free.
      let fd = open((path as NSString).appendingPathComponent(".lock"), O_RDWR | O_NOFOLLOW | O_CLOEXEC)
      if fd >= 0 {
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
        empty(path)
      } else if errno == ENOENT {
        empty(path)
      }
    }
  }

  /// Unlinks the files directly in `path` (the scratch files are never folders), then the folder.
  private static func empty(_ path: String) {
    if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
      for name in names { unlink((path as NSString).appendingPathComponent(name)) }
    }
    rmdir(path)
  }
}
