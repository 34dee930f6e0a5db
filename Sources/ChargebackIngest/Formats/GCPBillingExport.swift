import ChargebackModel
import Foundation

/// Cloud Billing export rows (docs/formats.md, "GCP billing export"), as JSON Lines or as a JSON
/// array of rows.
///
/// Cost level: used to reconcile and never charged. Provider `vertex`. Only Vertex AI and Gemini
/// API rows are kept (`service.description` `Vertex AI`, `Gemini API` or `Generative Language
/// API`, or service id `C7E2-9256-1C43`), and only usage rows (`cost_type` `regular` or absent):
/// tax, adjustment and rounding rows, and other services, are skipped without reading further.
/// `billed` is the net charge in USD: `cost` plus every `credits[].amount` (credits are negative),
/// each read from its exact JSON text (see ``DecimalJSON``); in another `currency`, divided by the
/// row's `currency_conversion_rate` (units per US dollar).
/// Time is `usage_start_time`. The line item is `sku.description`, and the model the leading words
/// of a model-family SKU (`Gemini 2.5 Flash GA Text Input - Predictions` → `gemini-2.5-flash`).
/// Our metadata keys in `labels` (`agent_id`, `task_id`, …) become the record's metadata. Token
/// counts are left at 0: `usage.unit` for token SKUs is not documented.
struct GCPBillingExport: ExportFormat {
  let id = "gcp-billing-export"
  let level = SourceLevel.cost

  func matches(head: String) -> Bool {
    JSONSupport.headHasKey(head, "usage_start_time") && JSONSupport.headHasKey(head, "sku")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    let first = try file.head(limit: 4096).first { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }
    guard first == UInt8(ascii: "[") else {
      return try file.forEachLine { lineNo, bytes in
        let entry = try JSONSupport.decode(Entry.self, from: Data(buffer: bytes), file: file.path, line: lineNo)
        if let row = entry.row { try emit(record(row, file: file.path, line: lineNo, path: nil)) }
      }
    }
    // A JSON array (`bq query --format=json`, printed over many lines): a row at fault is named by
    // the line it starts on, found from its path, as in every other format.
    let data = try file.readAll()
    let entries: [Entry]
    do {
      try JSONSupport.validate(data, file: file.path)
      entries = try JSONDecoder().decode([Entry].self, from: data)
    } catch let error as DecodingError {
      // Field `[3].cost` names row `$[3]`, field `cost`.
      var e = JSONSupport.ingestError(error, file: file.path, line: nil, path: nil)
      if let f = e.field, f.hasPrefix("["), let close = f.firstIndex(of: "]") {
        e.path = "$" + f[...close]
        let rest = f[f.index(after: close)...].drop { $0 == "." }
        e.field = rest.isEmpty ? nil : String(rest)
      }
      e.line = e.path.flatMap { JSONLayout.line(ofPath: $0, in: data) }
      throw e
    }
    do {
      for (i, entry) in entries.enumerated() {
        if let row = entry.row { try emit(record(row, file: file.path, line: nil, path: "$[\(i)]")) }
      }
    } catch var e as InputError where e.line == nil && e.file == file.path {
      e.line = e.path.flatMap { JSONLayout.line(ofPath: $0, in: data) }
      throw e
    }
  }

  /// True for the Vertex AI and Gemini API services.
  static func isAIService(_ service: Service?) -> Bool {
    guard let service else { return false }
    if service.id == "C7E2-9256-1C43" { return true }
    let name = service.description?.lowercased() ?? ""
    return name.contains("vertex ai") || name.contains("gemini") || name.contains("generative language")
  }

  /// The model a SKU description names: its words from the first of a known model family up to the
  /// first descriptive one (`GA`, `Text`, `Input`, …), lowercased and joined by hyphens; "" when
  /// no word names a family.
  ///
  /// Vertex AI's SKUs start with the model (`Gemini 2.5 Pro Text Input`); the Gemini API's name it
  /// after what is counted (`Generate content input token count Gemini 2.5 Pro short input text`),
  /// and were all left unmatched: reconciled at ±100 % against no model (a trial).
  static func model(sku: String?) -> String {
    let families: Set = ["gemini", "gemma", "claude", "imagen", "veo", "llama", "mistral", "codestral", "chirp"]
    let stops: Set = [
      "ga", "preview", "experimental", "text", "image", "audio", "video", "input", "output", "thinking",
      "caching", "cached", "cache", "batch", "long", "short", "context", "tokens", "characters", "predictions",
      "prediction", "-", "online", "tuning", "storage", "priority", "flex", "provisioned",
      // Where the call ran (`Gemini 3.1 Flash Lite Global Text Input`): the endpoint, not the model.
      "global", "regional",
    ]
    let words = (sku ?? "").split(separator: " ").map { $0.lowercased() }
    guard let first = words.firstIndex(where: families.contains) else { return "" }
    return words[first...].prefix { !stops.contains($0) }.joined(separator: "-")
  }

