import ChargebackModel
import Foundation

// The span and resource attributes the OTel reader takes, and the names it takes them by: the GenAI
// conventions' (current and deprecated) and those of instrumentations outside them.

/// The attributes we read from a span or a resource, values as given.
struct OTelAttributes {
  var operation, providerName, system, requestModel, responseModel, responseID: String?
  /// Token counts (tokens).
  var inputTokens, promptTokens, outputTokens, completionTokens, cacheRead, cacheWrite: Int64?
  /// Reasoning (thinking) tokens given apart (`gen_ai.usage.reasoning_tokens`, the AI SDK's
  /// `ai.usage.reasoningTokens`, OpenInference's `llm.token_count.completion_details.reasoning`),
  /// and the call's total tokens as its instrumentation gives it: read for Gemini, whose API counts
  /// its thoughts apart from its output (``OTelGenAISpans/geminiOutput(_:output:input:model:)``).
  var reasoningTokens, totalTokens: Int64?
  var genAIAgent, agent, task, scope, parentRequest, conversation, credential, errorType: String?
  var requestTier, responseTier: String?
  /// `gen_ai.agent.name`, or Pydantic AI's `agent_name`: set on an agent's run, not on a model call.
  var agentName: String?
  /// `telemetry.sdk.name` (a resource's): `openlit` for OpenLIT, whose input tokens follow the
  /// provider's API (``OTelGenAISpans/inputExcludesCache(provider:rawProvider:span:resource:)``).
  var sdkName: String?

  /// The names of instrumentations outside the GenAI conventions, read when the conventions' are
  /// absent: OpenInference's `llm.token_count.*`, `llm.model_name`, `llm.provider`/`llm.system`
  /// and `openinference.span.kind`; OpenLLMetry's older `llm.usage.*`, `llm.request.model`,
  /// `llm.response.model` and `llm.vendor`.
  var altPrompt, altCompletion, altCacheRead, altCacheWrite: Int64?
  /// `llm.provider` (where the model is hosted: `azure`, `aws`) wins over `llm.system` and
  /// `llm.vendor` (whose model it is: `openai`, `anthropic`): Claude on Bedrock is billed by AWS.
  var altModel, altResponseModel, altProvider, altSystem, spanKind: String?

  /// The Vercel AI SDK's own usage details, which its `gen_ai.usage.*` leave out: `ai.usage.
  /// inputTokenDetails.*` (AI SDK 6: `noCacheTokens`, `cacheReadTokens`, `cacheWriteTokens`, parts
  /// of its input tokens), `ai.usage.cachedInputTokens` (AI SDK 5, whose input tokens include the
  /// cache reads for OpenAI and Google but not for Anthropic and Bedrock), and
  /// `ai.response.providerMetadata` (a JSON text: Anthropic's and Bedrock's cache writes).
  var aiNoCache, aiCacheRead, aiCacheWrite, aiCachedInput: Int64?
  var aiProviderMetadata: String?

  /// The provider's own usage object as JSON text: Pydantic Logfire's `gen_ai.usage.raw`, and the
  /// `usage` of its `response_data` (``OTelAttributes/rawUsage()``).
  var usageRaw, responseData: String?
  /// Whether ``responseData`` names a `usage` (found once, as the attribute is read: it holds the
  /// whole response, and ``hasUsage`` is asked of a span more than once).
  var responseHasUsage = false

  /// Claude Code's flat attributes, as given.
  ///
  /// `input_tokens` (the Anthropic API's, without the cache), `output_tokens`, `cache_read_tokens`,
  /// `cache_creation_tokens`, `request_id` and `success`. Taken only on its `claude_code.llm_request` spans (``claudeCode``), where they
  /// are the call's usage (``OTelGenAISpans/claudeCodeUsage(_:bad:)``); elsewhere such bare names
  /// may mean anything.
  var flatInput, flatOutput, flatCacheRead, flatCacheWrite, flatRequestID, flatSuccess: String?
  /// The span is Claude Code's record of one API request (named `claude_code.llm_request`).
  var claudeCode = false
  /// A flat token count given twice or not as a number: the key and what is wrong, refused on a
  /// Claude Code request span only (elsewhere such bare names are not read).
  var flatProblem: (key: String, problem: String)?

