import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Web searches of calls under a negotiated discount, against a bill with a web-search line.
///
/// A trial: with a 12.5 % Anthropic discount, every day's searches stayed in the model's cell (its
/// row read the searches as a variance) and the bill's `web_search` line read "computed 0, −100 %".
/// The searches' cost of a discounted call is discounted like its tokens, and compared with the
/// bill's web-search line; a provisioned commitment's calls keep theirs in the model's cell.
@Suite struct DiscountedWebSearchTests {
  /// October 7, one hour of the Anthropic usage report: key `apikey_disc` called claude-sonnet-4 with
  /// 1,000,000 uncached input tokens and 4 web searches.
  static let usage = """
    {"data": [{"starting_at": "2026-10-07T09:00:00Z", "ending_at": "2026-10-07T10:00:00Z", "results": [
      {"uncached_input_tokens": 1000000, "cache_creation": {"ephemeral_1h_input_tokens": 0,
       "ephemeral_5m_input_tokens": 0}, "cache_read_input_tokens": 0, "output_tokens": 0,
       "server_tool_use": {"web_search_requests": 4}, "api_key_id": "apikey_disc",
       "workspace_id": "wrkspc_disc", "model": "claude-sonnet-4-20250514", "service_tier": "standard",
       "context_window": "0-200k"}]}],
     "has_more": false, "next_page": null}
    """

  /// The day's bill: `tokens` is 3 USD a million less 12.5 % (2.625 USD); the searches are
  /// 4 × 0.01 USD less 12.5 % (0.035 USD), on a line of their own.
  static let bill = """
    {"data": [{"starting_at": "2026-10-07T00:00:00Z", "ending_at": "2026-10-08T00:00:00Z", "results": [
      {"amount": "262.5", "currency": "USD", "cost_type": "tokens",
       "description": "Claude Sonnet 4 Usage - Input Tokens", "model": "claude-sonnet-4-20250514",
       "service_tier": "standard", "context_window": "0-200k", "token_type": "uncached_input_tokens",
       "workspace_id": "wrkspc_disc"},
      {"amount": "3.5", "currency": "USD", "cost_type": "web_search", "description": "Web Search Usage",
       "model": null, "service_tier": null, "context_window": null, "token_type": null,
       "workspace_id": "wrkspc_disc"}]}],
     "has_more": false, "next_page": null}
    """

  static let pricing = """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    anthropic,claude-sonnet-4,input,standard,0,3,2025-05-14,,test
    anthropic,claude-sonnet-4,output,standard,0,15,2025-05-14,,test
    anthropic,claude-sonnet-4,web_search,standard,0,10000,2025-05-14,,test

    """

  /// Runs October 2026 over the usage and the bill, the key's calls under `commitment` (a
  /// `commitments.csv` row, or none); returns the reconciliation rows as (model, computed, billed).
  static func reconciled(commitment: String?) throws -> [(String, Money, Money)] {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fm = FileManager.default
    for sub in ["usage", "identities", "pricing"] {
      try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
    }
    func write(_ text: String, _ path: String) throws {
      try text.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8)
    }
    try write(usage, "usage/anthropic-usage.json")
    try write(bill, "usage/anthropic-cost.json")
    try write(pricing, "pricing/anthropic.csv")
    try write("provider,pattern,model\nanthropic,claude-sonnet-4-2???????,claude-sonnet-4\n", "pricing/aliases.csv")
    try write("cost_centre,name,owner,monthly_budget_usd\nCC-A,Alpha,p-a,\n", "identities/cost_centres.csv")
    try write(
      "person_id,name,email,cost_centre,offboarded_at\np-a,Ann,ann@example.com,CC-A,\n", "identities/people.csv")
    try write(
      "agent_id,name,kind,owner,team,cost_centre,scope_id,valid_from,valid_to\n"
        + "agent-a,Agent A,agent,p-a,t,CC-A,,2026-01-01,\n", "identities/agents.csv")
    try write(
      "credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description\n"
        + "apikey_disc,anthropic,agent-a,,2026-01-01,,,\n", "identities/credentials.csv")
    try write("task_id,agent_id,requested_by,approved_by,scope_id,opened_at,closed_at,ticket\n", "identities/tasks.csv")
    try write("scope_id,description,allowed_models,allowed_providers,monthly_budget_usd\n", "identities/scopes.csv")
    if let commitment {
      try write(
        "commitment_id,provider,kind,models,discount_percent,amount_usd,owner_cost_centre,effective_from,effective_to\n"
          + commitment + "\n", "identities/commitments.csv")
    }
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: dir + "/identities",
        pricing: dir + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    return try job.run().report.reconciliation.map { ($0.model, $0.computed, $0.billed) }
  }

  static func usd(_ micros: Int128) -> Money { Money(pico: micros * 1_000_000) }

  /// Under the discount: the model's row is 2.625 USD against 2.625, the searches 0.035 against
  /// 0.035, no variance on either.
  @Test func discountedSearchesAreComparedWithTheBillsSearchLine() throws {
    let rows = try Self.reconciled(commitment: "C-ANT,anthropic,discount,claude-sonnet-4*,12.5,,,,")
    #expect(rows.count == 2)
    #expect(rows.contains { $0 == ("(web search)", Self.usd(35_000), Self.usd(35_000)) })
    #expect(rows.contains { $0 == ("claude-sonnet-4", Self.usd(2_625_000), Self.usd(2_625_000)) })
  }

  /// At list, the same month against the same bill: the searches 0.04 against 0.035, the model 3
  /// against 2.625 (the bill's discount shows as the variances, each in its own row).
  @Test func searchesAtListAreComparedWithTheBillsSearchLine() throws {
    let rows = try Self.reconciled(commitment: nil)
    #expect(rows.count == 2)
    #expect(rows.contains { $0 == ("(web search)", Self.usd(40_000), Self.usd(35_000)) })
    #expect(rows.contains { $0 == ("claude-sonnet-4", Self.usd(3_000_000), Self.usd(2_625_000)) })
  }
}
