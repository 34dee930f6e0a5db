import ChargebackSupport
import Crypto
import Foundation

// A file's SHA-256, the identity by which the store knows its bytes.
extension Ingestor {
  /// SHA-256 (hex) and size of a file's bytes, read in chunks into one buffer.
  ///
  /// read(2) into a buffer kept for every chunk: `FileHandle.read(upToCount:)` gave each 4 MiB
  /// chunk fresh memory (mapped and unmapped again by malloc), whose pages the kernel faulted in
  /// and cleared inside the copy (perf, `ingest` of the 1 M friendly month: 9.6 % of all samples
  /// in that copy, against 0.6 % for the parser's reads of the same bytes into a kept buffer).
  package static func sha256(of path: String) throws -> (String, Int64) {
    let fd = try FileDescriptor.openForReading(path)
    defer { FileDescriptor.close(fd) }
    let capacity = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    defer { buffer.deallocate() }
    guard let base = buffer.baseAddress else { preconditionFailure("an allocation of 1 MiB has an address") }
    var hasher = SHA256()
    var size: Int64 = 0
    while true {
      let n = try FileDescriptor.read(fd, into: base, capacity: capacity, path: path)
      if n == 0 { break }
      size += Int64(n)
      hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
    }
    return (hasher.finalize().lowercaseHex, size)
  }
}
