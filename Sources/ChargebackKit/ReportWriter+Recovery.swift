import ChargebackModel
import ChargebackStore
import ChargebackSupport
import Foundation

/// What a run does about other runs into the same `--out`: one publishes at a time, and what a
/// run killed while publishing left is put back before the next one reads the previous outputs.
extension ReportWriter {
  /// Holds an exclusive `flock` on `--out` (the folder itself) while `body` runs: two runs into one
  /// `--out` publish one after the other, so the second reads the first's findings as the previous
  /// ones, and a new finding is new (and `--fail-on` fires) in one run only, not in each.
  ///
  /// A lock on the folder, not a file: nothing is left in or beside `--out`. Waits for the other
  /// run (a publication takes seconds); a file system without `flock` runs unlocked.
  func withOutLock<T>(_ body: () throws -> T) throws -> T {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return try body() }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0, errno == EINTR {}
    return try body()
  }

  /// Puts back what a run killed while publishing into `--out` left, before this run reads the
  /// previous outputs.
  ///
  /// A run killed between its first rename into `--out` and its manifest's left some files new and
  /// some old, with the old `manifest.json`: the next run took the killed run's `findings.csv` for
  /// the previous one (its new findings were never reported, `--fail-on` never fired), and a
  /// workbook it had added was not in the manifest, which stopped every later run (exit 73). Its
  /// staging folder holds the list of what it was moving (`.publishing`) and the files it replaced
  /// (`.previous`): each moved file is put back (the replaced one renamed over it, or the added one
  /// removed), so `--out` is the last complete publication again. A run killed after its manifest
  /// moved had published; only the outputs it no longer writes are left to remove. Then the folder
  /// goes (``removeAbandoned(in:prefix:directory:)``); when putting back fails it stays.
  ///
  /// - Throws: ``OutputError`` (73) when a file could not be put back: publishing over a half
  ///   restored `--out` would mix the runs for good; the folder is kept, and the next run tries again.
  func recoverAbandoned() throws {
    let kept = Self.removeAbandoned(in: PathText.parent(of: directory), prefix: stagingPrefix, directory: directory)
    guard let first = kept.first else { return }
    throw OutputError(
      path: directory,
      reason: "a run killed while publishing here left \(first), and its files could not all be put back"
        + " (the previous versions are in its .previous folder): check the permissions of --out and run again")
  }

  /// Undoes (or, after its manifest, completes) the publication an abandoned `staging` folder was
  /// making into `out`; true when nothing of it is left to put back.
  ///
  /// `.publishing` names each file the run moves with its new ``Copy`` (a rename keeps it), so
  /// only a file in `out` that is still that very copy is touched: one
  /// already put back (by the run's own rollback, by hand, or by an earlier try of this one), or
  /// replaced by a later publication, is left as it is, and trying again is safe.
  static func putBack(_ staging: String, into out: String) -> Bool {
    func at(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
    guard let moving = publishingList(staging) else { return true }
    /// Whether `out`'s `name` is still the copy this run moved in.
    func stillOurs(_ name: String, _ copy: Copy) -> Bool { Copy(path: at(out, name)) == copy }
    let previous = at(staging, ".previous")
    if let manifest = moving.first(where: { $0.name == "manifest.json" }), fileType(at(staging, "manifest.json")) == nil
    {
      // Published (its manifest moved): remove what the replaced manifest listed and the new one
      // does not, while that manifest is still the one in `out`.
      guard stillOurs("manifest.json", manifest.copy) else { return true }
      let old = manifestOutputs(at(previous, "manifest.json")) ?? []
      let new = manifestOutputs(at(out, "manifest.json")) ?? []
      for name in old.subtracting(new).subtracting(["manifest.json"]) where fileType(at(out, name)) == .typeRegular {
        unlink(at(out, name))
      }
      return true
    }
    var ok = true
    for (name, copy) in moving.reversed() where fileType(at(staging, name)) == nil && stillOurs(name, copy) {
      // Moved in: the file it replaced goes back over it, or it goes.
      if fileType(at(previous, name)) == .typeRegular {
        if rename(at(previous, name), at(out, name)) != 0 { ok = false }
      } else if unlink(at(out, name)) != 0 {
        ok = false
      }
    }
    return ok
  }

  /// What the publication of the staging folder `staging` moves into `--out` (its `.publishing`):
  /// each file's name and new ``Copy``; nil when it lists nothing (it never got as far).
  static func publishingList(_ staging: String) -> [(name: String, copy: Copy)]? {
    let list = (staging as NSString).appendingPathComponent(".publishing")
    guard let text = try? String(contentsOfFile: list, encoding: .utf8) else { return nil }
    var moving: [(name: String, copy: Copy)] = []
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "\t").map(String.init)
      guard let name = f.first, !name.contains("/"), name != ".", name != "..", !name.isEmpty,
        let copy = Copy(f.dropFirst())
      else { continue }
      moving.append((name, copy))
    }
    return moving
  }

  /// One new file a publication moves into `--out`: its ``FileIdentity`` (a rename keeps it), and
  /// its size and modification time (ns).
  ///
  /// The size and time too: a file system reuses a freed inode's number at once, so a later
  /// publication's file could carry the number of the killed run's, which it replaced (seen in a
  /// test under load); it was not written in the same nanosecond.
  struct Copy: Equatable {
    var file: FileIdentity
    var bytes: Int64
    var mtimeNs: Int64

    /// The copy at `path`, a regular file (never through a link); nil when there is none.
    init?(path: String) {
      guard fileType(path) == .typeRegular, let file = FileIdentity(path: path, followingLinks: false),
        let stamp = FileStamp.of(path)
      else { return nil }
      (self.file, bytes, mtimeNs) = (file, stamp.bytes, stamp.mtimeNs)
    }

    /// As `.publishing` writes it after the name: tab-separated.
    var text: String { "\(file.device)\t\(file.inode)\t\(bytes)\t\(mtimeNs)" }

    /// From the fields `text` wrote; nil when they are not that.
    init?(_ f: ArraySlice<String>) {
      let f = Array(f)
      guard f.count == 4, let d = UInt64(f[0]), let i = UInt64(f[1]), let b = Int64(f[2]), let m = Int64(f[3]) else {
        return nil
      }
      (file, bytes, mtimeNs) = (FileIdentity(device: d, inode: i), b, m)
    }
  }

  /// True when no live process has `pid`.
  ///
  /// None has it (`kill` fails with `ESRCH`), or it is a zombie, killed and not yet reaped by its
  /// parent. A zombie holds no lock, and where the first
  /// process of a container reaps nothing it stays one for good: a trial's run killed by `timeout -s
  /// KILL` left its staging folder, and the next run stopped (exit 73, "not written by chargeback").
  static func processGone(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 { return errno == ESRCH }
    // `pid (comm) S …`: the state follows the last `)` (a command's name may hold one).
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].drop { $0 == " " }.first == "Z"
  }

  /// Removes the staging folders `prefix<pid>-<random>` in `parent` whose process is gone.
  ///
  /// Before, puts back what each left half-published in `directory` (``putBack(_:into:)``).
  /// Returns the folders whose files could not be put back (kept, for the next try).
  @discardableResult
  static func removeAbandoned(in parent: String, prefix: String, directory: String? = nil) -> [String] {
    var unrestored: [String] = []
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [] }
    for name in names where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1)
      guard rest.count == 2, let pid = Int32(rest[0]), pid > 0, pid != ProcessInfo.processInfo.processIdentifier,
        rest[1].count == 8
      else { continue }
      guard processGone(pid) else { continue }
      let path = (parent as NSString).appendingPathComponent(name)
      var st = stat()
      guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
      // Its lock: taken only when no live process holds it (O_NOFOLLOW: never a link's target).
      // A folder whose removal was cut short may have lost its lock file first: made again, so
      // that the folder still goes (a trial's run killed in its last clean-up left a `.previous`
      // of links to the old outputs that no later run removed). Only a folder that got as far as
      // publishing: a live run's new folder has no lock file for a moment, and nothing else.
      let lock = (path as NSString).appendingPathComponent(".lock")
      var fd = open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
      if fd < 0, errno == ENOENT,
        [".previous", ".publishing"].contains(where: { fileType((path as NSString).appendingPathComponent($0)) != nil })
      {
        fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
      }
      guard fd >= 0 else { continue }
      defer { close(fd) }
      guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
      if let directory, !putBack(path, into: directory) {
        unrestored.append(path)
        continue
      }
      try? FileManager.default.removeItem(atPath: path)
    }
    return unrestored
  }
}

extension ReportWriter {
  /// The report key of an unfinished publication into `--out` whose run is gone.
  ///
  /// The mark is `key`, tab, host, tab, pid; a run of this host still alive will end, and alert, itself. A mark
  /// of the key alone (an older version's) is taken as it is.
  func unfinishedNow() throws -> String? {
    guard let mark = try readUnfinished?(), !mark.isEmpty else { return nil }
    let fields = mark.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    guard fields.count == 3, let pid = Int32(fields[2]) else { return mark }
    if fields[1] == Self.hostTag && pid != getpid() && !Self.processGone(pid) { return nil }
    return fields[0]
  }

  /// The store's mark of this run's publication (``unfinishedNow()``).
  package static func unfinishedMark(key: String) -> String { "\(key)\t\(hostTag)\t\(getpid())" }
}
