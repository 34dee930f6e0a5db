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

/// OTel spans as instrumentations other than the GenAI conventions' own write them.
///
/// A helper's trial of real exports found these: their provider spellings, an agent run with its calls' usage rolled up and no
/// operation name, a call whose span reports no usage, and one call traced by two nested
/// instrumentations. Attribute names follow the Vercel AI SDK, Spring AI (`AiProvider`), Pydantic AI
/// and opentelemetry-instrumentation-openai-v2; ids and counts are made up.
@Suite struct OTelInstrumentationTests {
  /// 2026-10-05T10:00:00Z in ns.
  static let start = "1791194400000000000"

  static func attr(_ key: String, _ value: String) -> String {
    #"{"key":"\#(key)","value":{"stringValue":"\#(value)"}}"#
  }

  static func intAttr(_ key: String, _ value: Int) -> String {
    #"{"key":"\#(key)","value":{"intValue":"\#(value)"}}"#
  }

  /// One span: `name`, ids, optional parent, status code, attributes.
  static func span(
    _ name: String, id: String, parent: String? = nil, error: Bool = false, _ attributes: [String]
  ) -> String {
    let parentField = parent.map { #""parentSpanId":"\#($0)","# } ?? ""
    let status = error ? #","status":{"code":"STATUS_CODE_ERROR"}"# : ""
    return #"{"traceId":"t1","spanId":"\#(id)",\#(parentField)"name":"\#(name)","startTimeUnixNano":"\#(start)","#
      + #""attributes":[\#(attributes.joined(separator: ","))]\#(status)}"#
  }

  static func export(_ spans: [String]) -> String {
    #"{"resourceSpans":[{"scopeSpans":[{"spans":[\#(spans.joined(separator: ","))]}]}]}"# + "\n"
  }

  /// A chat call of gpt-4o: 1,000 input and 100 output tokens (2.50 and 10.00 USD per million:
  /// 0.0025 + 0.001 = 0.0035 USD), with `gen_ai.response.id` `id`.
  static func chat(_ name: String, span id: String, parent: String? = nil, response: String = "chatcmpl-1") -> String {
    span(
      name, id: id, parent: parent,
      [
        attr("gen_ai.operation.name", "chat"), attr("gen_ai.system", "openai"), attr("gen_ai.request.model", "gpt-4o"),
        attr("gen_ai.response.id", response), intAttr("gen_ai.usage.input_tokens", 1000),
        intAttr("gen_ai.usage.output_tokens", 100),
      ])
  }

  func report(_ content: String) throws -> (ChargebackReport, [UsageRecord]) {
    let dir = try TestSupport.tempDir()
    try content.write(toFile: dir + "/traces.jsonl", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/traces.jsonl"])
    var records: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { records.append($0.record) }
    let report = try ReportBuilder(
      store: store, identities: IdentityDirectory(),
      prices: try PriceTable(directory: TestSupport.packageRoot + "/pricing"),
      progress: ProgressReporter(force: false)
    ).build(period: Period(year: 2026, month: 10))
    return (report, records)
  }

  /// A framework's span around a provider's call is not a call.
  ///
  /// OpenLIT with LangChain (as in pmcollins/otel-llm-bakeoff): a `chat` span whose `gen_ai.system`
  /// is `langchain`, with usage of its own, around the OpenAI SDK's `chat` span. The call is the
  /// OpenAI span alone (the file was refused whole: "langchain" is not a provider we price); a
  /// LangChain span with no provider's span beneath it is still refused, saying what to do.
  @Test func aFrameworksSpanAroundAProvidersCallIsNotACall() throws {
    let wrapper = Self.span(
      "ChatOpenAI.chat", id: "w1",
      [
        Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "langchain"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.intAttr("gen_ai.usage.input_tokens", 523),
        Self.intAttr("gen_ai.usage.output_tokens", 273),
      ])
    let (report, records) = try report(Self.export([wrapper, Self.chat("openai.chat", span: "c1", parent: "w1")]))
    #expect(records.count == 1)
    #expect(records.first?.provider == .openai)
    #expect(records.first?.tokens == TokenCounts(input: 1000, output: 100))
    // 1,000 × 2.50 + 100 × 10.00 per million.
    #expect(report.totalCost == TestSupport.usd("0.0035"))
    // Alone, the framework's span is refused, and the message says what to do.
    let error = try #require(throws: InputError.self) { try self.report(Self.export([wrapper])) }
    #expect(error.field == "gen_ai.system")
    #expect(error.message.contains("\"langchain\" is not a provider we price"))
    #expect(error.message.contains("instrument the provider's SDK too"))
  }

  /// A framework's span is a wrapper, not a call, when the provider's call beneath it is on another
  /// line of the file (the Collector writes each batch as it ends), children first or last; alone it
  /// is still refused (LangChain), and a framework read alone (Strands on Bedrock) still charged.
  @Test(arguments: [true, false])
  func aFrameworksSpanOverACallOnAnotherLineIsNotACall(childrenFirst: Bool) throws {
    let wrapper = Self.span(
      "ChatOpenAI.chat", id: "w1",
      [
        Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "langchain"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.intAttr("gen_ai.usage.input_tokens", 523),
        Self.intAttr("gen_ai.usage.output_tokens", 273),
      ])
    let child = Self.chat("openai.chat", span: "c1", parent: "w1")
    let lines =
      childrenFirst ? [Self.export([child]), Self.export([wrapper])] : [Self.export([wrapper]), Self.export([child])]
    let (report, records) = try report(lines.joined())
    #expect(records.count == 1)
    #expect(records.first?.provider == .openai && records.first?.spanID == "c1")
    // 1,000 × 2.50 + 100 × 10.00 per million, once.
    #expect(report.totalCost == TestSupport.usd("0.0035"))
    // A wrapper whose call is in no line of the file is refused, as alone.
    let other = Self.chat("openai.chat", span: "c2", parent: "elsewhere")
    let error = try #require(throws: InputError.self) {
      try self.report(Self.export([wrapper]) + Self.export([other]))
    }
    #expect(error.message.contains("instrument the provider's SDK too"))
    // With a span between them (an agent's loop), on the call's line or the wrapper's (a review).
    let loop = Self.span("execute_event_loop_cycle", id: "i1", parent: "w1", [Self.attr("event_loop.cycle_id", "x")])
    let deep = Self.chat("openai.chat", span: "c3", parent: "i1")
    for layout in [[[loop, deep], [wrapper]], [[deep], [wrapper, loop]], [[wrapper], [loop, deep]]] {
      let (deepReport, deepRecords) = try self.report(layout.map { Self.export($0) }.joined())
      #expect(deepRecords.map { $0.spanID } == ["c3"])
      #expect(deepReport.totalCost == TestSupport.usd("0.0035"))
    }
    // Strands over Bedrock with no provider's span beneath: a call, charged once.
    let strands = Self.span(
      "chat", id: "s1",
      [
        Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "strands-agents"),
        Self.attr("gen_ai.request.model", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        Self.intAttr("gen_ai.usage.input_tokens", 1000), Self.intAttr("gen_ai.usage.output_tokens", 100),
      ])
    let alone = try self.report(Self.export([strands]) + Self.export([child])).1
    #expect(alone.count == 2)
    #expect(Set(alone.map(\.provider)) == Set([Provider.bedrock, .openai]))
  }

  /// A call span over a call span that reports usage is a wrapper.
  ///
  /// One call traced by two
  /// instrumentations with no response id to tell (OpenInference's LangChain `LLM` span around its
  /// OpenAI `LLM` span, both with the call's 1,000 and 200 tokens) is charged once, in the export
  /// or with the child on an earlier line; a call over one that reports no usage stays a call, so
  /// the tokens it knows are charged. Google ADK's `call_llm` span (`gcp.vertex.agent`) is a
  /// framework's.
  @Test func aCallSpanOverACallSpanIsNotACall() throws {
    func llm(_ name: String, id: String, parent: String? = nil, tokens: (Int, Int)? = (1000, 200)) -> String {
      Self.span(
        name, id: id, parent: parent,
        [
          Self.attr("openinference.span.kind", "LLM"), Self.attr("llm.provider", "openai"),
          Self.attr("llm.model_name", "gpt-4o-mini"),
        ]
          + (tokens.map {
            [Self.intAttr("llm.token_count.prompt", $0.0), Self.intAttr("llm.token_count.completion", $0.1)]
          } ?? []))
    }
    let outer = llm("ChatOpenAI", id: "l1")
    let inner = llm("ChatCompletion", id: "l2", parent: "l1")
    // 1,000 × 0.15 + 200 × 0.60 per million (gpt-4o-mini).
    for content in [Self.export([outer, inner]), Self.export([inner]) + Self.export([outer])] {
      let (report, records) = try report(content)
      #expect(records.map(\.spanID) == ["l2"])
      #expect(report.totalCost == TestSupport.usd("0.00027"))
    }
    // The inner span without usage (a stream): the outer is charged, the inner unpriced.
    let bare = llm("ChatCompletion", id: "l2", parent: "l1", tokens: nil)
    for content in [Self.export([outer, bare]), Self.export([bare]) + Self.export([outer])] {
      let (report, records) = try report(content)
      #expect(Set(records.map(\.spanID)) == ["l1", "l2"])
      #expect(report.totalCost == TestSupport.usd("0.00027"))
    }
    // A call whose span stays current while its tool runs a call of its own (a streamed
    // generator): an agent's or a tool's span between them makes them two calls (a review), in the
    // export or with the child on an earlier line.
    let tool = Self.span(
      "execute_tool search", id: "t1", parent: "l1", [Self.attr("gen_ai.operation.name", "execute_tool")])
    let underTool = llm("ChatCompletion", id: "l4", parent: "t1")
    for content in [Self.export([outer, tool, underTool]), Self.export([underTool]) + Self.export([outer, tool])] {
      let (report, records) = try report(content)
      #expect(Set(records.map(\.spanID)) == ["l1", "l4"])
      #expect(report.totalCost == TestSupport.usd("0.00054"))
    }
    // A call beneath that counts no token (0 and 0) leaves the one above a call.
    let zero = llm("ChatCompletion", id: "l5", parent: "l1", tokens: (0, 0))
    let (zeroReport, zeroRecords) = try report(Self.export([outer, zero]))
    #expect(Set(zeroRecords.map(\.spanID)) == ["l1", "l5"])
    #expect(zeroReport.totalCost == TestSupport.usd("0.00027"))
    // Two calls under one (a router's span): the two are charged, the one over them is not.
    let second = llm("ChatCompletion", id: "l3", parent: "l1")
    let (both, bothRecords) = try report(Self.export([outer, inner, second]))
    #expect(Set(bothRecords.map(\.spanID)) == ["l2", "l3"])
    #expect(both.totalCost == TestSupport.usd("0.00054"))
    // ADK's call_llm span over Gemini's own span: the Gemini call alone. 1,000 × 0.30 + 100 × 2.50
    // per million (gemini-2.5-flash).
    let adk = Self.span(
      "call_llm", id: "a1",
      [
        Self.attr("gen_ai.system", "gcp.vertex.agent"), Self.attr("gen_ai.request.model", "gemini-2.5-flash"),
        Self.intAttr("gen_ai.usage.input_tokens", 1000), Self.intAttr("gen_ai.usage.output_tokens", 60),
      ])
    let gemini = Self.span(
      "generate_content gemini-2.5-flash", id: "g1", parent: "a1",
      [
        Self.attr("gen_ai.operation.name", "generate_content"), Self.attr("gen_ai.system", "gcp.vertex_ai"),
        Self.attr("gen_ai.request.model", "gemini-2.5-flash"), Self.intAttr("gen_ai.usage.input_tokens", 1000),
        Self.intAttr("gen_ai.usage.output_tokens", 100),
      ])
    let (adkReport, adkRecords) = try report(Self.export([adk, gemini]))
    #expect(adkRecords.map(\.spanID) == ["g1"])
    #expect(adkReport.totalCost == TestSupport.usd("0.00055"))
  }

  /// The Vercel AI SDK's cache tokens and metadata are read.
  ///
  /// Its `doGenerate` span: its cache reads and writes are in its own `ai.usage.*`
  /// attributes (and, for AI SDK 5, Anthropic's writes in `ai.response.providerMetadata`), which
  /// were not read, so an Anthropic call was charged 10 input tokens of 28,010 (83 % under) and an
  /// OpenAI call its 2,000 cache reads at the uncached rate. Its metadata comes as
  /// `ai.telemetry.metadata.*`.
  @Test(
    arguments: [
      // AI SDK 5, Anthropic: input tokens without the cache; reads apart, writes in the metadata.
      (
        "anthropic.messages", "claude-sonnet-4-5-20250929", 10,
        [
          Self.intAttr("ai.usage.cachedInputTokens", 20000),
          Self.attr("ai.response.providerMetadata", #"{\"anthropic\":{\"cacheCreationInputTokens\":8000}}"#),
        ], TokenCounts(input: 10, cachedInput: 20000, cacheWrite5m: 8000, output: 500)
      ),
      // AI SDK 5, OpenAI: input tokens with the cache reads in them.
      (
        "openai.chat", "gpt-4o", 3000, [Self.intAttr("ai.usage.cachedInputTokens", 2000)],
        TokenCounts(input: 1000, cachedInput: 2000, output: 500)
      ),
      // AI SDK 6: the split given whole.
      (
        "anthropic.messages", "claude-sonnet-4-5-20250929", 28010,
        [
          Self.intAttr("ai.usage.inputTokenDetails.noCacheTokens", 10),
          Self.intAttr("ai.usage.inputTokenDetails.cacheReadTokens", 20000),
          Self.intAttr("ai.usage.inputTokenDetails.cacheWriteTokens", 8000),
        ], TokenCounts(input: 10, cachedInput: 20000, cacheWrite5m: 8000, output: 500)
      ),
    ] as [(String, String, Int, [String], TokenCounts)])
  func vercelAISDKCacheTokensAndMetadataAreRead(
    system: String, model: String, input: Int, extra: [String], expected: TokenCounts
  ) throws {
    let span = Self.span(
      "ai.generateText.doGenerate", id: "v1",
      [
        Self.attr("gen_ai.system", system), Self.attr("gen_ai.request.model", model),
        Self.intAttr("gen_ai.usage.input_tokens", input), Self.intAttr("gen_ai.usage.output_tokens", 500),
        Self.attr("ai.telemetry.metadata.agent_id", "web-agent"), Self.attr("ai.telemetry.metadata.task_id", "T-9"),
      ] + extra)
    let (report, records) = try report(Self.export([span]))
    let r = try #require(records.first)
    #expect(records.count == 1)
    #expect(r.tokens == expected)
    #expect(r.metadata.agentID == "web-agent" && r.metadata.taskID == "T-9")
    if system.hasPrefix("anthropic") {
      // 10 × 3 + 20,000 × 0.30 + 8,000 × 3.75 + 500 × 15 per million.
      #expect(report.totalCost == TestSupport.usd("0.04353"))
    } else {
      // 1,000 × 2.50 + 2,000 × 1.25 + 500 × 10 per million.
      #expect(report.totalCost == TestSupport.usd("0.01"))
    }
  }

  @Test(arguments: [
    ("openai.chat", Provider.openai), ("openai.responses", .openai), ("anthropic.messages", .anthropic),
    ("azure-openai", .azure), ("azure_openai", .azure), ("bedrock_converse", .bedrock), ("amazon-bedrock", .bedrock),
    ("google_genai", .vertex), ("google.vertex.chat", .vertex), ("google.generative-ai", .vertex),
    ("OpenAI", .openai), ("aws.bedrock", .bedrock), ("gcp.gemini", .vertex),
  ])
  func instrumentationsProviderSpellings(raw: String, provider: Provider) {
    #expect(OTelGenAISpans.provider(raw) == provider)
  }

  @Test(arguments: ["ollama", "mistral_ai", "groq.chat", "", "."])
  func unpricedProvidersStayUnknown(raw: String) {
    #expect(OTelGenAISpans.provider(raw) == nil)
  }

  /// Pydantic AI's agent run (usage rolled up, no operation name, no provider) above its chat span:
  /// only the chat is charged.
  @Test func anAgentRunWithRolledUpUsageIsNotACall() throws {
    let run = Self.span(
      "agent run", id: "a1",
      [
        Self.attr("agent_name", "support"), Self.attr("model_name", "gpt-4o"),
        Self.intAttr("gen_ai.usage.input_tokens", 1000), Self.intAttr("gen_ai.usage.output_tokens", 100),
      ])
    let named = Self.span(
      "invoke_agent support", id: "a2",
      [Self.intAttr("gen_ai.usage.input_tokens", 1000), Self.intAttr("gen_ai.usage.output_tokens", 100)])
    let (report, records) = try report(Self.export([run, named, Self.chat("chat gpt-4o", span: "c1", parent: "a1")]))
    #expect(records.count == 1)
    #expect(report.totalCost == TestSupport.usd("0.0035"))
  }

  /// A call whose span reports no usage is unpriced with a finding that says why, not a free call;
  /// a failed one without usage stays a priced call of no tokens.
  @Test func aSuccessfulCallWithoutUsageIsUnpricedNotFree() throws {
    let bare = [
      Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "openai"),
      Self.attr("gen_ai.request.model", "gpt-4o"),
    ]
    let (report, records) = try report(
      Self.export([
        Self.span("chat gpt-4o", id: "s1", bare), Self.span("chat gpt-4o", id: "s2", error: true, bare),
        Self.chat("chat gpt-4o", span: "s3"),
      ]))
    #expect(records.count == 3)
    #expect(report.unpricedRecords == 1)
    #expect(report.totalCost == TestSupport.usd("0.0035"))
    let finding = try #require(report.findings.first { $0.kind == .unpricedModel })
    #expect(finding.explanation.contains("reports no token usage"), "\(finding.explanation)")
    #expect(finding.calls == 1)
    #expect(records.contains { $0.model == "gpt-4o [usage not_reported]" && !$0.failed })
    #expect(records.contains { $0.model == "gpt-4o" && $0.failed && $0.tokens.isZero })
  }

  /// One call traced by two nested instrumentations (both spans with its `gen_ai.response.id`) is
  /// charged once; a second call with its own response id is charged too.
  @Test func oneCallTracedTwiceIsChargedOnce() throws {
    let (report, records) = try report(
      Self.export([
        Self.chat("chat gpt-4o", span: "p1"), Self.chat("chat gpt-4o", span: "c1", parent: "p1"),
        Self.chat("chat gpt-4o", span: "p2", response: "chatcmpl-2"),
      ]))
    #expect(records.count == 3)
    #expect(report.duplicateRecords == 1)
    #expect(report.totalCost == TestSupport.usd("0.007"))
  }

  /// Of one call's two spans, the one with a cache split is charged, whichever is stored first.
  ///
  /// A trial: the OpenAI SDK's span, without the split, beneath Pydantic AI's. 1,200 input of which
  /// 1,024 cache reads and 100 output of gpt-4o: 176 × 2.50 + 1,024 × 1.25 + 100 × 10 per million =
  /// 0.00044 + 0.00128 + 0.001 = 0.00272 USD (the copy without the split: 0.004).
  @Test(arguments: [true, false])
  func ofOneCallsTwoSpansTheOneWithTheCacheSplitIsCharged(splitFirst: Bool) throws {
    func span(_ id: String, parent: String?, split: Bool) -> String {
      Self.span(
        "chat gpt-4o", id: id, parent: parent,
        [
          Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "openai"),
          Self.attr("gen_ai.request.model", "gpt-4o"), Self.attr("gen_ai.response.id", "chatcmpl-split"),
          Self.intAttr("gen_ai.usage.input_tokens", 1200), Self.intAttr("gen_ai.usage.output_tokens", 100),
        ] + (split ? [Self.intAttr("gen_ai.usage.cache_read.input_tokens", 1024)] : []))
    }
    let outer = span("p1", parent: nil, split: splitFirst)
    let inner = span("c1", parent: "p1", split: !splitFirst)
    let (report, records) = try report(Self.export([outer, inner]))
    #expect(records.count == 2)
    #expect(report.duplicateRecords == 1)
    #expect(report.totalCost == TestSupport.usd("0.00272"))
  }

