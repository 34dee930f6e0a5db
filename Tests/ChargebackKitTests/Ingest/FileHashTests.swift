import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The file hash ingest computes ahead, on a thread of its own, while the file before loads.
///
/// Its time limit is ten minutes, the whole suite's budget: Swift Testing counts it while the tests
/// wait behind others for the two cores, and a limit of one minute failed all six after 163 s of a
/// full run on a busy machine, though each takes milliseconds. A deadlock still fails, not hangs.
@Suite(.timeLimit(.minutes(10))) struct FileHashTests {
  /// `sha256sum`'s digest of `path`: an implementation independent of ours.
  func coreutilsSHA256(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
  }

  @Test func theFIPSVectorAndItsStamp() throws {
    let path = try TestSupport.tempDir() + "/abc.txt"
    try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
    let hash = FileHash(path: path)
    let (before, sha, bytes) = try hash.value()
    // FIPS 180-2, appendix B.1: SHA-256("abc").
    #expect(sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(bytes == 3)
    #expect(before?.bytes == 3)
    let modified = try #require(
      try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
    let stampSeconds = Double(try #require(before).mtimeNs) / 1e9
    #expect(abs(stampSeconds - modified.timeIntervalSince1970) < 0.001)
    // Asked again, the same answer; and the same hashed on this thread.
    #expect(try hash.value().sha256 == sha)
    #expect(try FileHash(path: path, now: true).value().sha256 == sha)
  }

  @Test func aFileOfSeveralChunksHashedAheadMatchesSha256sum() throws {
    let path = try TestSupport.tempDir() + "/big.bin"
    // 9 MiB and 7 bytes: three reads of 4 MiB, the last one partial.
    var bytes = [UInt8](repeating: 0, count: 9 << 20 + 7)
    for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 13) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let ahead = FileHash(path: path)
    let value = try ahead.value()
    #expect(value.sha256 == (try coreutilsSHA256(path)))
    #expect(value.bytes == Int64(bytes.count))
    #expect(try ahead.value().sha256 == value.sha256)
  }

  @Test func aMissingFileFailsWhenItsHashIsAskedFor() throws {
    let path = try TestSupport.tempDir() + "/gone.jsonl"
    let ahead = FileHash(path: path)
    let error = try #require(throws: InputMissingError.self) { try ahead.value() }
    #expect(error.path == path)
    #expect(error.description.contains("gone.jsonl"))
  }

  /// Several files in one call, each hashed while the one before loads: every result names its
  /// own file's bytes, and the second call skips them all.
  @Test func aDirectoryIngestedWithHashesAheadRecordsEachFilesOwnHash() throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let sample = try String(contentsOfFile: Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", encoding: .utf8)
    // Five files of the same calls under other request ids, so each has its own bytes and records.
    for n in 1...5 {
      let text = sample.replacingOccurrences(of: "\"requestId\":\"", with: "\"requestId\":\"f\(n)-")
      try text.write(toFile: usage + "/part-\(n).jsonl", atomically: true, encoding: .utf8)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    let first = try ingestor.ingest(paths: [usage])
    #expect(first.map { ($0.path as NSString).lastPathComponent } == (1...5).map { "part-\($0).jsonl" })
    for r in first {
      #expect(r.sha256 == (try coreutilsSHA256(r.path)))
      #expect(r.loaded && r.records == 2 && r.newRecords == 2)
    }
    #expect(try store.recordCount() == 10)
    let stamps = try store.fileStamps()
    for r in first { #expect(stamps[r.path]?.sha256 == (try coreutilsSHA256(r.path))) }
    let second = try ingestor.ingest(paths: [usage])
    #expect(second.allSatisfy { $0.alreadyIngested })
    #expect(second.map(\.sha256) == first.map(\.sha256))
    #expect(try store.recordCount() == 10)
  }

  /// A file rewritten after it was hashed ahead is hashed again before it loads: the store records
  /// the hash of the bytes it parsed.
  ///
  /// Read ahead too (`readAhead`), its records are read again: those of the bytes it loads.
  @Test(arguments: [false, true])
  func aFileChangedAfterItsHashAheadIsHashedAgain(readAhead: Bool) throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/part.jsonl"
    let sample = try String(contentsOfFile: Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", encoding: .utf8)
    try sample.write(toFile: path, atomically: false, encoding: .utf8)
    let ahead =
      readAhead ? FileHash(path: path) { ReadAhead.read($0, formats: FormatRegistry.all) } : FileHash(path: path)
    let old = try ahead.value().sha256
    #expect((ahead.readAhead() != nil) == readAhead)
    // Other bytes, of another size: the first line only, under another request id.
    let firstLine = String(sample.split(separator: "\n")[0])
    let rewritten = firstLine.replacingOccurrences(of: "\"requestId\":\"", with: "\"requestId\":\"new-") + "\n"
    try rewritten.write(toFile: path, atomically: false, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let result = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(file: path, hashed: ahead)
    #expect(result.sha256 == (try coreutilsSHA256(path)))
    #expect(result.sha256 != old)
    #expect(result.records == 1)
    #expect(try store.file(sha256: old) == nil)
  }
  /// Small files read ahead (``ReadAhead``) are their own records, and a failure stops at its file.
  ///
  /// A synced log bucket of many small gzip files, read two ahead while the one before loads,
  /// gives the same records, file by file, as each file ingested on its own; and a file that fails
  /// in the middle stops the run there with its own file, line and field, keeping the files before
  /// it whole and nothing of it or after it.
  @Test func smallFilesReadAheadAreTheirOwnRecordsAndAFailureStopsAtItsFile() throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/10/01"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let lines = try GzipTests.bedrockLines()
    // 12 files of the month's records under their own request ids; every third one plain.
    var paths: [String] = []
    for n in 0..<12 {
      let text =
        lines.map { $0.replacingOccurrences(of: "\"requestId\":\"", with: "\"requestId\":\"f\(n)-") }
        .joined(separator: "\n") + "\n"
      let path = usage + String(format: "/part-%02d.json", n) + (n % 3 == 0 ? "" : ".gz")
      if n % 3 == 0 {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
      } else {
        try Data(try GzipTests.gzip(text)).write(to: URL(fileURLWithPath: path))
      }
      paths.append(path)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/usage"])
    #expect(results.map(\.path) == paths)
    #expect(results.allSatisfy { $0.loaded && $0.records == Int64(lines.count) && $0.newRecords == Int64(lines.count) })
    // Each file alone, into a store of its own, without reading ahead.
    var byKey: [String: (TokenCounts, Int?)] = [:]
    try store.forEachRecord(from: .min, to: .max) { byKey[$0.record.naturalKey] = ($0.record.tokens, $0.record.line) }
    #expect(byKey.count == 12 * lines.count)
    for path in paths {
      let alone = try UsageStore(path: dir + "/alone-\((path as NSString).lastPathComponent).sqlite")
      let r = try Ingestor(store: alone, progress: ProgressReporter(force: false)).ingest(file: path)
      #expect(r.sha256 == results.first { $0.path == path }?.sha256)
      try alone.forEachRecord(from: .min, to: .max) { s in
        let got = byKey[s.record.naturalKey]
        #expect(got?.0 == s.record.tokens && got?.1 == s.record.line, "\(s.record.naturalKey)")
      }
    }

    // The sixth file's third line malformed: files 0 to 4 are kept, nothing of 5 to 11.
    let bad = paths[5]
    var text = lines.map { $0.replacingOccurrences(of: "\"requestId\":\"", with: "\"requestId\":\"g5-") }
    text[2] = "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":"
    try Data(try GzipTests.gzip(text.joined(separator: "\n") + "\n")).write(to: URL(fileURLWithPath: bad))
    let second = try UsageStore(path: dir + "/second.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: second, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/usage"])
    }
    #expect(error.file == bad)
    #expect(error.line == 3)
    var kept = Set<String>()
    try second.forEachRecord(from: .min, to: .max) { kept.insert(String($0.record.naturalKey.prefix(11))) }
    #expect(kept == Set((0..<5).map { "bedrock:f\($0)-" }))
  }
}
