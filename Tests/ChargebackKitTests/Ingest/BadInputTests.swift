import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// Bad input of any kind, through the built CLI as a user meets it: exit 65, the message naming the
/// file, the line (or JSON path) and the field, and the store exactly as it was (row counts and a
/// content hash of its tables).
@Suite(.serialized) struct BadInputTests {
  /// A Bedrock record; `IN`, `CW` and `RID` are replaced.
  static let bedrock =
    #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-01T10:00:00Z","accountId":"123456789012","identity":{"arn":"arn:aws:iam::123456789012:user/x"},"region":"us-east-1","requestId":"RID","operation":"Converse","modelId":"anthropic.claude-3-haiku-20240307-v1:0","input":{"inputContentType":"application/json","inputTokenCount":IN,"cacheWriteInputTokenCount":CW},"output":{"outputContentType":"application/json","outputTokenCount":10}}"#

  static func bedrock(input: String = "100", cacheWrite: String = "0", id: String = "bad-1") -> String {
    bedrock.replacingOccurrences(of: "IN", with: input).replacingOccurrences(of: "CW", with: cacheWrite)
      .replacingOccurrences(of: "RID", with: id)
  }

  /// An OpenAI usage/completions page, pretty-printed; `COUNT` and `START` are replaced.
  static let openAIPage = """
    {
      "object": "page",
      "data": [
        {
          "object": "bucket",
          "start_time": START,
          "end_time": 1790003600,
          "results": [
            {
              "object": "organization.usage.completions.result",
              "input_tokens": 5000,
              "input_cached_tokens": 1000,
              "input_cache_write_tokens": COUNT,
              "output_tokens": 200,
              "num_model_requests": 3,
              "api_key_id": "key_bad",
              "model": "gpt-4o-2024-08-06"
            }
          ]
        }
      ]
    }

    """

  static func openAI(count: String = "0", start: String = "1790000000") -> String {
    openAIPage.replacingOccurrences(of: "COUNT", with: count).replacingOccurrences(of: "START", with: start)
  }

  /// Writes `bytes` as `name`, ingests it into a store holding a month, and checks exit 65, that
  /// the message starts with `file:line: field: ` (or `file: path: field: `) and holds `message`,
  /// and that the store did not change.
  func expectRejected(
    _ bytes: [UInt8], name: String, line: Int?, path: String? = nil, field: String, message: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/store.sqlite"
    try FuzzTests.loadMonth(into: db)
    let before = try StoreDigest(path: db)
    let file = dir + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    let run = try FuzzTests.ingest(file, db: db)
    #expect(run.status == 65, "\(run.err)", sourceLocation: sourceLocation)
    var prefix = file
    if let line { prefix += ":\(line)" }
    if let path { prefix += ": \(path)" }
    prefix += ": \(field): "
    #expect(run.err.contains(prefix), "expected \(prefix)… in \(run.err)", sourceLocation: sourceLocation)
    #expect(run.err.contains(message), "expected \(message) in \(run.err)", sourceLocation: sourceLocation)
    #expect(try StoreDigest(path: db) == before, "the store changed", sourceLocation: sourceLocation)
  }

  func expectRejected(
    _ text: String, name: String, line: Int?, path: String? = nil, field: String, message: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try expectRejected(
      Array(text.utf8), name: name, line: line, path: path, field: field, message: message,
      sourceLocation: sourceLocation)
  }

  // MARK: 1. Counts that would break every later report

  @Test(arguments: ["5000000000000000000", "9223372036854775807", "10000000000001"])
  func hugeTokenCountsAreOutOfBounds(count: String) throws {
    let text = Self.bedrock(id: "ok-1") + "\n" + Self.bedrock(input: count) + "\n"
    try expectRejected(text, name: "huge.jsonl", line: 2, field: "input.inputTokenCount", message: "is out of bounds")
  }

