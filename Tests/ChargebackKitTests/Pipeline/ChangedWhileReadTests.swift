import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A file that changes while it is loaded (appended to, rewritten in place) is never stored under
/// the hash and size of other bytes than the records came from: it is read again, and a file that
/// changes every time is left for a later run, nothing of it loaded, the files around it loaded.
@Suite struct ChangedWhileReadTests {
  /// Changes `b.jsonl` at the end of its reading, the first `times` readings (every one when nil).
  final class Changes: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int?
    private let change: @Sendable (String) -> Void
    private(set) var fired = 0

    init(times: Int?, change: @escaping @Sendable (String) -> Void) {
      left = times
      self.change = change
    }

    func fire(_ path: String) {
      guard path.hasSuffix("/b.jsonl") else { return }
      lock.lock()
      defer { lock.unlock() }
      if let l = left {
        guard l > 0 else { return }
        left = l - 1
      }
      fired += 1
      change(path)
    }
  }

  /// A format that reads as `base` does, then lets `changes` change the file read: at the end of its reading, or
  /// (`onFailure`) when the reading fails, before the failure goes on.
  struct ChangingFormat: ExportFormat {
    let base: any ExportFormat
    let changes: Changes
    var onFailure = false
    var id: String { base.id }
    var level: SourceLevel { base.level }
    func matches(head: String) -> Bool { base.matches(head: head) }
    private func reading(_ path: String, _ body: () throws -> Void) throws {
      do { try body() } catch {
        if onFailure { changes.fire(path) }
        throw error
      }
      if !onFailure { changes.fire(path) }
    }
    func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
      try reading(file.path) { try base.read(file, emit: emit) }
    }
    func readItems(_ file: InputFile, emit: (consuming IngestItem) throws -> Void) throws {
      try reading(file.path) { try base.readItems(file, emit: emit) }
    }
  }

  static let month = Fixtures.month + "/usage/bedrock/month.jsonl"

  /// The fixture month's first line under another request id: a call appended to the file.
  static func appendedLine() throws -> String {
    let first = try String(contentsOfFile: month, encoding: .utf8).prefix { $0 != "\n" }
    return first.replacingOccurrences(of: #""requestId":"req-1""#, with: #""requestId":"late-1""#) + "\n"
  }

  static func append(_ text: String, to path: String) {
    guard let h = FileHandle(forWritingAtPath: path) else { return }
    h.seekToEndOfFile()
    h.write(Data(text.utf8))
    h.closeFile()
  }

  /// Calls in `b.jsonl`: more than a file read ahead with its hash holds (``ReadAhead``), so that
  /// it is read while it loads, after its hash.
  static let bCalls = 2_100

  /// Ingests `a.jsonl` (the fixture's 7 calls), `b.jsonl` (``bCalls`` copies of the first, under
  /// other request ids, changed by `changes` when read) and `c.jsonl` (the fixture's 7 calls under
  /// other ids), with the Bedrock format wrapped.
  static func ingest(
    _ dir: String, changes: Changes
  ) throws -> (store: UsageStore, results: Result<[Ingestor.FileResult], any Error>, b: String) {
    let a = dir + "/usage/a.jsonl"
    let b = dir + "/usage/b.jsonl"
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let text = try String(contentsOfFile: month, encoding: .utf8)
    try text.write(toFile: a, atomically: true, encoding: .utf8)
    let first = text.prefix { $0 != "\n" }
    try (0..<bCalls).map { first.replacingOccurrences(of: #""requestId":"req-1""#, with: #""requestId":"b-\#($0)""#) }
      .joined(separator: "\n").appending("\n").write(toFile: b, atomically: true, encoding: .utf8)
    #expect(try #require(FileStamp.of(b)).bytes > ReadAhead.maximumBytes)
    // An empty file between a and b: skipped as a delivery artifact, its skip written in the group
    // that b's rollback takes back, and written again.
    #expect(FileManager.default.createFile(atPath: dir + "/usage/a-empty.jsonl", contents: Data()))
    let c = dir + "/usage/c.jsonl"
    try text.replacingOccurrences(of: #""requestId":"req-"#, with: #""requestId":"c-"#)
      .write(toFile: c, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let bedrock = try #require(FormatRegistry.all.first { $0.id == "bedrock-invocation-log" })
    let ingestor = Ingestor(
      store: store, formats: [ChangingFormat(base: bedrock, changes: changes)], progress: ProgressReporter(force: false)
    )
    // Only b.jsonl changes: a.jsonl is read by the same format, so the change is by path.
    return (store, Result { try ingestor.ingest(paths: [a, dir + "/usage/a-empty.jsonl", b, c]) }, b)
  }

  static func sha256(_ path: String) throws -> String { try Ingestor.sha256(of: path).0 }

  @Test func aFileAppendedToWhileReadIsReadAgainWhole() throws {
    let dir = try TestSupport.tempDir("changed-append")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let late = try Self.appendedLine()
    let changes = Changes(times: 1) { ChangedWhileReadTests.append(late, to: $0) }
    let (store, outcome, b) = try Self.ingest(dir, changes: changes)
    let results = try outcome.get()
    #expect(changes.fired == 1)
    let bResult = try #require(results.first { $0.path == b })
    let bytes = try #require(FileStamp.of(b)).bytes
    let stored = try #require(try store.files().first { $0.path == b })
    // The file's row names the bytes on disk now, which hold every record stored from it.
    #expect(stored.sha256 == (try Self.sha256(b)))
    #expect(bResult.sha256 == stored.sha256)
    #expect(try store.db.scalarInt("SELECT bytes FROM files WHERE path = '\(b)'") == bytes)
    #expect(bResult.readAgain == 1)
    #expect(bResult.outcome.contains("read again: it changed while it was being read"))
    // Every call of the file, the appended one too, once.
    #expect(bResult.records == Int64(Self.bCalls + 1))
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage") == Int64(14 + Self.bCalls + 1))
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage WHERE request_id = 'late-1'") == 1)
    #expect(try store.db.scalarInt("SELECT count(*) FROM skipped_files WHERE path LIKE '%/a-empty.jsonl'") == 1)
    try store.close()
  }

  @Test func aFileRewrittenInPlaceWhileReadIsReadAgain() throws {
    let dir = try TestSupport.tempDir("changed-rewrite")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The same size, one count changed: 500 output tokens become 999.
    let changes = Changes(times: 1) { path in
      guard let t = try? String(contentsOfFile: path, encoding: .utf8) else { return }
      let changed = t.replacingOccurrences(of: #""outputTokenCount":500}"#, with: #""outputTokenCount":999}"#)
      guard let h = FileHandle(forWritingAtPath: path) else { return }
      h.write(Data(changed.utf8))
      h.closeFile()
    }
    let (store, outcome, b) = try Self.ingest(dir, changes: changes)
    let results = try outcome.get()
    #expect(changes.fired == 1)
    let bResult = try #require(results.first { $0.path == b })
    #expect(bResult.readAgain == 1)
    let stored = try #require(try store.files().first { $0.path == b })
    #expect(stored.sha256 == (try Self.sha256(b)))
    // The count stored is the one of the bytes hashed.
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage WHERE request_id LIKE 'b-%' AND output = 999") == 2_100)
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage WHERE request_id LIKE 'b-%' AND output = 500") == 0)
    try store.close()
  }

  @Test func aFileThatChangesEveryTimeIsLeftForALaterRunAndTheOthersLoad() throws {
    let dir = try TestSupport.tempDir("changed-always")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let late = try Self.appendedLine()
    let counter = Changes(times: nil) { ChangedWhileReadTests.append(late, to: $0) }
    let (store, outcome, b) = try Self.ingest(dir, changes: counter)
    let results = try outcome.get()
    #expect(counter.fired == Ingestor.changedFileAttempts)
    let bResult = try #require(results.first { $0.path == b })
    #expect(bResult.stillBeingWritten)
    #expect(!bResult.loaded)
    #expect(bResult.outcome.contains("still being written: it changed each of the 3 times it was read"))
    #expect(ChargebackJob.stillBeingWritten(results).first?.contains("1 file still being written (\(b))") == true)
    // Nothing of b.jsonl, and no record of it (a later run reads it); a.jsonl before it and c.jsonl
    // after it loaded.
    #expect(try store.files().map(\.path).sorted() == [dir + "/usage/a.jsonl", dir + "/usage/c.jsonl"])
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage") == 14)
    #expect(try store.db.scalarInt("SELECT count(*) FROM skipped_files WHERE path LIKE '%/a-empty.jsonl'") == 1)
    #expect(try store.db.scalarInt("SELECT count(*) FROM skipped_files") == 1)
    try store.close()
  }

  /// A log read while its writer had written half of its last line is a change, read again.
  ///
  /// The line is whole (a line end after it) by the time the error is looked at: a change, read again whole, not a bad file (a trial's daily run failed, "malformed
  /// JSON", on a live log written in halves 1 ms apart). ``bCalls`` whole lines and the half of one more: read again,
  /// ``bCalls`` + 1 calls.
  @Test func aLineHalfWrittenWhenReadIsAChangeAndReadAgain() throws {
    let dir = try TestSupport.tempDir("changed-half-line")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let b = dir + "/b.jsonl"
    let text = try String(contentsOfFile: Self.month, encoding: .utf8)
    let first = text.prefix { $0 != "\n" }
    let lines = (0..<Self.bCalls).map {
      first.replacingOccurrences(of: #""requestId":"req-1""#, with: #""requestId":"b-\#($0)""#)
    }
    let late = try Self.appendedLine()
    let half = late.index(late.startIndex, offsetBy: late.count / 2)
    try (lines.joined(separator: "\n") + "\n" + late[..<half]).write(toFile: b, atomically: true, encoding: .utf8)
    let rest = String(late[half...])
    let changes = Changes(times: 1) { ChangedWhileReadTests.append(rest, to: $0) }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let bedrock = try #require(FormatRegistry.all.first { $0.id == "bedrock-invocation-log" })
    let ingestor = Ingestor(
      store: store, formats: [ChangingFormat(base: bedrock, changes: changes, onFailure: true)],
      progress: ProgressReporter(force: false))
    let results = try ingestor.ingest(paths: [b])
    #expect(changes.fired == 1)
    #expect(results.first?.loaded == true && results.first?.readAgain == 1)
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage") == Int64(Self.bCalls + 1))
    try store.close()
  }
}