  /// OpenInference and older OpenLLMetry spans are read by their own attribute names.
  ///
  /// OpenInference (Arize) spans: the LLM span is a call read from `llm.*` attributes (1,000 prompt
  /// tokens of which 200 cache reads, 100 completion: 800 × 2.50 + 200 × 1.25 + 100 × 10 = 3,250
  /// micro-USD); its CHAIN parent with the same counts rolled up is not. An older OpenLLMetry span
  /// (`llm.usage.*`, `llm.vendor`, `llm.request.model`) is a call too: 0.0035 USD.
  @Test func openInferenceAndOlderOpenLLMetrySpansAreRead() throws {
    let counts = [
      Self.intAttr("llm.token_count.prompt", 1000), Self.intAttr("llm.token_count.completion", 100),
      Self.intAttr("llm.token_count.prompt_details.cache_read", 200),
    ]
    let chain = Self.span("RunnableSequence", id: "k1", [Self.attr("openinference.span.kind", "CHAIN")] + counts)
    let llm = Self.span(
      "ChatOpenAI", id: "l1", parent: "k1",
      [
        Self.attr("openinference.span.kind", "LLM"), Self.attr("llm.provider", "openai"),
        Self.attr("llm.model_name", "gpt-4o"),
      ] + counts)
    let old = Self.span(
      "openai.chat", id: "o1",
      [
        Self.attr("llm.vendor", "OpenAI"), Self.attr("llm.request.model", "gpt-4o"),
        Self.intAttr("llm.usage.prompt_tokens", 1000), Self.intAttr("llm.usage.completion_tokens", 100),
      ])
    let (report, records) = try report(Self.export([chain, llm, old]))
    #expect(records.count == 2)
    let oi = try #require(records.first { $0.spanID == "l1" })
    #expect(oi.tokens == TokenCounts(input: 800, cachedInput: 200, output: 100))
    #expect(oi.provider == .openai && oi.model == "gpt-4o")
    #expect(report.totalCost == TestSupport.usd("0.00675"))
  }