  @Test func theBoundItselfIsAccepted() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let file = dir + "/edge.jsonl"
    try Data((Self.bedrock(input: "10000000000000", id: "edge-1") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    let run = try FuzzTests.ingest(file, db: dir + "/s.sqlite")
    #expect(run.status == 0, "\(run.err)")
  }

  /// A store holding such a record from before the bounds: the report names it instead of trapping.
  @Test func anOutOfBoundsRecordAlreadyStoredStopsTheReportWithExit65() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/s.sqlite"
    let store = try UsageStore(path: db)
    try store.db.transaction {
      let writer = try store.beginFile(
        sha256: "old", path: "old.jsonl", format: "bedrock-invocation-log", level: .request, bytes: 1)
      try writer.insert(
        UsageRecord(
          provider: .bedrock, level: .request, format: "bedrock-invocation-log", naturalKey: "bedrock:old",
          requestID: "old", time: 1_790_000_000_000, model: "m", tokens: TokenCounts(input: 5_000_000_000_000_000_000)))
      try writer.finish()
    }
    try store.close()
    let run = try TestSupport.runCLI([
      "report", "--period", "2026-09", "--identities", Fixtures.month + "/identities", "--pricing", TestSupport.pricing,
      "--db", db, "--out", dir + "/out",
    ])
    #expect(run.status == 65, "\(run.err)")
    #expect(run.err.contains("tokens.input is out of bounds"), "\(run.err)")
  }

  // MARK: 2. Numbers a reader cannot hold (each trapped before)

  @Test(arguments: [
    ("start", "9223372036854775807", "start_time", "is out of bounds"),
    ("start", "-9223372036854775808", "start_time", "is out of bounds"),
    ("count", "9223372036854775807", "input_cache_write_tokens", "is out of bounds"),
  ])
  func openAINumbersNearTheLimit(what: String, value: String, field: String, message: String) throws {
    // The record is the result row: the error names the line it starts on and its path.
    let text = what == "start" ? Self.openAI(start: value) : Self.openAI(count: value)
    try expectRejected(text, name: "usage.json", line: 9, path: "$.data[0].results[0]", field: field, message: message)
  }

  /// A bucket's end is exclusive: the last day of 2099 ends at 2100-01-01T00:00Z (4102444800), which
  /// is taken (a trial's `demo --period 2099-12` refused its own last bucket); a second later is not.
  @Test(arguments: [("usage.json", "1000"), ("costs.json", "{\"value\": 0.5, \"currency\": \"usd\"}")])
  func theLastBucketOf2099EndsAt2100(name: String, measure: String) throws {
    let result =
      name == "usage.json"
      ? #"{"object": "organization.usage.completions.result", "input_tokens": \#(measure), "output_tokens": 0, "#
        + #""num_model_requests": 1, "api_key_id": "key_1", "model": "gpt-4o-mini-2024-07-18"}"#
      : #"{"object": "organization.costs.result", "amount": \#(measure), "line_item": "gpt-4o, input"}"#
    func page(end: Int64) -> String {
      #"{"object": "page", "data": [{"object": "bucket", "start_time": 4102358400, "end_time": \#(end), "results": ["#
        + result + #"]}], "has_more": false, "next_page": null}"# + "\n"
    }
    let dir = try TestSupport.tempDir()
    try page(end: 4_102_444_800).write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    let run = try FuzzTests.ingest(dir + "/" + name, db: dir + "/s.sqlite")
    #expect(run.status == 0, "\(run.err)")
    try expectRejected(
      page(end: 4_102_444_801), name: name, line: 1, path: "$.data[0]" + (name == "usage.json" ? ".results[0]" : ""),
      field: "end_time", message: "is out of bounds")
  }

  @Test(arguments: ["0.00331e30", "1e999999", "99999999999999999999999"])
  func costsBeyondTheBoundAreOutOfBoundsOrNotAmounts(amount: String) throws {
    let page =
      #"{"object":"page","data":[{"object":"bucket","start_time":1790000000,"end_time":1790086400,"results":[{"object":"organization.costs.result","amount":{"value":AMOUNT,"currency":"usd"},"line_item":"gpt-4o, input","project_id":"p"}]}]}"#
    try expectRejected(
      page.replacingOccurrences(of: "AMOUNT", with: amount) + "\n", name: "costs.json", line: 1,
      path: "$.data[0].results[0]", field: "amount.value",
      message: amount == "1e999999" ? "expected a number" : "is out of bounds")
  }

