import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The request-level formats: LiteLLM, OTel GenAI spans, Azure APIM LLM log, Vertex responses.
///
/// Expected values are worked out by hand from the sample and fixture files.
@Suite struct RequestFormatTests {
  static let formats = Fixtures.root + "/formats"
  static let mine: Set<String> = [
    "litellm-spend-logs", "otel-genai-spans", "azure-apim-llm-log", "vertex-generate-content",
  ]

  /// Ingests `paths` into a new store; returns the format of each file and the records by natural key.
  func ingest(_ paths: [String]) throws -> (formats: [String], records: [String: UsageRecord]) {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    var out: [String: UsageRecord] = [:]
    try store.forEachRecord(from: .min, to: .max) { out[$0.record.naturalKey] = $0.record }
    return (results.map(\.format), out)
  }

  /// Writes `content` to a file named `name` and ingests it, expecting an error; checks the store stays empty.
  func failure(_ content: String, name: String) throws -> InputError {
    let dir = try TestSupport.tempDir()
    let path = dir + "/" + name
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(try store.recordCount() == 0)
    return error
  }

  // MARK: LiteLLM

  @Test func liteLLMSampleNormalises() throws {
    let (formats, rs) = try ingest([Fixtures.samples + "/litellm/spend-logs.json"])
    #expect(formats == ["litellm-spend-logs"])
    #expect(rs.count == 2)
    let ok = try #require(rs["litellm:chatcmpl-C9x2LqP0aZ7mKd1"])
    // prompt_tokens 5,230 includes cache_read_input_tokens 4,096: input 5,230 − 4,096 = 1,134.
    #expect(ok.tokens == TokenCounts(input: 1134, cachedInput: 4096, output: 188))
    #expect(ok.provider == .openai)
    #expect(ok.model == "gpt-4.1-mini")
    #expect(ok.tier == .standard)
    #expect(ok.credential == "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b")
    #expect(ok.credentialProvider == "litellm")
    #expect(ok.retries == 1)
    #expect(!ok.failed)
    // task and parent from spend_logs_metadata; the agent from the `agent:` request tag.
    #expect(
      ok.metadata
        == CallMetadata(
          agentID: "billing-reconciler", taskID: "T-88231", parentID: "a0b1c2d3-e4f5-4607-8899-aabbccddeeff"))
    #expect(Timestamp.iso(ok.time) == "2025-09-01T10:15:43.400Z")
    #expect(ok.jsonPath == "$[0]")
    #expect(ok.line == 2)