  /// Whether any token count is given (zero included), or the provider's usage object
  /// (``usageRaw``, a ``responseData`` with a `usage`).
  var hasUsage: Bool {
    inputTokens != nil || promptTokens != nil || outputTokens != nil || completionTokens != nil || altPrompt != nil
      || altCompletion != nil || usageRaw != nil || responseHasUsage || hasClaudeCodeUsage
  }

  /// A Claude Code request span with its flat token counts (``flatInput``).
  var hasClaudeCodeUsage: Bool {
    claudeCode
      && (flatInput != nil || flatOutput != nil || flatCacheRead != nil || flatCacheWrite != nil || flatProblem != nil)
  }

  /// Whether a token count above zero is given: a call beneath another that counts no token (its
  /// counts 0) does not make the one above a second record of it.
  var reportsTokens: Bool {
    [inputTokens, promptTokens, outputTokens, completionTokens, altPrompt, altCompletion].contains { ($0 ?? 0) > 0 }
      || usageRaw != nil || responseHasUsage
      || (claudeCode && [flatInput, flatOutput, flatCacheRead, flatCacheWrite].contains { ($0 ?? "0") != "0" })
  }
}

/// The attributes we read (current and deprecated names), by key.
enum OTelSlot {
  case operation, providerName, system, requestModel, responseModel, responseID
  case inputTokens, promptTokens, outputTokens, completionTokens, cacheRead, cacheWrite, reasoningTokens, totalTokens
  case genAIAgent, agent, task, scope, parentRequest, parentCall, conversation, credential, errorType
  case requestTier, responseTier, agentName, sdkName
  case altPrompt, altCompletion, altCacheRead, altCacheWrite, altModel, altResponseModel, altProvider, altSystem
  case spanKind
  case aiNoCache, aiCacheRead, aiCacheWrite, aiCachedInput, aiProviderMetadata
  case usageRaw, responseData
  case flatInput, flatOutput, flatCacheRead, flatCacheWrite, flatRequestID, flatSuccess

