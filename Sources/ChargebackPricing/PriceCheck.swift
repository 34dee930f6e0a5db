import ChargebackModel
import ChargebackSupport
import Foundation

/// Compares the price tables with LiteLLM's published `model_prices_and_context_window.json`.
///
/// Each of our rows names the LiteLLM key it was checked against in `source`
/// (`… cross-checked litellm 1.109.1 <key>`); rows that name none are skipped.
package enum PriceCheck {
  /// One line per rate that differs or cannot be found, sorted.
  package static func compare(_ table: PriceTable, litellmPath: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: litellmPath) else {
      throw InputMissingError(path: litellmPath, reason: "no such file")
    }
    guard let map = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw InputError(file: litellmPath, message: "not a JSON object of model entries")
    }
    var out: [String] = []
    for row in table.rows {
      guard let key = litellmKey(in: row.source) else { continue }
      guard let entry = map[key] as? [String: Any] else {
        out.append("\(row.location): \(row.model) names LiteLLM key \(key), which the map does not have")
        continue
      }
      let field = tag("field", in: row.source) ?? fieldName(row)
      var raw = entry[field]
      if let sizes = raw as? [String: Any] { raw = sizes["search_context_size_medium"] }  // web search, per query
      guard let value = raw as? NSNumber,
        let perUnit = DecimalText.parse(value.stringValue, decimals: 12, allowExponent: true)
      else {
        out.append("\(row.location): \(key) has no numeric \(field)")
        continue
      }
      // USD per unit × 1e12 = micro-USD per million units; a derived row scales it by its factor.
      let factor = derivationFactor(in: row.source) ?? 1_000_000
      let (scaled, overflow) = perUnit.multipliedReportingOverflow(by: factor)
      let expected = overflow ? Int128.max : scaled / 1_000_000
      if expected != Int128(row.rate.microPerMillion) {
        // A price beyond 64 bits is shown as the largest rate: it differs either way.
        let theirs = Rate(microPerMillion: Int64(exactly: expected) ?? Int64.max)
        out.append(
          "\(row.location): \(row.model) \(row.usageType.rawValue) \(row.tier.rawValue): ours \(row.rate) USD/M, expected \(theirs) USD/M from LiteLLM \(key).\(field)"
        )
      }
    }
    return out.sorted()
  }

  /// The factor of a derived row (`derived: … = 0.5 x litellm …`) in millionths; nil when none.
  static func derivationFactor(in source: String) -> Int128? {
    guard source.contains("derived"), let x = source.range(of: " x litellm") else { return nil }
    let head = source[..<x.lowerBound]
    guard let eq = head.lastIndex(of: "=") else { return nil }
    let text = head[head.index(after: eq)...].trimmingCharacters(in: .blanks)
    return DecimalText.parse(text, decimals: 6)
  }

  /// The value of `name=` in a source note (`key=gpt-4o field=input_cost_per_token`).
  static func tag(_ name: String, in source: String) -> String? {
    guard let r = source.range(of: name + "=") else { return nil }
    let v = source[r.upperBound...].prefix { $0 != " " && $0 != ";" && $0 != "," }
    return v.isEmpty ? nil : String(v)
  }

  static func litellmKey(in source: String) -> String? {
    if let k = tag("key", in: source) { return k }
    guard let r = source.range(of: "litellm 1.109.1 ") ?? source.range(of: "litellm ") else { return nil }
    var rest = source[r.upperBound...]
    if rest.first?.isNumber == true, let sp = rest.firstIndex(of: " ") { rest = rest[rest.index(after: sp)...] }
    let key = rest.prefix { $0 != " " && $0 != ";" && $0 != "," && $0 != ")" }
    return key.isEmpty ? nil : String(key)
  }

  static func fieldName(_ row: PriceRow) -> String {
    var base: String
    switch row.usageType {
    case .input: base = "input_cost_per_token"
    case .output: base = "output_cost_per_token"
    case .cachedInput: base = "cache_read_input_token_cost"
    case .cacheWrite5m: base = "cache_creation_input_token_cost"
    case .cacheWrite1h: base = "cache_creation_input_token_cost_above_1hr"
    case .webSearch: base = "web_search_cost_per_request"
    }
    if row.minInputTokens > 0 { base += "_above_\((row.minInputTokens - 1) / 1000)k_tokens" }
    switch row.tier {
    case .standard: break
    case .batch: base += "_batches"
    case .priority: base += "_priority"
    case .flex: base += "_flex"
    }
    return base
  }
}
