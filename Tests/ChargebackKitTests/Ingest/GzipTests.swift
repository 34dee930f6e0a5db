import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Gzip input (docs/formats.md, "How files are read"): every member of a concatenated file is
/// read and checked; a damaged or cut member and stray bytes after the last one reject the file
/// with the compressed byte offset, and leave the store as it was.
@Suite struct GzipTests {
  /// The fixture month's seven Bedrock records, as JSON Lines.
  static func bedrockLines() throws -> [String] {
    try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").map(String.init)
  }

  /// `text` as one gzip member, written by the system's `gzip` (as a writer would).
  static func gzip(_ text: String) throws -> [UInt8] {
    let dir = try TestSupport.tempDir("gzip")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try text.write(toFile: dir + "/in", atomically: true, encoding: .utf8)
    let r = try TestSupport.run("/bin/sh", ["-c", "gzip -n -c '\(dir)/in' > '\(dir)/out.gz'"])
    try #require(r.status == 0, "gzip: \(r.err)")
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/out.gz")))
  }

  /// Two members: the first three records, then the other four (`cat a.gz b.gz`).
  static func twoMembers() throws -> (bytes: [UInt8], second: Int) {
    let lines = try bedrockLines()
    let first = try gzip(lines[0..<3].joined(separator: "\n") + "\n")
    let second = try gzip(lines[3...].joined(separator: "\n") + "\n")
    return (first + second, first.count)
  }

