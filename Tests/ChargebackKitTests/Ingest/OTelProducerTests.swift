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

/// Producers whose cache tokens, input tokens or provider names differ from the GenAI
/// conventions' (a helper's trial of real payloads: Pydantic AI, OpenLIT, Strands Agents, GitHub
/// Copilot CLI, the Vercel AI SDK on Vertex).
///
/// Every Claude call below is 100 uncached input tokens, 50,000 cache reads, 2,000 five-minute
/// cache writes and 500 output tokens, at 3, 0.30, 3.75 and 15 USD a million (Claude Sonnet 4.5
/// on Anthropic, Claude Sonnet 4 on Bedrock): 0.0003 + 0.015 + 0.0075 + 0.0075 = 0.0303 USD.
@Suite struct OTelProducerTests {
  typealias T = OTelInstrumentationTests
  static let expected = TokenCounts(input: 100, cachedInput: 50_000, cacheWrite5m: 2_000, output: 500)

  /// One export whose resource has `resource` attributes.
  static func export(resource: [String], _ spans: [String]) -> String {
    #"{"resourceSpans":[{"resource":{"attributes":[\#(resource.joined(separator: ","))]},"#
      + #""scopeSpans":[{"spans":[\#(spans.joined(separator: ","))]}]}]}"# + "\n"
  }

  /// A chat span of `provider`'s `model` with `usage`.
  static func call(_ provider: String, _ model: String, id: String = "c1", parent: String? = nil, _ usage: [String])
    -> String
  {
    T.span(
      "chat " + model, id: id, parent: parent,
      [
        T.attr("gen_ai.operation.name", "chat"), T.attr("gen_ai.system", provider),
        T.attr("gen_ai.request.model", model),
      ]
        + usage + [T.intAttr("gen_ai.usage.output_tokens", 500)])
  }

  /// Cache reads and writes under the names producers use, with input tokens that include them
  /// (52,100), as the conventions' do: each name is read, and the call costs 0.0303 USD.
  @Test(arguments: [
    // Pydantic AI 1.x usage details.
    ("gen_ai.usage.details.cache_read_tokens", "gen_ai.usage.details.cache_write_tokens"),
    // Pydantic AI before 1.0.
    ("gen_ai.usage.details.cache_read_input_tokens", "gen_ai.usage.details.cache_creation_input_tokens"),
    // Strands Agents and others; GitHub Copilot CLI and opencode.
    ("gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_write_input_tokens"),
    ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_write.input_tokens"),
  ])
  func cacheTokensUnderEveryNameAreRead(read: String, write: String) throws {
    let span = Self.call(
      "anthropic", "claude-sonnet-4-5-20250929",
      [T.intAttr("gen_ai.usage.input_tokens", 52_100), T.intAttr(read, 50_000), T.intAttr(write, 2_000)])
    let (report, records) = try T().report(T.export([span]))
    #expect(records.map(\.tokens) == [Self.expected])
    #expect(report.totalCost == TestSupport.usd("0.0303"))
  }

