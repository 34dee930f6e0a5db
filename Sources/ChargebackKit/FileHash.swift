import ChargebackIngest
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
    case computing(BackgroundWork<(Value, ReadAhead?)>)
  }

  /// Starts hashing `path`; with `now`, hashes it on this thread before returning.
  package init(path: String, now: Bool = false) {
    self.path = path
    source =
      now ? .computed(Result { try Self.compute(path) }) : .computing(BackgroundWork { (try Self.compute(path), nil) })
  }

  /// Starts hashing `path` on a thread of its own, then reading its records there with `readAhead`
  /// (``ReadAhead``): the records of a small file are ready when its turn to load comes.
  init(path: String, readAhead: @escaping @Sendable (String) -> ReadAhead?) {
    self.path = path
    source = .computing(BackgroundWork { (try Self.compute(path), readAhead(path)) })
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
    case .computing(let work): try work.value().0
    }
  }

  /// The file's records read ahead, once read (waits for them); nil when they were not (a file
  /// too large, or one whose format was not found: read as usual, which says why).
  func readAhead() -> ReadAhead? {
    guard case .computing(let work) = source else { return nil }
    return (try? work.value())?.1
  }
}

/// A small file's format and records, read on its hashing thread while the file before it loads
/// (``Ingestor/ingest(paths:onFile:)``).
///
/// An S3 sync of Bedrock logs is thousands of small gzip files of a few hundred records each; one
/// by one, each file's reading waited for the one before it to load, so a month of them took three
/// times as long as the same records in one file, on one core (2,500 files of 100 records: 5.98 s
/// against 2.00 s).
final class ReadAhead: Sendable {
  let format: any ExportFormat
  /// The file's records and spans, or the error its reading stopped at (thrown when the file loads,
  /// where the reading would have thrown it).
  let items: Result<[ParsedItem], any Error>

  init(format: any ExportFormat, items: Result<[ParsedItem], any Error>) {
    self.format = format
    self.items = items
  }

  /// Files of at most this many bytes on disk are read ahead.
  static let maximumBytes: Int64 = 1 << 20
  /// Items read ahead from one file at most (a small gzip file can hold many): past it, the file is
  /// read as usual, while it loads.
  static let maximumItems = 20_000

  private struct TooMany: Error {}

  /// Reads the file at `path` in full as one of `formats`; nil when its format is not found or it
  /// holds more than ``maximumItems``.
  static func read(_ path: String, formats: [any ExportFormat]) -> ReadAhead? {
    let input = InputFile(path: path)
    guard let format = try? FormatRegistry.detect(input, among: formats) else { return nil }
    var items: [ParsedItem] = []
    do {
      try ParsedItem.read(input, as: format) { item in
        guard items.count < maximumItems else { throw TooMany() }
        items.append(item)
      }
    } catch is TooMany {
      return nil
    } catch {
      return ReadAhead(format: format, items: .failure(error))
    }
    return ReadAhead(format: format, items: .success(items))
  }
}