  private static let table: [(StaticString, OTelSlot)] = [
    ("gen_ai.operation.name", .operation), ("gen_ai.provider.name", .providerName), ("gen_ai.system", .system),
    ("gen_ai.request.model", .requestModel), ("gen_ai.response.model", .responseModel),
    ("gen_ai.response.id", .responseID), ("gen_ai.usage.input_tokens", .inputTokens),
    ("gen_ai.usage.prompt_tokens", .promptTokens), ("gen_ai.usage.output_tokens", .outputTokens),
    // Semantic Kernel's names before the conventions settled (its telemetry ADR).
    ("gen_ai.response.prompt_tokens", .promptTokens), ("gen_ai.response.completion_tokens", .completionTokens),
    ("gen_ai.usage.completion_tokens", .completionTokens), ("gen_ai.usage.cache_read.input_tokens", .cacheRead),
    ("gen_ai.usage.reasoning_tokens", .reasoningTokens), ("ai.usage.reasoningTokens", .reasoningTokens),
    ("llm.token_count.completion_details.reasoning", .reasoningTokens),
    ("gen_ai.usage.total_tokens", .totalTokens), ("ai.usage.totalTokens", .totalTokens),
    ("llm.token_count.total", .totalTokens), ("llm.usage.total_tokens", .totalTokens),
    ("gen_ai.usage.cache_read_input_tokens", .cacheRead),
    // Names after OpenAI's `prompt_tokens_details.cached_tokens` (Latitude, OpenLIT and others), whose
    // prompt tokens include the cached ones, as the conventions' input tokens do.
    ("gen_ai.usage.cached_tokens", .cacheRead), ("gen_ai.usage.prompt_tokens_details.cached_tokens", .cacheRead),
    ("gen_ai.usage.input_tokens_details.cached_tokens", .cacheRead),
    ("gen_ai.usage.cache_creation.input_tokens", .cacheWrite),
    ("gen_ai.usage.cache_creation_input_tokens", .cacheWrite),
    // Other spellings in use: Strands Agents and others `cache_write_input_tokens`, GitHub Copilot
    // CLI and opencode `cache_write.input_tokens`; Pydantic AI's usage details
    // (`gen_ai.usage.details.*`: `cache_read_tokens` and `cache_write_tokens` since 1.0,
    // `cache_read_input_tokens` and `cache_creation_input_tokens` before), whose input tokens
    // include them, as the conventions' do. The bare `cache_read_tokens`/`cache_write_tokens` are
    // not read: their emitters disagree on whether the input includes them.
    ("gen_ai.usage.cache_write_input_tokens", .cacheWrite), ("gen_ai.usage.cache_write.input_tokens", .cacheWrite),
    ("gen_ai.usage.details.cache_read_tokens", .cacheRead), ("gen_ai.usage.details.cache_write_tokens", .cacheWrite),
    ("gen_ai.usage.details.cache_read_input_tokens", .cacheRead),
    ("gen_ai.usage.details.cache_creation_input_tokens", .cacheWrite), ("telemetry.sdk.name", .sdkName),
    ("gen_ai.agent.id", .genAIAgent),
    ("agent_id", .agent), ("task_id", .task), ("scope_id", .scope), ("parent_request_id", .parentRequest),
    ("parent_call_id", .parentCall), ("gen_ai.conversation.id", .conversation),
    ("chargeback.credential_id", .credential), ("error.type", .errorType),
    ("openai.request.service_tier", .requestTier), ("gen_ai.openai.request.service_tier", .requestTier),
    ("openai.response.service_tier", .responseTier), ("gen_ai.openai.response.service_tier", .responseTier),
    ("gen_ai.agent.name", .agentName), ("agent_name", .agentName),
    ("llm.token_count.prompt", .altPrompt), ("llm.usage.prompt_tokens", .altPrompt),
    ("llm.token_count.completion", .altCompletion), ("llm.usage.completion_tokens", .altCompletion),
    ("llm.token_count.prompt_details.cache_read", .altCacheRead), ("llm.usage.cache_read_input_tokens", .altCacheRead),
    ("llm.token_count.prompt_details.cache_write", .altCacheWrite),
    ("llm.usage.cache_creation_input_tokens", .altCacheWrite), ("llm.model_name", .altModel),
    ("embedding.model_name", .altModel),
    ("llm.request.model", .altModel), ("llm.response.model", .altResponseModel), ("llm.provider", .altProvider),
    ("llm.system", .altSystem), ("llm.vendor", .altSystem), ("openinference.span.kind", .spanKind),
    ("ai.usage.inputTokenDetails.noCacheTokens", .aiNoCache),
    ("ai.usage.inputTokenDetails.cacheReadTokens", .aiCacheRead),
    ("ai.usage.inputTokenDetails.cacheWriteTokens", .aiCacheWrite), ("ai.usage.cachedInputTokens", .aiCachedInput),
    ("ai.response.providerMetadata", .aiProviderMetadata),
    // Pydantic Logfire: the provider's usage object, whole (its `gen_ai.usage.input_tokens` is
    // Anthropic's own, without the cache, which it gives only there).
    ("gen_ai.usage.raw", .usageRaw), ("response_data", .responseData),
    // The AI SDK's one channel for a call's own metadata: `experimental_telemetry.metadata`.
    ("ai.telemetry.metadata.agent_id", .agent), ("ai.telemetry.metadata.task_id", .task),
    ("ai.telemetry.metadata.scope_id", .scope), ("ai.telemetry.metadata.parent_request_id", .parentRequest),
    // Claude Code's `claude_code.llm_request` spans (its beta tracing, 2.1): the API's usage under
    // flat names, kept as text and read only on such spans (``OTelAttributes/flatInput``).
    ("input_tokens", .flatInput), ("output_tokens", .flatOutput), ("cache_read_tokens", .flatCacheRead),
    ("cache_creation_tokens", .flatCacheWrite), ("request_id", .flatRequestID), ("success", .flatSuccess),
  ]

  init?(_ k: UnsafeBufferPointer<UInt8>) {
    guard let hit = Self.table.first(where: { k.equals($0.0) }) else { return nil }
    self = hit.1
  }

  /// Whether it is one of Claude Code's flat token counts (read on its request spans only).
  var isFlatCount: Bool { [.flatInput, .flatOutput, .flatCacheRead, .flatCacheWrite].contains(self) }

  /// Whether it is a token count (a whole number).
  var isCount: Bool {
    switch self {
    case .inputTokens, .promptTokens, .outputTokens, .completionTokens, .cacheRead, .cacheWrite, .reasoningTokens,
      .totalTokens, .altPrompt, .altCompletion, .altCacheRead, .altCacheWrite, .aiNoCache, .aiCacheRead, .aiCacheWrite,
      .aiCachedInput:
      true
    default: false
    }
  }

