import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A large file of one record per line is parsed on several threads (``ParallelLines``): what comes
/// out must be what one thread reading it gives, record for record and error for error, whatever
/// the chunk size, the thread count and the file's shape (blank lines, CRLF, a byte-order mark, no
/// final newline, CloudWatch prefixes, gzip).
@Suite struct ParallelLinesTests {
  /// A Bedrock record; each one differs (request id, time, counts, role session, model).
  static func bedrock(_ k: Int, input: String? = nil) -> String {
    let model = ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-70b-instruct-v1:0"][
      k % 3]
    let second = String(format: "%02d", k % 60)
    let minute = String(format: "%02d", (k / 60) % 60)
    return
      #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-01T10:\#(minute):\#(second)Z","accountId":"123456789012","identity":{"arn":"arn:aws:sts::123456789012:assumed-role/runner/s-\#(k % 7)"},"region":"us-east-1","requestId":"req-\#(k)","operation":"Converse","modelId":"\#(model)","input":{"inputContentType":"application/json","inputTokenCount":\#(input ?? String(100 + k)),"cacheReadInputTokenCount":\#(k % 5)},"output":{"outputContentType":"application/json","outputTokenCount":\#(k % 11)}}"#
  }

  /// `lines` joined with a mix of line ends and blank lines, as files come: LF and CRLF, a blank and
  /// a whitespace-only line here and there.
  static func mixed(_ lines: [String]) -> String {
    // Blank lines before the first record, a line of a lone CR, whitespace-only lines.
    var text = "\n \n"
    for (k, line) in lines.enumerated() {
      text += line + (k % 13 == 0 ? "\r\n" : "\n")
      if k % 17 == 0 { text += "\n" }
      if k % 29 == 0 { text += " \t \n" }
      if k % 31 == 0 { text += "\r\n" }
    }
    return text
  }

  /// What one thread reading `path` gives (the way every file was read before): each record's
  /// description, or the error it stopped at.
  static func serial(_ path: String, _ format: any ExportFormat) -> (records: [String], error: String?) {
    var records: [String] = []
    do {
      try ParsedItem.read(InputFile(path: path), as: format) { records.append("\($0.record)") }
    } catch {
      return (records, "\(error)")
    }
    return (records, nil)
  }

  /// What ``ParallelLines`` gives for `path`, in the order it hands the records on.
  static func parallel(_ path: String, _ format: any LineRecordFormat, workers: Int, chunkBytes: Int) throws -> (
    records: [String], error: String?
  ) {
    let input = InputFile(path: path)
    let layout = try #require(format.lineLayout(head: try input.head()))
    var records: [String] = []
    do {
      try ParallelLines(input, format: format, layout: layout, workers: workers, chunkBytes: chunkBytes).drain {
        batch in
        records += batch.map { "\($0.record)" }
      }
    } catch {
      return (records, "\(error)")
    }
    return (records, nil)
  }

  static let bedrockFormat = BedrockInvocationLog()
  /// Chunk sizes from one byte (a chunk per line) past the whole file, and thread counts.
  static let shapes = [(1, 1), (1, 2), (300, 2), (1000, 3), (4096, 2), (65_536, 4), (4 << 20, 2)]

  @Test func recordsAndTheirLinesAreTheSerialReadsForEveryChunkSize() throws {
    let dir = try TestSupport.tempDir("parallel-lines")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/calls.jsonl"
    // A byte-order mark first, and no newline after the last record.
    var text = "\u{FEFF}" + Self.mixed((0..<1500).map { Self.bedrock($0) })
    text.removeLast()
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let expected = Self.serial(path, Self.bedrockFormat)
    #expect(expected.error == nil)
    #expect(expected.records.count == 1500)
    for (chunk, workers) in Self.shapes {
      let got = try Self.parallel(path, Self.bedrockFormat, workers: workers, chunkBytes: chunk)
      #expect(got.error == nil, "chunk \(chunk), \(workers) threads")
      #expect(got.records == expected.records, "chunk \(chunk), \(workers) threads")
    }
    // The line numbers themselves, from our own count: record k is on the line after those before it.
    let numbered = Self.lines(of: Self.mixed((0..<1500).map { Self.bedrock($0) }))
      .enumerated().filter { $0.element.contains("req-1234\"") }.map { $0.offset + 1 }
    #expect(numbered.count == 1)
    let got = try Self.parallel(path, Self.bedrockFormat, workers: 2, chunkBytes: 700)
    #expect(
      got.records.filter { $0.contains("req-1234\"") && $0.contains("line: Optional(\(numbered[0]))") }.count == 1)
  }

  @Test func aLastLineOfBlanksWithoutANewlineIsSkippedAsSerially() throws {
    let dir = try TestSupport.tempDir("parallel-lines-tail")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/calls.jsonl"
    try (Self.mixed((0..<400).map { Self.bedrock($0) }) + " \t").write(toFile: path, atomically: true, encoding: .utf8)
    let expected = Self.serial(path, Self.bedrockFormat)
    #expect(expected.error == nil && expected.records.count == 400)
    for (chunk, workers) in Self.shapes {
      let got = try Self.parallel(path, Self.bedrockFormat, workers: workers, chunkBytes: chunk)
      #expect(got.error == nil && got.records == expected.records, "chunk \(chunk), \(workers) threads")
    }
  }

  @Test func theFirstBadLineInTheFilesOrderIsTheErrorAndOnlyTheRecordsBeforeItComeOut() throws {
    let dir = try TestSupport.tempDir("parallel-lines-bad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/calls.jsonl"
    // Two bad lines, far apart: the later one is parsed first by some thread when chunks are small.
    var lines = (0..<2000).map { Self.bedrock($0) }
    lines[1234] = Self.bedrock(1234, input: "-5")
    lines[1800] = Self.bedrock(1800, input: "\"many\"")
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let expected = Self.serial(path, Self.bedrockFormat)
    let error = try #require(expected.error)
    #expect(error.contains("calls.jsonl:1235:"), "\(error)")
    #expect(error.contains("inputTokenCount"), "\(error)")
    #expect(expected.records.count == 1234)
    for (chunk, workers) in Self.shapes {
      let got = try Self.parallel(path, Self.bedrockFormat, workers: workers, chunkBytes: chunk)
      #expect(got.error == error, "chunk \(chunk), \(workers) threads")
      #expect(got.records == expected.records, "chunk \(chunk), \(workers) threads")
    }
  }

  @Test func cloudWatchPrefixesAndGzipReadTheSame() throws {
    let dir = try TestSupport.tempDir("parallel-lines-cw")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // A CloudWatch Logs export: a timestamp before each message; one line without it.
    let lines = (0..<800).map { k in
      k == 400 ? Self.bedrock(k) : "2026-10-01T10:00:\(String(format: "%02d", k % 60)).123Z " + Self.bedrock(k)
    }
    let plain = dir + "/export.log"
    try (lines.joined(separator: "\n") + "\n").write(toFile: plain, atomically: true, encoding: .utf8)
    // The same as two gzip members (`cat a.gz b.gz`).
    let gz = dir + "/export.log.gz"
    let half = lines.count / 2
    let members =
      try GzipTests.gzip(lines[..<half].joined(separator: "\n") + "\n")
      + GzipTests.gzip(lines[half...].joined(separator: "\n") + "\n")
    try Data(members).write(to: URL(fileURLWithPath: gz))
    for path in [plain, gz] {
      #expect(Self.bedrockFormat.lineLayout(head: try InputFile(path: path).head()) == .timestamped)
      let expected = Self.serial(path, Self.bedrockFormat)
      #expect(expected.error == nil)
      #expect(expected.records.count == 800)
      for (chunk, workers) in Self.shapes {
        let got = try Self.parallel(path, Self.bedrockFormat, workers: workers, chunkBytes: chunk)
        #expect(got.error == nil && got.records == expected.records, "\(path): chunk \(chunk), \(workers) threads")
      }
    }
  }

  @Test func liteLLMJSONLinesReadTheSame() throws {
    let dir = try TestSupport.tempDir("parallel-lines-litellm")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let sample = try String(
      contentsOfFile: Fixtures.root + "/litellm-payloads/spend-logs-payloads-objects.jsonl", encoding: .utf8)
    let rows = sample.split(separator: "\n").map(String.init)
    try #require(rows.count >= 2)
    let path = dir + "/spend.jsonl"
    try Self.mixed((0..<300).map { rows[$0 % rows.count] }).write(toFile: path, atomically: true, encoding: .utf8)
    let format = LiteLLMSpendLogs()
    let expected = Self.serial(path, format)
    #expect(expected.error == nil)
    #expect(expected.records.count == 300)
    for (chunk, workers) in Self.shapes {
      let got = try Self.parallel(path, format, workers: workers, chunkBytes: chunk)
      #expect(got.error == nil && got.records == expected.records, "chunk \(chunk), \(workers) threads")
    }
  }

  /// A record out of bounds (a time before 2000), a LiteLLM row that is not an object: the first
  /// in the file's order is the error, as serially.
  @Test func boundsAndOtherFormatsErrorsComeInTheFilesOrder() throws {
    let dir = try TestSupport.tempDir("parallel-lines-bounds")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var lines = (0..<900).map { Self.bedrock($0) }
    lines[700] = lines[700].replacingOccurrences(of: "2026-10-01T", with: "1999-10-01T")
    let bedrock = dir + "/calls.jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: bedrock, atomically: true, encoding: .utf8)
    let sample = try String(
      contentsOfFile: Fixtures.root + "/litellm-payloads/spend-logs-payloads-objects.jsonl", encoding: .utf8)
    let rows = sample.split(separator: "\n").map(String.init)
    var spend = (0..<300).map { rows[$0 % rows.count] }
    spend[211] = "[1, 2]"
    let litellm = dir + "/spend.jsonl"
    try (spend.joined(separator: "\n") + "\n").write(toFile: litellm, atomically: true, encoding: .utf8)
    for (path, format, line) in [
      (bedrock, Self.bedrockFormat as any LineRecordFormat, 701), (litellm, LiteLLMSpendLogs(), 212),
    ] {
      let expected = Self.serial(path, format)
      let error = try #require(expected.error)
      #expect(error.contains(":\(line):"), "\(error)")
      #expect(expected.records.count == line - 1)
      for (chunk, workers) in Self.shapes {
        let got = try Self.parallel(path, format, workers: workers, chunkBytes: chunk)
        #expect(got.error == error && got.records == expected.records, "\(path): chunk \(chunk), \(workers) threads")
      }
    }
  }

  /// A damaged gzip member after whole members of records: the records before the fault come out
  /// and the fault is the error, as serially, for chunks of the serial reader's read size and more.
  @Test(.timeLimit(.minutes(2))) func aDamagedGzipMemberIsMetAfterTheSameRecords() throws {
    let dir = try TestSupport.tempDir("parallel-lines-gzip")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let lines = (0..<9000).map { Self.bedrock($0) }
    let first = try GzipTests.gzip(lines[..<6000].joined(separator: "\n") + "\n")
    // The second member's magic bytes spoilt: stray bytes after the first, a fault at its end.
    var second = try GzipTests.gzip(lines[6000...].joined(separator: "\n") + "\n")
    second[0] = 0x00
    let path = dir + "/calls.jsonl.gz"
    try Data(first + second).write(to: URL(fileURLWithPath: path))
    let expected = Self.serial(path, Self.bedrockFormat)
    let error = try #require(expected.error)
    // Our count: the first member's 6,000 records (about 3 MB), less those of the 1 MiB read the
    // fault ends (about 2,000 at most: the reader drops what that read decompressed).
    #expect(expected.records.count >= 4000 && expected.records.count < 6000, "\(expected.records.count)")
    #expect(error.contains("calls.jsonl.gz"), "\(error)")
    for (chunk, workers) in [(InputFile.chunkSize, 2), (InputFile.chunkSize, 1), (3 << 20, 2), (4 << 20, 4)] {
      let got = try Self.parallel(path, Self.bedrockFormat, workers: workers, chunkBytes: chunk)
      #expect(got.error == error, "chunk \(chunk), \(workers) threads")
      #expect(got.records == expected.records, "chunk \(chunk), \(workers) threads")
    }
  }

  /// A line over the limit: the records before it come out, then the error naming its line.
  @Test(.timeLimit(.minutes(2))) func aLineOverTheLimitStopsTheParallelReadingAtItsLine() throws {
    let dir = try TestSupport.tempDir("parallel-lines-limit")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var lines = (0..<500).map { Self.bedrock($0) }
    // The 301st line is 1,500 bytes: its record with a long model id.
    lines[300] = lines[300].replacingOccurrences(
      of: "\"region\"", with: "\"note\":\"" + String(repeating: "x", count: 1500) + "\",\"region\"")
    let path = dir + "/calls.jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let serial = Self.serial(path, Self.bedrockFormat)
    #expect(serial.error == nil && serial.records.count == 500)
    let input = InputFile(path: path)
    for (chunk, workers) in Self.shapes {
      var records: [String] = []
      var failure: String?
      do {
        try ParallelLines(
          input, format: Self.bedrockFormat, layout: .plain, workers: workers, chunkBytes: chunk, maxLine: 1000
        ).drain { batch in records += batch.map { "\($0.record)" } }
      } catch {
        failure = "\(error)"
      }
      #expect(failure?.contains("calls.jsonl:301: line longer than") == true, "\(failure ?? "none")")
      #expect(records == Array(serial.records[..<300]), "chunk \(chunk), \(workers) threads")
    }
  }

  /// The inserting side failing (a store error) stops the parsing threads: the reading returns
  /// with that error, whatever the threads were doing (waiting for room, reading, parsing).
  @Test(.timeLimit(.minutes(1))) func aFailureOfTheInsertingSideStopsTheReading() throws {
    let dir = try TestSupport.tempDir("parallel-lines-stop")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/calls.jsonl"
    try ((0..<3000).map { Self.bedrock($0) }.joined(separator: "\n") + "\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    struct Full: Error {}
    for (chunk, workers) in Self.shapes {
      var chunks = 0
      try ParallelLines(
        InputFile(path: path), format: Self.bedrockFormat, layout: .plain, workers: workers, chunkBytes: chunk
      ).drain { _ in chunks += 1 }
      for stopAt in [0, 1, 5] where stopAt < chunks {
        var batches = 0
        #expect(throws: Full.self, "chunk \(chunk), \(workers) threads, stop at \(stopAt)") {
          try ParallelLines(
            InputFile(path: path), format: Self.bedrockFormat, layout: .plain, workers: workers, chunkBytes: chunk
          ).drain { _ in
            if batches == stopAt { throw Full() }
            batches += 1
          }
        }
      }
    }
  }

  /// Files read otherwise are not read by line: a pretty-printed record, a JSON array, API pages
  /// one per line, an Insights CSV.
  @Test func documentsAndPagesAreNotReadByLine() {
    func layout(_ format: any LineRecordFormat, _ text: String) -> LineLayout? {
      format.lineLayout(head: Array(text.utf8))
    }
    let record = Self.bedrock(1)
    #expect(layout(Self.bedrockFormat, record + "\n" + record) == .plain)
    #expect(layout(Self.bedrockFormat, "[" + record + "]") == nil)
    #expect(layout(Self.bedrockFormat, "{\n  \"schemaType\": \"ModelInvocationLog\",\n  \"a\": 1\n}") == nil)
    #expect(layout(Self.bedrockFormat, "@timestamp,@message\n2026-10-01,x") == nil)
    #expect(layout(LiteLLMSpendLogs(), #"{"data":[{"request_id":"a"}]}"#) == nil)
    #expect(layout(LiteLLMSpendLogs(), "request_id,call_type,startTime\na,b,c") == nil)
    #expect(layout(Self.bedrockFormat, " \n\n") == nil)
  }

  /// A line longer than the limit is refused naming its line, as the serial reader names it: in the
  /// middle of the file and as its last line, without a newline.
  @Test func aLineTooLongIsNamedAsTheSerialReaderNamesIt() throws {
    let dir = try TestSupport.tempDir("parallel-lines-long")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let short = String(repeating: "a", count: 50)
    let long = String(repeating: "b", count: 5000)
    for (name, text) in [
      ("middle", Array(repeating: short, count: 40).joined(separator: "\n") + "\n" + long + "\n" + short + "\n"),
      ("last", "\n\n" + Array(repeating: short, count: 40).joined(separator: "\r\n") + "\r\n" + long),
    ] {
      let path = dir + "/" + name
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      var serialError: String?
      var serialLines: [Int] = []
      do {
        try InputFile(path: path).forEachLine(maxLine: 1000) { n, _ in serialLines.append(n) }
      } catch {
        serialError = "\(error)"
      }
      // Our count: the long line is the 41st line in the middle of the file, the 43rd at its end.
      #expect(serialError?.contains("\(name):\(name == "middle" ? 41 : 43):") == true, "\(name): \(serialError ?? "")")
      for chunkBytes in [1, 64, 999, 4096, 1 << 20] {
        let chunks = try LineChunks(InputFile(path: path), chunkBytes: chunkBytes, maxLine: 1000)
        var lines: [Int] = []
        var chunkError: String?
        do {
          while let chunk = try chunks.next() {
            try chunk.bytes.withUnsafeBufferPointer {
              try LineChunks.forEachLine(in: $0, firstLine: chunk.firstLine, path: path, maxLine: 1000) { n, _ in
                lines.append(n)
              }
            }
          }
        } catch {
          chunkError = "\(error)"
        }
        #expect(chunkError == serialError, "\(name), chunk \(chunkBytes)")
        #expect(lines == serialLines, "\(name), chunk \(chunkBytes)")
      }
    }
  }

  /// Through the store: a file loaded in chunks of 512 bytes is stored as the same rows, with the
  /// same lines, as in chunks of 4 MiB (one chunk), and as its records read whole ahead of their
  /// load (``ReadAhead``, the serial reading); loading it again changes nothing.
  @Test func aFileLoadedInChunksIsStoredAsReadWhole() throws {
    let dir = try TestSupport.tempDir("parallel-lines-store")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/calls.jsonl"
    try Self.mixed((0..<3000).map { Self.bedrock($0) }).write(toFile: path, atomically: true, encoding: .utf8)
    var prints: [String] = []
    for chunkBytes in [512, 1 << 22] {
      let store = try UsageStore(path: dir + "/s\(chunkBytes).sqlite")
      var ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
      ingestor.lineChunkBytes = chunkBytes
      let r = try ingestor.ingest(file: path)
      #expect(r.records == 3000 && r.newRecords == 3000)
      prints.append(try Self.rows(store))
      let again = try ingestor.ingest(file: path)
      #expect(again.alreadyIngested)
      #expect(try Self.rows(store) == prints.last)
    }
    // The serial reading: the file's records read whole on the hashing thread, then inserted.
    let ahead = try UsageStore(path: dir + "/ahead.sqlite")
    let hashed = FileHash(path: path) { ReadAhead.read($0, formats: FormatRegistry.all) }
    #expect(hashed.readAhead() != nil)
    let r = try Ingestor(store: ahead, progress: ProgressReporter(force: false)).ingest(file: path, hashed: hashed)
    #expect(r.records == 3000)
    prints.append(try Self.rows(ahead))
    #expect(prints[0] == prints[1])
    #expect(prints[1] == prints[2])
    // Our own count: the 3,000 records' lines, as `mixed` lays them out.
    let expectedLines = Self.lines(of: Self.mixed((0..<3000).map { Self.bedrock($0) }))
      .enumerated().filter { $0.element.hasPrefix("{") }.map { String($0.offset + 1) }
    let store = try UsageStore(path: dir + "/s512.sqlite")
    let st = try store.db.prepare("SELECT line FROM usage ORDER BY id")
    var stored: [String] = []
    while try st.step() { stored.append(String(st.int64(0))) }
    #expect(stored == expectedLines)
  }

  /// `text`'s lines, split at each LF byte (a CRLF is one `Character`: splitting characters would
  /// not split there).
  static func lines(of text: String) -> [String] {
    text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Every stored column of every call, in id order.
  static func rows(_ store: UsageStore) throws -> String {
    let st = try store.db.prepare(
      "SELECT quote(natural_key) || quote(request_id) || quote(line) || quote(ts) || quote(input) || quote(output) || quote(cached_input) || quote(credential_n) || quote(model_n) FROM usage ORDER BY id"
    )
    var out = ""
    while try st.step() { out += (st.text(0) ?? "") + "\n" }
    return out
  }
}
