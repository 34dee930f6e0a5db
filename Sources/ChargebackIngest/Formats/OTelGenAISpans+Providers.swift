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

  /// Bedrock, when the span names the model's vendor (or its inference profile's region) instead of
  /// the provider, and the model id is Bedrock's; nil otherwise.
  ///
  /// - Semantic Kernel's Bedrock connector names the first part of the model id as the provider
  ///   (`amazon` for `amazon.nova-pro-v1:0`, `us` for `us.anthropic.claude-…`): refused whole as
  ///   unknown providers (a trial).
  /// - Older OpenLLMetry releases name the vendor (`anthropic`) and the model without it
  ///   (`claude-3-5-sonnet-20240620-v1:0`): the `-v1:0` version is Bedrock's alone, and Anthropic's
  ///   own API never names a model `anthropic.…`. Charged as Anthropic's, they were unpriced.
  static func bedrockByModel(_ raw: String, model: String?) -> Provider? {
    guard let model else { return nil }
    let name = normalized(raw)
    if isBedrockModelID(model), let first = model.split(separator: ".").first, normalized(String(first)) == name {
      return .bedrock
    }
    if name == "anthropic", hasBedrockVersion(model) { return .bedrock }
    return nil
  }

  /// Whether `model` ends in a Bedrock model version (`-v1:0`, `-v2:0`).
  static func hasBedrockVersion(_ model: String) -> Bool {
    guard let colon = model.lastIndex(of: ":"), let v = model[..<colon].range(of: "-v", options: .backwards) else {
      return false
    }
    let major = model[v.upperBound..<colon]
    let minor = model[model.index(after: colon)...]
    return !major.isEmpty && !minor.isEmpty && (major + minor).allSatisfy { $0.isASCII && $0.isNumber }
  }

  /// A Gemini call's output with its thoughts, when its instrumentation gives them apart.
  ///
  /// Gemini's API counts thinking tokens apart from the output (`thoughtsTokenCount` beside
  /// `candidatesTokenCount`), and bills them as output. Instrumentations that copy the two as they
  /// are (OpenLIT's `gen_ai.usage.reasoning_tokens`, the AI SDK 5's `ai.usage.reasoningTokens`)
  /// had the thoughts charged nowhere: a 2.5 Flash call with 800 thoughts beside 200 output tokens
  /// was charged $0.0008 of $0.0028 (a trial). Others put them in the output and give the
  /// reasoning count as a detail of it (AI SDK 6, OpenInference). The call's total, when the span
  /// gives the provider's (the AI SDK's `ai.usage.totalTokens` is Gemini's `totalTokenCount`),
  /// tells which: at least input + output + reasoning, the thoughts are apart. Without a total,
  /// only OpenLIT's spans (`telemetry.sdk.name` `openlit`, whose source copies the two apart and
  /// writes no total) add them: another producer's reasoning count beside an output that holds it
  /// would be charged twice.
  static func geminiOutput(
    _ a: OTelAttributes, output: Int64, input: Int64, provider: Provider, model: String, sdkName: String?
  ) -> Int64 {
    guard provider == .vertex, let reasoning = a.reasoningTokens, reasoning > 0, a.usageRaw == nil,
      model.lowercased().contains("gemini")
    else { return output }
    // Counts are within Bounds (10^13): no overflow.
    guard let total = a.totalTokens else { return sdkName?.lowercased() == "openlit" ? output + reasoning : output }
    return total >= input + output + reasoning ? output + reasoning : output
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
    // `azure_ai_inference`: Semantic Kernel's Azure AI Inference connector.
    case "azure.ai.openai", "az.ai.openai", "azure.ai.inference", "az.ai.inference", "azure", "azure_openai",
      "azure_ai_inference":
      .azure
    // `google_gla` is Pydantic AI's Gemini API provider (Generative Language API); `vertex` the AI
    // SDK's `vertex.anthropic.messages` (Claude on Vertex) without its API.
    case "gcp.vertex_ai", "gcp.gemini", "gcp.gen_ai", "vertex_ai", "gemini", "google_genai", "google.vertex",
      "google_vertex", "google.generative_ai", "google_vertex_ai", "google", "vertexai", "google_gla", "vertex",
      "google_ai_studio":
      .vertex
    default: nil
    }
  }
}