  /// A page of a usage endpoint the tool does not read (counted in images, characters, seconds),
  /// after a completions page in one file, is refused as it is alone: its requests had been
  /// charged as a completions model's with no tokens, and a moderation's input counted as tokens.
  @Test(arguments: ["images", "audio_speeches", "audio_transcriptions", "moderations", "vector_stores"])
  func aResultOfAnEndpointNotReadIsRefusedAfterACompletionsPage(endpoint: String) throws {
    func page(_ result: String) -> String {
      #"{"object": "page", "data": [{"object": "bucket", "start_time": 1790000000, "end_time": 1790086400, "results": ["#
        + result + #"]}], "has_more": false, "next_page": null}"#
    }
    let completions = page(
      #"{"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 10, "num_model_requests": 1, "api_key_id": "key_1", "model": "gpt-4o-mini-2024-07-18"}"#
    )
    let other = page(
      #"{"object": "organization.usage.\#(endpoint).result", "input_tokens": 5000000, "images": 10, "characters": 4500000, "seconds": 360000, "num_model_requests": 100, "api_key_id": "key_1", "model": "gpt-4o-mini-tts"}"#
    )
    try expectRejected(
      completions + "\n" + other + "\n", name: "all-usage.jsonl", line: 2, path: "$.data[0].results[0]",
      field: "object", message: "is a result of an OpenAI endpoint the tool does not read (\(endpoint))")
  }