  /// The same call exported with OTLP/JSON's hex ids and with protobuf JSON's base64 ids is one
  /// call, and a child naming its parent in base64 finds the hex parent's agent.
  @Test func base64IdsAreTheHexIdsTheyEncode() throws {
    let (traceHex, spanHex, childHex) = ("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "aaaaaaaaaaaaaaab")
    func base64(_ hex: String) -> String {
      var bytes: [UInt8] = []
      var i = hex.startIndex
      while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        bytes.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
      }
      return Data(bytes).base64EncodedString()
    }
    func call(trace: String, span: String, parent: String?) -> String {
      Self.chat("chat gpt-4o", span: span, parent: parent).replacingOccurrences(
        of: #""traceId":"t1""#, with: #""traceId":"\#(trace)""#)
    }
    let agent = Self.span(
      "invoke_agent", id: spanHex,
      [Self.attr("gen_ai.operation.name", "invoke_agent"), Self.attr("agent_id", "writer")]
    ).replacingOccurrences(of: #""traceId":"t1""#, with: #""traceId":"\#(traceHex)""#)
    let hex = call(trace: traceHex, span: childHex, parent: spanHex)
    let b64 = call(trace: base64(traceHex), span: base64(childHex), parent: base64(spanHex))
    #expect(base64(traceHex).count == 24 && base64(childHex).count == 12)
    let (report, records) = try report(Self.export([agent, hex]) + Self.export([b64]))
    #expect(records.count == 1)
    #expect(records.first?.traceID == traceHex && records.first?.spanID == childHex)
    #expect(records.first?.metadata.agentID == "writer")
    #expect(report.totalCost == TestSupport.usd("0.0035"))
  }

  /// Semantic Kernel's spans as its telemetry ADR writes them (`chat.completions`, and the counts
  /// as `gen_ai.response.prompt_tokens` / `completion_tokens`) and an OpenInference `EMBEDDING`
  /// span naming its model as `embedding.model_name` are calls: the first were read as no call
  /// and dropped without a word, the second refused the file for want of a model.
  ///
  /// gpt-4o 16 in, 34 out: 16 × 2.50 + 34 × 10 per million = 0.00004 + 0.00034; text-embedding-3-small
  /// 1,000 in at 0.02 per million = 0.00002. Total 0.0004.
  @Test func semanticKernelsAndOpenInferenceEmbeddingSpansAreCalls() throws {
    let sk = Self.span(
      "chat.completions gpt-4o", id: "sk1",
      [
        Self.attr("gen_ai.operation.name", "chat.completions"), Self.attr("gen_ai.system", "openai"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.attr("gen_ai.response.id", "chatcmpl-9uJ"),
        Self.intAttr("gen_ai.response.prompt_tokens", 16), Self.intAttr("gen_ai.response.completion_tokens", 34),
      ])
    let embedding = Self.span(
      "OpenAIEmbeddings", id: "e1",
      [
        Self.attr("openinference.span.kind", "EMBEDDING"), Self.attr("llm.provider", "openai"),
        Self.attr("embedding.model_name", "text-embedding-3-small"), Self.intAttr("llm.token_count.prompt", 1000),
      ])
    let (report, records) = try report(Self.export([sk, embedding]))
    #expect(records.count == 2)
    let call = try #require(records.first { $0.spanID == "sk1" })
    #expect(call.tokens == TokenCounts(input: 16, output: 34))
    let embedded = try #require(records.first { $0.spanID == "e1" })
    #expect(embedded.model == "text-embedding-3-small" && embedded.tokens == TokenCounts(input: 1000))
    #expect(report.totalCost == TestSupport.usd("0.0004"))
  }

  /// Cached tokens under the names instrumentations took from OpenAI's usage object (Latitude's
  /// fixture: `gen_ai.usage.cached_tokens`) are cache reads inside the input: 2,048 input of which
  /// 1,024 cached and 16 output of gpt-4o is 1,024 × 2.50 + 1,024 × 1.25 + 16 × 10 per million =
  /// 0.00256 + 0.00128 + 0.00016 = 0.004 USD (charged as uncached input, it was 0.00528).
  @Test(arguments: [
    "gen_ai.usage.cached_tokens", "gen_ai.usage.prompt_tokens_details.cached_tokens",
    "gen_ai.usage.input_tokens_details.cached_tokens",
  ])
  func cachedTokensUnderOpenAIsNameAreCacheReads(name: String) throws {
    let call = Self.span(
      "completion", id: "c1",
      [
        Self.attr("gen_ai.operation.name", "completion"), Self.attr("gen_ai.system", "openai"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.intAttr("gen_ai.usage.input_tokens", 2048),
        Self.intAttr(name, 1024), Self.intAttr("gen_ai.usage.output_tokens", 16),
      ])
    let (report, records) = try report(Self.export([call]))
    #expect(records.map(\.tokens) == [TokenCounts(input: 1024, cachedInput: 1024, output: 16)])
    #expect(report.totalCost == TestSupport.usd("0.004"))
  }

  /// The review's cases: the copy with usage wins, the host wins, an agent-tagged call is a call.
  ///
  /// A usage-less span stored before the span of the same call that has the
  /// usage does not hide it: 0.0035 USD, nothing unpriced. `llm.provider` (the host: azure) wins
  /// over `llm.system` (the model's maker: openai), whichever comes first. A span naming an agent
  /// and a model of its own, with usage and no operation name, is a call (0.0035 USD).
  @Test func reviewedCases() throws {
    let bare = Self.span(
      "chat gpt-4o", id: "c0", parent: "p0",
      [
        Self.attr("gen_ai.operation.name", "chat"), Self.attr("gen_ai.system", "openai"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.attr("gen_ai.response.id", "chatcmpl-9"),
      ])
    let (first, _) = try report(Self.export([bare, Self.chat("chat gpt-4o", span: "p0", response: "chatcmpl-9")]))
    #expect(first.duplicateRecords == 1)
    #expect(first.unpricedRecords == 0)
    #expect(first.totalCost == TestSupport.usd("0.0035"))

    let hosted = Self.span(
      "ChatAzureOpenAI", id: "z1",
      [
        Self.attr("openinference.span.kind", "LLM"), Self.attr("llm.system", "openai"),
        Self.attr("llm.provider", "azure"), Self.attr("llm.model_name", "gpt-4o"),
        Self.intAttr("llm.token_count.prompt", 10),
      ])
    let tagged = Self.span(
      "chat", id: "g1",
      [
        Self.attr("gen_ai.agent.name", "support"), Self.attr("gen_ai.system", "openai"),
        Self.attr("gen_ai.request.model", "gpt-4o"), Self.intAttr("gen_ai.usage.input_tokens", 1000),
        Self.intAttr("gen_ai.usage.output_tokens", 100),
      ])
    let (_, records) = try report(Self.export([hosted, tagged]))
    #expect(records.first { $0.spanID == "z1" }?.provider == .azure)
    #expect(records.first { $0.spanID == "g1" }?.tokens == TokenCounts(input: 1000, output: 100))
  }
}
