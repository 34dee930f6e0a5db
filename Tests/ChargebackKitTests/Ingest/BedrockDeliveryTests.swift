import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Bedrock logs as they are delivered (`Fixtures/bedrock-delivery`): an `aws s3 sync` of the log
/// prefix with its permission check object and a `data/` body, a CloudWatch Logs export, and records
/// pasted pretty-printed from the CloudWatch console.
///
/// The log (`s3-sync/…/09/20261003T0905Z_ab12.json.gz`) holds four calls:
/// - bd-0001: claude-sonnet-4, body A, input 1,200, cache read 3,000, cache write 500 (200 of them
///   1h by the response's `cacheDetails`), output 400;
/// - bd-0002: claude-sonnet-4, bodies in `data/` (`inputBodyS3Path`, `outputBodyS3Path`), input
///   150,000, output 800;
/// - bd-0003: claude-sonnet-4, body A again (a retry), input 1,200, cache read 3,500, output 410;
/// - bd-0004: nova-pro, body B, input 900, output 250.
@Suite struct BedrockDeliveryTests {
  static var root: String { Fixtures.root + "/bedrock-delivery" }
  static var sync: String { root + "/s3-sync" }
  static var prefix: String { sync + "/AWSLogs/123456789012/BedrockModelInvocationLogs" }
  static var hour: String { prefix + "/us-east-1/2026/10/03/09" }
  static var log: String { hour + "/20261003T0905Z_ab12.json.gz" }
  static var permissionCheck: String { prefix + "/amazon-bedrock-logs-permission-check" }
  static var body: String { hour + "/data/8c1f3e2a-5b6d-4e7f-9a0b-1c2d3e4f5a6b_input.json.gz" }
  static var cloudWatch: String {
    root + "/cloudwatch-export/5d8e1f20-3a4b-4c5d-8e9f-0a1b2c3d4e5f/aws/bedrock/modelinvocations/000000.gz"
  }
  static var pasted: String { root + "/console-paste/records.json" }

  /// The request body of bd-0001 and bd-0003 exactly as written in the log line, and its SHA-256
  /// (first 16 bytes, hex), computed outside the tool.
  static let bodyA =
    #"{"messages":[{"role":"user","content":[{"text":"Summarise ticket OPS-311 for the on-call channel"}]}],"#
    + #""inferenceConfig":{"maxTokens":1024}}"#
  static let bodyAHash = "eda428694542d85f094a2a1055245e25"
  static let bodyBHash = "cbbfaa39c194f74854498cca9e1fc99a"

