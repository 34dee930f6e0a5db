import ChargebackModel
import ChargebackSupport
import Foundation

/// Anthropic Admin API `usage_report/messages` pages (docs/formats.md, "Anthropic
/// usage_report/messages"): report level, one record per bucket × group-by values.
///
/// `uncached_input_tokens` already excludes cache reads and writes, so it maps to `input` as is;
/// `cache_creation` is split by TTL into `cache_write_5m` and `cache_write_1h`, and
/// `server_tool_use.web_search_requests` counts `web_search` requests. The Messages report has no
/// request count, so `requests` is 0 unless a row gives `requests` (the newer usage analytics
/// rows do). Buckets are RFC 3339 (`starting_at`, `ending_at`) and become UTC
/// epoch milliseconds. A file is one page, a JSON array of pages, or JSON Lines of pages.
struct AnthropicUsageReport: ExportFormat {
  let id = "anthropic-usage-report"
  let level = SourceLevel.report
  var provider: Provider? { .anthropic }

  /// Recognised by a row's `uncached_input_tokens` member.
  ///
  /// A cost report has that text only as a `token_type` value, and `cache_read_input_tokens` alone
  /// also appears in LiteLLM logs. A page with no rows is recognised by its bucket keys, as long as
  /// it has no cost-report `amount`.
  func pages(_ file: InputFile) -> [ExportPage] { PageLinks.pages(in: file) }
  var comesInPages: Bool { true }

  func matches(head: String) -> Bool {
    if Self.isEnterpriseAnalytics(head) { return false }
    if JSONSupport.headHasKey(head, "uncached_input_tokens") { return true }
    return JSONSupport.headHasKey(head, "starting_at") && JSONSupport.headHasKey(head, "results")
      && !JSONSupport.headHasKey(head, "amount")
  }

  /// True for the Claude Enterprise Analytics API's usage reports
  /// (`/v1/organizations/analytics/usage_report`, `user_usage_report`): the Messages report's token
  /// members with a row's `product` or `rbac_group_id`, or the page's `data_refreshed_at` without
  /// a row's `api_key_id` or `workspace_id`.
  ///
  /// They count claude.ai and Claude Code use under an Enterprise plan, by product and user, not
  /// the API's calls by key: a trial's report was charged as API usage, unattributed, without a
  /// word (``FormatRegistry/lookalike(_:)`` names it instead). A row's `requests` alone decides
  /// nothing: the Console's usage analytics rows, by API key, have one too (a review).
  static func isEnterpriseAnalytics(_ head: String) -> Bool {
    guard JSONSupport.headHasKey(head, "starting_at") else { return false }
    if JSONSupport.headHasKey(head, "product") || JSONSupport.headHasKey(head, "rbac_group_id") { return true }
    return JSONSupport.headHasKey(head, "data_refreshed_at") && !JSONSupport.headHasKey(head, "api_key_id")
      && !JSONSupport.headHasKey(head, "workspace_id")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    try AnthropicReportPages.forEachRecord(
      Row.self, in: file,
      record: { row, start, end, line, path in
        try record(row, start: start, end: end, file: file.path, line: line, path: path)
      }, emit: emit)
  }

