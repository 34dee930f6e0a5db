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
  static func billingAccount(_ provider: Provider, account: String?, _ report: ChargebackReport) -> (
    id: String, name: String, type: String, subID: String?, subType: String
  ) {
    let configured = report.providerAccounts[provider.rawValue]?.billingAccountID
    let fallback = (id: provider.rawValue, name: providerName(provider), type: "Provider")
    switch provider {
    case .bedrock:
      if let id = account ?? configured { return (id, id, "AWS Account", nil, "") }
      return (fallback.id, fallback.name, fallback.type, nil, "")
    case .openai:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Organization",
        account, "Project"
      )
    case .anthropic:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Organization",
        account, "Workspace"
      )
    case .azure:
      return (
        configured ?? fallback.id, configured ?? fallback.name,
        configured == nil ? fallback.type : "Billing Account", account, "Subscription"
      )
    default:
      return (
        configured ?? fallback.id, configured ?? fallback.name, configured == nil ? fallback.type : "Billing Account",
        account, "Project"
      )
    }
  }

  /// `value` × 10^-scale as decimal text with at least one fraction digit (`12.0`, `0.000075`).
  static func decimal(_ value: Int128, scale: Int) -> String {
    var out: [UInt8] = []
    appendDecimal(value, scale: scale, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends `value` × 10^-scale to `out` as decimal text: with `trimmed`, as ``decimal(_:scale:)``
  /// (trailing fraction zeros dropped, at least one fraction digit kept); otherwise with all
  /// `scale` fraction digits, as `Money.format(units:decimals:)` (none and no point for scale 0).
  ///
  /// Written into the row's bytes: a `String` per amount (`String(Int128)`, then a copy per digit
  /// removed) was a fifth of writing a `focus.csv` of millions of rows. The text is a plain
  /// number, which the CSV writer writes as it is (no quotes, no `'`).
  static func appendDecimal(_ value: Int128, scale: Int, trimmed: Bool = true, to out: inout [UInt8]) {
    precondition(scale >= 0 && scale <= 38, "a scale of \(scale) digits")
    if value < 0 { out.append(UInt8(ascii: "-")) }
    // The magnitude's digits, least significant first, padded to scale + 1 digits.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { digits in
      var count = 0
      var m = value.magnitude
      if m <= UInt128(UInt64.max) {
        var small = UInt64(m)
        repeat {
          digits[count] = UInt8(truncatingIfNeeded: small % 10) &+ 48
          small /= 10
          count += 1
        } while small > 0
      } else {
        repeat {
          digits[count] = UInt8(truncatingIfNeeded: m % 10) &+ 48
          m /= 10
          count += 1
        } while m > 0
      }
      while count < scale + 1 {
        digits[count] = UInt8(ascii: "0")
        count += 1
      }
      for i in stride(from: count - 1, through: scale, by: -1) { out.append(digits[i]) }
      var last = 0  // the lowest fraction digit written
      if trimmed {
        while last < scale && digits[last] == UInt8(ascii: "0") { last += 1 }
        out.append(UInt8(ascii: "."))
        if last == scale {
          out.append(UInt8(ascii: "0"))
          return
        }
      } else if scale > 0 {
        out.append(UInt8(ascii: "."))
      }
      for i in stride(from: scale - 1, through: last, by: -1) { out.append(digits[i]) }
    }
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
