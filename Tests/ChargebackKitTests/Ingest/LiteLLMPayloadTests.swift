import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// LiteLLM's own logging payloads (the `SpendLogsPayload` its Pub/Sub and storage loggers send, the
/// callbacks' `StandardLoggingPayload`) and the OpenAI usage buckets the cookbook notebook saves.
///
/// The fixtures follow the field names and shapes of BerriAI/litellm
/// (`tests/logging_callback_tests/gcs_pub_sub_body/`, `litellm/types/utils.py`,
/// `litellm/proxy/_types.py`) and of openai-cookbook `examples/completions_usage_api.ipynb`; ids,
/// hashes and counts are made up. Expected values are worked out by hand from the fixtures.
@Suite struct LiteLLMPayloadTests {
  static let payloads = Fixtures.root + "/litellm-payloads"
  static let openAIUsage = Fixtures.root + "/openai-usage"
  static let hash1 = "5f1d6c2b9a8e7d4c3b2a19f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a"
  static let hash2 = "0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2910f8e7d6c5b4a3928170f6e5d4c3b"

  /// Ingests `paths` into a new store; returns the format of each file and the records by natural key.
  func ingest(_ paths: [String]) throws -> (formats: [String], records: [String: UsageRecord]) {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    var out: [String: UsageRecord] = [:]
    try store.forEachRecord(from: .min, to: .max) { out[$0.record.naturalKey] = $0.record }
    return (results.map(\.format), out)
  }