  private func record(_ row: Row, start: Int64, end: Int64?, file: String, line: Int?, path: String) throws
    -> UsageRecord
  {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    // A flat cache_creation_input_tokens with no TTL split counts as 5-minute writes (SPEC §3.1).
    let write5m =
      row.cache_creation.map { $0.ephemeral_5m_input_tokens?.value ?? 0 } ?? row.cache_creation_input_tokens?.value ?? 0
    let tokens = TokenCounts(
      input: row.uncached_input_tokens?.value ?? 0, cachedInput: row.cache_read_input_tokens?.value ?? 0,
      cacheWrite5m: write5m, cacheWrite1h: row.cache_creation?.ephemeral_1h_input_tokens?.value ?? 0,
      output: row.output_tokens?.value ?? 0, webSearch: row.server_tool_use?.web_search_requests?.value ?? 0)
    let names: [(String, TokenClass)] = [
      ("uncached_input_tokens", .input), ("cache_read_input_tokens", .cachedInput),
      ("cache_creation.ephemeral_5m_input_tokens", .cacheWrite5m),
      ("cache_creation.ephemeral_1h_input_tokens", .cacheWrite1h), ("output_tokens", .output),
      ("server_tool_use.web_search_requests", .webSearch),
    ]
    for (name, c) in names where tokens[c] < 0 { throw bad(name, "is negative (\(tokens[c]))") }
    let tier = try Self.tier(row.service_tier) { bad("service_tier", $0) }
    let model = Self.modelWithPriceModifiers(row.model ?? "", inferenceGeo: row.inference_geo, speed: row.speed)
    let key = KeyParts.join([
      "anthropic", "usage", String(start), end.map(String.init), row.api_key_id, row.workspace_id, row.model ?? "",
      row.service_tier, row.context_window, row.inference_geo, row.speed, row.account_id, row.service_account_id,
    ])
    // A workload-identity caller (OIDC federation) has no API key: its service account is its
    // credential, registered in credentials.csv by its `svac_…` id. With both, the service account
    // is a second name the directory may know it by (a trial: such rows went to UNATTRIBUTED).
    var record = UsageRecord(
      provider: .anthropic, level: .report, format: id, naturalKey: key, time: start, bucketEnd: end,
      credential: row.api_key_id ?? row.service_account_id, project: row.workspace_id, model: model, tier: tier,
      contextWindow: row.context_window, tokens: tokens, requests: row.requests?.value ?? 0, line: line,
      jsonPath: path)
    if row.api_key_id != nil { record.credentialAlias = row.service_account_id }
    return record
  }

  /// `model` with the price modifiers of its row that the price tables have no column for: US-only
  /// inference (`inference_geo` `us`, 1.1× from Claude Opus 4.6 on) and fast mode (`speed` `fast`).
  ///
  /// Charged under the bare model they would be billed at the standard rate without a word; under
  /// `claude-opus-4-6 [inference_geo us]` they stay unpriced with a finding until a price or alias
  /// row names that model. `global` and `not_available` (a model without the choice) change nothing.
  static func modelWithPriceModifiers(_ model: String, inferenceGeo: String?, speed: String?) -> String {
    var out = model
    if let geo = inferenceGeo?.trimmingCharacters(in: .blanks), !geo.isEmpty,
      !["global", "not_available"].contains(geo.lowercased())
    {
      out = PriceModifiers.appending(out, "inference_geo", geo)
    }
    if let speed = speed?.trimmingCharacters(in: .blanks), !speed.isEmpty, speed.lowercased() != "standard" {
      out = PriceModifiers.appending(out, "speed", speed)
    }
    return out
  }

  /// The tier an Anthropic `service_tier` names (SPEC §10): `batch` is the batch tier; the Rust
  /// client's `priority_on_demand` and `flex_discount` fold into `priority` and `flex`; null is standard.
  static func tier(_ raw: String?, error: (String) -> InputError) throws -> Tier {
    switch raw?.lowercased() {
    case nil, "standard": .standard
    case "batch": .batch
    case "priority", "priority_on_demand": .priority
    case "flex", "flex_discount": .flex
    case let other?: throw error("unknown service tier \"\(other)\"")
    }
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Row: MeasuredRow {
    let uncached_input_tokens: CountJSON?
    let cache_read_input_tokens: CountJSON?
    let cache_creation: CacheCreation?
    let cache_creation_input_tokens: CountJSON?
    let output_tokens: CountJSON?
    let server_tool_use: ServerToolUse?
    /// The calls the row counts, where the rows give it (not the Messages report's).
    let requests: CountJSON?
    let api_key_id: String?
    let workspace_id: String?
    let model: String?
    let service_tier: String?
    let context_window: String?
    let inference_geo: String?
    let speed: String?
    let account_id: String?
    let service_account_id: String?
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct CacheCreation: Decodable {
    let ephemeral_5m_input_tokens: CountJSON?
    let ephemeral_1h_input_tokens: CountJSON?
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct ServerToolUse: Decodable {
    let web_search_requests: CountJSON?
  }
}
