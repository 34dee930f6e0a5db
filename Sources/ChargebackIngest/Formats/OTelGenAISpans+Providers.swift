import ChargebackModel

/// The providers that OTel spans name, in the spellings instrumentations write, and the frameworks
/// they name instead of a provider.
extension OTelGenAISpans {
  /// Our provider id for a `gen_ai.provider.name` or (deprecated) `gen_ai.system` value.
  ///
  /// Besides the conventions' names, the spellings instrumentations write: `-` for `_` (Spring AI's
  /// `azure-openai`, `bedrock_converse`, `google_genai`), and the Vercel AI SDK's
  /// `<provider>.<api>` (`openai.chat`, `anthropic.messages`, `google.vertex.chat`): a dotted name
  /// not known whole is tried without its last parts.
  static func provider(_ raw: String) -> Provider? {
    var name = raw.lowercased().replacingOccurrences(of: "-", with: "_")
    while true {
      if let p = knownProvider(name) { return p }
      guard let dot = name.lastIndex(of: ".") else { return nil }
      name = String(name[..<dot])
    }
  }

  /// Orchestration frameworks that instrumentations name as a span's `gen_ai.system` (OpenLIT's
  /// LangChain span around the OpenAI call it makes): no provider, so no price of their own.
  static let frameworks: Set<String> = [
    "langchain", "langgraph", "llama_index", "llamaindex", "crewai", "haystack", "semantic_kernel", "autogen", "ag2",
    "dspy", "agno", "phidata", "mem0",
  ]

  /// Whether `raw` names an orchestration framework (``frameworks``).
  static func isFramework(_ raw: String) -> Bool {
    frameworks.contains(raw.lowercased().replacingOccurrences(of: "-", with: "_"))
  }

  private static func knownProvider(_ name: String) -> Provider? {
    switch name {
    case "openai": .openai
    case "anthropic": .anthropic
    // `aws` and `google` are OpenInference's `llm.provider` values.
    case "aws.bedrock", "aws_bedrock", "bedrock", "bedrock_converse", "amazon_bedrock", "aws": .bedrock
    case "azure.ai.openai", "az.ai.openai", "azure.ai.inference", "az.ai.inference", "azure", "azure_openai": .azure
    case "gcp.vertex_ai", "gcp.gemini", "gcp.gen_ai", "vertex_ai", "gemini", "google_genai", "google.vertex",
      "google_vertex", "google.generative_ai", "google_vertex_ai", "google", "vertexai":
      .vertex
    default: nil
    }
  }
}
