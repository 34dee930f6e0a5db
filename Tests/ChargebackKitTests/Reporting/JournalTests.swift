import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `journal.csv` and the FOCUS billing accounts on the hand-computed month (MonthTests), with two
/// entities, expense accounts and a payable account.
@Suite struct JournalTests {
  /// The month's identities with `entity` and `gl_account` on cost_centres.csv and an accounts.csv.
  static func run(entityOfC: String = "", extraUsage: String? = nil) throws -> String {
    let dir = try TestSupport.tempDir()
    let ids = dir + "/identities"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: ids)
    try """
    cost_centre,name,owner,monthly_budget_usd,gl_account,entity
    CC-A,Alpha,p-1,100,6100,EU-1
    CC-B,Beta,p-2,1.00,6200,EU-1
    CC-C,Gamma,p-2,,,\(entityOfC)
    """.write(toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    try "provider,account,billing_account_id\nbedrock,2100-AWS,\nopenai,,org-Acme42\n".write(
      toFile: ids + "/accounts.csv", atomically: true, encoding: .utf8)
    var usage = [Fixtures.month + "/usage"]
    if let extraUsage {
      try extraUsage.write(toFile: dir + "/extra.jsonl", atomically: true, encoding: .utf8)
      usage.append(dir + "/extra.jsonl")
    }
    _ = try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: usage, identities: ids,
        pricing: Fixtures.month + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).run()
    return dir + "/out"
  }

  @Test func journalBalancesPerEntityToTheCent() throws {
    let out = try Self.run()
    let rows = try TestSupport.readCSV(out + "/journal.csv")
    let got = rows.map { [$0["entity"]!, $0["account"]!, $0["cost_centre"]!, $0["debit_usd"]!, $0["credit_usd"]!] }
    // Cents of summary.csv: total 1.1406 → 114; A 1.11, B 110.64, C 1.86, unattributed 0.45 →
    // floors 1 + 110 + 1 + 0 = 112, the two missing cents to the largest remainders (C .86, B .64):
    // A 1, B 111, C 2, UNATTRIBUTED 0.
    // EU-1 owes 112 cents: Bedrock 0.0111 + 1.0144 = 102.55 cents, OpenAI 0.092 = 9.2 cents →
    // 102 + 9, the missing cent to Bedrock (.55): 103 and 9.
    // DEFAULT owes 2 cents: OpenAI 1.86, Bedrock 0.45 → 1 + 0, the missing cent to OpenAI: 2 and 0.
    #expect(
      got == [
        ["DEFAULT", "LLM-EXPENSE", "CC-C", "0.02", "0.00"],
        ["DEFAULT", "LLM-PAYABLE-OPENAI", "", "0.00", "0.02"],
        ["EU-1", "6100", "CC-A", "0.01", "0.00"],
        ["EU-1", "6200", "CC-B", "1.11", "0.00"],
        ["EU-1", "2100-AWS", "", "0.00", "1.03"],
        ["EU-1", "LLM-PAYABLE-OPENAI", "", "0.00", "0.09"],
      ])
    // Balanced per entity, and the debits are the cent-rounded total of summary.csv.
    var balance: [String: Int128] = [:]
    var debits: Int128 = 0
    for r in rows {
      let d = DecimalText.parse(r["debit_usd"]!, decimals: 2)!
      let c = DecimalText.parse(r["credit_usd"]!, decimals: 2)!
      balance[r["entity"]!, default: 0] += d - c
      debits += d
    }
    #expect(balance.values.allSatisfy { $0 == 0 })
    let summary = try TestSupport.readCSV(out + "/summary.csv")
    let total = try #require(summary.first { $0["cost_centre"] == "TOTAL" }?["cost_usd"])
    #expect(debits == Money(pico: DecimalText.parse(total, decimals: 12)!).rounded(toDecimals: 2))
  }

  /// Every cost centre of one entity: the unattributed spend, which no row can give an entity, is
  /// that entity's too, not a `DEFAULT` the ledger does not have (a trial's got postings and a
  /// transfer between entities).
  ///
  /// With one more call by a role nobody registered: 10,000 input tokens of claude-sonnet-4 at 3 USD
  /// per million, 3 cents, unattributed. The month is 1.1406 + 0.03 = 1.1706 → 117 cents: floors A
  /// 1 + B 110 + C 1 + UNATTRIBUTED 3 (0.0345) = 115, the two missing cents to C (.86) and B (.64).
  /// EU-1 owes all 117: Bedrock 102.55 + 0.45 + 3 = 106 cents, OpenAI 9.2 + 1.86 = 11.06 → 106 + 11.
  @Test func oneEntityTakesTheUnattributedSpendToo() throws {
    let stranger =
      #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-06T09:00:00Z","#
      + #""accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/stranger/s1"},"#
      + #""region":"us-east-1","requestId":"req-stranger","operation":"Converse","#
      + #""modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","input":{"inputTokenCount":10000},"#
      + #""output":{"outputTokenCount":0}}"# + "\n"
    let out = try Self.run(entityOfC: "EU-1", extraUsage: stranger)
    let rows = try TestSupport.readCSV(out + "/journal.csv")
    let got = rows.map { [$0["entity"]!, $0["account"]!, $0["cost_centre"]!, $0["debit_usd"]!, $0["credit_usd"]!] }
    #expect(
      got == [
        ["EU-1", "6100", "CC-A", "0.01", "0.00"],
        ["EU-1", "6200", "CC-B", "1.11", "0.00"],
        ["EU-1", "LLM-EXPENSE", "CC-C", "0.02", "0.00"],
        ["EU-1", "LLM-EXPENSE", "UNATTRIBUTED", "0.03", "0.00"],
        ["EU-1", "2100-AWS", "", "0.00", "1.06"],
        ["EU-1", "LLM-PAYABLE-OPENAI", "", "0.00", "0.11"],
      ])
    // Beside an entity left empty, the unattributed spend is DEFAULT's, as that cost centre's is.
    let mixed = try TestSupport.readCSV(try Self.run(extraUsage: stranger) + "/journal.csv")
    #expect(mixed.contains { $0["entity"] == "DEFAULT" && $0["cost_centre"] == "UNATTRIBUTED" })
  }

  @Test func focusNamesTheAccountsTheExportsCarry() throws {
    let out = try Self.run()
    let rows = try TestSupport.readCSV(out + "/focus.csv")
    let bedrock = rows.filter { $0["ProviderName"] == "Amazon Web Services" }
    let openai = rows.filter { $0["ProviderName"] == "OpenAI" }
    #expect(!bedrock.isEmpty && !openai.isEmpty)
    // The AWS account of the invocation logs; no sub-account.
    #expect(Set(bedrock.map { $0["BillingAccountId"]! }) == ["111122223333"])
    #expect(Set(bedrock.map { $0["SubAccountId"]! }) == [""])
    // OpenAI: the organisation from accounts.csv, the project as the sub-account.
    #expect(Set(openai.map { $0["BillingAccountId"]! }) == ["org-Acme42"])
    #expect(Set(openai.map { $0["SubAccountId"]! }) == ["proj_1"])
    #expect(Set(openai.map { $0["SubAccountType"]! }) == ["Project"])
    // Nowhere the provider's bare name where an account id belongs.
    #expect(!rows.contains { ["bedrock", "openai"].contains($0["BillingAccountId"]!) })
  }
}
