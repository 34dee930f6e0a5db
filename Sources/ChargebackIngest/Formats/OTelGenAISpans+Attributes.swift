import ChargebackModel

// The span and resource attributes the OTel reader takes, and the names it takes them by: the GenAI
// conventions' (current and deprecated) and those of instrumentations outside them.

/// The attributes we read from a span or a resource, values as given.
struct OTelAttributes {
  var operation, providerName, system, requestModel, responseModel, responseID: String?
  /// Token counts (tokens).
  var inputTokens, promptTokens, outputTokens, completionTokens, cacheRead, cacheWrite: Int64?
  var genAIAgent, agent, task, scope, parentRequest, conversation, credential, errorType: String?
  var requestTier, responseTier: String?
  /// `gen_ai.agent.name`, or Pydantic AI's `agent_name`: set on an agent's run, not on a model call.
  var agentName: String?

  /// The names of instrumentations outside the GenAI conventions, read when the conventions' are
  /// absent: OpenInference's `llm.token_count.*`, `llm.model_name`, `llm.provider`/`llm.system`
  /// and `openinference.span.kind`; OpenLLMetry's older `llm.usage.*`, `llm.request.model`,
  /// `llm.response.model` and `llm.vendor`.
  var altPrompt, altCompletion, altCacheRead, altCacheWrite: Int64?
  /// `llm.provider` (where the model is hosted: `azure`, `aws`) wins over `llm.system` and
  /// `llm.vendor` (whose model it is: `openai`, `anthropic`): Claude on Bedrock is billed by AWS.
  var altModel, altResponseModel, altProvider, altSystem, spanKind: String?

  /// Whether any token count is given (zero included).
  var hasUsage: Bool {
    inputTokens != nil || promptTokens != nil || outputTokens != nil || completionTokens != nil || altPrompt != nil
      || altCompletion != nil
  }
}

/// The attributes we read (current and deprecated names), by key.
enum OTelSlot {
  case operation, providerName, system, requestModel, responseModel, responseID
  case inputTokens, promptTokens, outputTokens, completionTokens, cacheRead, cacheWrite
  case genAIAgent, agent, task, scope, parentRequest, parentCall, conversation, credential, errorType
  case requestTier, responseTier, agentName
  case altPrompt, altCompletion, altCacheRead, altCacheWrite, altModel, altResponseModel, altProvider, altSystem
  case spanKind

  private static let table: [(StaticString, OTelSlot)] = [
    ("gen_ai.operation.name", .operation), ("gen_ai.provider.name", .providerName), ("gen_ai.system", .system),
    ("gen_ai.request.model", .requestModel), ("gen_ai.response.model", .responseModel),
    ("gen_ai.response.id", .responseID), ("gen_ai.usage.input_tokens", .inputTokens),
    ("gen_ai.usage.prompt_tokens", .promptTokens), ("gen_ai.usage.output_tokens", .outputTokens),
    ("gen_ai.usage.completion_tokens", .completionTokens), ("gen_ai.usage.cache_read.input_tokens", .cacheRead),
    ("gen_ai.usage.cache_read_input_tokens", .cacheRead),
    ("gen_ai.usage.cache_creation.input_tokens", .cacheWrite),
    ("gen_ai.usage.cache_creation_input_tokens", .cacheWrite), ("gen_ai.agent.id", .genAIAgent),
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
    ("llm.request.model", .altModel), ("llm.response.model", .altResponseModel), ("llm.provider", .altProvider),
    ("llm.system", .altSystem), ("llm.vendor", .altSystem), ("openinference.span.kind", .spanKind),
  ]

  init?(_ k: UnsafeBufferPointer<UInt8>) {
    guard let hit = Self.table.first(where: { k.equals($0.0) }) else { return nil }
    self = hit.1
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
    case .altPrompt: a.altPrompt = try count()
    case .altCompletion: a.altCompletion = try count()
    case .altCacheRead: a.altCacheRead = try count()
    case .altCacheWrite: a.altCacheWrite = try count()
    case .altModel: a.altModel = a.altModel ?? text
    case .altResponseModel: a.altResponseModel = text
    case .altProvider: a.altProvider = text
    case .altSystem: a.altSystem = a.altSystem ?? text
    case .spanKind: a.spanKind = text
    }
  }
}
