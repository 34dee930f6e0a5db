import ChargebackModel
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A file read with open(2) and read(2) into a buffer its reader keeps (the gzip reader's input,
/// the file hash's chunk), where `FileHandle.read(upToCount:)` would give every chunk fresh pages.
///
/// Failures are ``InputMissingError``s that name the file.
package enum FileDescriptor {
  /// The descriptor of `path` opened for reading (closed on `exec`).
  package static func openForReading(_ path: String) throws -> Int32 {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw InputMissingError(path: path, reason: "cannot open for reading") }
    return fd
  }

  /// read(2) of at most `capacity` bytes into `into`, retried when a signal interrupts it; 0 at
  /// the end of the file.
  package static func read(
    _ fd: Int32, into: UnsafeMutableRawPointer, capacity: Int, path: String
  ) throws -> Int {
    while true {
      let n = Glibc.read(fd, into, capacity)
      if n >= 0 { return n }
      if errno != EINTR {
        throw InputMissingError(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
      }
    }
  }

  /// close(2).
  package static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