  @Test func bedrockCacheDetailsCannotOverflow() throws {
    let body =
      #","outputBodyJson":{"usage":{"cacheDetails":[{"ttl":"1h","inputTokens":9000000000000000000},{"ttl":"1h","inputTokens":9000000000000000000}]}}}}"#
    let text = Self.bedrock(cacheWrite: "10").replacingOccurrences(
      of: #""outputTokenCount":10}}"#, with: #""outputTokenCount":10"# + body)
    try expectRejected(
      text + "\n", name: "details.jsonl", line: 1, field: "output.outputBodyJson.usage.cacheDetails[0].inputTokens",
      message: "is out of bounds")
  }

  @Test func liteLLMAndVertexSumsCannotOverflow() throws {
    let litellm =
      #"{"request_id":"r1","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":9223372036854775807,"metadata":{"additional_usage_values":{"cache_read_input_tokens":-9223372036854775807}}}"#
    try expectRejected(
      litellm + "\n", name: "spend.jsonl", line: 1, field: "prompt_tokens", message: "is out of bounds")
    let vertex =
      #"{"responseId":"v1","modelVersion":"gemini-2.5-flash","createTime":"2026-10-01T00:00:00Z","usageMetadata":{"promptTokenCount":9000000000000,"cachedContentTokenCount":0,"toolUsePromptTokenCount":9000000000000,"candidatesTokenCount":1}}"#
    try expectRejected(vertex + "\n", name: "vertex.jsonl", line: 1, field: "tokens.input", message: "is out of bounds")
  }

  // MARK: 3. Negative counts

  @Test func negativeCacheWritesAreRejected() throws {
    try expectRejected(
      Self.openAI(count: "-1000"), name: "usage.json", line: 9, path: "$.data[0].results[0]",
      field: "input_cache_write_tokens", message: "is negative (-1000)")
    try expectRejected(
      Self.bedrock(cacheWrite: "-1000") + "\n", name: "neg.jsonl", line: 1, field: "input.cacheWriteInputTokenCount",
      message: "is negative (-1000)")
  }

  // MARK: 4. Invalid UTF-8 and unpaired surrogates are never replaced

  @Test func requestIDsThatDifferOnlyInAnInvalidByteAreRejected() throws {
    let a = Array(Self.bedrock(id: "dup-X").utf8)
    var b = a
    let x = try #require(b.firstIndex(of: UInt8(ascii: "X")))
    b[x] = 0xFF
    try expectRejected(
      a + [10] + b + [10], name: "utf8.jsonl", line: 2, field: "requestId", message: "holds invalid UTF-8")
  }

  @Test func unpairedSurrogatesAreRejected() throws {
    try expectRejected(
      Self.bedrock(id: #"dup\uD83D"#) + "\n", name: "surrogate.jsonl", line: 1, field: "requestId",
      message: "unpaired surrogate escape (U+D83D at byte")
  }

  @Test func invalidUTF8InACSVNamesTheColumn() throws {
    let header = "TimeGenerated,RequestId,ModelName,PromptTokens,CompletionTokens\n"
    let bytes =
      Array((header + "2026-10-01T00:00:00Z,r1,gpt-4o,10,5\n2026-10-01T00:00:01Z,r").utf8) + [0xFF]
      + Array(",gpt-4o,10,5\n".utf8)
    try expectRejected(bytes, name: "apim.csv", line: 3, field: "RequestId", message: "is not valid UTF-8")
  }

  // MARK: 5. Messages

  @Test func aByteOrderMarkIsDroppedByEveryReader() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files: [(String, String)] = [
      ("bom.jsonl", Self.bedrock(id: "bom-1") + "\n"), ("bom.json", Self.openAI()),
      (
        "bom.csv",
        "TimeGenerated,RequestId,ModelName,PromptTokens,CompletionTokens\n2026-10-01T00:00:00Z,b1,gpt-4o,10,5\n"
      ),
    ]
    for (name, text) in files {
      let file = dir + "/" + name
      try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: URL(fileURLWithPath: file))
      let run = try FuzzTests.ingest(file, db: dir + "/s.sqlite")
      #expect(run.status == 0, "\(name): \(run.err)")
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    #expect(try store.recordCount() == 3)
  }

  @Test func aFractionalCountNamesLineAndField() throws {
    try expectRejected(
      Self.bedrock(id: "ok-1") + "\n" + Self.bedrock(input: "12.5") + "\n", name: "frac.jsonl", line: 2,
      field: "input.inputTokenCount", message: "is not a whole number (12.5)")
    try expectRejected(
      Self.openAI(count: "12.5"), name: "frac.json", line: 9, path: "$.data[0].results[0]",
      field: "input_cache_write_tokens", message: "is not a whole number")
  }

  @Test(arguments: ["12.", "01", "007", "1.e5", "1e", "-01"])
  func numbersOutsideTheJSONGrammarAreMalformed(number: String) throws {
    try expectRejected(
      Self.bedrock(input: number) + "\n", name: "grammar.jsonl", line: 1, field: "input.inputTokenCount",
      message: "malformed JSON")
  }

  @Test func duplicateKeysAreRejectedNamingTheKey() throws {
    let text = Self.bedrock().replacingOccurrences(of: #""region":"#, with: #""region":"x","region":"#)
    try expectRejected(text + "\n", name: "dup.jsonl", line: 1, field: "region", message: "duplicate key \"region\"")
    let page = Self.openAI().replacingOccurrences(of: #""model":"#, with: #""model": "a", "model":"#)
    try expectRejected(page, name: "dup.json", line: 17, field: "data[0].results[0].model", message: "duplicate key")
  }

  @Test func badEscapesInSkippedStringsAreRejected() throws {
    let text = Self.bedrock().replacingOccurrences(of: #""Converse""#, with: #""\q""#)
    try expectRejected(text + "\n", name: "escape.jsonl", line: 1, field: "operation", message: "bad escape")
  }

  @Test func aLineOverTheLimitIsRejectedWhileItIsRead() throws {
    var bytes = Array((Self.bedrock(id: "ok-1") + "\n").utf8)
    bytes += Array(#"{"schemaType":"ModelInvocationLog","x":""#.utf8)
    bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 65 << 20)
    bytes += Array("\"}\n".utf8)
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/store.sqlite"
    try FuzzTests.loadMonth(into: db)
    let before = try StoreDigest(path: db)
    let file = dir + "/long.jsonl"
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    let run = try FuzzTests.ingest(file, db: db)
    #expect(run.status == 65)
    #expect(run.err.contains(file + ":2: line longer than 64 MiB"), "\(run.err)")
    #expect(try StoreDigest(path: db) == before)
  }
}