  /// OpenLIT's Anthropic input tokens leave the cache out, its OpenAI ones do not.
  ///
  /// Its Anthropic spans' input (100 here) is read as it is, not less the cache again (which
  /// refused the file when the reads passed the input, and charged too little otherwise). Its
  /// OpenAI spans include the cache reads, as the conventions say.
  @Test func openLITAnthropicInputLeavesTheCacheOut() throws {
    let openlit = [T.attr("telemetry.sdk.name", "openlit"), T.attr("service.name", "agents")]
    let claude = Self.call(
      "anthropic", "claude-sonnet-4-5-20250929",
      [
        T.intAttr("gen_ai.usage.input_tokens", 100), T.intAttr("gen_ai.usage.cache_read_input_tokens", 50_000),
        T.intAttr("gen_ai.usage.cache_creation_input_tokens", 2_000),
      ])
    var (report, records) = try T().report(Self.export(resource: openlit, [claude]))
    #expect(records.map(\.tokens) == [Self.expected])
    #expect(report.totalCost == TestSupport.usd("0.0303"))
    // OpenAI through OpenLIT: 3,000 input tokens of which 2,000 cache reads; gpt-4o at 2.50,
    // 1.25 and 10 USD a million: 0.0025 + 0.0025 + 0.005 = 0.01 USD.
    let gpt = Self.call(
      "openai", "gpt-4o",
      [T.intAttr("gen_ai.usage.input_tokens", 3_000), T.intAttr("gen_ai.usage.cache_read_input_tokens", 2_000)])
    (report, records) = try T().report(Self.export(resource: openlit, [gpt]))
    #expect(records.map(\.tokens) == [TokenCounts(input: 1_000, cachedInput: 2_000, output: 500)])
    #expect(report.totalCost == TestSupport.usd("0.01"))
    // The same Claude span from another SDK is read as the conventions say: its input cannot hold
    // its cache reads, and the file is refused, naming the field.
    let error = try #require(throws: InputError.self) {
      try T().report(Self.export(resource: [T.attr("telemetry.sdk.name", "opentelemetry")], [claude]))
    }
    #expect(error.field == "gen_ai.usage.input_tokens")
  }

  /// Strands Agents' own spans are Bedrock's calls when their model id is Bedrock's.
  ///
  /// Strands names itself as the system; a Bedrock model id says the call is Bedrock's, whose input
  /// tokens leave the cache out. Above a provider's span (another instrumentation) it is a
  /// framework's wrapper, not a second call; with a model id of no Bedrock shape it is refused,
  /// saying so.
  /// Pydantic Logfire's spans: the provider's own usage object (`response_data`'s `usage`, or
  /// `gen_ai.usage.raw`) gives the cache, which its `gen_ai.usage.input_tokens` leaves out for
  /// Anthropic (charged its uncached input alone, 30 % under: a trial) and its OpenAI spans name
  /// nowhere else (cached tokens charged at the uncached rate).
  @Test func logfireSpansAreChargedFromTheProvidersUsage() throws {
    func logfire(_ id: String, _ provider: String, _ model: String, input: Int, output: Int, _ usage: [String])
      -> String
    {
      T.span(
        "Message with '\(model)'", id: id,
        [
          T.attr("logfire.span_type", "span"), T.attr("gen_ai.operation.name", "chat"),
          T.attr("gen_ai.system", provider), T.attr("gen_ai.request.model", model),
          T.intAttr("gen_ai.usage.input_tokens", input), T.intAttr("gen_ai.usage.output_tokens", output),
        ] + usage)
    }
    // Anthropic, response_data (Logfire's first semantic conventions): 2,000 uncached, 7,000 cache
    // reads, 1,000 5-minute writes, 500 output of Claude Sonnet 4.5 at 3, 0.30, 3.75 and 15 a
    // million: 0.006 + 0.0021 + 0.00375 + 0.0075 = 0.01935.
    let anthropic = logfire(
      "l1", "anthropic", "claude-sonnet-4-5", input: 2000, output: 500,
      [
        T.attr(
          "response_data",
          #"{\"message\":{\"role\":\"assistant\"},\"usage\":{\"input_tokens\":2000,\"output_tokens\":500,"#
            + #"\"cache_read_input_tokens\":7000,\"cache_creation_input_tokens\":1000}}"#)
      ])
    // OpenAI, gen_ai.usage.raw: 5,000 prompt tokens of which 1,000 cached, 100 output of gpt-4o at
    // 2.50, 1.25 and 10: 0.01 + 0.00125 + 0.001 = 0.01225.
    let openai = logfire(
      "l2", "openai", "gpt-4o", input: 5000, output: 100,
      [
        T.attr(
          "gen_ai.usage.raw",
          #"{\"prompt_tokens\":5000,\"completion_tokens\":100,\"prompt_tokens_details\":{\"cached_tokens\":1000}}"#)
      ])
    // Anthropic with the writes split by TTL: 100 uncached, 50,000 reads, 500 5-minute and 1,500
    // 1-hour writes (6 a million), 500 output: 0.0003 + 0.015 + 0.001875 + 0.009 + 0.0075 = 0.033675.
    let split = logfire(
      "l3", "anthropic", "claude-sonnet-4-5", input: 100, output: 500,
      [
        T.attr(
          "gen_ai.usage.raw",
          #"{\"input_tokens\":100,\"output_tokens\":500,\"cache_read_input_tokens\":50000,"#
            + #"\"cache_creation_input_tokens\":2000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":500,"#
            + #"\"ephemeral_1h_input_tokens\":1500}}"#)
      ])
    let (report, records) = try T().report(T.export([anthropic, openai, split]))
    let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.spanID ?? "", $0) })
    #expect(byID["l1"]?.tokens == TokenCounts(input: 2000, cachedInput: 7000, cacheWrite5m: 1000, output: 500))
    #expect(byID["l2"]?.tokens == TokenCounts(input: 4000, cachedInput: 1000, output: 100))
    #expect(
      byID["l3"]?.tokens
        == TokenCounts(input: 100, cachedInput: 50000, cacheWrite5m: 500, cacheWrite1h: 1500, output: 500))
    #expect(report.totalCost == TestSupport.usd("0.065275"))
  }

  @Test func strandsAgentsSpansAreBedrocksCalls() throws {
    let usage = [
      T.intAttr("gen_ai.usage.input_tokens", 100), T.intAttr("gen_ai.usage.cache_read_input_tokens", 50_000),
      T.intAttr("gen_ai.usage.cache_write_input_tokens", 2_000),
    ]
    for model in ["us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"] {
      let (report, records) = try T().report(T.export([Self.call("strands-agents", model, usage)]))
      #expect(records.map(\.provider) == [.bedrock], "\(model)")
      #expect(records.map(\.tokens) == [Self.expected], "\(model)")
      #expect(report.totalCost == TestSupport.usd("0.0303"), "\(model)")
    }
    // Above the Bedrock SDK's own span of the call: that span is the call.
    let inner = Self.call(
      "aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", id: "b1", parent: "s1",
      [
        T.intAttr("gen_ai.usage.input_tokens", 52_100), T.intAttr("gen_ai.usage.cache_read.input_tokens", 50_000),
        T.intAttr("gen_ai.usage.cache_creation.input_tokens", 2_000),
      ])
    let outer = Self.call("strands-agents", "us.anthropic.claude-sonnet-4-20250514-v1:0", id: "s1", usage)
    let (report, records) = try T().report(T.export([outer, inner]))
    #expect(records.count == 1)
    #expect(report.totalCost == TestSupport.usd("0.0303"))
    // Not a Bedrock model id: no provider to price it by.
    let error = try #require(throws: InputError.self) {
      try T().report(T.export([Self.call("strands-agents", "gpt-4o", usage)]))
    }
    #expect(error.message.contains("Strands Agents spans are read alone only for Bedrock model ids"))
  }

  /// Provider names of Pydantic AI (`google-gla`, the Gemini API) and of the AI SDK's Claude on
  /// Vertex (`vertex.anthropic.messages`) are Google's.
  @Test(arguments: ["google-gla", "vertex.anthropic.messages", "google-vertex"])
  func googleProviderSpellings(system: String) throws {
    let span = Self.call(
      system, "gemini-2.5-flash",
      [T.intAttr("gen_ai.usage.input_tokens", 1_000)])
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.provider) == [.vertex])
  }

  /// Claude on Vertex through the AI SDK (`vertex.anthropic.messages`): its input tokens leave the
  /// cache out, as Anthropic's API counts them, wherever it runs.
  @Test func claudeOnVertexThroughTheAISDKCountsTheCacheApart() throws {
    let span = T.span(
      "ai.generateText.doGenerate", id: "v1",
      [
        T.attr("gen_ai.system", "vertex.anthropic.messages"),
        T.attr("gen_ai.request.model", "claude-sonnet-4-5@20250929"),
        T.intAttr("gen_ai.usage.input_tokens", 100), T.intAttr("gen_ai.usage.output_tokens", 500),
        T.intAttr("ai.usage.cachedInputTokens", 50_000),
        T.attr("ai.response.providerMetadata", #"{\"anthropic\":{\"cacheCreationInputTokens\":2000}}"#),
      ])
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.provider) == [.vertex])
    #expect(records.map(\.tokens) == [Self.expected])
  }

  @Test func bedrockModelIDs() {
    for id in [
      "anthropic.claude-3-5-haiku-20241022-v1:0", "us.anthropic.claude-sonnet-4-20250514-v1:0",
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-1-70b-instruct-v1:0",
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
    ] {
      #expect(OTelGenAISpans.isBedrockModelID(id), "\(id)")
    }
    for id in ["gpt-4o", "claude-sonnet-4-5-20250929", "gemini-2.5-pro", "us.gpt-4o", "anthropic.", "models/gemini"] {
      #expect(!OTelGenAISpans.isBedrockModelID(id), "\(id)")
    }
  }
}