  /// Stores `text`; token attributes must be whole numbers.
  func assign(_ text: String, to a: inout OTelAttributes) throws {
    func count() throws -> Int64 {
      switch JSONLayout.parseCount(text) {
      case .success(let v): return v
      case .failure(let problem): throw JSONScanner.Failure(kind: .invalid(problem.message), offset: 0, message: "")
      }
    }
    switch self {
    case .operation: a.operation = text
    case .providerName: a.providerName = text
    case .system: a.system = text
    case .requestModel: a.requestModel = text
    case .responseModel: a.responseModel = text
    case .responseID: a.responseID = text
    case .inputTokens: a.inputTokens = try count()
    case .promptTokens: a.promptTokens = try count()
    case .outputTokens: a.outputTokens = try count()
    case .completionTokens: a.completionTokens = try count()
    case .cacheRead: a.cacheRead = try count()
    case .cacheWrite: a.cacheWrite = try count()
    case .reasoningTokens: a.reasoningTokens = try count()
    case .totalTokens: a.totalTokens = try count()
    case .genAIAgent: a.genAIAgent = text
    case .agent: a.agent = text
    case .task: a.task = text
    case .scope: a.scope = text
    case .parentRequest: a.parentRequest = text
    case .parentCall: a.parentRequest = a.parentRequest ?? text
    case .conversation: a.conversation = text
    case .credential: a.credential = text
    case .errorType: a.errorType = text
    case .requestTier: a.requestTier = text
    case .responseTier: a.responseTier = text
    case .agentName: a.agentName = text
    case .sdkName: a.sdkName = text
    case .altPrompt: a.altPrompt = try count()
    case .altCompletion: a.altCompletion = try count()
    case .altCacheRead: a.altCacheRead = try count()
    case .altCacheWrite: a.altCacheWrite = try count()
    case .altModel: a.altModel = a.altModel ?? text
    case .altResponseModel: a.altResponseModel = text
    case .altProvider: a.altProvider = text
    case .altSystem: a.altSystem = a.altSystem ?? text
    case .spanKind: a.spanKind = text
    case .aiNoCache: a.aiNoCache = try count()
    case .aiCacheRead: a.aiCacheRead = try count()
    case .aiCacheWrite: a.aiCacheWrite = try count()
    case .aiCachedInput: a.aiCachedInput = try count()
    case .aiProviderMetadata: a.aiProviderMetadata = text
    case .usageRaw: a.usageRaw = text
    case .flatInput: a.flatInput = text
    case .flatOutput: a.flatOutput = text
    case .flatCacheRead: a.flatCacheRead = text
    case .flatCacheWrite: a.flatCacheWrite = text
    case .flatRequestID: a.flatRequestID = text
    case .flatSuccess: a.flatSuccess = text
    case .responseData:
      a.responseData = text
      a.responseHasUsage = FormatRegistry.contains(Array(text.utf8), "\"usage\"")
    }
  }
}

extension OTelAttributes {
  /// A call's input split into uncached, cache reads and cache writes, from the Vercel AI SDK's
  /// own attributes (``aiNoCache`` and the others); nil when the span has none of them.
  ///
  /// `total` is the span's `gen_ai.usage.input_tokens`. AI SDK 6 gives the split itself. AI SDK 5
  /// gives only the cache reads, which its input tokens include for OpenAI, Azure and Google but
  /// not for Anthropic and Bedrock (their APIs count them apart: the Anthropic calls of a helper's
  /// trace were charged 10 input tokens of 28,010); the cache writes are in the provider metadata.
  ///
  /// `apart`: the provider's API counts the cache apart from the input (Anthropic's, on its own
  /// API, on Bedrock or on Vertex: `vertex.anthropic.messages`).
  func vercelInput(total: Int64, apart: Bool) -> (uncached: Int64, reads: Int64, writes: Int64)? {
    if let noCache = aiNoCache { return (noCache, aiCacheRead ?? 0, aiCacheWrite ?? 0) }
    if aiCacheRead != nil || aiCacheWrite != nil {
      let (reads, writes) = (aiCacheRead ?? 0, aiCacheWrite ?? 0)
      return (total - reads - writes, reads, writes)
    }
    guard let reads = aiCachedInput else { return nil }
    let writes = Self.providerCacheWrites(aiProviderMetadata)
    return apart ? (total, reads, writes) : (total - reads - writes, reads, writes)
  }

