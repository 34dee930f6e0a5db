import ChargebackStore
import Foundation

/// A file's SHA-256 and size, with its stamp (size and modification time) taken before the bytes
/// were read; computed on a thread of its own, so that ingest hashes the next file while the current
/// one loads.
package final class FileHash: @unchecked Sendable {
  // @unchecked: `result` is written once on the hashing thread before `done` is signalled, and read
  // only after waiting on `done`, which orders the two.
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<Value, any Error>?
  /// The file hashed.
  package let path: String

  /// What `value()` gives: the stamp before reading (nil when the file cannot be stat'ed), the
  /// SHA-256 in hex and the byte count.
  package typealias Value = (before: (bytes: Int64, mtimeNs: Int64)?, sha256: String, bytes: Int64)

  /// Starts hashing `path`; with `now`, hashes it on this thread before returning.
  package init(path: String, now: Bool = false) {
    self.path = path
    if now {
      compute(path)
      return
    }
    let thread = Thread { [self] in compute(path) }
    thread.start()
  }

  private func compute(_ path: String) {
    let before = FileStamp.of(path)
    result = Result {
      let (sha, bytes) = try Ingestor.sha256(of: path)
      return (before, sha, bytes)
    }
    done.signal()
  }

  /// The hash, once computed (waits for it); rethrows the failure to read the file.
  package func value() throws -> Value {
    done.wait()
    done.signal()
    guard let result else { preconditionFailure("FileHash signalled before its result was set") }
    return try result.get()
  }
}
