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
    var name = normalized(raw)
    while true {
      if let p = knownProvider(name) { return p }
      guard let dot = name.lastIndex(of: ".") else { return nil }
      name = String(name[..<dot])
    }
  }

  /// Orchestration frameworks that instrumentations name as a span's `gen_ai.system`.
  ///
  /// OpenLIT's LangChain span around the OpenAI call it makes: no provider, so no price of their
  /// own. Google's Agent Development Kit names its `call_llm` spans `gcp.vertex.agent` (a trial: a trace
  /// with Gemini's own span beneath was refused whole, as an unknown provider).
  static let frameworks: Set<String> = [
    "langchain", "langgraph", "llama_index", "llamaindex", "crewai", "haystack", "semantic_kernel", "autogen", "ag2",
    "dspy", "agno", "phidata", "mem0", "strands_agents", "gcp.vertex.agent",
  ]

  /// Whether a span's input tokens leave out its cache reads and writes, as the provider's API
  /// counts them, instead of including them as the conventions say.
  ///
  /// - OpenLIT (`telemetry.sdk.name` `openlit`) writes Anthropic's `input_tokens` as the API
  ///   returns them, without the cache ("cache tokens are added on top", its Anthropic
  ///   instrumentation).
  /// - Strands Agents (`gen_ai.system` `strands-agents`) writes Bedrock Converse's `inputTokens`,
  ///   without the cache.
  ///
  /// Read as including them, such a call's cache reads were taken out of its input again: charged
  /// below its cost, or refused when the cache reads passed the input.
  static func inputExcludesCache(provider: Provider, rawProvider: String, sdkName: String?) -> Bool {
    if isStrands(rawProvider) { return true }
    return sdkName?.lowercased() == "openlit" && provider == .anthropic
  }

  /// Whether `raw` is Strands Agents' name for its own spans.
  static func isStrands(_ raw: String) -> Bool {
    normalized(raw) == "strands_agents"
  }

  /// Whether `model` is a Bedrock model id (`anthropic.claude-3-5-haiku-20241022-v1:0`, with a
  /// cross-region prefix `us.`, `eu.`, `apac.`, `global.` …, or an ARN of Bedrock): the provider of
  /// a Strands Agents span that names none but its own (Strands' default model is Bedrock's).
  static func isBedrockModelID(_ model: String) -> Bool {
    if model.hasPrefix("arn:aws:bedrock:") || model.hasPrefix("arn:aws-us-gov:bedrock:") { return true }
    var parts = model.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count >= 3, ["us", "eu", "apac", "jp", "au", "ca", "us-gov", "global"].contains(parts[0]) {
      parts.removeFirst()
    }
    let vendors: Set<Substring> = [
      "anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "qwen", "openai", "writer", "twelvelabs",
      "stability", "luma",
    ]
    return parts.count >= 2 && vendors.contains(parts[0]) && !parts[1].isEmpty
  }

  /// Whether `raw` names an orchestration framework (``frameworks``).
  static func isFramework(_ raw: String) -> Bool {
    frameworks.contains(normalized(raw))
  }

  /// A provider or framework name as compared: case ignored, `-` read as `_`.
  private static func normalized(_ raw: String) -> String {
    raw.lowercased().replacingOccurrences(of: "-", with: "_")
  }

  private static func knownProvider(_ name: String) -> Provider? {
    switch name {
    case "openai": .openai
    case "anthropic": .anthropic
    // `aws` and `google` are OpenInference's `llm.provider` values.
    case "aws.bedrock", "aws_bedrock", "bedrock", "bedrock_converse", "amazon_bedrock", "aws": .bedrock
    case "azure.ai.openai", "az.ai.openai", "azure.ai.inference", "az.ai.inference", "azure", "azure_openai": .azure
    // `google_gla` is Pydantic AI's Gemini API provider (Generative Language API); `vertex` the AI
    // SDK's `vertex.anthropic.messages` (Claude on Vertex) without its API.
    case "gcp.vertex_ai", "gcp.gemini", "gcp.gen_ai", "vertex_ai", "gemini", "google_genai", "google.vertex",
      "google_vertex", "google.generative_ai", "google_vertex_ai", "google", "vertexai", "google_gla", "vertex":
      .vertex
    default: nil
    }
  }
}