  /// Cache writes in the AI SDK's provider metadata: `{"anthropic":{"cacheCreationInputTokens":N}}`
  /// or `{"bedrock":{"usage":{"cacheWriteInputTokens":N}}}`; 0 when absent or not a whole number.
  static func providerCacheWrites(_ json: String?) -> Int64 {
    guard let data = json?.data(using: .utf8),
      let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    else { return 0 }
    let anthropic = (root["anthropic"] as? [String: Any])?["cacheCreationInputTokens"]
    let bedrock = ((root["bedrock"] as? [String: Any])?["usage"] as? [String: Any])?["cacheWriteInputTokens"]
    for v in [anthropic, bedrock] {
      if let n = v as? NSNumber, n.doubleValue >= 0, n.doubleValue < 1e13, n.doubleValue == n.doubleValue.rounded() {
        return n.int64Value
      }
    }
    return 0
  }
}

/// A call's usage as its provider's API returned it, from a JSON text attribute.
struct RawUsage: Equatable {
  /// Input as the conventions count it: uncached, cache reads and cache writes.
  var total: Int64
  var cacheRead: Int64
  var cacheWrite5m: Int64
  var cacheWrite1h: Int64
  var output: Int64
}

extension OTelAttributes {
  /// The provider's own usage object (``usageRaw``, else the `usage` of ``responseData``), read by
  /// its API's names; nil when there is none, or it is not such an object.
  ///
  /// Pydantic Logfire writes Anthropic's `input_tokens` as `gen_ai.usage.input_tokens`, which leaves
  /// the cache out, and the cache reads and writes only in the usage object: its Anthropic calls
  /// were charged their uncached input alone (30 % under, a trial), and its OpenAI calls their
  /// cached tokens at the uncached rate.
  /// - OpenAI Chat Completions: `prompt_tokens` (cache reads included),
  ///   `prompt_tokens_details.cached_tokens`, `completion_tokens`.
  /// - OpenAI Responses: `input_tokens` (cache reads included), `input_tokens_details.cached_tokens`,
  ///   `output_tokens`.
  /// - Anthropic: `input_tokens` (cache left out), `cache_read_input_tokens`,
  ///   `cache_creation_input_tokens` (split by `cache_creation.ephemeral_5m_input_tokens` and
  ///   `ephemeral_1h_input_tokens` when they add up to it), `output_tokens`.
  func rawUsage() -> RawUsage? {
    func object(_ text: String?) -> [String: Any]? {
      guard let data = text?.data(using: .utf8) else { return nil }
      return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
    guard let usage = object(usageRaw) ?? (object(responseData)?["usage"] as? [String: Any]) else { return nil }
    func count(_ v: Any?) -> Int64? {
      guard let n = v as? NSNumber, !(v is Bool), n.doubleValue >= 0, n.doubleValue < 1e13,
        n.doubleValue == n.doubleValue.rounded()
      else { return nil }
      return n.int64Value
    }
    if let prompt = count(usage["prompt_tokens"]) {
      let cached = count((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"]) ?? 0
      return RawUsage(
        total: prompt, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0,
        output: count(usage["completion_tokens"]) ?? 0)
    }
    guard let input = count(usage["input_tokens"]) else { return nil }
    let output = count(usage["output_tokens"]) ?? 0
    if usage["cache_read_input_tokens"] != nil || usage["cache_creation_input_tokens"] != nil {
      let reads = count(usage["cache_read_input_tokens"]) ?? 0
      let writes = count(usage["cache_creation_input_tokens"]) ?? 0
      let split = usage["cache_creation"] as? [String: Any]
      let (m5, h1) = (count(split?["ephemeral_5m_input_tokens"]) ?? 0, count(split?["ephemeral_1h_input_tokens"]) ?? 0)
      let (w5, w1) = m5 + h1 == writes ? (m5, h1) : (writes, 0)
      return RawUsage(
        total: input + reads + writes, cacheRead: reads, cacheWrite5m: w5, cacheWrite1h: w1, output: output)
    }
    let cached = count((usage["input_tokens_details"] as? [String: Any])?["cached_tokens"]) ?? 0
    return RawUsage(total: input, cacheRead: cached, cacheWrite5m: 0, cacheWrite1h: 0, output: output)
  }
}
