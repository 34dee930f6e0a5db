import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

@Suite struct IngestTests {
  func records(_ store: UsageStore) throws -> [UsageRecord] {
    var out: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { out.append($0.record) }
    return out
  }

  @Test func bedrockSampleNormalises() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.samples + "/bedrock/model-invocation-logs.jsonl"
    ])
    #expect(results.first?.format == "bedrock-invocation-log")
    let rs = try records(store)
    #expect(rs.count == 2)
    let first = try #require(rs.first { $0.requestID == "6f1c2a9e-4b7d-4c1e-9a55-0d3b8e2f7c11" })
    // Bedrock inputTokenCount already excludes the cache.
    #expect(first.tokens == TokenCounts(input: 412, cachedInput: 18240, output: 538))
    #expect(first.credential == "arn:aws:sts::123456789012:assumed-role/agent-runner-prod/billing-reconciler-7f3a")
    #expect(
      first.metadata
        == CallMetadata(
          agentID: "billing-reconciler", taskID: "T-88231", parentID: "5b0e7d12-2c4f-4a8e-b1aa-9e6f3c0d4e21"))
    #expect(first.line == 1)
    #expect(Timestamp.iso(first.time) == "2025-09-01T10:15:42Z")
  }

  @Test func gzipAndPlainCopiesAreTheSameRecords() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    _ = try ingestor.ingest(paths: [Fixtures.samples + "/bedrock/model-invocation-logs.jsonl"])
    let gz = try ingestor.ingest(paths: [Fixtures.samples + "/bedrock/model-invocation-logs.json.gz"])
    #expect(gz.first?.records == 2)
    #expect(gz.first?.newRecords == 0)
    #expect(try store.recordCount() == 2)
  }

  @Test func openAISampleSubtractsCachedInput() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.samples + "/openai/usage-completions-1h.json"
    ])
    let r = try #require(try records(store).first)
    // input_tokens 182,340 includes 120,000 cached.
    #expect(r.tokens == TokenCounts(input: 62340, cachedInput: 120000, output: 9120))
    #expect(r.requests == 57)
    #expect(r.level == .report)
    #expect(r.credential == "key_Zp3rT8wYq1aB6cDe")
    #expect(r.jsonPath == "$.data[0].results[0]")
  }

  @Test func reingestChangesNothing() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    let first = try ingestor.ingest(paths: [Fixtures.month + "/usage"])
    #expect(first.map(\.newRecords).reduce(0, +) == 10)
    let before = try store.recordCount()
    let again = try ingestor.ingest(paths: [Fixtures.month + "/usage"])
    #expect(again.allSatisfy { $0.alreadyIngested })
    // The same records in a renamed, different file are still not counted twice.
    let copy = dir + "/copy.jsonl"
    var text = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
    text += "\n"
    try text.write(toFile: copy, atomically: true, encoding: .utf8)
    let dup = try ingestor.ingest(paths: [copy])
    #expect(dup.first?.records == 7)
    #expect(dup.first?.newRecords == 0)
    #expect(try store.recordCount() == before)
  }

  @Test func malformedLineLeavesStoreUnchanged() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    var bad = lines
    bad[3] = bad[3].replacingOccurrences(of: "\"outputTokenCount\":1000", with: "\"outputTokenCount\":\"12abc\"")
    let path = dir + "/bad.jsonl"
    try bad.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.line == 4)
    #expect(error.field == "output.outputTokenCount")
    #expect(error.description.hasPrefix(path + ":4: output.outputTokenCount:"))
    #expect(try store.recordCount() == 0)
    #expect(try store.files().isEmpty)
  }

  @Test(arguments: [
    (
      "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2026-02-30T00:00:00Z\",\"requestId\":\"r\",\"modelId\":\"m\"}",
      "timestamp"
    ),
    ("{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2026-02-03T00:00:00Z\",\"modelId\":\"m\"}", "requestId"),
    (
      "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2026-02-03T00:00:00Z\",\"requestId\":\"r\",\"modelId\":\"m\",\"input\":{\"inputTokenCount\":-5}}",
      "input.inputTokenCount"
    ),
  ])
  func badBedrockFieldsAreNamed(line: String, field: String) throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/x.jsonl"
    try line.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.field == field)
    #expect(error.line == 1)
  }

  @Test func truncatedGzipIsRejectedWhole() throws {
    let dir = try TestSupport.tempDir()
    let data = try Data(
      contentsOf: URL(fileURLWithPath: Fixtures.samples + "/bedrock/model-invocation-logs.json.gz"))
    let path = dir + "/cut.json.gz"
    try data.prefix(data.count - 20).write(to: URL(fileURLWithPath: path))
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.description.contains("gzip") || error.description.contains("decompress"))
    #expect(try store.recordCount() == 0)
  }

  /// A quiet day's delivery is skipped with what it is, not refused: nothing but blanks, an empty
  /// JSON array, a LiteLLM `/spend/logs/v2` page of no row (each stopped the daily run, a trial); a
  /// file with a record is read.
  @Test(arguments: [
    ("\n\n  \n", DeliveryArtifacts.blank),
    ("\u{FEFF}\r\n", DeliveryArtifacts.blank),
    ("[]\n", DeliveryArtifacts.emptyArray),
    ("[ ]", DeliveryArtifacts.emptyArray),
    (#"{"data":[],"total":0,"page":1,"page_size":50,"total_pages":0}"#, DeliveryArtifacts.emptyArray),
  ])
  func aQuietDaysDeliveryIsSkipped(content: String, reason: String) throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/day.json"
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(results.map(\.skippedReason) == [reason])
    #expect(try store.recordCount() == 0)
  }

  /// OpenAI costs as the cookbook saves them, a bare array of buckets, are read as a page's.
  ///
  /// A zero written as `0E-6176` (OpenAI's 34-digit decimals, "on the wire" in a public client's
  /// note), as a string or a bare number, is zero; each stopped the file (a trial).
  /// 0.13080438340307526 USD is 130,804,383,403.075… pico-USD, rounded to 130,804,383,403.
  @Test func costsAsBareBucketsWithZeroAsAnyExponent() throws {
    func bucket(_ start: Int, _ amount: String, _ item: String) -> String {
      #"{"object":"bucket","start_time":\#(start),"end_time":\#(start + 86_400),"results":[{"object":"organization.costs.result","#
        + #""amount":{"value":\#(amount),"currency":"usd"},"line_item":"\#(item)","project_id":"proj_1"}]}"#
    }
    let text =
      "["
      + [
        bucket(1_791_331_200, "0.13080438340307526", "gpt-4o-2024-08-06, input"),
        bucket(1_791_417_600, #""0E-6176""#, "gpt-4o-2024-08-06, output"),
        bucket(1_791_504_000, "0E-6176", "gpt-4o-2024-08-06, input"),
      ].joined(separator: ",") + "]\n"
    let dir = try TestSupport.tempDir()
    let path = dir + "/costs.json"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(results.map(\.format) == ["openai-costs"])
    var billed: [Money?] = []
    try store.forEachRecord(from: .min, to: .max) { billed.append($0.record.billed) }
    #expect(billed.compactMap { $0 }.sorted { $0 < $1 } == [.zero, .zero, Money(pico: 130_804_383_403)])
  }

  @Test func unknownFormatIsNamed() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/notes.txt"
    try "hello, world\n".write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.description.contains("unrecognised format"))
    #expect(!error.description.contains("looks like"))
  }

  /// Near misses a user meets (helpers' trials): `az monitor log-analytics query` JSON, the Azure
  /// OpenAI diagnostic log,
  /// raw API responses, other gateways' exports; the error says what to do.
  @Test(arguments: [
    (
      #"[{"TableName":"PrimaryResult","TimeGenerated":"2026-10-01T00:00:00Z","PromptTokens":"10"}]"#,
      "export the query result as CSV"
    ),
    (
      "BillingAccountId,BilledCost,ChargePeriodStart,ChargePeriodEnd,x_SkuMeterName\nA,1.00,2026-10-01,2026-10-02,m",
      "FOCUS cost export"
    ),
    (
      #"{"object": "page", "data": [{"object": "bucket", "start_time": 1790000000, "end_time": 1790000060, "results": "#
        + #"[{"object": "organization.usage.images.result", "images": 2, "num_model_requests": 1}]}]}"#,
      "an endpoint the tool does not read (images)"
    ),
    ("SQLite format 3\u{0}\u{10}\u{0}\u{1}\u{1}", "an SQLite database (another chargeback store?)"),
    (
      #"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/bedrock/invocations","#
        + #""logStream":"aws/bedrock/modelinvocations","subscriptionFilters":["to-firehose"],"logEvents":[{"id":"1","#
        + #""timestamp":1790000000000,"message":"{\"schemaType\":\"ModelInvocationLog\"}"}]}"#,
      "CloudWatch Logs subscription records"
    ),
    (
      #"{"time":"2026-10-01T00:00:00Z","category":"RequestResponse","operationName":"ChatCompletions_Create","#
        + #""properties":{"modelName":"gpt-4o"}}"#,
      "Azure OpenAI RequestResponse diagnostic log"
    ),
    (
      // As Log Analytics exports an AzureDiagnostics query (Export → CSV).
      "TenantId,\"TimeGenerated [UTC]\",ResourceId,Category,ResourceProvider,OperationName,ResultType,DurationMs\n"
        + "t1,\"10/14/2025, 9:00:00.000 AM\",/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.COGNITIVESERVICES/"
        + "ACCOUNTS/A,RequestResponse,MICROSOFT.COGNITIVESERVICES,ChatCompletions_Create,Success,812",
      "Azure OpenAI RequestResponse diagnostic log"
    ),
    (
      // The APIM LLM log exported from the portal in its local time zone.
      "TenantId,\"TimeGenerated [Local Time]\",ModelName,PromptTokens,CompletionTokens,CorrelationId\n"
        + "t1,\"10/14/2025, 9:00:00.000 AM\",gpt-4o,10,5,c1",
      "times in the portal's time zone (TimeGenerated [Local Time]), which cannot be read as UTC"
    ),
    (
      #"{"value":[{"name":{"value":"ProcessedPromptTokens"},"timeseries":[{"data":[{"timeStamp":"2025-10-14T09:00:00Z","total":1200}]}]}]}"#,
      "Azure Monitor metrics"
    ),
    (
      #"{"id": "chatcmpl-1", "object": "chat.completion", "created": 1790000000, "model": "gpt-4o", "#
        + #""usage": {"prompt_tokens": 19, "completion_tokens": 10}}"#,
      "raw OpenAI API responses"
    ),
    (
      #"{"id":"resp_1","object":"response","created_at":1790000000,"model":"gpt-4.1","usage":{"input_tokens":5}}"#,
      "raw OpenAI API responses"
    ),
    (
      #"{"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "#
        + #""usage": {"input_tokens": 19, "output_tokens": 5}}"#,
      "raw Anthropic Messages responses"
    ),
    (
      // A Vertex AI batch prediction output line: it holds a generateContent response.
      #"{"status":"","processed_time":"2025-06-13T14:04:28.376+00:00","request":{"contents":[]},"response":"#
        + #"{"createTime":"2025-06-13T14:04:12.118427Z","modelVersion":"gemini-2.0-flash-001","responseId":"r1","#
        + #""usageMetadata":{"candidatesTokenCount":1000,"promptTokenCount":10000,"trafficType":"ON_DEMAND"}}}"#,
      "Vertex AI batch prediction output"
    ),
    (
      // An Amazon Bedrock batch inference output line: it holds an Anthropic Messages response.
      #"{"recordId":"r1","modelInput":{"anthropic_version":"bedrock-2023-05-31"},"modelOutput":{"id":"msg_1","#
        + #""type":"message","model":"claude-3-haiku-20240307","usage":{"input_tokens":1200,"output_tokens":180}}}"#,
      "Amazon Bedrock batch inference output"
    ),
    (
      #"[{"request_id": "1b2c", "request_created_at": "2026-10-01T00:00:00Z", "request_model": "gpt-4o", "#
        + #""prompt_tokens": 100}]"#,
      "Helicone request export"
    ),
    (
      #"[{"id": "pk-1", "created_at": "2026-10-01T00:00:00Z", "ai_org": "openai", "ai_model": "gpt-4o", "#
        + #""req_units": 120, "res_units": 30}]"#,
      "Portkey log export"
    ),
    (
      // Anthropic's Claude Code usage report, as its API reference shows a page.
      #"{"data":[{"date":"2025-09-08T00:00:00Z","actor":{"type":"user_actor","email_address":"u@example.com"},"#
        + #""customer_type":"api","terminal_type":"vscode","core_metrics":{"num_sessions":5},"model_breakdown":"#
        + #"[{"model":"claude-sonnet-4-20250514","tokens":{"input":100000,"output":35000,"cache_read":10000,"#
        + #""cache_creation":5000},"estimated_cost":{"currency":"USD","amount":1025}}]}],"has_more":false}"#,
      "Claude Code usage report"
    ),
    (
      // The Claude Enterprise Analytics API's usage report, not grouped by product (as a trial's).
      #"{"data":[{"ending_at":"2026-03-03T00:00:00Z","results":[{"cache_creation":{"ephemeral_1h_input_tokens":0,"#
        + #""ephemeral_5m_input_tokens":20000},"cache_read_input_tokens":2000000,"context_window":"0-200k","#
        + #""model":"claude-opus-4-6","output_tokens":50000,"requests":42,"uncached_input_tokens":100000}],"#
        + #""starting_at":"2026-03-02T00:00:00Z"}],"data_refreshed_at":"2026-03-04T06:00:00Z","has_more":false,"#
        + #""next_page":null,"organization_id":"org_01"}"#,
      "Claude Enterprise Analytics API's usage report"
    ),
    (
      // The same grouped by product, as its API reference shows a page.
      #"{"data":[{"ending_at":"2026-03-03T00:00:00Z","results":[{"model":"claude-sonnet-4-5","output_tokens":891,"#
        + #""product":"chat","uncached_input_tokens":1284,"cache_read_input_tokens":0}],"#
        + #""starting_at":"2026-03-02T00:00:00Z"}],"data_refreshed_at":"2026-03-04T06:00:00Z","has_more":false}"#,
      "Claude Enterprise Analytics API's usage report"
    ),
    ("agent_id,owner,cost_centre\ntriage,alice,CC-1", "pass its folder as --identities"),
    ("PK\u{3}\u{4}\u{14}\u{0}\u{6}\u{0}[Content_Types].xml", "an .xlsx workbook?"),
  ])
  func nearMissFormatsSayWhatToDo(content: String, advice: String) throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/export.json"
    try (content + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(error.description.contains("unrecognised format"))
    #expect(error.description.contains(advice), "\(error)")
  }

  /// The byte search the batch-output check runs on every file's head finds its text at the start,
  /// at the end and between, and not a text cut by the end or one absent.
  @Test func byteSearchFindsTextAnywhere() {
    func has(_ s: String) -> Bool { FormatRegistry.contains(Array(s.utf8), "\"modelInput\"") }
    #expect(has(#""modelInput""#) && has(#"{"a":1,"modelInput":2}"#) && has(#"xx"modelInput""#))
    #expect(!has(#""modelInpu"#) && !has(#""modelinput""#) && !has("") && !has(#"modelInput""#))
    #expect(has(#""m""modelInput""#))
  }

  /// An OpenAI usage or costs page whose buckets all hold no result is skipped.
  ///
  /// A month's last page, a day fetched before its first call: skipped as holding nothing to
  /// charge, as a daily job that
  /// saves every page delivers them, and the files beside it load; it stopped the run. Short, or
  /// of 1,440 empty 1-minute buckets past the first 64 KiB.
  @Test(arguments: [1, 1_440])
  func aPageOfEmptyBucketsIsSkippedAndTheRunGoesOn(buckets: Int) throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let empty = (0..<buckets).map { m in
      #"    {"object": "bucket", "start_time": \#(1_790_208_000 + m * 60), "end_time": \#(1_790_208_060 + m * 60), "results": []}"#
    }
    let page =
      "{\n  \"object\": \"page\",\n  \"data\": [\n" + empty.joined(separator: ",\n")
      + "\n  ],\n  \"has_more\": false,\n  \"next_page\": null\n}\n"
    #expect((page.utf8.count > 65_536) == (buckets > 1))
    try page.write(toFile: usage + "/a-page-3.json", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(
      atPath: Fixtures.samples + "/openai/usage-completions-1h.json", toPath: usage + "/b-page-1.json")
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [usage])
    #expect(results.map(\.skippedReason) == [DeliveryArtifacts.emptyPage, nil])
    #expect(results.last?.loaded == true)
    #expect(try store.skippedFiles().map(\.reason) == [DeliveryArtifacts.emptyPage])
  }

  /// An OpenAI usage page of 1-minute buckets, pretty-printed, empty until 09:00 UTC: its first
  /// result's object name is cut at the end of the first 64 KiB, and it is read all the same
  /// (1,000 input and 100 output tokens of gpt-4o-mini in the 541st bucket).
  @Test func aUsagePageWhoseFirstResultIsPastTheHeadIsRead() throws {
    let day: Int64 = 1_790_208_000  // 2026-09-24T00:00:00Z
    var buckets: [String] = []
    for m in 0..<1440 {
      let start = day + Int64(m) * 60
      let results =
        m == 540
        ? #"""
        [
              {
                "object": "organization.usage.completions.result",
                "input_tokens": 1000,
                "output_tokens": 100,
                "num_model_requests": 1,
                "input_cached_tokens": 0,
                "project_id": "proj_1",
                "api_key_id": "key_1",
                "model": "gpt-4o-mini",
                "batch": false
              }
            ]
        """# : "[]"
      buckets.append(
        """
            {
              "object": "bucket",
              "start_time": \(start),
              "end_time": \(start + 60),
              "results": \(results)
            }
        """)
    }
    let page =
      "{\n  \"object\": \"page\",\n  \"data\": [\n" + buckets.joined(separator: ",\n") + "\n  ],\n"
      + "  \"has_more\": false,\n  \"next_page\": null\n}\n"
    #expect(page.utf8.count > 65_536)
    let dir = try TestSupport.tempDir()
    try page.write(toFile: dir + "/usage-1m.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/usage-1m.json"
    ])
    #expect(results.map(\.format) == ["openai-usage-completions"])
    var tokens: [TokenCounts] = []
    try store.forEachRecord(from: .min, to: .max) { tokens.append($0.record.tokens) }
    #expect(tokens == [TokenCounts(input: 1000, output: 100)])
  }
  /// Pages appended one after another, each pretty-printed (`curl … >> usage.json`), are read page
  /// by page, in the OpenAI usage, OpenAI costs and Anthropic usage formats; a bad field in the
  /// second page names the line that page starts on.
  @Test func pagesAppendedToOneFileAreEachRead() throws {
    func openAIPage(start: Int64, input: Int, model: String) -> String {
      """
      {
        "object": "page",
        "data": [
          {
            "object": "bucket",
            "start_time": \(start),
            "end_time": \(start + 86_400),
            "results": [
              {
                "object": "organization.usage.completions.result",
                "input_tokens": \(input),
                "output_tokens": 10,
                "num_model_requests": 1,
                "api_key_id": "key_1",
                "model": \(model)
              }
            ]
          }
        ],
        "has_more": \(input == 2_000 ? "false" : "true"),
        "next_page": \(input == 2_000 ? "null" : "\"page_2\"")
      }

      """
    }
    let day: Int64 = 1_790_208_000  // 2026-09-24T00:00:00Z
    let dir = try TestSupport.tempDir()
    let good = openAIPage(start: day, input: 1_000, model: "\"gpt-4o-mini\"")
    try (good + openAIPage(start: day + 86_400, input: 2_000, model: "\"gpt-4o-mini\"")).write(
      toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/usage.json"
    ])
    #expect(results.map(\.format) == ["openai-usage-completions"])
    var inputs: [Int64] = []
    try store.forEachRecord(from: .min, to: .max) { inputs.append($0.record.tokens.input) }
    #expect(inputs == [1_000, 2_000])

    // The second page's model is a number: the error names the line its record starts on (the
    // first page is 22 lines, so the second starts on line 23; its result opens on its 9th line:
    // line 23 + 8 = 31).
    try (good + openAIPage(start: day + 86_400, input: 2_000, model: "7")).write(
      toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
    let badStore = try UsageStore(path: dir + "/bad.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: badStore, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/bad.json"])
    }
    #expect(error.line == 31, "\(error)")
    #expect(error.field == "model", "\(error)")
    #expect(try badStore.recordCount() == 0)
  }

  /// Files whose format shows only past the first 64 KiB are read.
  ///
  /// A Bedrock record that names its `schemaType` last (as real records do) after an 80 KB inline
  /// prompt, and a Vertex response whose `usageMetadata` follows an 80 KB answer: both were
  /// refused as "unrecognised format".
  @Test(arguments: ["bedrock", "vertex"])
  func aFileWhoseSignatureIsPastTheFirst64KiBIsRead(kind: String) throws {
    let long = String(repeating: "Reconcile invoice INV-20931 against the ledger. ", count: 1_700)
    #expect(long.utf8.count > 65_536 + 10_000)
    let text: String
    let expected: TokenCounts
    if kind == "bedrock" {
      text =
        #"{"timestamp":"2025-09-01T10:15:42Z","accountId":"123456789012","identity":{"arn":"arn:aws:iam::123456789012:user/etl-batch"},"region":"us-east-1","requestId":"big-1","operation":"InvokeModel","modelId":"amazon.nova-pro-v1:0","input":{"inputContentType":"application/json","inputBodyJson":{"messages":[{"role":"user","content":[{"text":""#
        + long
        + #""}]}]},"inputTokenCount":20000},"output":{"outputContentType":"application/json","outputBodyJson":{},"outputTokenCount":100},"schemaType":"ModelInvocationLog","schemaVersion":"1.0"}"#
        + "\n"
      expected = TokenCounts(input: 20000, output: 100)
    } else {
      text =
        #"{"candidates":[{"content":{"role":"model","parts":[{"text":""#
        + long
        + #""}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":300,"candidatesTokenCount":16000,"totalTokenCount":16300},"modelVersion":"gemini-2.5-flash","createTime":"2025-09-01T10:15:42.118234Z","responseId":"big-1"}"#
        + "\n"
      expected = TokenCounts(input: 300, output: 16000)
    }
    let dir = try TestSupport.tempDir()
    let path = dir + "/\(kind).jsonl"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(results.map(\.records) == [1])
    var tokens: [TokenCounts] = []
    try store.forEachRecord(from: .min, to: .max) { tokens.append($0.record.tokens) }
    #expect(tokens == [expected])
  }
}
