import ChargebackModel
import ChargebackSupport
import Foundation

// The usage paths a run reads: `--usage` folders walked into files.
extension Ingestor {
  /// Lists the files under `paths`: files as given, directories walked recursively (through
  /// symbolic links, each directory once), sorted; dotfiles and `README.md` are left out.
  ///
  /// Written on `stat` rather than `FileManager.enumerator`: on Linux the enumerator neither lists
  /// a directory given as a symbolic link nor descends into a linked subdirectory, so a usage
  /// folder reached through a link was read as empty and the month charged $0 without a word.
  /// What cannot be read as a file stops the run before anything is loaded, naming it: a broken
  /// link, and anything that is not a regular file (a FIFO would block the run for ever while it
  /// holds the store's write lock; a device or socket is no export). Paths stay as the user gave
  /// them (`exports/current/a.jsonl`, never the link's target). Files and folders that are one of
  /// `skipping` (the run's `--out` folder and store files, when they lie inside a usage folder) are
  /// not listed: a second run would otherwise read its own outputs as exports.
  package static func expand(_ paths: [String], skipping: [String] = []) throws -> [String] {
    let skip = Set(
      skipping.compactMap { FileIdentity(path: $0) })
    var out: [String] = []
    for p in paths {
      let st = try status(p, otherwise: "no such file or directory")
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        try requireRegular(p, st)
        out.append(p)
        continue
      }
      var found: [String] = []
      var seen: Set<FileIdentity> = [FileIdentity(st)]
      try walk(p, into: &found, seen: &seen, skip: skip)
      out.append(contentsOf: found.sorted())
    }
    return out
  }

  /// `stat` of `path` (through links); a broken link or a path that cannot be read is an
  /// ``InputMissingError`` saying which (`otherwise` when it is not a link).
  private static func status(_ path: String, otherwise reason: String) throws -> stat {
    var st = stat()
    guard stat(path, &st) != 0 else { return st }
    let failure = errno
    var l = stat()
    let broken = lstat(path, &l) == 0 && (l.st_mode & S_IFMT) == S_IFLNK
    // A loop of links fails with ELOOP, not as a missing target (a trial's loopA → loopB → loopA).
    let loop = failure == ELOOP
    throw InputMissingError(
      path: path,
      reason: broken
        ? (loop
          ? "a symbolic link that leads back to itself (a loop of links)"
          : "a symbolic link to nothing (its target is missing)")
        : reason)
  }

  private static func requireRegular(_ path: String, _ st: stat) throws {
    let kind: String
    switch st.st_mode & S_IFMT {
    case S_IFREG: return
    case S_IFIFO: kind = "a FIFO (named pipe)"
    case S_IFSOCK: kind = "a socket"
    case S_IFCHR, S_IFBLK: kind = "a device"
    default: kind = "not a file or directory"
    }
    throw InputMissingError(path: path, reason: "\(kind), not a regular file: an export must be a file")
  }

  private static func walk(
    _ dir: String, into found: inout [String], seen: inout Set<FileIdentity>, skip: Set<FileIdentity>
  ) throws {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: dir)
    } catch {
      throw InputMissingError(path: dir, reason: "cannot list directory")
    }
    // Sorted here too: which path a folder reached twice is listed under must not depend on the
    // order the file system lists names in.
    for name in names.sorted() where !name.hasPrefix(".") {
      let full = (dir as NSString).appendingPathComponent(name)
      // A name whose bytes are not UTF-8 comes back from the listing with U+FFFD in their place,
      // and no file has that name: say so, instead of "cannot be read".
      let st = try status(
        full,
        otherwise: name.unicodeScalars.contains("\u{FFFD}")
          ? "its name is not valid UTF-8 (shown with U+FFFD where its bytes are), so it cannot be opened by"
            + " name: rename it to UTF-8 (for example `convmv -f latin1 -t utf8 --notest`)"
          : "cannot be read")
      guard !skip.contains(FileIdentity(st)) else { continue }
      if (st.st_mode & S_IFMT) == S_IFDIR {
        // A directory reached twice (a link to a folder already walked, or a loop) is walked once.
        guard seen.insert(FileIdentity(st)).inserted else { continue }
        try walk(full, into: &found, seen: &seen, skip: skip)
      } else if name != "README.md" {
        try requireRegular(full, st)
        found.append(full)
      }
    }
  }
}