    let failed = try #require(rs["litellm:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"])
    #expect(failed.failed)
    #expect(failed.errorCode == "429")
    #expect(failed.tokens.isZero)
    #expect(failed.retries == nil)
    #expect(failed.metadata == CallMetadata(agentID: "billing-reconciler", taskID: "T-88231"))
    #expect(Timestamp.iso(failed.time) == "2025-09-01T10:15:42.100Z")
    #expect(failed.jsonPath == "$[1]")
    #expect(failed.line == 56)
  }

  @Test func liteLLMTableExportAsCSV() throws {
    let (formats, rs) = try ingest([Self.formats + "/litellm-spend-logs.csv"])
    #expect(formats == ["litellm-spend-logs"])
    #expect(rs.count == 4)
    let a = try #require(rs["litellm:msg_01AnthropicCache"])
    // prompt_tokens 30,000 includes 20,000 cache reads and 6,000 cache writes: input 30,000 − 20,000 − 6,000 = 4,000;
    // writes split by cache_creation: 4,000 at 1h, 6,000 − 4,000 = 2,000 at 5m.
    #expect(
      a.tokens == TokenCounts(input: 4000, cachedInput: 20000, cacheWrite5m: 2000, cacheWrite1h: 4000, output: 900))
    #expect(a.provider == .anthropic)
    #expect(a.credential == "hash-key-a")
    #expect(a.retries == 0)
    // spend_logs_metadata's agent_id wins over the `agent:` tag; task_id comes from the tags.
    #expect(
      a.metadata
        == CallMetadata(agentID: "agent-from-metadata", taskID: "T-9", scopeID: "S-1", parentID: "req-parent-1"))
    // Postgres `+00` offset; the record starts on line 2 and its quoted `messages` cell runs onto line 3.
    #expect(Timestamp.iso(a.time) == "2025-09-01T10:00:00.250Z")
    #expect(a.line == 2)

    let b = try #require(rs["litellm:chatcmpl-fail-1"])
    #expect(b.provider == .bedrock)  // bedrock_converse
    #expect(b.failed && b.errorCode == "503")
    #expect(b.retries == 2)
    #expect(b.line == 4)
    #expect(Timestamp.iso(b.time) == "2025-09-01T10:05:00Z")

    // A LiteLLM cache hit never reached OpenAI: no tokens.
    let hit = try #require(rs["litellm:chatcmpl-abc_cache_hit1756721000"])
    #expect(hit.tokens.isZero)
    #expect(hit.line == 5)

    let batch = try #require(rs["litellm:chatcmpl-batch-1"])
    #expect(batch.provider == .azure)
    #expect(batch.tier == .batch)  // call_type acreate_batch
    #expect(batch.tokens == TokenCounts(input: 500, output: 20))
    #expect(batch.metadata == CallMetadata())
  }

  @Test func liteLLMCallbackPayloadsWithEpochSeconds() throws {
    let (formats, rs) = try ingest([Self.formats + "/litellm-callback.jsonl"])
    #expect(formats == ["litellm-spend-logs"])
    let one = try #require(rs["litellm:chatcmpl-cb-1"])
    // usage_object.prompt_tokens_details.cached_tokens 1,024 of 2,048: input 2,048 − 1,024 = 1,024.
    #expect(one.tokens == TokenCounts(input: 1024, cachedInput: 1024, output: 300))
    #expect(one.provider == .vertex)  // vertex_ai-language-models
    #expect(one.credential == "hash-cb")  // metadata.user_api_key_hash
    // 1756721743.4567 s → 1,756,721,743,456 ms (truncated, never through Double).
    #expect(one.time == 1_756_721_743_456)
    #expect(one.metadata == CallMetadata(scopeID: "S-7", parentID: "p-1"))
    #expect(one.line == 1)
    let two = try #require(rs["litellm:chatcmpl-cb-2"])
    #expect(Timestamp.iso(two.time) == "2025-09-01T10:16:40Z")  // "1756721800"
    #expect(two.line == 3)  // line 2 is blank
  }

  @Test func liteLLMTimes() {
    #expect(LiteLLMSpendLogs.millis("1756721743.4567") == 1_756_721_743_456)
    #expect(LiteLLMSpendLogs.millis("1756721743") == 1_756_721_743_000)
    #expect(LiteLLMSpendLogs.millis("2025-09-01 10:15:43.4+00") == 1_756_721_743_400)
    #expect(LiteLLMSpendLogs.millis("2025-09-01T10:15:43.400000Z") == 1_756_721_743_400)
    // BigQuery's form (an export of a BigQuery table of spend logs).
    #expect(LiteLLMSpendLogs.millis("2025-09-01 10:15:43.400123 UTC") == 1_756_721_743_400)
    #expect(LiteLLMSpendLogs.millis("2025-09-01 10:15:43 UTC") == 1_756_721_743_000)
    #expect(LiteLLMSpendLogs.millis("1.7567217434e9") == nil)
    #expect(LiteLLMSpendLogs.millis("-5") == nil)
  }

  @Test func liteLLMProviders() {
    #expect(LiteLLMSpendLogs.provider("bedrock_converse") == .bedrock)
    #expect(LiteLLMSpendLogs.provider("vertex_ai-anthropic_models") == .vertex)
    #expect(LiteLLMSpendLogs.provider("gemini") == .vertex)
    #expect(LiteLLMSpendLogs.provider("azure") == .azure)
    #expect(LiteLLMSpendLogs.provider("cohere") == nil)
  }

  @Test func liteLLMPaginatedResponse() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/v2.json"
    let row =
      #"{"request_id":"r-1","call_type":"acompletion","startTime":"2025-09-01T00:00:00Z","model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":7,"completion_tokens":1}"#
    try "{\"total\":1,\n\"data\":[\n\(row)\n],\"page\":1}".write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    let r = try #require(rs["litellm:r-1"])
    #expect(r.jsonPath == "$.data[0]")
    #expect(r.line == 3)
    #expect(r.tokens == TokenCounts(input: 7, output: 1))
  }

  static let liteLLMRow =
    #"{"request_id":"r","call_type":"acompletion","startTime":"2025-09-01T00:00:00Z","model":"m","custom_llm_provider":"openai""#

  @Test(arguments: [
    (liteLLMRow + "}\n" + liteLLMRow + #","prompt_tokens":"12abc"}"#, 2, "prompt_tokens"),
    (liteLLMRow + #","completion_tokens":1.5}"#, 1, "completion_tokens"),
    (liteLLMRow.replacingOccurrences(of: "\"openai\"", with: "null") + "}", 1, "custom_llm_provider"),
    (
      liteLLMRow + #","prompt_tokens":100,"metadata":{"additional_usage_values":{"cache_read_input_tokens":101}}}"#, 1,
      "prompt_tokens"
    ),
    (
      liteLLMRow + #","metadata":{"additional_usage_values":{"cache_read_input_tokens":"x"}}}"#, 1,
      "metadata.additional_usage_values.cache_read_input_tokens"
    ),
    (liteLLMRow.replacingOccurrences(of: "2025-09-01T00:00:00Z", with: "yesterday") + "}", 1, "startTime"),
  ])
  func badLiteLLMRowsAreNamed(content: String, line: Int, field: String) throws {
    let error = try failure(content, name: "spend.jsonl")
    #expect(error.line == line)
    #expect(error.field == field)
  }

  @Test func badLiteLLMCSVCellIsNamed() throws {
    let text = try String(contentsOfFile: Self.formats + "/litellm-spend-logs.csv", encoding: .utf8)
      .replacingOccurrences(of: "0.0,1050,1000,50,", with: "0.0,1050,1k,50,")
    let error = try failure(text, name: "spend.csv")
    #expect(error.line == 5)
    #expect(error.field == "prompt_tokens")
  }

  // MARK: OTel

  @Test func otelSampleNormalises() throws {
    let (formats, rs) = try ingest([Fixtures.samples + "/otel/genai-traces.jsonl"])
    #expect(formats == ["otel-genai-spans"])
    // invoke_agent and execute_tool spans are not charged: two chat spans remain.
    #expect(rs.count == 2)
    let ok = try #require(rs["otel:4bf92f3577b34da6a3ce929d0e0e4736:c1d2e3f4a5b60718"])
    // gen_ai.usage.input_tokens 5,230 includes 4,096 cache reads: input 1,134.
    #expect(ok.tokens == TokenCounts(input: 1134, cachedInput: 4096, output: 188))
    #expect(ok.provider == .openai)
    #expect(ok.model == "gpt-4.1-mini-2025-04-14")  // response model over request model
    #expect(ok.requestID == "chatcmpl-C9x2LqP0aZ7mKd1")
    #expect(ok.tier == .standard)  // service_tier "default"
    #expect(ok.credential == nil)
    // Agent and task (the conversation id) come from the parent invoke_agent span.
    #expect(
      ok.metadata
        == CallMetadata(agentID: "agent_billing_reconciler_v3", taskID: "conv_T-88231", parentID: "00f067aa0ba902b7"))
    #expect(ok.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(ok.spanID == "c1d2e3f4a5b60718")
    #expect(!ok.failed)
    // 1756721743400000000 ns / 1,000,000 = 1,756,721,743,400 ms.
    #expect(Timestamp.iso(ok.time) == "2025-09-01T10:15:43.400Z")
    #expect(ok.line == 1)
    #expect(ok.jsonPath == "$.resourceSpans[0].scopeSpans[0].spans[2]")

    let retried = try #require(rs["otel:4bf92f3577b34da6a3ce929d0e0e4736:b7ad6b7169203331"])
    #expect(retried.failed)
    #expect(retried.errorCode == "429")
    #expect(retried.tokens.isZero)
    #expect(retried.model == "gpt-4.1-mini")
    #expect(Timestamp.iso(retried.time) == "2025-09-01T10:15:42.100Z")
  }

  @Test func otelAgentTreeAndOldAttributeNames() throws {
    let (_, rs) = try ingest([Self.formats + "/otel-agent-tree.jsonl"])
    // Line 1: the planner invoke_agent span carries rolled-up usage but is not charged; the tool span is not either.
    #expect(rs.count == 4)
    #expect(rs["otel:0af7651916cd43dd8448eb211c80319c:a000000000000001"] == nil)
    let chat = try #require(rs["otel:0af7651916cd43dd8448eb211c80319c:a000000000000003"])
    // Deprecated names: prompt_tokens 12,000 (a JSON number) includes 8,000 cache reads and 3,000 cache writes:
    // input 12,000 − 8,000 − 3,000 = 1,000; completion_tokens 800 already includes the 200 reasoning tokens.
    #expect(chat.tokens == TokenCounts(input: 1000, cachedInput: 8000, cacheWrite5m: 3000, output: 800))
    #expect(chat.provider == .anthropic)  // gen_ai.system
    // Through the tool span to the planner agent; task_id from the planner; credential from the resource.
    #expect(chat.metadata == CallMetadata(agentID: "planner", taskID: "T-100", parentID: "a000000000000002"))
    #expect(chat.credential == "otel-cred-1")
    // 1756800000123456789 ns → 1,756,800,000,123 ms.
    #expect(Timestamp.iso(chat.time) == "2025-09-02T08:00:00.123Z")

    let gen = try #require(rs["otel:0af7651916cd43dd8448eb211c80319c:a000000000000005"])
    #expect(gen.provider == .vertex)
    #expect(gen.model == "gemini-2.5-flash-001")
    #expect(gen.tokens == TokenCounts(input: 500, output: 50))
    // The nearest agent (researcher) wins; task_id (planner's) wins over the nearer conversation id.
    #expect(gen.metadata == CallMetadata(agentID: "researcher", taskID: "T-100", parentID: "a000000000000004"))
    #expect(gen.credential == "span-cred")
    #expect(Timestamp.iso(gen.time) == "2025-09-02T08:00:01Z")  // startTimeUnixNano as a JSON number

    let failed = try #require(rs["otel:1bf92f3577b34da6a3ce929d0e0e4736:b000000000000001"])
    #expect(failed.failed)  // status.code 2 without error.type
    #expect(failed.errorCode == nil)
    #expect(failed.provider == .bedrock)
    #expect(failed.metadata == CallMetadata(agentID: "etl"))
    #expect(failed.line == 2)
    #expect(failed.time == 1_756_800_002_999)  // …002999999999 ns truncated

    let emb = try #require(rs["otel:1bf92f3577b34da6a3ce929d0e0e4736:b000000000000002"])
    #expect(emb.tier == .priority)
    #expect(emb.requestID == "emb-1")
    #expect(emb.metadata == CallMetadata(parentID: "ffffffffffffffff"))
  }

  static let otelSpan =
    #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t","spanId":"s","startTimeUnixNano":"1790000000000000000","attributes":["#

  @Test(arguments: [
    (
      #"{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"m"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12x"}}"#,
      "gen_ai.usage.input_tokens"
    ),
    (
      #"{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"m"}}"#,
      "gen_ai.provider.name"
    ),
    (
      #"{"key":"gen_ai.system","value":{"stringValue":"cohere"}},{"key":"gen_ai.request.model","value":{"stringValue":"m"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"1"}}"#,
      "gen_ai.system"
    ),
    (
      #"{"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"m"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}},{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"6"}}"#,
      "gen_ai.usage.input_tokens"
    ),
  ])
  func badOTelSpansAreNamed(attributes: String, field: String) throws {
    let good = Self.otelSpan + #"{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}}]}]}]}]}"#
    let error = try failure(good + "\n" + Self.otelSpan + attributes + "]}]}]}]}\n", name: "traces.jsonl")
    #expect(error.line == 2)
    #expect(error.field == field)
    #expect(error.path == "$.resourceSpans[0].scopeSpans[0].spans[0]")
  }

  // MARK: Azure APIM

  @Test func azureAPIMSampleNormalises() throws {
    let (formats, rs) = try ingest([Fixtures.samples + "/azure/apim-gateway-llm-log.csv"])
    #expect(formats == ["azure-apim-llm-log"])
    let r = try #require(rs["azure:chatcmpl-B3k9xQ2mZ7aLpT0vYw"])
    // No cached counter in the table: all 1,830 prompt tokens are charged as input.
    #expect(r.tokens == TokenCounts(input: 1830, output: 412))
    #expect(r.provider == .azure)
    #expect(r.model == "gpt-4o")
    #expect(r.credential == nil)
    #expect(!r.failed)
    #expect(Timestamp.iso(r.time) == "2025-09-01T10:15:42.512Z")
    #expect(r.line == 2)
  }

  @Test func azureAPIMPortalExport() throws {
    let (formats, rs) = try ingest([Self.formats + "/apim-portal-export.csv"])
    #expect(formats == ["azure-apim-llm-log"])
    // The SequenceNumber 1 row continues the first call's messages: two records, not three.
    #expect(rs.count == 2)
    let a = try #require(rs["azure:chatcmpl-A1"])
    #expect(a.tokens == TokenCounts(input: 1500, output: 300))
    #expect(a.credential == "sub-key-1")
    #expect(a.project == "7d3c1e2f-sub")
    #expect(Timestamp.iso(a.time) == "2025-09-01T13:15:42.512Z")  // 1:15:42.512 PM
    #expect(a.line == 2)
    let b = try #require(rs["azure:apim:corr-2"])  // no RequestId: keyed by CorrelationId
    #expect(b.model == "gpt-4o-mini-prod")  // DeploymentName when ModelName is empty
    #expect(b.failed && b.errorCode == "429")
    #expect(Timestamp.iso(b.time) == "2025-09-01T00:05:00Z")  // 12:05 AM
    #expect(b.line == 5)
  }

  @Test(arguments: [
    ("2025-09-01T10:15:42Z,c,r,d,m,1x,2\n", "PromptTokens"),
    ("2025-09-01T10:15:42Z,c,r,d,m,1,-2\n", "CompletionTokens"),
    ("09/01/2025 10:15,c,r,d,m,1,2\n", "TimeGenerated"),
  ])
  func badAzureAPIMCellsAreNamed(row: String, field: String) throws {
    let header = "TimeGenerated,CorrelationId,RequestId,DeploymentName,ModelName,PromptTokens,CompletionTokens\n"
    let good = "2025-09-01T10:15:41Z,c0,r0,d,m,1,2\n"
    let error = try failure(header + good + row, name: "llm.csv")
    #expect(error.line == 3)
    #expect(error.field == field)
  }

  /// The portal in another language writes day-first or dotted dates, which are not read: the error
  /// says which forms are and how to export one (it said "not an ISO 8601 UTC time" beside US
  /// portal dates that were read: a trial).
  @Test(arguments: ["\"05/10/2026, 10:01:02.123\"", "\"5.10.2026, 10:01:02.123\""])
  func portalDatesOfOtherLanguagesSayWhatToDo(stamp: String) throws {
    let header = "TimeGenerated [UTC],CorrelationId,RequestId,DeploymentName,ModelName,PromptTokens,CompletionTokens\n"
    let error = try failure(header + "\(stamp),c,r,d,m,1,2\n", name: "llm.csv")
    #expect(error.line == 2 && error.field == "TimeGenerated")
    #expect(
      error.message.contains("the Log Analytics portal's US form (9/1/2025, 10:15:42.512 AM)"), "\(error.message)")
    #expect(error.message.contains("English (United States)"))
  }

  // MARK: Vertex

  @Test func vertexSampleNormalises() throws {
    let (formats, rs) = try ingest([Fixtures.samples + "/vertex/generate-content-response.json"])
    #expect(formats == ["vertex-generate-content"])
    let r = try #require(rs["vertex:Hq21aNyPJ6Xd8dMPq8WxgQ8"])
    // promptTokenCount 24,580 includes 16,384 cached: input 8,196. Output 812 candidates + 1,548 thoughts = 2,360.
    #expect(r.tokens == TokenCounts(input: 8196, cachedInput: 16384, output: 2360))
    #expect(r.provider == .vertex)
    #expect(r.model == "gemini-2.5-pro")
    #expect(r.tier == .standard)  // ON_DEMAND
    #expect(r.credential == nil)
    #expect(Timestamp.iso(r.time) == "2025-09-01T10:15:42.118Z")
    #expect(r.jsonPath == "$")
    #expect(r.line == 1)
  }

  /// Responses dumped by the google-genai SDK's `model_dump_json()` (snake_case keys, its default)
  /// give the records of the same responses in the REST API's camelCase: the sample, and the
  /// streams with their chunks and labels; an error names the key as the file spells it.
  @Test func vertexSnakeCaseDumpsReadAsCamelCase() throws {
    let names = [
      "responseId", "modelVersion", "createTime", "usageMetadata", "promptTokenCount", "cachedContentTokenCount",
      "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount", "trafficType",
      "promptTokensDetails", "candidatesTokensDetails", "toolUsePromptTokensDetails", "cacheTokensDetails",
      "tokenCount", "finishReason", "totalTokenCount",
    ]
    func snake(_ name: String) -> String {
      String(name.flatMap { $0.isUppercase ? "_" + $0.lowercased() : String($0) })
    }
    let dir = try TestSupport.tempDir()
    for source in [Fixtures.samples + "/vertex/generate-content-response.json", Self.formats + "/vertex-stream.jsonl"] {
      var text = try String(contentsOfFile: source, encoding: .utf8)
      for name in names { text = text.replacingOccurrences(of: "\"\(name)\"", with: "\"\(snake(name))\"") }
      #expect(!text.contains("usageMetadata") && text.contains("usage_metadata"))
      let copy = dir + "/snake-" + (source as NSString).lastPathComponent
      try text.write(toFile: copy, atomically: true, encoding: .utf8)
      let (_, camel) = try ingest([source])
      let (formats, snaked) = try ingest([copy])
      #expect(formats == ["vertex-generate-content"])
      #expect(snaked.count == camel.count && !camel.isEmpty)
      for (key, r) in camel {
        var (a, b) = (r, try #require(snaked[key]))
        (a.line, a.jsonPath, b.line, b.jsonPath) = (nil, nil, nil, nil)
        #expect(String(reflecting: a) == String(reflecting: b), "\(key)")
      }
    }
    let missing = dir + "/no-model.jsonl"
    try #"{"response_id":"r1","create_time":"2026-10-01T00:00:00Z","usage_metadata":{"prompt_token_count":10}}"#
      .write(toFile: missing, atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try ingest([missing]) }
    #expect(error.field == "model_version")
  }

  @Test func vertexStreamChunksAndLabels() throws {
    let (_, rs) = try ingest([Self.formats + "/vertex-stream.jsonl"])
    #expect(rs.count == 2)
    let a = try #require(rs["vertex:resp-A"])
    // The final chunk (line 2): input 1,000 − 600 cached + 30 tool-use prompt = 430; output 120 + 80 thoughts = 200.
    #expect(a.tokens == TokenCounts(input: 430, cachedInput: 600, output: 200))
    #expect(a.tier == .flex)
    #expect(a.metadata == CallMetadata(agentID: "writer", taskID: "T-5", parentID: "p-9"))
    #expect(a.line == 2)
    #expect(Timestamp.iso(a.time) == "2025-09-03T09:00:00.500Z")
    let b = try #require(rs["vertex:resp-B"])
    #expect(b.tokens == TokenCounts(input: 50, output: 5))
    #expect(b.line == 3)
  }

  /// An error inside a pretty-printed OTLP export names the line its span starts on, in a file of
  /// one export and in an array of exports (a trial's error said line 1 of a span on line 19).
  @Test func anOTelErrorNamesTheLineOfItsSpan() throws {
    let dir = try TestSupport.tempDir()
    func span(_ id: String, provider: Bool) -> [String] {
      [
        "        {", "          \"traceId\": \"t1\", \"spanId\": \"\(id)\", \"name\": \"chat\",",
        "          \"startTimeUnixNano\": \"1790812800000000000\", \"endTimeUnixNano\": \"1790812801000000000\",",
        "          \"attributes\": [",
        provider ? "            {\"key\": \"gen_ai.provider.name\", \"value\": {\"stringValue\": \"openai\"}}," : "",
        "            {\"key\": \"gen_ai.request.model\", \"value\": {\"stringValue\": \"gpt-4o\"}},",
        "            {\"key\": \"gen_ai.usage.input_tokens\", \"value\": {\"intValue\": \"5\"}}",
        "          ]", "        }",
      ]
    }
    func export(_ bad: Bool) -> [String] {
      ["{", "  \"resourceSpans\": [{", "    \"scopeSpans\": [{", "      \"spans\": ["]
        + span("s1", provider: true) + [","] + span("s2", provider: !bad) + ["      ]", "    }]", "  }]", "}"]
    }
    // One export: the second span starts on the line after the first's 9 lines and the comma.
    let one = export(true)
    try one.joined(separator: "\n").write(toFile: dir + "/one.json", atomically: true, encoding: .utf8)
    let lone = try #require(throws: InputError.self) { try ingest([dir + "/one.json"]) }
    #expect(lone.path == "$.resourceSpans[0].scopeSpans[0].spans[1]")
    #expect(lone.line == (one.firstIndex(of: ",")! + 2))
    // An array of two exports, the second at fault.
    let array = ["["] + export(false) + [","] + export(true) + ["]"]
    try array.joined(separator: "\n").write(toFile: dir + "/array.json", atomically: true, encoding: .utf8)
    let inArray = try #require(throws: InputError.self) { try ingest([dir + "/array.json"]) }
    #expect(inArray.path == "$[1].resourceSpans[0].scopeSpans[0].spans[1]")
    let secondExport = array.lastIndex(of: "{")! + 1  // 1-based line of the second export's "{"
    #expect(inArray.line == secondExport + one.firstIndex(of: ",")! + 1)
    // A framework's span with no call beneath it, whose error waits for the file's end (a review:
    // it named line 1).
    let framework = export(false).map {
      $0.replacingOccurrences(
        of: #"{"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},"#,
        with: #"{"key": "gen_ai.system", "value": {"stringValue": "langchain"}},"#)
    }
    try framework.joined(separator: "\n").write(toFile: dir + "/framework.json", atomically: true, encoding: .utf8)
    let held = try #require(throws: InputError.self) { try ingest([dir + "/framework.json"]) }
    #expect(held.message.contains("instrument the provider's SDK too"))
    #expect(held.path == "$.resourceSpans[0].scopeSpans[0].spans[0]")
    #expect(held.line == 5)  // the first span's "{"
  }

  /// A prompt blocked before generation (a logged Vertex response of Model Armor's, as a trial met
  /// it, and a safety block in the SDK's snake_case) is a failed call with its reason; an
  /// unspecified reason blocks nothing.
  @Test func vertexBlockedPromptsAreFailedCalls() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.jsonl"
    let lines = [
      #"{"promptFeedback": {"blockReason": "MODEL_ARMOR", "blockReasonMessage": "Blocked by Model Armor Floor Setting"}, "usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": "gemini-2.5-flash", "createTime": "2025-08-11T23:26:50.942851Z", "responseId": "OnyaaIPGOdSAm9IP47af2AI"}"#,
      #"{"prompt_feedback": {"block_reason": "SAFETY"}, "usage_metadata": {"prompt_token_count": 12}, "model_version": "gemini-2.5-flash", "create_time": "2025-08-11T23:27:00Z", "response_id": "blocked-2"}"#,
      #"{"promptFeedback": {"blockReason": "BLOCKED_REASON_UNSPECIFIED"}, "candidates": [{"finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 3}, "modelVersion": "gemini-2.5-flash", "createTime": "2025-08-11T23:28:00Z", "responseId": "fine-3"}"#,
    ]
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    let armor = try #require(rs["vertex:OnyaaIPGOdSAm9IP47af2AI"])
    #expect(armor.failed && armor.errorCode == "MODEL_ARMOR")
    #expect(armor.tokens == TokenCounts())
    let safety = try #require(rs["vertex:blocked-2"])
    #expect(safety.failed && safety.errorCode == "SAFETY")
    #expect(safety.tokens == TokenCounts(input: 12))
    let fine = try #require(rs["vertex:fine-3"])
    #expect(!fine.failed && fine.errorCode == nil)
    #expect(fine.tokens == TokenCounts(input: 7, output: 3))
  }

  /// A Gemini API response's `usageMetadata.serviceTier` is the call's tier, in the API's words
  /// or its enum's; an unknown tier, or one against the traffic type, is refused.
  @Test func geminiServiceTierIsTheCallsTier() throws {
    func response(_ id: String, _ usage: String) -> String {
      #"{"responseId":"\#(id)","modelVersion":"gemini-2.5-flash","createTime":"2026-03-10T10:00:00Z","#
        + #""candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"#
        + #""candidatesTokenCount":5\#(usage)}}"#
    }
    let dir = try TestSupport.tempDir()
    let path = dir + "/gemini.jsonl"
    let tiers: [(String, String, Tier)] = [
      ("std", #","serviceTier":"standard""#, .standard), ("flex", #","serviceTier":"flex""#, .flex),
      ("prio", #","serviceTier":"priority""#, .priority), ("enum", #","service_tier":"SERVICE_TIER_FLEX""#, .flex),
      ("both", #","trafficType":"ON_DEMAND_PRIORITY","serviceTier":"priority""#, .priority),
      ("none", "", .standard),
    ]
    try (tiers.map { response($0.0, $0.1) }.joined(separator: "\n") + "\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    for (id, _, tier) in tiers { #expect(rs["vertex:" + id]?.tier == tier, "\(id)") }
    let unknown = try failure(response("x", #","serviceTier":"turbo""#) + "\n", name: "turbo.jsonl")
    #expect(unknown.field == "usageMetadata.serviceTier" && unknown.message.contains("unknown service tier"))
    let clash = try failure(
      response("y", #","trafficType":"ON_DEMAND_PRIORITY","serviceTier":"flex""#) + "\n", name: "clash.jsonl")
    #expect(clash.field == "usageMetadata.serviceTier" && clash.message.contains("contradicts"))
  }

  /// One chunk of a streamed Gemini response: cumulative counts, and a `finishReason` on the last.
  static func chunk(_ id: String, output: Int, final: Bool) -> String {
    let candidates = final ? #""candidates":[{"content":{"parts":[{"text":"."}]},"finishReason":"STOP"}],"# : ""
    return #"{\#(candidates)"responseId":"\#(id)","modelVersion":"gemini-2.5-flash","#
      + #""createTime":"2025-09-03T09:00:00Z","usageMetadata":{"promptTokenCount":300,"#
      + #""candidatesTokenCount":\#(output)}}"#
  }

  /// Two concurrent streams logged interleaved are each one call at its final counts.
  ///
  /// R1, R2, R1, R2, R1 final, R2 final: the first, partial chunks were kept (5 output tokens of
  /// 2,000) and the rest refused as conflicting duplicates.
  @Test func vertexInterleavedStreamsKeepEachFinalChunk() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.jsonl"
    let lines = [
      Self.chunk("R1", output: 5, final: false), Self.chunk("R2", output: 7, final: false),
      Self.chunk("R1", output: 900, final: false), Self.chunk("R2", output: 1_100, final: false),
      Self.chunk("R1", output: 2_000, final: true), Self.chunk("R2", output: 2_000, final: true),
    ]
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(results.map(\.conflicts) == [0])
    var records: [String: UsageRecord] = [:]
    try store.forEachRecord(from: .min, to: .max) { records[$0.record.naturalKey] = $0.record }
    #expect(records["vertex:R1"]?.tokens == TokenCounts(input: 300, output: 2_000))
    #expect(records["vertex:R1"]?.line == 5)
    #expect(records["vertex:R2"]?.tokens == TokenCounts(input: 300, output: 2_000))
    #expect(records["vertex:R2"]?.line == 6)
  }

  /// A log whose responses carry no `finishReason` (usage alone): each response's chunks, logged
  /// one after the other, are still one call at the last chunk's counts, for more responses than
  /// the streams held open at once.
  @Test func vertexResponsesWithoutFinishReasonKeepTheirLastChunk() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.jsonl"
    let n = VertexGenerateContent.openStreamLimit + 500
    var text = ""
    for i in 0..<n {
      text += Self.chunk("S\(i)", output: 1, final: false) + "\n" + Self.chunk("S\(i)", output: 40, final: false) + "\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    #expect(results.map(\.records) == [Int64(n)])
    var outputs: [Int64: Int] = [:]
    try store.forEachRecord(from: .min, to: .max) { outputs[$0.record.tokens.output, default: 0] += 1 }
    #expect(outputs == [40: n])
  }

  /// A Gemini response whose prompt counts audio tokens is not priced as text.
  ///
  /// Audio input to Gemini 2.5 Flash is $1.00 per million against $0.30: its model carries ` [modality audio]`, so it
  /// stays unpriced with a reason, until a price row or alias names it. Text and image details
  /// change nothing.
  @Test(arguments: [("AUDIO", true), ("TEXT", false), ("IMAGE", false)])
  func vertexAudioTokensAreNotPricedAsText(modality: String, audio: Bool) throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.jsonl"
    try
      (#"{"responseId":"a1","modelVersion":"gemini-2.5-flash","createTime":"2025-10-03T09:00:00Z","#
      + #""usageMetadata":{"promptTokenCount":1000000,"candidatesTokenCount":1000,"promptTokensDetails":["#
      + #"{"modality":"\#(modality)","tokenCount":999990},{"modality":"TEXT","tokenCount":10}]}}"# + "\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    let r = try #require(rs["vertex:a1"])
    #expect(r.model == (audio ? "gemini-2.5-flash [modality audio]" : "gemini-2.5-flash"))
    let pricer = Pricer(table: try PriceTable(directory: TestSupport.packageRoot + "/pricing"))
    let q = pricer.price(
      provider: .vertex, model: r.model, tier: r.tier, time: r.time, tokens: r.tokens, totalInput: r.tokens.totalInput)
    if audio {
      #expect(q.cost == nil)
      #expect(q.unpricedReason?.contains("includes audio tokens") == true)
    } else {
      // 1,000,000 × 0.30 + 1,000 × 2.50 per million.
      #expect(q.cost == TestSupport.usd("0.3025"))
    }
  }

  /// One stream left open while 10,000 whole responses (each with its `finishReason`) are logged,
  /// then its last chunk: every response is one call, and the open stream keeps its last chunk's
  /// counts (the streams' queue is rebuilt from the open ones as the whole responses end).
  @Test func vertexAStreamOpenAcrossManyWholeResponsesKeepsItsLastChunk() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.jsonl"
    var text = Self.chunk("long", output: 3, final: false) + "\n"
    for i in 0..<10_000 { text += Self.chunk("W\(i)", output: 20, final: true) + "\n" }
    text += Self.chunk("long", output: 700, final: true) + "\n"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    #expect(rs.count == 10_001)
    #expect(rs["vertex:long"]?.tokens.output == 700)
    #expect(rs["vertex:long"]?.line == 10_002)
    #expect(rs.values.filter { $0.tokens.output == 20 }.count == 10_000)
  }

  @Test func vertexArrayDocument() throws {
    let dir = try TestSupport.tempDir()
    let path = dir + "/responses.json"
    let one =
      #"{"responseId":"x1","modelVersion":"gemini-2.5-flash","createTime":"2025-09-03T00:00:00Z","usageMetadata":{"promptTokenCount":3}}"#
    try "[\n\(one),\n\(one.replacingOccurrences(of: "x1", with: "x2"))\n]\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let (_, rs) = try ingest([path])
    #expect(rs["vertex:x1"]?.jsonPath == "$[0]")
    #expect(rs["vertex:x2"]?.jsonPath == "$[1]")
    #expect(rs["vertex:x2"]?.line == 3)
  }

  static let vertexLine = #"{"responseId":"r","modelVersion":"gemini-2.5-pro","usageMetadata":{"promptTokenCount":10"#

  @Test(arguments: [
    (vertexLine + "}}", "createTime"),
    (
      vertexLine + #","candidatesTokenCount":"x"},"createTime":"2025-09-01T00:00:00Z"}"#,
      "usageMetadata.candidatesTokenCount"
    ),
    (
      vertexLine + #","cachedContentTokenCount":11},"createTime":"2025-09-01T00:00:00Z"}"#,
      "usageMetadata.promptTokenCount"
    ),
  ])
  func badVertexResponsesAreNamed(line: String, field: String) throws {
    let good =
      Self.vertexLine.replacingOccurrences(of: "\"r\"", with: "\"r0\"") + #"},"createTime":"2025-09-01T00:00:00Z"}"#
    let error = try failure(good + "\n" + line + "\n", name: "responses.jsonl")
    #expect(error.line == 2)
    #expect(error.field == field)
  }

  /// A Gemini API response (no time of its own: `createTime` null or absent) is refused naming the
  /// field, whether it is null or missing, and what to log instead.
  @Test(arguments: [(#","createTime":null}"#, "is null"), ("}", "required field is missing")])
  func aGeminiAPIResponseWithoutATimeSaysWhatToLog(tail: String, problem: String) throws {
    let good =
      Self.vertexLine.replacingOccurrences(of: "\"r\"", with: "\"r0\"") + #"},"createTime":"2025-09-01T00:00:00Z"}"#
    let error = try failure(good + "\n" + Self.vertexLine + "}" + tail + "\n", name: "gemini.jsonl")
    #expect(error.line == 2)
    #expect(error.field == "createTime")
    #expect(error.message.hasPrefix(problem))
    #expect(error.message.contains("Gemini API responses carry none"))
  }

  // MARK: Detection

  /// The format every sample and fixture must be detected as; nil where no format of this suite applies.
  static func expectedFormat(_ path: String) -> String? {
    let table: [(String, String)] = [
      ("/bedrock/", "bedrock-invocation-log"), ("/openai/usage-completions", "openai-usage-completions"),
      ("/litellm/", "litellm-spend-logs"), ("/otel/", "otel-genai-spans"), ("/azure/apim-", "azure-apim-llm-log"),
      ("/vertex/", "vertex-generate-content"), ("/formats/litellm-", "litellm-spend-logs"),
      ("/formats/otel-", "otel-genai-spans"), ("/formats/apim-", "azure-apim-llm-log"),
      ("/formats/vertex-", "vertex-generate-content"), ("/formats/cross-format/a-spans", "otel-genai-spans"),
      ("/formats/cross-format/b-spend-logs", "litellm-spend-logs"),
    ]
    return table.first { path.contains($0.0) }?.1
  }

  @Test func detectionPicksTheRightFormatForEverySample() throws {
    let files = try Ingestor.expand([Fixtures.samples, Self.formats])
    #expect(files.count >= 20)
    for path in files {
      let detected = try? FormatRegistry.detect(InputFile(path: path))
      if let expected = Self.expectedFormat(path) {
        #expect(detected?.id == expected, "\(path)")
      } else {
        // Another suite's format (or none): never one of these four.
        #expect(!Self.mine.contains(detected?.id ?? ""), "\(path) detected as \(detected?.id ?? "-")")
      }
    }
  }
}