  /// A store that already holds the fixture month's OpenAI pages, so "unchanged" is not "empty".
  static func loadedStore(_ dir: String) throws -> UsageStore {
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.month + "/usage/openai"
    ])
    return store
  }

  /// Row count and SHA-256 of every column of every row of `usage` and `files`, in id order.
  static func fingerprint(_ store: UsageStore, _ dir: String) throws -> (rows: Int64, sha256: String) {
    var dump = ""
    for table in ["usage", "files"] {
      var columns: [String] = []
      let info = try store.db.prepare("PRAGMA table_info(\(table))")
      while try info.step() { columns.append(info.text(1) ?? "") }
      let st = try store.db.prepare(
        "SELECT " + columns.map { "quote(\($0))" }.joined(separator: " || '|' || ") + " FROM \(table) ORDER BY id")
      while try st.step() { dump += (st.text(0) ?? "") + "\n" }
    }
    let path = dir + "/dump-\(UUID().uuidString).txt"
    try dump.write(toFile: path, atomically: true, encoding: .utf8)
    return (try store.recordCount(), try Ingestor.sha256(of: path).0)
  }

  static func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  @Test func twoGoodMembersReadEveryRecord() throws {
    let dir = try TestSupport.tempDir()
    let (bytes, _) = try Self.twoMembers()
    try Self.write(bytes, dir + "/two.json.gz")
    let store = try UsageStore(path: dir + "/s.sqlite")
    let result = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/two.json.gz"
    ])
    #expect(result.first?.records == 7)
    #expect(try store.recordCount() == 7)
    // The same records as the plain file: loading it adds nothing, and lines count on across members.
    let plain = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.month + "/usage/bedrock/month.jsonl"
    ])
    #expect(plain.first?.newRecords == 0)
    var lines: [Int] = []
    try store.forEachRecord(from: .min, to: .max) { if let l = $0.record.line { lines.append(l) } }
    #expect(lines.sorted() == Array(1...7))
  }

  @Test func manyMembersAcrossBufferBoundariesReadAsOne() throws {
    // 40 members of 30,000 lines' worth each: member boundaries fall anywhere in the 256 KiB reads.
    let dir = try TestSupport.tempDir()
    var expected: [UInt8] = []
    var file: [UInt8] = []
    for m in 0..<40 {
      let text =
        (0..<3_000).map { "{\"m\":\(m),\"i\":\($0),\"pad\":\"\(String(repeating: "x", count: $0 % 97))\"}" }
        .joined(separator: "\n") + "\n"
      expected += Array(text.utf8)
      file += try Self.gzip(text)
    }
    try Self.write(file, dir + "/many.gz")
    let data = try InputFile(path: dir + "/many.gz").readAll()
    #expect(data.count == expected.count)
    #expect([UInt8](data) == expected)
  }

  /// The second member damaged three ways; each rejects the file at that member's offset.
  @Test(arguments: ["crc", "deflate data", "length"])
  func damagedSecondMemberExits65AndLeavesTheStore(damage: String) throws {
    let dir = try TestSupport.tempDir()
    var (bytes, second) = try Self.twoMembers()
    switch damage {
    case "crc": bytes[bytes.count - 8] ^= 0xff  // the trailer's CRC-32
    case "length": bytes[bytes.count - 4] ^= 0x01  // the trailer's ISIZE
    default: bytes[second + 14] ^= 0x5a  // inside the deflate data
    }
    let path = dir + "/two.json.gz"
    try Self.write(bytes, path)
    let store = try Self.loadedStore(dir)
    let before = try Self.fingerprint(store, dir)
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.exitStatus == 65)
    #expect(error.offset == Int64(second))
    #expect(error.field == "gzip member 2")
    #expect(error.description.hasPrefix("\(path): byte \(second): gzip member 2: damaged gzip member"))
    let after = try Self.fingerprint(store, dir)
    #expect(after.rows == before.rows)
    #expect(after.sha256 == before.sha256)
    #expect(after.rows == 3)
  }

  /// A second member whose magic bytes are gone used to end the read silently after the first.
  @Test func secondMemberWithoutItsHeaderIsStrayBytes() throws {
    let dir = try TestSupport.tempDir()
    var (bytes, second) = try Self.twoMembers()
    bytes[second] = 0x00
    bytes[second + 1] = 0x00
    let path = dir + "/two.json.gz"
    try Self.write(bytes, path)
    let store = try Self.loadedStore(dir)
    let before = try Self.fingerprint(store, dir)
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.offset == Int64(second))
    #expect(error.description.contains("non-zero byte at \(second + 2)"))
    #expect(try Self.fingerprint(store, dir) == before)
  }

  @Test func trailingGarbageExits65AtItsOffset() throws {
    let dir = try TestSupport.tempDir()
    let (bytes, _) = try Self.twoMembers()
    let path = dir + "/two.json.gz"
    try Self.write(bytes + Array("garbage\n".utf8), path)
    let store = try Self.loadedStore(dir)
    let before = try Self.fingerprint(store, dir)
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.exitStatus == 65)
    #expect(error.offset == Int64(bytes.count))
    #expect(error.field == "gzip")
    #expect(error.description.hasPrefix("\(path): byte \(bytes.count): gzip: bytes after gzip member 2"))
    #expect(try Self.fingerprint(store, dir) == before)
  }

  @Test func zeroPaddingAfterTheLastMemberIsAccepted() throws {
    let dir = try TestSupport.tempDir()
    let (bytes, _) = try Self.twoMembers()
    let path = dir + "/padded.json.gz"
    try Self.write(bytes + [UInt8](repeating: 0, count: 1_000), path)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let result = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(result.first?.records == 7)
    // Zeros followed by anything else are not padding.
    try Self.write(bytes + [0, 0, 0, 7], dir + "/stray.json.gz")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/stray.json.gz"])
    }
    #expect(error.offset == Int64(bytes.count))
    #expect(error.description.contains("non-zero byte at \(bytes.count + 3)"))
  }

  @Test func secondMemberCutShortNamesItsOffset() throws {
    let dir = try TestSupport.tempDir()
    let (bytes, second) = try Self.twoMembers()
    for (cut, name) in [(bytes.count - 6, "cut.json.gz"), (second + 1, "lone.json.gz")] {
      let path = dir + "/" + name
      try Self.write(Array(bytes[0..<cut]), path)
      let error = try #require(throws: InputError.self) { _ = try InputFile(path: path).readAll() }
      #expect(error.offset == Int64(second))
      #expect(error.field == "gzip member 2")
      #expect(error.message.hasPrefix("truncated"))
    }
  }

  /// The executable: exit 65, and the message names the file and the byte offset.
  @Test func cliExits65NamingTheOffset() throws {
    let dir = try TestSupport.tempDir()
    var (bytes, second) = try Self.twoMembers()
    bytes[bytes.count - 8] ^= 0xff
    let path = dir + "/two.json.gz"
    try Self.write(bytes, path)
    let r = try TestSupport.runCLI(["ingest", path, "--db", dir + "/s.sqlite"])
    #expect(r.status == 65)
    #expect(r.err.contains("\(path): byte \(second): gzip member 2: damaged gzip member (incorrect data check"))
  }

  @Test func plainFilesPassThroughUnchanged() throws {
    let dir = try TestSupport.tempDir()
    // Bytes that merely start like gzip's first magic byte, and an empty file.
    let odd: [UInt8] = [0x1f, 0x41, 0x0a, 0x00, 0xff]
    try Self.write(odd, dir + "/odd")
    #expect([UInt8](try InputFile(path: dir + "/odd").readAll()) == odd)
    try Self.write([], dir + "/empty")
    #expect(try InputFile(path: dir + "/empty").readAll().isEmpty)
    let month = Fixtures.month + "/usage/bedrock/month.jsonl"
    #expect(try InputFile(path: month).readAll() == (try Data(contentsOf: URL(fileURLWithPath: month))))
  }

  /// A file compressed by anything but gzip is refused for what it is.
  ///
  /// With what to do, even when a format's signature shows through its literals: a Collector's zstd
  /// file exporter output was only "no known export format" (a trial). A text file that merely
  /// starts like one (`BZh` without bzip2's block size) is not called one.
  @Test(
    arguments: [
      (
        [0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58],
        "zstd-compressed, which is not read (gzip is): decompress it first (zstd -d)"
      ),
      ([0x42, 0x5A, 0x68, 0x39, 0x31, 0x41], "bzip2-compressed"),
      ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00], "xz-compressed"),
      ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00], "7-Zip-compressed"),
      ([0x04, 0x22, 0x4D, 0x18, 0x64], "LZ4-compressed"),
    ] as [([UInt8], String)])
  func otherCompressionsAreNamed(bytes: [UInt8], expected: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/traces.jsonl.x"
    try Self.write(bytes + Array("{\"resourceSpans\":[]}".utf8), path)
    let r = try TestSupport.runCLI(["ingest", path, "--db", dir + "/s.sqlite"])
    #expect(r.status == 65)
    #expect(
      r.err.contains("\(path):1: unrecognised format: it is \(expected)"),
      "\(r.err)")
    #expect(r.err.contains("file exporter") == (expected.hasPrefix("zstd")))
  }

  @Test func textStartingLikeBzip2IsNotCalledIt() {
    #expect(FormatRegistry.compressed(Array("BZhello".utf8)) == nil)
    #expect(FormatRegistry.compressed(Array("{\"a\":1}".utf8)) == nil)
    #expect(FormatRegistry.compressed([0x42, 0x5A, 0x68, 0x31]) != nil)
  }
}
