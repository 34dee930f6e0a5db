import ChargebackModel
import ChargebackSupport

/// What FOCUS calls the things of a row: billing accounts, providers, services, publishers,
/// meters, and numbers and JSON as its columns want them.
extension FocusCSV {
  /// FOCUS billing account and sub-account of a class charge, from what the exports carry.
  ///
  /// A Bedrock AWS account id is the billing account; an OpenAI project, an Anthropic workspace and an
  /// Azure subscription are sub-accounts, their provider's billing account coming from
  /// `accounts.csv` (`billing_account_id`). Only when neither names one is the provider id used,
  /// so the rows never pass for another account's.
  static func billingAccount(_ c: ClassCharge, _ report: ChargebackReport) -> (
    id: String, name: String, type: String, subID: String?, subType: String
  ) {
    let configured = report.providerAccounts[c.provider.rawValue]?.billingAccountID
    let fallback = (id: c.provider.rawValue, name: providerName(c.provider), type: "Provider")
    switch c.provider {
    case .bedrock:
      if let id = c.account ?? configured { return (id, id, "AWS Account", nil, "") }
      return (fallback.id, fallback.name, fallback.type, nil, "")
    case .openai:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Organization",
        c.account, "Project"
      )
    case .anthropic:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Organization",
        c.account, "Workspace"
      )
    case .azure:
      return (
        configured ?? fallback.id, configured ?? fallback.name,
        configured == nil ? fallback.type : "Billing Account", c.account, "Subscription"
      )
    default:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Billing Account",
        c.account, "Project"
      )
    }
  }

  /// `value` × 10^-scale as decimal text with at least one fraction digit (`12.0`, `0.000075`).
  static func decimal(_ value: Int128, scale: Int) -> String {
    guard scale > 0 else { return String(value) + ".0" }
    var s = Money.format(units: value, decimals: scale)
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s += "0" }
    return s
  }

  /// A JSON string literal.
  static func json(_ s: String) -> String { JSONText.quoted(s) }

  /// `ProviderName` and `InvoiceIssuerName`: who bills the usage.
  static func providerName(_ p: Provider) -> String {
    switch p {
    case .openai: "OpenAI"
    case .anthropic: "Anthropic"
    case .bedrock: "Amazon Web Services"
    case .azure: "Microsoft"
    case .vertex: "Google Cloud"
    case .other: "Other"
    }
  }

  /// `ServiceName`.
  static func serviceName(_ p: Provider) -> String {
    switch p {
    case .openai: "OpenAI API"
    case .anthropic: "Anthropic API"
    case .bedrock: "Amazon Bedrock"
    case .azure: "Azure OpenAI"
    case .vertex: "Vertex AI"
    case .other: "Other LLM provider"
    }
  }

  /// `PublisherName`: who made the model, read from the canonical model id's family; the provider
  /// when the family is not known.
  static func publisherName(model: String, provider: Provider) -> String {
    let m = model.lowercased()
    let families: [(String, String)] = [
      ("claude", "Anthropic"), ("gpt", "OpenAI"), ("o1", "OpenAI"), ("o3", "OpenAI"), ("o4", "OpenAI"),
      ("codex", "OpenAI"), ("gemini", "Google"), ("gemma", "Google"), ("llama", "Meta"), ("mistral", "Mistral AI"),
      ("mixtral", "Mistral AI"), ("pixtral", "Mistral AI"), ("nova", "Amazon"), ("titan", "Amazon"),
      ("command", "Cohere"), ("jamba", "AI21 Labs"), ("deepseek", "DeepSeek"),
    ]
    for (prefix, name) in families where m.hasPrefix(prefix) { return name }
    return providerName(provider)
  }

  /// `SkuMeter`: what a token class measures.
  static func meter(_ c: TokenClass) -> String {
    switch c {
    case .input: "Input Tokens"
    case .cachedInput: "Cached Input Tokens"
    case .cacheWrite5m: "5-Minute Cache Write Tokens"
    case .cacheWrite1h: "1-Hour Cache Write Tokens"
    case .output: "Output Tokens"
    case .webSearch: "Web Search Requests"
    }
  }
}