  /// Writes `content` to `name` in a new folder and returns its path.
  func write(_ content: String, name: String) throws -> String {
    let path = try TestSupport.tempDir() + "/" + name
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Ingests `content` as a file named `name`, expecting an error; checks the store stays empty.
  func failure(_ content: String, name: String) throws -> InputError {
    let path = try write(content, name: name)
    let store = try UsageStore(path: (path as NSString).deletingLastPathComponent + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
    }
    #expect(try store.recordCount() == 0)
    return error
  }

  /// Every field of a record but its provenance (line, JSON path), for comparing layouts.
  func content(_ r: UsageRecord) -> String {
    var r = r
    r.line = nil
    r.jsonPath = nil
    return String(reflecting: r)
  }

  // MARK: SpendLogsPayload (Pub/Sub, storage buckets)

  @Test func stringEncodedPayloadsGiveTheRecordsOfTheirObjectForm() throws {
    let (formats, encoded) = try ingest([Self.payloads + "/spend-logs-payloads-encoded.jsonl"])
    let (_, objects) = try ingest([Self.payloads + "/spend-logs-payloads-objects.jsonl"])
    #expect(formats == ["litellm-spend-logs"])
    #expect(encoded.count == 3)
    #expect(Set(encoded.keys) == Set(objects.keys))
    for (key, r) in encoded {
      let other = try #require(objects[key])
      #expect(String(reflecting: r) == String(reflecting: other), "\(key)")
    }
    // What both forms give, worked out from the first payload: prompt_tokens 42,000 include 30,000
    // cache reads and 8,000 cache writes (2,000 of them 1-hour): input 4,000.
    let r = try #require(encoded["litellm:chatcmpl-7d2f1c3a-5b8e-4e0a-9f61-2a4c6e8b0d13"])
    #expect(
      r.tokens == TokenCounts(input: 4000, cachedInput: 30_000, cacheWrite5m: 6000, cacheWrite1h: 2000, output: 850))
    #expect(r.provider == .anthropic)
    #expect(r.model == "claude-sonnet-4-5-20250929")
    #expect(r.credential == Self.hash1)
    #expect(r.credentialAlias == "research-agent-prod")
    #expect(r.credentialProvider == "litellm")
    #expect(
      r.metadata
        == CallMetadata(
          agentID: "research-agent", taskID: "T-1207", scopeID: "S-research", parentID: "chatcmpl-parent-1"))
    // `2026-10-05 09:20:46.847371` has no zone: UTC, truncated to milliseconds.
    #expect(Timestamp.iso(r.time) == "2026-10-05T09:20:46.847Z")
    #expect(r.retries == 0)
    #expect(!r.failed)
    #expect(r.line == 1)
  }

  @Test func failedAndUnpricedUpstreamPayloads() throws {
    let (_, rs) = try ingest([Self.payloads + "/spend-logs-payloads-encoded.jsonl"])
    let failed = try #require(rs["litellm:chatcmpl-fail-0d9e4b7a"])
    #expect(failed.failed)
    #expect(failed.errorCode == "429")
    #expect(failed.retries == 2)
    #expect(failed.tokens.isZero)
    #expect(failed.credential == Self.hash2)
    #expect(failed.credentialAlias == "ingest-bot")
    #expect(failed.metadata.agentID == "ingest-bot")  // from the `agent:` request tag
    #expect(Timestamp.iso(failed.time) == "2026-10-06T11:00:00Z")
    // A provider we ship no prices for is kept under `other`, the upstream named in the model.
    let groq = try #require(rs["litellm:chatcmpl-groq-51c0a2f4"])
    #expect(groq.provider == .other)
    #expect(groq.model == "groq/llama-3.3-70b-versatile")
    #expect(groq.tokens == TokenCounts(input: 1200, output: 300))
    // `spend_logs_metadata` was itself a JSON string inside the JSON-encoded `metadata`.
    #expect(groq.metadata == CallMetadata(agentID: "ingest-bot", taskID: "42"))
  }

  @Test func aJSONArrayOfPayloadsReadsAsItsLines() throws {
    let lines = try String(contentsOfFile: Self.payloads + "/spend-logs-payloads-encoded.jsonl", encoding: .utf8)
      .split(separator: "\n")
    let path = try write("[\n" + lines.joined(separator: ",\n") + "\n]\n", name: "bigquery-export.json")
    let (formats, array) = try ingest([path])
    let (_, jsonLines) = try ingest([Self.payloads + "/spend-logs-payloads-encoded.jsonl"])
    #expect(formats == ["litellm-spend-logs"])
    #expect(array.count == 3)
    for (key, r) in jsonLines {
      #expect(array[key].map(content) == content(r), "\(key)")
    }
    #expect(array["litellm:chatcmpl-groq-51c0a2f4"]?.jsonPath == "$[2]")
  }

  /// `/spend/logs/v2` pages as `curl` saves them, each on one line: one page, two pages one per
  /// line, and the same pages pretty-printed give the same records; a bad row of the second page
  /// is named by that page's line and its place in the page.
  @Test func pagesOnOneLineEachReadAsThePrettyPages() throws {
    let lines = try String(contentsOfFile: Self.payloads + "/spend-logs-payloads-encoded.jsonl", encoding: .utf8)
      .split(separator: "\n")
    #expect(lines.count == 3)
    let page1 = #"{"data":["# + lines[0] + "," + lines[1] + #"],"total":3,"page":1,"page_size":2,"total_pages":2}"#
    let page2 = #"{"data":["# + lines[2] + #"],"total":3,"page":2,"page_size":2,"total_pages":2}"#
    let (_, jsonLines) = try ingest([Self.payloads + "/spend-logs-payloads-encoded.jsonl"])
    let (formats, onePerLine) = try ingest([try write(page1 + "\n" + page2 + "\n", name: "spend logs v2.json")])
    #expect(formats == ["litellm-spend-logs"])
    #expect(onePerLine.count == 3)
    let (_, single) = try ingest([try write(page1, name: "page-1.json")])
    #expect(single.count == 2)
    let pretty = page1.replacingOccurrences(of: #"{"data":["#, with: "{\n  \"data\": [\n") + "\n" + page2 + "\n"
    let (_, prettyRecords) = try ingest([try write(pretty, name: "pretty.json")])
    for (key, r) in jsonLines {
      #expect(onePerLine[key].map(content) == content(r), "\(key)")
      #expect(prettyRecords[key].map(content) == content(r), "\(key)")
    }
    #expect(onePerLine.values.map(\.line).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 1, 2])
    #expect(onePerLine.values.compactMap(\.jsonPath).sorted() == ["$.data[0]", "$.data[0]", "$.data[1]"])
    let bad = page2.replacingOccurrences(of: #""request_id""#, with: #""request_idx""#)
    let error = try failure(page1 + "\n" + bad + "\n", name: "bad pages.json")
    #expect(error.line == 2)
    #expect(error.path == "$.data[0]")
    #expect(error.field == "request_id")
  }

  /// A page on one line longer than the head read to find the format (64 KiB: a page of a hundred
  /// rows with their messages) reads as its rows too.
  @Test func aOneLinePageLongerThanTheHeadReadsAsItsRows() throws {
    let rows = (0..<200).map { i in
      #"{"request_id":"big-\#(i)","call_type":"acompletion","startTime":"2026-10-01T00:00:\#(10 + i % 40)Z","#
        + #""model":"gpt-4o","custom_llm_provider":"openai","prompt_tokens":10,"completion_tokens":5,"#
        + #""messages":"\#(String(repeating: "x", count: 1_000))"}"#
    }
    let page = #"{"data":["# + rows.joined(separator: ",") + #"],"total":200,"page":1}"#
    #expect(page.utf8.count > 65_536)
    let (formats, records) = try ingest([try write(page, name: "page.json")])
    #expect(formats == ["litellm-spend-logs"])
    #expect(records.count == 200)
    #expect(records["litellm:big-199"]?.jsonPath == "$.data[199]")
  }

  @Test func unpricedUpstreamStaysUnpricedUntilPriced() throws {
    let (_, rs) = try ingest([Self.payloads + "/spend-logs-payloads-encoded.jsonl"])
    let groq = try #require(rs["litellm:chatcmpl-groq-51c0a2f4"])
    let unpriced = Charger(identities: IdentityDirectory(), prices: PriceTable(rows: [])).charge(groq)
    #expect(unpriced.cost == nil)
    #expect(unpriced.unpricedReason?.contains("groq/llama-3.3-70b-versatile") == true)
    // Rows for provider `other` and the prefixed model price it: 1,200 × $0.59 + 300 × $0.79 per M.
    func row(_ c: TokenClass, _ usd: String) throws -> PriceRow {
      PriceRow(
        provider: .other, model: "groq/llama-3.3-70b-versatile", usageType: c, tier: .standard, minInputTokens: 0,
        rate: try #require(Rate(usdPerMillion: usd)), from: 0, to: nil, source: "test", location: "test")
    }
    let prices = PriceTable(rows: [try row(.input, "0.59"), try row(.output, "0.79")])
    let priced = Charger(identities: IdentityDirectory(), prices: prices).charge(groq)
    #expect(priced.cost == Money(pico: 1200 * 590_000 + 300 * 790_000))
  }

  // MARK: StandardLoggingPayload (callbacks, GCS and S3 loggers)

  @Test func standardLoggingPayloadDocument() throws {
    let (formats, rs) = try ingest([Self.payloads + "/standard-logging-payload.json"])
    #expect(formats == ["litellm-spend-logs"])
    #expect(rs.count == 1)
    let r = try #require(rs["litellm:chatcmpl-4a8c2e6f-1b3d-4f5a-8c7e-9d0b2a4c6e8f"])
    // No usage_object: the cache reads come from response.usage.prompt_tokens_details (1,024 of 2,400).
    #expect(r.tokens == TokenCounts(input: 1376, cachedInput: 1024, output: 120))
    #expect(r.provider == .openai)
    #expect(r.model == "gpt-4.1")
    #expect(r.credential == Self.hash1)  // metadata.user_api_key_hash
    #expect(r.credentialAlias == "research-agent-prod")
    #expect(r.metadata == CallMetadata(agentID: "research-agent", taskID: "T-1207"))
    // startTime 1791192046.847 epoch seconds.
    #expect(Timestamp.iso(r.time) == "2026-10-05T09:20:46.847Z")
    #expect(!r.failed)
    #expect(r.errorCode == nil)  // error_information with empty strings
    #expect(r.jsonPath == "$")
  }

  @Test func standardLoggingPayloadLines() throws {
    let (_, rs) = try ingest([Self.payloads + "/standard-logging-payloads.jsonl"])
    #expect(rs.count == 2)
    let gemini = try #require(rs["litellm:chatcmpl-6e0a2c4e-8f1b-4d3c-a5e7-0b2d4f6a8c1e"])
    // metadata.usage_object (500 cached) wins over the JSON-encoded response's usage (9 cached).
    #expect(gemini.tokens == TokenCounts(input: 1500, cachedInput: 500, output: 64))
    #expect(gemini.provider == .vertex)
    #expect(gemini.credentialAlias == "ingest-bot")
    #expect(gemini.metadata == CallMetadata(agentID: "ingest-bot", taskID: "T-5"))
    #expect(gemini.line == 1)
    let failed = try #require(rs["litellm:chatcmpl-fail-2b4d6f8a"])
    #expect(failed.failed)
    #expect(failed.errorCode == "500")  // top-level error_information
    #expect(failed.provider == .azure)
    #expect(failed.line == 2)  // a plain-text `response` is read past
  }

  // MARK: Aliases

  @Test func aliasIsReadFromEveryShape() throws {
    let (_, sample) = try ingest([Fixtures.samples + "/litellm/spend-logs.json"])
    #expect(sample["litellm:chatcmpl-C9x2LqP0aZ7mKd1"]?.credentialAlias == "billing-reconciler-prod")
    let (_, table) = try ingest([Fixtures.root + "/formats/litellm-spend-logs.csv"])
    #expect(table["litellm:msg_01AnthropicCache"]?.credentialAlias == "alias-a")
    #expect(table["litellm:chatcmpl-fail-1"]?.credentialAlias == nil)
    let (_, callback) = try ingest([Fixtures.root + "/formats/litellm-callback.jsonl"])
    #expect(callback["litellm:chatcmpl-cb-1"]?.credentialAlias == "cb-alias")
    // At the top level, where a shape has it, it wins over the metadata's.
    let row =
      #"{"request_id":"r-top","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"gpt-4o","custom_llm_provider":"openai","user_api_key_alias":"top","metadata":{"user_api_key_alias":"inner"}}"#
    let (_, top) = try ingest([try write(row + "\n", name: "top.jsonl")])
    #expect(top["litellm:r-top"]?.credentialAlias == "top")
    #expect(top["litellm:r-top"]?.credential == nil)
  }

  // MARK: Bad input

  static let row =
    #"{"request_id":"r","call_type":"acompletion","startTime":"2026-10-01 00:00:00.000001","model":"gpt-4o","custom_llm_provider":"openai""#

  @Test(arguments: [
    // A string where an object is expected must hold JSON.
    (row + #","metadata":"{\"user_api_key\": \"h\""}"#, "metadata", "does not hold valid JSON"),
    (row + #","metadata":"None"}"#, "metadata", "does not hold valid JSON"),
    (row + #","request_tags":"agent:a"}"#, "request_tags", "does not hold valid JSON"),
    (row + #","metadata":{"spend_logs_metadata":"agent_id=a"}}"#, "metadata.spend_logs_metadata", "valid JSON"),
    (row + #","metadata":"{\"usage_object\": \"{oops\"}"}"#, "metadata.usage_object", "does not hold valid JSON"),
    // Errors inside encoded JSON name the field within it.
    (
      row + #","metadata":"{\"additional_usage_values\": {\"cache_read_input_tokens\": \"x\"}}"}"#,
      "metadata.additional_usage_values.cache_read_input_tokens", "is not a whole number"
    ),
    (row + #","metadata":"[1, 2]"}"#, "metadata", "expected an object"),
    (row + #","request_tags":"{\"agent\": \"a\"}"}"#, "request_tags", "expected an array"),
  ])
  func badEncodedValuesAreNamed(content: String, field: String, message: String) throws {
    let error = try failure("\n" + content + "\n", name: "payloads.jsonl")
    #expect(error.line == 2)
    #expect(error.field == field)
    #expect(error.message.contains(message), "\(error)")
  }

  /// `prompt_tokens` with and without the cache writes in it (LiteLLM's two conventions for
  /// Anthropic calls): each row's uncached input, worked out by hand.
  @Test(arguments: [
    // BerriAI/litellm issue 15056: 31 prompt tokens beside 1,253 cache writes; the writes are not in it.
    (31, 0, 1253, 31),
    // Issue 11364: prompt 30,946 = 6 uncached + 30,940 cache reads; 460 writes not in it.
    (30946, 30940, 460, 6),
    // The current convention: 5,000 uncached + 2,000 reads + 1,253 writes.
    (8253, 2000, 1253, 5000),
    // Writes not in it but no more than the uncached input: cannot be told apart, read with them in it.
    (7000, 2000, 1253, 3747),
    (2000, 2000, 0, 0),
  ])
  func promptTokensWithOrWithoutCacheWrites(prompt: Int64, reads: Int64, writes: Int64, uncached: Int64) throws {
    let line =
      Self.row.replacingOccurrences(of: #""custom_llm_provider":"openai""#, with: #""custom_llm_provider":"anthropic""#)
      + #","prompt_tokens":\#(prompt),"completion_tokens":467,"metadata":{"usage_object":{"#
      + #""cache_read_input_tokens":\#(reads),"cache_creation_input_tokens":\#(writes)}}}"#
    let (_, rs) = try ingest([try write(line + "\n", name: "spend.jsonl")])
    let r = try #require(rs["litellm:r"])
    #expect(r.tokens == TokenCounts(input: uncached, cachedInput: reads, cacheWrite5m: writes, output: 467))
  }

  /// Cache writes from `prompt_tokens_details`, where current LiteLLM releases carry them.
  ///
  /// They are in OpenAI's names there, split by TTL in `cache_creation_token_details`, for every upstream (BerriAI/litellm
  /// `PromptTokensDetailsWrapper`); the Anthropic names at the top win when both are there. The
  /// token split of each usage object is worked out by hand from its numbers.
  static let detailUsages: [(String, String, TokenCounts)] = [
    // Anthropic call: 5,000 reads, 3,000 writes of which 2,000 kept one hour; prompt 10,100 holds them.
    (
      "anthropic",
      #""cache_read_input_tokens":5000,"cache_creation_input_tokens":3000,"prompt_tokens_details":{"cached_tokens":5000,"#
        + #""cache_creation_tokens":3000,"cache_creation_token_details":{"ephemeral_5m_input_tokens":1000,"#
        + #""ephemeral_1h_input_tokens":2000}}"#,
      TokenCounts(input: 2100, cachedInput: 5000, cacheWrite5m: 1000, cacheWrite1h: 2000, output: 500)
    ),
    // OpenAI call (GPT-5.6 bills writes): only prompt_tokens_details, writes as cache_write_tokens.
    (
      "openai", #""prompt_tokens_details":{"cached_tokens":1000,"cache_write_tokens":4000}"#,
      TokenCounts(input: 5100, cachedInput: 1000, cacheWrite5m: 4000, output: 500)
    ),
    // Only the TTL split: the writes are its sum.
    (
      "anthropic",
      #""prompt_tokens_details":{"cached_tokens":0,"cache_creation_token_details":{"ephemeral_5m_input_tokens":100,"#
        + #""ephemeral_1h_input_tokens":900}}"#,
      TokenCounts(input: 9100, cachedInput: 0, cacheWrite5m: 100, cacheWrite1h: 900, output: 500)
    ),
    // Anthropic's top-level names and TTL object beside different details: the top level wins.
    (
      "anthropic",
      #""cache_creation_input_tokens":600,"cache_creation":{"ephemeral_1h_input_tokens":600},"#
        + #""prompt_tokens_details":{"cache_creation_tokens":999,"cache_creation_token_details":"#
        + #"{"ephemeral_1h_input_tokens":1}}"#,
      TokenCounts(input: 9500, cachedInput: 0, cacheWrite5m: 0, cacheWrite1h: 600, output: 500)
    ),
    // Anthropic's web searches (BerriAI/litellm#42663's usage_object): billed per request.
    (
      "anthropic", #""cache_read_input_tokens":100,"server_tool_use":{"web_search_requests":5}"#,
      TokenCounts(input: 10000, cachedInput: 100, output: 500, webSearch: 5)
    ),
    // Another provider's count has no rate in the tables: not counted (it would leave the call unpriced).
    (
      "vertex_ai", #""cache_read_input_tokens":100,"server_tool_use":{"web_search_requests":5}"#,
      TokenCounts(input: 10000, cachedInput: 100, output: 500)
    ),
  ]

  @Test(arguments: detailUsages)
  func cacheWritesFromPromptTokensDetails(provider: String, usage: String, expected: TokenCounts) throws {
    let prompt = 10100
    let line =
      Self.row.replacingOccurrences(
        of: #""custom_llm_provider":"openai""#, with: #""custom_llm_provider":"\#(provider)""#)
      + #","prompt_tokens":\#(prompt),"completion_tokens":500,"metadata":{"usage_object":{\#(usage)}}}"#
    let (_, rs) = try ingest([try write(line + "\n", name: "spend.jsonl")])
    let r = try #require(rs["litellm:r"])
    #expect(r.tokens == expected)
  }

  @Test func promptTokensBelowTheCacheReadsIsAnError() throws {
    let line = Self.row + #","prompt_tokens":1999,"metadata":{"usage_object":{"cache_read_input_tokens":2000}}}"#
    let error = try failure("\n" + line + "\n", name: "spend.jsonl")
    #expect(error.line == 2)
    #expect(error.field == "prompt_tokens")
    #expect(error.message.contains("1999 is less than the cache reads (2000)"), "\(error)")
  }

  @Test func blankAndNullEncodedValuesGiveNothing() throws {
    let content = [
      // Each row names its own request_id once: a key named twice is malformed JSON.
      Self.row.replacingOccurrences(of: #""request_id":"r""#, with: #""request_id":"r-1""#)
        + #","metadata":"","request_tags":"null"}"#,
      Self.row.replacingOccurrences(of: #""request_id":"r""#, with: #""request_id":"r-2""#)
        + #","metadata":"null","request_tags":"  "}"#,
    ].joined(separator: "\n")
    let (_, rs) = try ingest([try write(content, name: "blank.jsonl")])
    #expect(rs.count == 2)
    #expect(rs["litellm:r-1"]?.metadata == CallMetadata())
    #expect(rs["litellm:r-2"]?.credential == nil)
  }

  @Test func tableCellThatIsNotJSONIsNamed() throws {
    let text = try String(contentsOfFile: Fixtures.root + "/formats/litellm-spend-logs.csv", encoding: .utf8)
      .replacingOccurrences(of: ",gpt-4o,agents-azure,azure,svc-b,,", with: ",gpt-4o,agents-azure,azure,svc-b,None,")
    let error = try failure(text, name: "spend.csv")
    #expect(error.line == 6)
    #expect(error.field == "metadata")
    #expect(error.message.contains("not valid JSON"), "\(error)")
  }

  // MARK: OpenAI usage buckets without pages

  @Test func bareBucketArrayGivesTheRecordsOfThePages() throws {
    let (formats, buckets) = try ingest([Self.openAIUsage + "/completions-buckets.json"])
    let (_, pages) = try ingest([Self.openAIUsage + "/completions-pages.jsonl"])
    #expect(formats == ["openai-usage-completions"])
    // Five buckets, one of them empty: five results.
    #expect(buckets.count == 5)
    #expect(Set(buckets.keys) == Set(pages.keys))
    for (key, r) in pages {
      #expect(buckets[key].map(content) == content(r), "\(key)")
    }
    // Paths name the bucket in the bare array, the page and bucket in the pages.
    let flex = try #require(buckets.values.first { $0.tier == .flex })
    #expect(flex.jsonPath == "$[3].results[0]")
    #expect(pages[flex.naturalKey]?.jsonPath == "$.data[0].results[0]")
    #expect(pages[flex.naturalKey]?.line == 2)
    // 777,777 input tokens include 7,000 cached.
    #expect(flex.tokens == TokenCounts(input: 770_777, cachedInput: 7000, output: 2222))
    #expect(flex.requests == 31)
    #expect(flex.credential == "key_Ab12")
    #expect(flex.project == "proj_Lt7Qm2")
    #expect(Timestamp.iso(flex.time) == "2026-10-04T00:00:00Z")
    #expect(buckets.values.filter { $0.tier == .batch }.count == 1)
  }

  @Test func bareBucketErrorsNameTheElement() throws {
    let text = try String(contentsOfFile: Self.openAIUsage + "/completions-buckets.json", encoding: .utf8)
    let bad = text.replacingOccurrences(of: "777777", with: "\"n/a\"")
    #expect(bad != text)
    let error = try failure(bad, name: "usage.json")
    #expect(error.path == "$[3].results[0]")
    #expect(error.field == "input_tokens")
    // The line the record starts on is named beside its path.
    #expect(error.line == 72)
    #expect(error.description.contains("usage.json:72: $[3].results[0]: input_tokens: "))
  }

  @Test func bucketLinesAndOneBucket() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Self.openAIUsage + "/completions-buckets.json"))
    let buckets = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
    let lines = try buckets.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
    let (_, fromLines) = try ingest([try write(lines.joined(separator: "\n") + "\n", name: "buckets.jsonl")])
    #expect(fromLines.count == 5)
    #expect(fromLines.values.first { $0.tier == .flex }?.line == 4)
    let (_, one) = try ingest([try write(lines[0], name: "bucket.json")])
    #expect(one.count == 2)
    #expect(Set(one.values.compactMap(\.jsonPath)) == ["$.results[0]", "$.results[1]"])
  }
  /// A call LiteLLM refused before choosing a provider is a failed call, and the file loads.
  ///
  /// BerriAI/litellm#22726: a budget exceeded logs `custom_llm_provider` empty. It is kept as a
  /// failed call of provider `unknown`, unpriced,
  /// and the other rows of the file load. It stopped the month's whole file ("required field is
  /// missing", of a field that was there). A successful row with an empty provider still stops it.
  @Test func aCallRefusedBeforeAProviderIsAFailedCallAndTheFileLoads() throws {
    let ok =
      #"{"request_id":"ok-1","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"gpt-4o","#
      + #""custom_llm_provider":"openai","prompt_tokens":1000,"completion_tokens":100,"status":"success"}"#
    let refused =
      #"{"request_id":"no-1","call_type":"acompletion","startTime":"2026-10-01T00:01:00Z","model":"","#
      + #""custom_llm_provider":"","prompt_tokens":0,"completion_tokens":0,"status":"failure","#
      + #""metadata":{"error_information":{"llm_provider":"","error_class":"BudgetExceededError"}}}"#
    let (_, rs) = try ingest([try write("[\n\(ok),\n\(refused)\n]\n", name: "spend-logs.json")])
    #expect(rs.count == 2)
    #expect(rs["litellm:ok-1"]?.tokens == TokenCounts(input: 1000, output: 100))
    let r = try #require(rs["litellm:no-1"])
    #expect(r.failed)
    #expect(r.provider == .other)
    #expect(r.model == "unknown/(none)")
    #expect(r.tokens == TokenCounts())
    // With tokens, or not failed, an empty provider is still an error naming the field.
    let success = refused.replacingOccurrences(of: #""status":"failure""#, with: #""status":"success""#)
    let error = try failure("[\n\(ok),\n\(success)\n]\n", name: "spend-logs.json")
    #expect(error.field == "custom_llm_provider")
    #expect(error.message == "is empty")
  }

  /// A Gemini row's thoughts: releases before BerriAI/litellm PR 10141 left them out of `completion_tokens` (the total
  /// counts them: 1,000 + 200 + 800 = 2,000), current ones put them in (1,000 + 1,000 = 2,000).
  ///
  /// Either way the output is 1,000; an OpenAI row's reasoning is in its completion already, and a Gemini row without a
  /// total is read as it is. In JSON and in a CSV export alike.
  @Test func geminiThoughtsLeftOutOfTheCompletionAreAdded() throws {
    func row(_ id: String, _ provider: String, _ model: String, completion: Int, total: Int?) -> String {
      #"{"request_id":"\#(id)","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"\#(model)","#
        + #""custom_llm_provider":"\#(provider)","prompt_tokens":1000,"completion_tokens":\#(completion),"#
        + (total.map { #""total_tokens":\#($0),"# } ?? "")
        + #""status":"success","metadata":{"usage_object":{"completion_tokens_details":{"reasoning_tokens":800}}}}"#
    }
    let rows = [
      row("old", "gemini", "gemini-2.5-flash", completion: 200, total: 2_000),
      row("new", "vertex_ai", "gemini-2.5-flash", completion: 1_000, total: 2_000),
      row("bare", "gemini", "gemini-2.5-flash", completion: 200, total: nil),
      row("oai", "openai", "o4-mini", completion: 1_000, total: 2_800),
    ]
    let (_, rs) = try ingest([try write("[\n" + rows.joined(separator: ",\n") + "\n]\n", name: "spend-logs.json")])
    #expect(rs["litellm:old"]?.tokens == TokenCounts(input: 1_000, output: 1_000))
    #expect(rs["litellm:new"]?.tokens == TokenCounts(input: 1_000, output: 1_000))
    #expect(rs["litellm:bare"]?.tokens == TokenCounts(input: 1_000, output: 200))
    #expect(rs["litellm:oai"]?.tokens == TokenCounts(input: 1_000, output: 1_000))
    let csv =
      "request_id,call_type,startTime,model,custom_llm_provider,prompt_tokens,completion_tokens,total_tokens,status,metadata\n"
      + #"old,acompletion,2026-10-01T00:00:00Z,gemini-2.5-flash,gemini,1000,200,2000,success,"{""usage_object"":"#
      + #"{""completion_tokens_details"":{""reasoning_tokens"":800}}}""# + "\n"
    let (_, fromCSV) = try ingest([try write(csv, name: "spend-logs.csv")])
    #expect(fromCSV["litellm:old"]?.tokens == TokenCounts(input: 1_000, output: 1_000))
  }

  /// A failed row's tokens since BerriAI/litellm PR 37365 are LiteLLM's estimate of the input.
  ///
  /// A provider bills nothing for a request it refused (429, 400): those rows are failed calls with no tokens. A
  /// timeout (408) or a server error may have been billed, and keeps its tokens.
  @Test(arguments: [("429", true), ("400", true), (" 404", true), ("408", false), ("500", false), ("Timeout", false)])
  func aRequestTheProviderRefusedHasNoTokens(code: String, refused: Bool) throws {
    let row =
      #"{"request_id":"f-1","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"gpt-4.1","#
      + #""custom_llm_provider":"openai","prompt_tokens":5000,"completion_tokens":0,"spend":0.0,"status":"failure","#
      + #""metadata":{"error_information":{"error_code":"\#(code)"}}}"#
    let (_, rs) = try ingest([try write("[\n\(row)\n]\n", name: "spend-logs.json")])
    let r = try #require(rs["litellm:f-1"])
    #expect(r.failed)
    #expect(r.tokens == (refused ? TokenCounts() : TokenCounts(input: 5_000)))
  }

  /// A row's model without LiteLLM's routing prefixes (its provider's own, and Bedrock's
  /// `bedrock/`, `converse/`, `invoke/`), so its price is found; an upstream of `other` keeps its
  /// provider in the name.
  @Test(arguments: [
    (
      "bedrock", "converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    ),
    (
      "bedrock", "bedrock/converse/anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"
    ),
    ("bedrock_converse", "invoke/amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
    ("openai", "openai/gpt-4.1", "gpt-4.1"),
    ("azure", "azure/gpt-4o", "gpt-4o"),
    ("anthropic", "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("openai", "gpt-4o", "gpt-4o"),
    ("groq", "llama-3.3-70b", "groq/llama-3.3-70b"),
  ])
  func routePrefixesAreNotPartOfTheModel(provider: String, model: String, stored: String) throws {
    let row =
      #"{"request_id":"m-1","call_type":"acompletion","startTime":"2026-10-01T00:00:00Z","model":"\#(model)","#
      + #""custom_llm_provider":"\#(provider)","prompt_tokens":10,"completion_tokens":1,"status":"success"}"#
    let (_, rs) = try ingest([try write("[\n\(row)\n]\n", name: "spend-logs.json")])
    #expect(rs["litellm:m-1"]?.model == stored)
  }
}
