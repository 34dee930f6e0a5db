import ChargebackStore
import ChargebackSupport
import Foundation

/// A file's SHA-256 and size, with its stamp (size and modification time) taken before the bytes
/// were read; computed on a thread of its own, so that ingest hashes the next file while the current
/// one loads.
package final class FileHash: Sendable {
  /// The file hashed.
  package let path: String
  private let source: Source

  /// What `value()` gives: the stamp before reading (nil when the file cannot be stat'ed), the
  /// SHA-256 in hex and the byte count.
  package typealias Value = (before: (bytes: Int64, mtimeNs: Int64)?, sha256: String, bytes: Int64)

  private enum Source: Sendable {
    case computed(Result<Value, any Error>)
    case computing(BackgroundWork<Value>)
  }

  /// Starts hashing `path`; with `now`, hashes it on this thread before returning.
  package init(path: String, now: Bool = false) {
    self.path = path
    source = now ? .computed(Result { try Self.compute(path) }) : .computing(BackgroundWork { try Self.compute(path) })
  }

  private static func compute(_ path: String) throws -> Value {
    let before = FileStamp.of(path)
    let (sha, bytes) = try Ingestor.sha256(of: path)
    return (before, sha, bytes)
  }

  /// The hash, once computed (waits for it); rethrows the failure to read the file.
  package func value() throws -> Value {
    switch source {
    case .computed(let result): try result.get()
    case .computing(let work): try work.value()
    }
  }
}
