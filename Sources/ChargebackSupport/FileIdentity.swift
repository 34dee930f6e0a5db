import Foundation

/// A file's device and inode: the same file whatever path names it, and what a rename keeps.
///
/// The usage walk visits each folder once by it (links back to a folder end there), ingest tells
/// the same file under another spelling from a copy by it, and publication knows its own copies in
/// `--out` by it (with their size and time).
package struct FileIdentity: Hashable, Sendable {
  package let device: UInt64
  package let inode: UInt64

  package init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }

  package init(_ st: stat) {
    self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }

  /// The identity of the file at `path` (through a link when `followingLinks`); nil when there is
  /// none.
  package init?(path: String, followingLinks: Bool = true) {
    var st = stat()
    guard (followingLinks ? stat(path, &st) : lstat(path, &st)) == 0 else { return nil }
    self.init(st)
  }
}
