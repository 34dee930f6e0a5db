import ChargebackModel

/// One span of an export, with the JSON path it was read from.
struct OTelSpan {
  var traceID, spanID, parentSpanID: String?
  /// `startTimeUnixNano` (UTC epoch nanoseconds).
  var startNanos: Int64?
  var statusError = false
  /// Named as an agent's run (``OTelBatch/isAgentRunName(_:)``).
  var isAgentRun = false
  /// A framework's span around a model call that a span beneath it records
  /// (``OTelBatch/markFrameworkWrappers()``).
  var wrapsCall = false
  var attributes = OTelAttributes()
  /// Index of its resource in ``OTelBatch/resources``.
  var resource: Int
  var path: String

  /// True for a span that stands for a charged model call.
  var isModelCall: Bool {
    // The call is the provider's span beneath it: counted there, once, at the provider's price.
    if wrapsCall { return false }
    switch attributes.operation?.lowercased() {
    // Semantic Kernel's `chat.completions`, `text.completions` (its telemetry ADR, before the
    // conventions settled): its calls were read as no call, and dropped without a word.
    case "chat", "text_completion", "generate_content", "embeddings", "chat.completions", "text.completions":
      return true
    case "invoke_agent", "create_agent", "execute_tool", "invoke_workflow": return false
    default:
      // OpenInference (Arize) names the kind of every span: LLM and EMBEDDING spans are calls; its
      // chains, agents and tools are not, even when they carry token counts.
      if let kind = attributes.spanKind?.uppercased() { return kind == "LLM" || kind == "EMBEDDING" }
      // An agent's run with its calls' usage rolled up onto it, without an operation name (Pydantic
      // AI before it wrote `invoke_agent`): its calls are the spans beneath it.
      // A span named by its agent but naming no model of its own is such a run too.
      if isAgentRun { return false }
      let a = attributes
      if a.agentName != nil && a.requestModel == nil && a.responseModel == nil && a.altModel == nil
        && a.altResponseModel == nil
      {
        return false
      }
      return attributes.hasUsage
    }
  }
}