  /// A gzip stream of nothing (what `gzip < /dev/null` writes, with mtime 0).
  static let emptyGzip: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]

  struct Loaded {
    var results: [Ingestor.FileResult]
    var records: [UsageRecord]
    var skipped: [SkippedInput]
    var store: UsageStore
  }

  static func ingest(_ paths: [String], into store: UsageStore? = nil) throws -> Loaded {
    let store = try store ?? UsageStore(path: try TestSupport.tempDir("bedrock-delivery") + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    var records: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { records.append($0.record) }
    records.sort { ($0.requestID ?? "") < ($1.requestID ?? "") }
    return Loaded(results: results, records: records, skipped: try store.skippedFiles(), store: store)
  }

  static func sum(_ records: [UsageRecord]) -> TokenCounts {
    var t = TokenCounts()
    for r in records {
      t.input += r.tokens.input
      t.cachedInput += r.tokens.cachedInput
      t.cacheWrite5m += r.tokens.cacheWrite5m
      t.cacheWrite1h += r.tokens.cacheWrite1h
      t.output += r.tokens.output
      t.webSearch += r.tokens.webSearch
    }
    return t
  }

  /// The four calls' tokens summed by hand: input 1,200 + 150,000 + 1,200 + 900; cache reads
  /// 3,000 + 3,500; the one cache write of 500 split 300 (5m) / 200 (1h); output 400 + 800 + 410 + 250.
  static let logTotals = TokenCounts(
    input: 153_300, cachedInput: 6_500, cacheWrite5m: 300, cacheWrite1h: 200, output: 1_860)

  // MARK: - The synced prefix

  @Test func syncedPrefixLoadsEveryRecordAndSkipsTheArtifacts() throws {
    let loaded = try Self.ingest([Self.sync])
    #expect(loaded.results.map(\.path) == [Self.permissionCheck, Self.log, Self.body])
    let byPath = Dictionary(uniqueKeysWithValues: loaded.results.map { ($0.path, $0) })
    #expect(byPath[Self.log]?.records == 4)
    #expect(byPath[Self.log]?.format == "bedrock-invocation-log")
    #expect(byPath[Self.log]?.skippedReason == nil)
    #expect(byPath[Self.permissionCheck]?.skippedReason == DeliveryArtifacts.permissionCheck)
    #expect(byPath[Self.body]?.skippedReason == DeliveryArtifacts.bedrockBody)
    #expect(loaded.records.map(\.requestID) == ["bd-0001", "bd-0002", "bd-0003", "bd-0004"])
    #expect(Self.sum(loaded.records) == Self.logTotals)
    // The record whose bodies went to data/ is read like any other: its tokens are in the record.
    let large = try #require(loaded.records.first { $0.requestID == "bd-0002" })
    #expect(large.tokens == TokenCounts(input: 150_000, output: 800))
    #expect(large.metadata.agentID == "ops-summariser")
    #expect(large.line == 2)
    // Both artifacts are in the store with their hash, size and reason, by path.
    let (checkHash, checkBytes) = try Ingestor.sha256(of: Self.permissionCheck)
    let (bodyHash, bodyBytes) = try Ingestor.sha256(of: Self.body)
    #expect(checkBytes == 0)
    #expect(bodyBytes > 0)
    #expect(
      loaded.skipped == [
        SkippedInput(
          path: Self.permissionCheck, sha256: checkHash, bytes: 0, reason: DeliveryArtifacts.permissionCheck),
        SkippedInput(path: Self.body, sha256: bodyHash, bytes: bodyBytes, reason: DeliveryArtifacts.bedrockBody),
      ])
    #expect(try loaded.store.files().map(\.path) == [Self.log])
  }

  @Test func secondIngestChangesNothing() throws {
    let first = try Self.ingest([Self.sync])
    let filesBefore = try first.store.files()
    let second = try Self.ingest([Self.sync], into: first.store)
    #expect(second.results.first { $0.path == Self.log }?.alreadyIngested == true)
    #expect(second.results.filter { $0.skippedReason != nil }.map(\.path) == [Self.permissionCheck, Self.body])
    #expect(second.records.count == 4)
    #expect(Self.sum(second.records) == Self.logTotals)
    #expect(second.skipped == first.skipped)
    #expect(try second.store.files() == filesBefore)
  }

  @Test func reportManifestListsTheSkippedInputs() throws {
    let dir = try TestSupport.tempDir()
    let mixed = Fixtures.root + "/mixed"
    let period = try #require(Period("2026-10"))
    let job = ChargebackJob(
      options: .init(
        period: period, usage: [Self.sync], identities: mixed + "/identities", pricing: mixed + "/pricing",
        out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    let result = try job.run()
    #expect(result.report.skippedInputs.map(\.path) == [Self.permissionCheck, Self.body])
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
    let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let skipped = try #require(manifest["skipped_inputs"] as? [[String: String]])
    let (checkHash, _) = try Ingestor.sha256(of: Self.permissionCheck)
    let (bodyHash, _) = try Ingestor.sha256(of: Self.body)
    #expect(
      skipped == [
        ["path": Self.permissionCheck, "sha256": checkHash, "reason": DeliveryArtifacts.permissionCheck],
        ["path": Self.body, "sha256": bodyHash, "reason": DeliveryArtifacts.bedrockBody],
      ])
    let inputs = try #require(manifest["inputs"] as? [[String: Any]])
    #expect(inputs.compactMap { $0["path"] as? String } == [Self.log])
    // Priced at the mixed tables (USD per million): claude-sonnet-4 input 3, cached 0.3, 5m write
    // 3.75, 1h write 6, output 15; nova-pro input 0.8, output 3.2.
    // bd-0001: 1,200×3 + 3,000×0.3 + 300×3.75 + 200×6 + 400×15 = 12,825; bd-0002: 150,000×3 + 800×15
    // = 462,000; bd-0003: 1,200×3 + 3,500×0.3 + 410×15 = 10,800; bd-0004: 900×0.8 + 250×3.2 = 1,520;
    // 487,145 / 1e6 USD.
    let totals = try #require(manifest["totals"] as? [String: Any])
    #expect(totals["cost_usd"] as? String == "0.487145")
    let counts = try #require(manifest["counts"] as? [String: Any])
    #expect(counts["records"] as? Int == 4)
  }

  @Test func ingestAndRunPrintTheSkippedFiles() throws {
    let dir = try TestSupport.tempDir()
    let ingest = try TestSupport.runCLI(["ingest", Self.sync, "--db", dir + "/a.sqlite"])
    #expect(ingest.status == 0)
    #expect(ingest.out.contains("\(Self.permissionCheck): skipped: \(DeliveryArtifacts.permissionCheck)\n"))
    #expect(ingest.out.contains("\(Self.body): skipped: \(DeliveryArtifacts.bedrockBody)\n"))
    #expect(ingest.out.contains("\(Self.log): loaded (bedrock-invocation-log, 4 records, 4 new)\n"))
    let mixed = Fixtures.root + "/mixed"
    let run = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", Self.sync, "--identities", mixed + "/identities",
      "--pricing", mixed + "/pricing", "--out", dir + "/out", "--db", dir + "/b.sqlite",
    ])
    #expect(run.status == 0)
    #expect(run.out.contains("\(Self.permissionCheck): skipped: \(DeliveryArtifacts.permissionCheck)\n"))
    #expect(run.out.contains("\(Self.body): skipped: \(DeliveryArtifacts.bedrockBody)\n"))
  }

  // MARK: - What is skipped and what is still an error

  @Test func emptyFilesAnywhereAreSkipped() throws {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/misc", withIntermediateDirectories: true)
    try Data().write(to: URL(fileURLWithPath: dir + "/misc/usage.jsonl"))
    try Data(Self.emptyGzip).write(to: URL(fileURLWithPath: dir + "/misc/usage.jsonl.gz"))
    let loaded = try Self.ingest([dir + "/misc"])
    #expect(loaded.results.map(\.skippedReason) == [DeliveryArtifacts.empty, DeliveryArtifacts.emptyDecompressed])
    #expect(loaded.skipped.map(\.path) == [dir + "/misc/usage.jsonl", dir + "/misc/usage.jsonl.gz"])
    #expect(loaded.skipped.map(\.bytes) == [0, Int64(Self.emptyGzip.count)])
    #expect(loaded.records.isEmpty)
  }

  /// Files that are not delivery artifacts: `(relative path, content)`, each in a folder beside a
  /// copy of the Bedrock log where the case says so.
  static let notArtifacts: [(String, String)] = [
    ("notes.txt", "hello, world\n"),
    // Named like CloudWatch's write test, but something else inside.
    ("aws-logs-write-test", "my own notes\n"),
    // A request body in a data/ folder of a folder that holds no Bedrock log.
    ("exports/data/1f2e_input.json", #"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#),
    // A request body beside the Bedrock log, not in data/.
    ("bedrock/09/1f2e_input.json", #"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#),
    // Text in data/ beside a Bedrock log, but not under the data/ folder's own parent.
    ("bedrock/09/data/extra/notes.txt", "not a body\n"),
  ]

  @Test(arguments: notArtifacts)
  func unknownFilesStillStopTheRun(relative: String, content: String) throws {
    let dir = try TestSupport.tempDir()
    let fm = FileManager.default
    try fm.createDirectory(atPath: dir + "/bedrock/09/data", withIntermediateDirectories: true)
    try fm.copyItem(atPath: Self.log, toPath: dir + "/bedrock/09/20261003T0905Z_ab12.json.gz")
    try fm.createDirectory(atPath: dir + "/exports", withIntermediateDirectories: true)
    try "{\"object\":\"page\",\"data\":[]}\n".write(
      toFile: dir + "/exports/other.json", atomically: true, encoding: .utf8)
    let path = dir + "/" + relative
    try fm.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(file: path)
    }
    #expect(error.exitStatus == 65)
    #expect(error.file == path)
    #expect(error.description.hasPrefix(path + ":1: unrecognised format"))
    #expect(try store.skippedFiles().isEmpty)
  }

  @Test func dataFolderBelowThePrefixIsRecognisedByTheLogBesideIt() throws {
    // `aws s3 sync …/BedrockModelInvocationLogs/us-east-1/2026/10/ bedrock-us-east-1/`: no
    // BedrockModelInvocationLogs in the path, but the hour folder holds a Bedrock log.
    let dir = try TestSupport.tempDir()
    let hour = dir + "/bedrock-us-east-1/03/09"
    try FileManager.default.createDirectory(atPath: dir + "/bedrock-us-east-1/03", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.hour, toPath: hour)
    let bodyCopy = hour + "/data/" + (Self.body as NSString).lastPathComponent
    let loaded = try Self.ingest([dir + "/bedrock-us-east-1"])
    #expect(loaded.records.count == 4)
    #expect(loaded.skipped.map(\.path) == [bodyCopy])
    #expect(loaded.skipped.map(\.reason) == [DeliveryArtifacts.bedrockBody])
  }

  /// The same, when the log beside `data/` names its `schemaType` last, after an 80 KB inline body
  /// (as real records do): the folder is still a Bedrock log folder, so the body in `data/` is
  /// skipped, not refused as an unrecognised format.
  @Test func aDataFolderBesideALogWhoseSignatureIsPastTheHeadIsRecognised() throws {
    let dir = try TestSupport.tempDir()
    let hour = dir + "/bedrock-us-east-1/03/09"
    try FileManager.default.createDirectory(atPath: hour + "/data", withIntermediateDirectories: true)
    let long = String(repeating: "Reconcile invoice INV-20931 against the ledger. ", count: 1_700)
    let record =
      #"{"timestamp":"2026-10-03T09:05:00Z","accountId":"123456789012","identity":{"arn":"arn:aws:iam::123456789012:user/etl"},"region":"us-east-1","requestId":"late-1","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0","input":{"inputContentType":"application/json","inputBodyJson":{"messages":[{"role":"user","content":[{"text":""#
      + long
      + #""}]}]},"inputTokenCount":20000},"output":{"outputContentType":"application/json","outputBodyJson":{},"outputTokenCount":100},"schemaType":"ModelInvocationLog","schemaVersion":"1.0"}"#
    try (record + "\n").write(toFile: hour + "/20261003T0905Z_late.json", atomically: true, encoding: .utf8)
    let body = hour + "/data/late-1_input.json"
    try #"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#.write(
      toFile: body, atomically: true, encoding: .utf8)
    let loaded = try Self.ingest([dir + "/bedrock-us-east-1"])
    #expect(loaded.records.count == 1)
    #expect(loaded.skipped.map(\.path) == [body])
    #expect(loaded.skipped.map(\.reason) == [DeliveryArtifacts.bedrockBody])
  }

  /// The artifacts known by their path, whatever they hold, are checked even when a format matches
  /// them (a file read ahead skips the check otherwise).
  @Test(arguments: [
    ("logs/AWSLogs/1/BedrockModelInvocationLogs/amazon-bedrock-logs-permission-check", true),
    ("logs/09/data/1f2e_input.json", true), ("/abs/data/x.json.gz", true), ("logs/data/sub/../x.json", true),
    ("logs/09/20261003T0905Z_ab12.json.gz", false), ("data.json", false), ("data/", false),
    ("/work/metadata/x.jsonl", false),
  ])
  func pathsThatMayBeArtifacts(path: String, may: Bool) {
    #expect(DeliveryArtifacts.mayBeArtifact(path: path) == may)
  }

  @Test func anExportInADataFolderBesideBedrockLogsIsRead() throws {
    // A folder named data that holds another provider's export is no Bedrock body folder.
    let dir = try TestSupport.tempDir()
    let hour = dir + "/bedrock/09"
    try FileManager.default.createDirectory(atPath: hour + "/data", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.log, toPath: hour + "/20261003T0905Z_ab12.json.gz")
    let page = hour + "/data/openai-usage.json"
    try FileManager.default.copyItem(
      atPath: Fixtures.root + "/mixed/usage/openai-usage-completions.json", toPath: page)
    let loaded = try Self.ingest([dir])
    #expect(loaded.skipped.isEmpty)
    #expect(loaded.results.first { $0.path == page }?.format == "openai-usage-completions")
    #expect(loaded.records.filter { $0.provider == .bedrock }.count == 4)
    #expect(loaded.records.contains { $0.provider == .openai })
  }

  @Test func logRecordsInADataFolderAreRead() throws {
    // Under the prefix, a data/ file that holds log records is a log, not a body.
    let dir = try TestSupport.tempDir()
    let data = dir + "/AWSLogs/1/BedrockModelInvocationLogs/us-east-1/2026/10/03/09/data"
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.log, toPath: data + "/moved.json.gz")
    let loaded = try Self.ingest([dir])
    #expect(loaded.skipped.isEmpty)
    #expect(loaded.records.count == 4)
    #expect(DeliveryArtifacts.startsWithLogRecord(Array("2026-10-03T09:05:01.1Z {\"requestId\":\"x\"}".utf8)))
    #expect(DeliveryArtifacts.startsWithLogRecord(Array("[{\"schemaType\":\"ModelInvocationLog\"".utf8)))
    #expect(!DeliveryArtifacts.startsWithLogRecord(Array("{\"messages\":[{\"requestId\":1}]}".utf8)))
    #expect(!DeliveryArtifacts.startsWithLogRecord([0x89, 0x50, 0x4E, 0x47]))
  }

  /// A file named like the permission check object but holding log records is read.
  ///
  /// Skipped by its name alone, a revoked credential's call in it raised nothing (a trial). Empty,
  /// as Bedrock writes it, it is the object; with anything else in it, it is read as any file is:
  /// refused when no format reads it, and the other files of a folder that hid records behind a
  /// compression or after blank lines are not loaded without it.
  @Test func logRecordsUnderThePermissionCheckNameAreRead() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let hidden = dir + "/x/amazon-bedrock-logs-permission-check"
    try FileManager.default.createDirectory(atPath: dir + "/x", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.log, toPath: hidden)
    let loaded = try Self.ingest([hidden])
    #expect(loaded.skipped.isEmpty)
    #expect(loaded.records.count == 4)
    let empty = dir + "/a/amazon-bedrock-logs-permission-check"
    try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
    try Data().write(to: URL(fileURLWithPath: empty))
    let skipped = try Self.ingest([empty])
    #expect(skipped.records.isEmpty)
    #expect(skipped.skipped.map(\.reason) == [DeliveryArtifacts.permissionCheck])
    // Anything else: read, and refused when no format reads it (a compression hid records from
    // the check on content; blank lines pushed them past the head it reads).
    let zstd = dir + "/b/amazon-bedrock-logs-permission-check"
    try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
    try Data([0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58]).write(to: URL(fileURLWithPath: zstd))
    #expect(throws: InputError.self) { try Self.ingest([zstd]) }
    let padded = dir + "/c/amazon-bedrock-logs-permission-check"
    try FileManager.default.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
    let records = try InputFile(path: Self.log).readAll()
    try (Data(repeating: 0x0A, count: 70_000) + records).write(to: URL(fileURLWithPath: padded))
    let read = try Self.ingest([padded])
    #expect(read.skipped.isEmpty && read.records.count == 4, "\(read.results) \(read.records.count)")
  }

  // MARK: - Pretty-printed records and CloudWatch exports

  @Test func prettyPrintedRecordsKeepTheirStartingLines() throws {
    let text = try String(contentsOfFile: Self.pasted, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // Python's json.dumps(indent=2): `"key": value`, a record's first line is a lone `{`.
    #expect(lines.contains { $0 == "  \"schemaType\": \"ModelInvocationLog\"," })
    let starts = lines.indices.filter { lines[$0] == "{" }.map { $0 + 1 }
    #expect(starts.count == 3)
    let loaded = try Self.ingest([Self.pasted])
    #expect(loaded.results.first?.format == "bedrock-invocation-log")
    #expect(loaded.records.map(\.requestID) == ["bd-0001", "bd-0002", "bd-0004"])
    #expect(loaded.records.map(\.line) == starts)
    #expect(loaded.records.allSatisfy { $0.jsonPath == nil })
    #expect(
      Self.sum(loaded.records)
        == TokenCounts(input: 152_100, cachedInput: 3_000, cacheWrite5m: 300, cacheWrite1h: 200, output: 1_450))
  }

  @Test func explainShowsAPastedRecordWhole() throws {
    let dir = try TestSupport.tempDir()
    let db = dir + "/s.sqlite"
    _ = try ChargebackJob.ingest(paths: [Self.pasted], database: db, progress: ProgressReporter(force: false))
    let text = try ChargebackJob.explain(
      id: "bd-0002", database: db, identities: nil, pricing: Fixtures.root + "/mixed/pricing")
    let raw = try #require(text.split(separator: "\n").first { $0.hasPrefix("raw") })
    // From the record's opening `{` to its closing `}` on one line, and nothing of the next record.
    #expect(raw.hasPrefix("raw") && raw.hasSuffix("}"))
    #expect(raw.contains("\"requestId\":\"bd-0002\""))
    #expect(raw.contains("\"inputBodyS3Path\""))
    #expect(!text.contains("bd-0004"))
  }

  @Test func badFieldInAPastedRecordNamesItsLine() throws {
    let dir = try TestSupport.tempDir()
    var text = try String(contentsOfFile: Self.pasted, encoding: .utf8)
    text = text.replacingOccurrences(of: "\"outputTokenCount\": 800", with: "\"outputTokenCount\": -8")
    let path = dir + "/pasted.json"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // The 1-based line of the second record's opening `{`.
    let second = try #require(lines.indices.filter { lines[$0] == "{" }.dropFirst().first) + 1
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(file: path)
    }
    #expect(error.description == "\(path):\(second): output.outputTokenCount: is negative (-8)")
    // Text between two records is malformed JSON at its own line.
    let junk = dir + "/junk.json"
    try (text.replacingOccurrences(of: "}\n\n{", with: "}\nnot json\n{")).write(
      toFile: junk, atomically: true, encoding: .utf8)
    let malformed = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(file: junk)
    }
    #expect(malformed.line == second - 1)  // the junk line, just before the second record
    #expect(malformed.message.hasPrefix("malformed JSON"))
    #expect(try store.recordCount() == 0)
  }

  @Test func cloudWatchExportGivesTheSameRecordsAsThePlainLog() throws {
    let plain = try Self.ingest([Self.log])
    let exported = try Self.ingest([Self.cloudWatch])
    #expect(exported.results.first?.format == "bedrock-invocation-log")
    #expect(exported.records.count == 4)
    #expect(exported.records.map { "\($0)" } == plain.records.map { "\($0)" })
    #expect(Self.sum(exported.records) == Self.logTotals)
  }

  /// The export folder as `CreateExportTask` leaves it, with its `aws-logs-write-test` object.
  @Test func cloudWatchExportFolderSkipsItsWriteTest() throws {
    let folder = Self.root + "/cloudwatch-export"
    let loaded = try Self.ingest([folder])
    #expect(loaded.records.count == 4)
    #expect(loaded.skipped.map(\.path) == [folder + "/aws-logs-write-test"])
    #expect(loaded.skipped.first?.reason == DeliveryArtifacts.cloudWatchWriteTest)
  }

  @Test func timestampPrefixIsSkippedOnlyWhenItIsAnInstant() throws {
    func prefix(_ s: String) -> Int? {
      Array(s.utf8).withUnsafeBufferPointer { JSONLayout.timestampPrefixLength($0) }
    }
    #expect(prefix("2025-09-01T10:15:42.123Z {\"a\":1}") == 25)
    #expect(prefix("2025-09-01T10:15:42+02:00 {\"a\":1}") == 26)
    #expect(prefix("2025-09-01T10:15:42.123Z  {\"a\":1}") == nil)  // two spaces
    #expect(prefix("2025-09-01T10:15:42 {\"a\":1}") == nil)  // no zone: not an instant
    #expect(prefix("2025-13-01T10:15:42Z {\"a\":1}") == nil)  // no such month
    #expect(prefix("2025-09-01T10:15:42Z [1]") == nil)
    #expect(prefix("{\"timestamp\":\"2025-09-01T10:15:42Z\"}") == nil)
    // A line whose prefix is no instant is read as it is, and rejected at line 1.
    let dir = try TestSupport.tempDir()
    let text = try String(contentsOfFile: Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", encoding: .utf8)
    let path = dir + "/export.txt"
    try text.split(separator: "\n").map { "2025-09-01 10:15:42 " + $0 }.joined(separator: "\n").write(
      toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(file: path)
    }
    #expect(error.file == path)
    #expect(error.line == 1)
    #expect(try store.recordCount() == 0)
  }

  // MARK: - Prompt hashes

  @Test func promptHashesFollowTheBodyBytes() throws {
    let loaded = try Self.ingest([Self.log])
    let hashes = Dictionary(uniqueKeysWithValues: loaded.records.map { ($0.requestID ?? "", $0.promptHash) })
    // bd-0001 and bd-0003 send the same body: same hash, SHA-256 of the bytes as written.
    #expect(hashes["bd-0001"] == Self.bodyAHash)
    #expect(hashes["bd-0003"] == Self.bodyAHash)
    #expect(hashes["bd-0004"] == Self.bodyBHash)
    // The body went to S3: nothing to hash.
    #expect(hashes["bd-0002"] == .some(nil))
    let direct = Array(Self.bodyA.utf8).withUnsafeBufferPointer { BedrockInvocationLog.promptHash($0) }
    #expect(direct == Self.bodyAHash)
    // A body that differs by one byte hashes differently; `null` is no body.
    let line = try String(contentsOfFile: Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", encoding: .utf8)
      .split(separator: "\n")[0]
    let other = line.replacingOccurrences(of: "INV-20931", with: "INV-20932")
    let none = line.replacingOccurrences(
      of: #""inputBodyJson":{"messages":[{"role":"user","content":[{"text":"Reconcile invoice INV-20931"}]}],"#
        + #""inferenceConfig":{"maxTokens":2048}}"#, with: #""inputBodyJson":null"#)
    #expect(none != String(line))
    let parsed = try [String(line), other, none].map { text in
      try Array(text.utf8).withUnsafeBufferPointer {
        try BedrockInvocationLog().parse($0, file: "x", line: 1).promptHash
      }
    }
    #expect(parsed[0] != nil)
    #expect(parsed[1] != nil)
    #expect(parsed[0] != parsed[1])
    #expect(parsed[2] == nil)
  }
}