  /// Decimal places a `currency_conversion_rate` is read to (BigQuery writes it as a FLOAT64: some
  /// 15 significant digits).
  static let rateDecimals = 12

  /// The largest amount of another currency read, in pico-units (a trillion units).
  static let localBound: Int128 = 1_000_000_000_000_000_000_000_000

  /// `local` (pico-units of the billing currency, within ``localBound``) in pico-USD at `rate`
  /// (units per US dollar, scaled by 10^``rateDecimals``), rounded half away from zero.
  static func toUSD(_ local: Money, rate: Int128) -> Money {
    // |local| ≤ 10^24 and 10^12: within Int128 (1.7 × 10^38).
    let n = local.pico * 1_000_000_000_000
    let q = n / rate
    let r = n % rate
    let away = 2 * (r < 0 ? -r : r) >= rate ? (n < 0 ? Int128(-1) : 1) : 0
    return Money(pico: q + away)
  }

  private func record(_ row: Row, file: String, line: Int?, path: String?) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    // A billing account in another currency: its amounts over `currency_conversion_rate` (the
    // local currency per US dollar, the export's own rate) are USD. Refused, a trial's TWD bill
    // stopped the month's whole chargeback, of which the bill is only the reconciliation.
    var rate: Int128?
    if let currency = row.currency, currency.uppercased() != "USD" {
      guard let text = row.currency_conversion_rate, let r = text.scaled(decimals: Self.rateDecimals), r > 0 else {
        throw bad(
          "currency_conversion_rate",
          "\"\(currency)\" is not USD, and the row has no positive currency_conversion_rate to convert it by")
      }
      rate = r
    }
    guard let startText = row.usage_start_time else { throw bad("usage_start_time", "required field is missing") }
    guard let start = Self.parseTime(startText) else {
      throw bad("usage_start_time", "\"\(startText)\" is not a timestamp")
    }
    var end: Int64?
    if let endText = row.usage_end_time {
      guard let e = Self.parseTime(endText), e >= start else {
        throw bad("usage_end_time", "\"\(endText)\" is not a timestamp at or after usage_start_time")
      }
      end = e
    }
    var billed = Money.zero
    // Each amount is within ±9 × 10^18 pico-USD, and a row holds fewer than 2^26 credits (its
    // line is at most 64 MiB), so the Int128 sum cannot overflow; the total is bounds-checked after.
    // An amount in another currency is bounded after its conversion (9 million won are some
    // 6,500 USD); before, only by what the conversion's product holds (10^24 pico-units).
    func amount(_ value: DecimalJSON, _ field: String) throws -> Money {
      guard let rate else { return try value.money { bad(field, $0) } }
      guard let local = value.scaled(decimals: 12), local <= Self.localBound, local >= -Self.localBound else {
        throw bad(field, "\"\(value.text.prefix(40))\" is not a decimal amount within bounds")
      }
      let usd = Self.toUSD(Money(pico: local), rate: rate)
      guard usd.pico <= Bounds.money, usd.pico >= -Bounds.money else {
        throw bad(field, "is out of bounds (\(usd.formatted()) USD is more than 9000000 USD)")
      }
      return usd
    }
    if let cost = row.cost {
      billed += try amount(cost, "cost")
    }
    for (k, credit) in (row.credits ?? []).enumerated() {
      guard let value = credit.amount else { continue }
      billed += try amount(value, "credits[\(k)].amount")
    }
    guard billed.pico <= Bounds.money, billed.pico >= -Bounds.money else {
      throw bad("cost", "is out of bounds (with its credits, \(billed.formatted()) USD is more than 9000000 USD)")
    }
    var labels: [String: String] = [:]
    for label in row.labels ?? [] {
      if let key = label.key, let value = label.value { labels[key] = value }
    }
    let sku = row.sku?.description
    // Labels as `key=value;…`, each key and value escaped for `;` and `=` too (``KeyParts``).
    let labelText = labels.sorted { $0.key < $1.key }.map {
      KeyParts.escaped($0.key, also: [";", "="]) + "=" + KeyParts.escaped($0.value, also: [";", "="])
    }.joined(separator: ";")
    var parts = [
      "vertex", "gcp-billing", row.billing_account_id, row.service?.id, row.sku?.id, String(start),
      end.map(String.init), row.project?.id, labelText, row.location?.location ?? row.location?.region,
      row.resource?.name, row.invoice?.month, row.export_time,
    ]
    // The resource tags split a SKU's hour into rows of their own: two rows apart only by their tags
    // were one key, the second refused as a conflicting duplicate and the bill read short (a
    // trial). Added only when there are tags, so that the key of a row without any is as before.
    let tags = (row.tags ?? []).map {
      KeyParts.escaped(($0.namespace.map { $0 + "/" } ?? "") + ($0.key ?? ""), also: [";", "="]) + "="
        + KeyParts.escaped($0.value ?? "", also: [";", "="])
    }.sorted()
    if !tags.isEmpty { parts.append("tags:" + tags.joined(separator: ";")) }
    let key = KeyParts.join(parts)
    let words = Set((sku ?? "").lowercased().split(separator: " "))
    var record = UsageRecord(
      provider: .vertex, level: .cost, format: id, naturalKey: key, time: start, bucketEnd: end,
      project: row.project?.id, model: Self.model(sku: sku), tier: words.contains("batch") ? .batch : .standard,
      tokens: TokenCounts(), requests: 0,
      metadata: CallMetadata(
        agentID: labels["agent_id"].nonEmpty, taskID: labels["task_id"].nonEmpty,
        scopeID: labels["scope_id"].nonEmpty,
        parentID: labels["parent_request_id"].nonEmpty ?? labels["parent_call_id"].nonEmpty),
      line: line, jsonPath: path)
    record.billed = billed
    record.lineItem = sku ?? row.sku?.id
    return record
  }

  /// RFC 3339, or BigQuery's `2025-09-01 10:00:00 UTC`, as UTC epoch milliseconds.
  private static func parseTime(_ text: String) -> Int64? {
    let t = text.hasSuffix(" UTC") ? String(text.dropLast(4)) : text
    return Timestamp.parseMillis(t)
  }

  /// One export row: decoded whole when it is a usage row of an AI service, skipped otherwise
  /// (after checking only that it is a JSON object with a well-typed `service`).
  private struct Entry: Decodable {
    let row: Row?

    private struct ServiceOnly: Decodable { let service: Service? }

    init(from decoder: any Decoder) throws {
      guard GCPBillingExport.isAIService(try ServiceOnly(from: decoder).service) else {
        row = nil
        return
      }
      let row = try Row(from: decoder)
      self.row = row.cost_type == nil || row.cost_type?.lowercased() == "regular" ? row : nil
    }
  }

  struct Service: Decodable {
    let id: String?
    let description: String?
  }

  // Field names as the export spells them.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Row: Decodable {
    let billing_account_id: String?
    let service: Service?
    let sku: Service?
    let usage_start_time: String?
    let usage_end_time: String?
    let project: Project?
    let labels: [Label]?
    /// Resource Manager tags: `key`, `value`, `namespace` (`inherited` is not read).
    let tags: [Tag]?
    let location: Location?
    let resource: Resource?
    let export_time: String?
    /// In the billing currency (`currency`).
    let cost: DecimalJSON?
    let currency: String?
    /// Units of `currency` per US dollar (1 for USD).
    let currency_conversion_rate: DecimalJSON?
    let credits: [Credit]?
    let invoice: Invoice?
    let cost_type: String?
  }

  private struct Project: Decodable { let id: String? }
  private struct Label: Decodable {
    let key: String?
    let value: String?
  }
  private struct Tag: Decodable {
    let key: String?
    let value: String?
    let namespace: String?
  }
  private struct Location: Decodable {
    let location: String?
    let region: String?
  }
  private struct Resource: Decodable { let name: String? }
  private struct Invoice: Decodable { let month: String? }
  /// A credit; `amount` is negative, in the billing currency.
  private struct Credit: Decodable { let amount: DecimalJSON? }
}
