import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A month over every supported export format (`Fixtures/mixed`), with its own round price tables,
/// whose cost-centre totals and reconciliation variances were computed by hand below.
///
/// Rates (USD per million, `Fixtures/mixed/pricing`): OpenAI gpt-4.1 input 2, cached 0.5, output 8,
/// batch 1 / 0.25 / 4; Anthropic and Bedrock claude-sonnet-4 input 3, cached 0.3, 5m write 3.75,
/// 1h write 6, output 15; Bedrock nova-pro input 0.8, output 3.2; Azure gpt-4o input 2.5, output 10;
/// Vertex gemini-2.5-flash input 0.3, cached 0.03, output 2.5.
///
/// The month (all 2026-10):
/// - Bedrock (request): agent-coder's role sessions, 10-03 (a 1h cache write), and a call from an
///   unregistered IAM user on 10-05.
/// - LiteLLM (request): agent-support's virtual key → OpenAI gpt-4.1 on 10-08, one call failed
///   with a 429 and no tokens.
/// - OTel (request): agent-research's trace on 10-14: an `invoke_agent` span with rolled-up usage
///   (never charged) and two `chat` spans on Anthropic key `apikey_01MixResearchOTel`
///   (`chargeback.credential_id` on the agent span).
/// - Azure APIM (request): two calls on 10-20 through the subscription; a `SequenceNumber` 1
///   continuation row is not a call.
/// - Vertex (request): gemini calls of agent-etl on 10-22 and 10-23 (a streamed response in two
///   chunks is one call).
/// - OpenAI usage (report): agent-coder's key on 10-08, standard and batch.
/// - Anthropic usage (report): the traced key on 10-14 (covered by the spans: overlap with
///   excess) and 10-15 (not covered), and agent-support's report-only key on 10-14.
/// - OpenAI costs, Anthropic cost_report, Azure cost export, GCP billing (cost): the bills.
@Suite struct MixedMonthTests {
  static var mixed: String { Fixtures.root + "/mixed" }

  static func runMonth() throws -> (ChargebackJob.Result, String) {
    let dir = try TestSupport.tempDir()
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [mixed + "/usage"], identities: mixed + "/identities",
        pricing: mixed + "/pricing", out: dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    return (try job.run(), dir)
  }

  @Test func everyFormatIsRecognised() throws {
    let (result, dir) = try Self.runMonth()
    let formats = Dictionary(
      uniqueKeysWithValues: result.ingested.map { (($0.path as NSString).lastPathComponent, $0.format) })
    #expect(
      formats == [
        "bedrock-invocation-logs.jsonl": "bedrock-invocation-log",
        "litellm-spend-logs.json": "litellm-spend-logs",
        "otel-genai-traces.jsonl": "otel-genai-spans",
        "azure-apim-llm-log.csv": "azure-apim-llm-log",
        "vertex-generate-content.jsonl": "vertex-generate-content",
        "openai-usage-completions.json": "openai-usage-completions",
        "anthropic-usage-report.json": "anthropic-usage-report",
        "openai-costs.json": "openai-costs",
        "anthropic-cost-report.json": "anthropic-cost-report",
        "azure-cost-management-export.csv": "azure-cost-export",
        "gcp-billing-export.jsonl": "gcp-billing-export",
      ])
    // Records per file: the invoke_agent span, the APIM continuation row, the first chunk of the
    // streamed Vertex response and the GCP tax and Cloud Storage rows and the Azure storage row are
    // not records.
    let records = Dictionary(
      uniqueKeysWithValues: result.ingested.map { (($0.path as NSString).lastPathComponent, $0.records) })
    #expect(records["otel-genai-traces.jsonl"] == 2)
    #expect(records["azure-apim-llm-log.csv"] == 2)
    #expect(records["vertex-generate-content.jsonl"] == 2)
    #expect(records["gcp-billing-export.jsonl"] == 2)
    #expect(records["azure-cost-management-export.csv"] == 2)
    #expect(records["anthropic-cost-report.json"] == 7)
    #expect(records["openai-costs.json"] == 4)
    // The manifest names the same formats and levels.
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let inputs = try #require(json["inputs"] as? [[String: Any]])
    #expect(inputs.count == 11)
    var levels: [String: Int] = [:]
    for i in inputs { levels[i["level"] as? String ?? "?", default: 0] += 1 }
    #expect(levels == ["request": 5, "report": 2, "cost": 4])
    #expect(Set(inputs.compactMap { $0["format"] as? String }) == Set(formats.values))
    let totals = try #require(json["totals"] as? [String: Any])
    #expect(totals["cost_usd"] as? String == "0.574650")
  }

  @Test func costCentreTotalsToThePicoDollar() throws {
    let (result, _) = try Self.runMonth()
    let report = result.report
    let byCC = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0.cost) })
    // CC-ENG (agent-coder):
    //   Bedrock mix-br-1: 2,000×3 + 10,000 cached×0.3 + 1,000×15 = 0.006 + 0.003 + 0.015 = 0.024
    //   Bedrock mix-br-2: 1,000×3 + 4,000 1h write×6 + 500×15 = 0.003 + 0.024 + 0.0075 = 0.0345
    //   OpenAI report standard: (50,000 − 20,000 cached)×2 + 20,000×0.5 + 5,000×8 = 0.06 + 0.01 + 0.04 = 0.11
    //   OpenAI report batch: 100,000×1 + 10,000×4 = 0.1 + 0.04 = 0.14
    //   = 0.3085
    #expect(byCC["CC-ENG"] == TestSupport.usd("0.3085"))
    // CC-OPS (agent-support):
    //   LiteLLM → OpenAI: (10,000 − 4,000 cached)×2 + 4,000×0.5 + 1,000×8 = 0.012 + 0.002 + 0.008 = 0.022;
    //   the 429 costs nothing; 5,000×2 + 500×8 = 0.014
    //   Anthropic report-only key: 1,000×3 + 5,000×0.3 + 2,000 1h write×6 + 200×15
    //   = 0.003 + 0.0015 + 0.012 + 0.003 = 0.0195
    //   Azure APIM: 8,000×2.5 + 1,000×10 = 0.03; 4,000×2.5 + 400×10 = 0.014
    //   = 0.022 + 0.014 + 0.0195 + 0.03 + 0.014 = 0.0995
    #expect(byCC["CC-OPS"] == TestSupport.usd("0.0995"))
    // CC-DATA:
    //   OTel span A: (30,000 − 20,000 cached)×3 + 20,000×0.3 + 2,000×15 = 0.03 + 0.006 + 0.03 = 0.066
    //   OTel span B: (6,000 − 1,000 write)×3 + 1,000 5m write×3.75 + 1,000×15 = 0.015 + 0.00375 + 0.015 = 0.03375
    //   unlogged on 10-14: 5,000×3 + 1,000×15 = 0.015 + 0.015 = 0.03 (see unloggedExcess)
    //   Anthropic report on 10-15 (no logs that day): 4,000×3 + 400×15 = 0.012 + 0.006 = 0.018
    //   Vertex (agent-etl via labels): (20,000 − 10,000 cached)×0.3 + 10,000×0.03 + (2,000 + 1,000
    //   thoughts)×2.5 = 0.003 + 0.0003 + 0.0075 = 0.0108; 5,000×0.3 + 400×2.5 = 0.0015 + 0.001 = 0.0025
    //   = 0.066 + 0.03375 + 0.03 + 0.018 + 0.0108 + 0.0025 = 0.16105
    #expect(byCC["CC-DATA"] == TestSupport.usd("0.16105"))
    // UNATTRIBUTED: the unknown IAM user's nova-pro call, 5,000×0.8 + 500×3.2 = 0.004 + 0.0016 = 0.0056.
    #expect(byCC["UNATTRIBUTED"] == TestSupport.usd("0.0056"))
    #expect(byCC.count == 4)
    // Σ cost centres = total = Σ lines: 0.3085 + 0.0995 + 0.16105 + 0.0056 = 0.57465.
    #expect(report.totalCost == TestSupport.usd("0.57465"))
    #expect(byCC.values.reduce(Money.zero, +) == report.totalCost)
    #expect(report.lines.reduce(Money.zero) { $0 + $1.cost } == report.totalCost)
    #expect(report.daily.reduce(Money.zero) { $0 + $1.cost } == report.totalCost)
    // 3 Bedrock + 3 LiteLLM + 2 OTel + 2 APIM + 2 Vertex + 2 OpenAI rows + 4 Anthropic rows.
    #expect(report.recordCount == 18)
    #expect(report.unpricedRecords == 0)
    #expect(report.duplicateRecords == 0)
    // Requests: CC-ENG 2 + 20 + 5; CC-OPS 3 + 2 (Anthropic reports no request count); CC-DATA
    // 2 spans + 2 Vertex calls.
    let requests = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0.requests) })
    #expect(requests == ["CC-ENG": 27, "CC-OPS": 5, "CC-DATA": 4, "UNATTRIBUTED": 1])
  }

  @Test func summaryCSVAddsUpInPrint() throws {
    let (_, dir) = try Self.runMonth()
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let cost = Dictionary(uniqueKeysWithValues: summary.map { ($0["cost_centre"]!, $0["cost_usd"]!) })
    #expect(
      cost == [
        "CC-ENG": "0.308500", "CC-OPS": "0.099500", "CC-DATA": "0.161050", "UNATTRIBUTED": "0.005600",
        "TOTAL": "0.574650",
      ])
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let sum = lines.reduce(Int128(0)) { $0 + DecimalText.parse($1["cost_usd"]!, decimals: 6)! }
    #expect(sum == 574_650)
  }

  /// The overlap: agent-research's Anthropic key is in the OTel spans and in the usage report on
  /// 10-14, so the report's rows for that key and day are not charged; what they show beyond the
  /// spans is.
  @Test func unloggedExcess() throws {
    let (result, dir) = try Self.runMonth()
    let report = result.report
    let key = "apikey_01MixResearchOTel"
    func lines(_ source: LineSource, _ credential: String = key) -> [ChargebackLine] {
      report.lines.filter { $0.key.source == source && $0.key.credentialID == credential }
    }
    // Logged on 10-14 (two chat spans): input 10,000 + 5,000 = 15,000, cached 20,000, 5m write
    // 1,000, output 2,000 + 1,000 = 3,000; the invoke_agent span's rolled-up 36,000/3,000 is not a call.
    let logged = try #require(lines(.request).first)
    #expect(lines(.request).count == 1)
    #expect(logged.tokens == TokenCounts(input: 15_000, cachedInput: 20_000, cacheWrite5m: 1_000, output: 3_000))
    #expect(logged.requests == 2)
    #expect(logged.cost == TestSupport.usd("0.09975"))
    #expect(logged.key.taskID == "conv-mix-42")  // the OTel conversation id
    // Reported on 10-14: input 18,000 + 2,000 (15:00 bucket) = 20,000, cached 18,000, 5m write
    // 1,000, output 3,500 + 500 = 4,000. Beyond the logs: input 20,000 − 15,000 = 5,000 and output
    // 4,000 − 3,000 = 1,000; cached 18,000 < 20,000 and writes 1,000 = 1,000 give nothing (never
    // below zero). 5,000×3 + 1,000×15 = 0.03.
    let unlogged = try #require(lines(.unlogged).first)
    #expect(lines(.unlogged).count == 1)
    #expect(unlogged.tokens == TokenCounts(input: 5_000, output: 1_000))
    #expect(unlogged.requests == 0)  // Anthropic reports no request counts
    #expect(unlogged.cost == TestSupport.usd("0.03"))
    #expect(unlogged.key.costCentre == "CC-DATA")
    #expect(unlogged.key.agentID == "agent-research")
    #expect(unlogged.key.model == "claude-sonnet-4")
    #expect(unlogged.key.tier == .standard)
    // The same key's report row of 10-15 has no logs that day: charged from the report (0.018).
    let reported = try #require(lines(.report).first)
    #expect(lines(.report).count == 1)
    #expect(reported.tokens == TokenCounts(input: 4_000, output: 400))
    #expect(reported.cost == TestSupport.usd("0.018"))
    // The report-only key is charged from the report (0.0195) and is not unlogged.
    let direct = lines(.report, "apikey_01MixSupportDirect")
    #expect(direct.count == 1)
    #expect(direct.first?.cost == TestSupport.usd("0.0195"))
    #expect(direct.first?.tokens == TokenCounts(input: 1_000, cachedInput: 5_000, cacheWrite1h: 2_000, output: 200))
    #expect(report.lines.filter { $0.key.source == .unlogged }.count == 1)
    // One unlogged_usage finding, on the key and day, with the excess and its cost.
    let findings = report.findings.filter { $0.kind == .unloggedUsage }
    let finding = try #require(findings.first)
    #expect(findings.count == 1)
    #expect(finding.credentialID == key)
    #expect(finding.costCentre == "CC-DATA")
    #expect(finding.agentID == "agent-research")
    #expect(finding.cost == TestSupport.usd("0.03"))
    #expect(finding.explanation.contains("2026-10-14 claude-sonnet-4 standard: 5000 input, 1000 output"))
    #expect(finding.firstTime == Timestamp.parseMillis("2026-10-14T00:00:00Z"))
    // The whole month raises only what the fixture plants: the unlogged usage, the unknown IAM
    // user, and the Vertex calls, whose responses name no credential but an agent (labels).
    #expect(Set(report.findings.map(\.kind)) == [.unloggedUsage, .unattributed, .unregisteredCredential])
    #expect(report.findings.first { $0.kind == .unattributed }?.cost == TestSupport.usd("0.0056"))
    #expect(report.findings.first { $0.kind == .unregisteredCredential }?.agentID == "agent-etl")
    // chargeback.csv shows the line with its source.
    let csv = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let row = try #require(csv.first { $0["source"] == "unlogged" })
    #expect(row["credential_id"] == key)
    #expect(row["input_tokens"] == "5000")
    #expect(row["output_tokens"] == "1000")
    #expect(row["cached_input_tokens"] == "0")
    #expect(row["cost_usd"] == "0.030000")
  }

  /// Computed against billed per provider, UTC day and canonical model; Bedrock has no cost
  /// report, so it is not reconciled.
  @Test func reconciliationToTheCent() throws {
    let (result, dir) = try Self.runMonth()
    struct Row: Equatable {
      var provider: String, day: String, model: String, computed: Money, billed: Money, variance: Money, pct: String
    }
    let rows = result.report.reconciliation.map {
      Row(
        provider: $0.provider.rawValue, day: $0.day, model: $0.model, computed: $0.computed, billed: $0.billed,
        variance: $0.variance, pct: $0.variancePercentText)
    }
    let u = TestSupport.usd
    let expected = [
      // 10-14: spans 0.066 + 0.03375, unlogged 0.03, report-only key 0.0195 = 0.14925. Billed (cents):
      // 6.30 input + 0.75 cache read + 0.45 5m write + 1.20 1h write + 6.30 output = 15.00 = $0.15
      // (the 5m write is billed 0.45 against 0.375 computed). −0.00075 / 0.15 = −0.50 %.
      Row(
        provider: "anthropic", day: "2026-10-14", model: "claude-sonnet-4", computed: u("0.14925"),
        billed: u("0.15"), variance: u("-0.00075"), pct: "-0.50"),
      // 10-15: report 0.018 against 1.20 + 0.60 cents = $0.018.
      Row(
        provider: "anthropic", day: "2026-10-15", model: "claude-sonnet-4", computed: u("0.018"), billed: u("0.018"),
        variance: .zero, pct: "0.00"),
      // APIM 0.03 + 0.014 = 0.044 against 0.03 input + 0.015 output; the storage meter is not a
      // model row. −0.001 / 0.045 = −2.22 %.
      Row(
        provider: "azure", day: "2026-10-20", model: "gpt-4o", computed: u("0.044"), billed: u("0.045"),
        variance: u("-0.001"), pct: "-2.22"),
      // LiteLLM 0.036 + report 0.11 + 0.14 = 0.286 against 0.19 + 0.012 + 0.098 = 0.30 (batch folded
      // into the model's line items). −0.014 / 0.30 = −4.666… → −4.67 %.
      Row(
        provider: "openai", day: "2026-10-08", model: "gpt-4.1", computed: u("0.286"), billed: u("0.30"),
        variance: u("-0.014"), pct: "-4.67"),
      // A line item that names no model: billed only.
      Row(
        provider: "openai", day: "2026-10-09", model: "(web search tool calls)", computed: .zero, billed: u("0.02"),
        variance: u("-0.02"), pct: "-100.00"),
      // 0.0108 against 0.0033 input + 0.0085 output − 0.0001 credit = 0.0117 (the tax row and the
      // Cloud Storage row are left out). −0.0009 / 0.0117 = −7.69 %.
      Row(
        provider: "vertex", day: "2026-10-22", model: "gemini-2.5-flash", computed: u("0.0108"), billed: u("0.0117"),
        variance: u("-0.0009"), pct: "-7.69"),
      // No billing rows on 10-23: computed only, no percentage.
      Row(
        provider: "vertex", day: "2026-10-23", model: "gemini-2.5-flash", computed: u("0.0025"), billed: .zero,
        variance: u("0.0025"), pct: ""),
    ]
    #expect(rows == expected)
    // reconciliation.csv carries the same values to 6 decimals.
    let csv = try TestSupport.readCSV(dir + "/out/reconciliation.csv")
    #expect(
      csv.map { [$0["provider"]!, $0["day"]!, $0["model"]!, $0["computed_usd"]!, $0["billed_usd"]!] } == [
        ["anthropic", "2026-10-14", "claude-sonnet-4", "0.149250", "0.150000"],
        ["anthropic", "2026-10-15", "claude-sonnet-4", "0.018000", "0.018000"],
        ["azure", "2026-10-20", "gpt-4o", "0.044000", "0.045000"],
        ["openai", "2026-10-08", "gpt-4.1", "0.286000", "0.300000"],
        ["openai", "2026-10-09", "(web search tool calls)", "0.000000", "0.020000"],
        ["vertex", "2026-10-22", "gemini-2.5-flash", "0.010800", "0.011700"],
        ["vertex", "2026-10-23", "gemini-2.5-flash", "0.002500", "0.000000"],
      ])
    #expect(
      csv.map { [$0["variance_usd"]!, $0["variance_pct"]!] } == [
        ["-0.000750", "-0.50"], ["0.000000", "0.00"], ["-0.001000", "-2.22"], ["-0.014000", "-4.67"],
        ["-0.020000", "-100.00"], ["-0.000900", "-7.69"], ["0.002500", ""],
      ])
    #expect(result.outputs.contains { $0.hasSuffix("/reconciliation.csv") })
  }

  /// The Reconciliation sheet of company.xlsx, read back with openpyxl.
  @Test func companyWorkbookHasTheReconciliation() throws {
    let (_, dir) = try Self.runMonth()
    let wb = try WorkbookTests.read(dir + "/out/company.xlsx")
    let sheet = try #require(wb["Reconciliation"])
    #expect(
      sheet.rows.first?.map { $0?.text } == [
        "Provider", "Date (UTC)", "Model", "Computed (USD)", "Billed (USD)", "Variance (USD)",
        "Variance (% of billed)",
      ])
    let last = try #require(sheet.filterLastRow)
    let body = sheet.rows[1...last].map { r in
      [r[0]?.text ?? "", r[1]?.text ?? "", r[2]?.text ?? ""] + r[3...5].map { $0?.cents.map(String.init) ?? "-" }
    }
    // Each column of cents is apportioned to its rounded total, and the variance is computed − billed
    // as shown. Computed 14.925 + 1.8 + 4.4 + 28.6 + 0 + 1.08 + 0.25 = 51.055 → 51 cents: the floors
    // (48) leave 3 cents for the largest remainders .925, .8 and .6. Billed 15 + 1.8 + 4.5 + 30 + 2
    // + 1.17 + 0 = 54.47 → 54: the floors (53) leave 1 cent for .8, so Azure's 4.5 shows as 4.
    #expect(
      body == [
        ["anthropic", "2026-10-14 00:00:00", "claude-sonnet-4", "15", "15", "0"],
        ["anthropic", "2026-10-15 00:00:00", "claude-sonnet-4", "2", "2", "0"],
        ["azure", "2026-10-20 00:00:00", "gpt-4o", "4", "4", "0"],
        ["openai", "2026-10-08 00:00:00", "gpt-4.1", "29", "30", "-1"],
        ["openai", "2026-10-09 00:00:00", "(web search tool calls)", "0", "2", "-2"],
        ["vertex", "2026-10-22 00:00:00", "gemini-2.5-flash", "1", "1", "0"],
        ["vertex", "2026-10-23 00:00:00", "gemini-2.5-flash", "0", "0", "0"],
      ])
    // The days are date cells, and the TOTAL row cross-foots: 51 − 54 = −3.
    #expect((2...8).allSatisfy { sheet.dates.contains("B\($0)") })
    let total = sheet.rows[try #require(sheet.row("TOTAL"))]
    #expect(total[3...5].map { $0?.cents } == [51, 54, -3])
    // The percentage is a ratio cell: −0.014 / 0.30.
    let openai = try #require(sheet.rows.first { $0.first??.text == "openai" })
    guard case .number(let ratio)? = openai[6] else {
      Issue.record("variance_pct is not a number: \(String(describing: openai[6]))")
      return
    }
    #expect(abs(NSDecimalNumber(decimal: ratio).doubleValue - (-0.014 / 0.30)) < 1e-9)
    // Cost centres side by side, to the cent, adding up to the rounded total.
    let ccs = try #require(wb["Cost centres"])
    let col = try #require(ccs.column("Cost (USD)"))
    let cents = Dictionary(
      uniqueKeysWithValues: ccs.rows.dropFirst().compactMap { r -> (String, Int)? in
        guard let id = r.first??.text, r.count > col, let c = r[col]?.cents else { return nil }
        return (id, c)
      })
    // Total 0.57465 → 57 cents. In cents CC-ENG 30.85, CC-OPS 9.95, CC-DATA 16.105, UNATTRIBUTED
    // 0.56: the floors 30 + 9 + 16 + 0 = 55 leave 2 cents for the two largest remainders (CC-OPS
    // .95, CC-ENG .85), so UNATTRIBUTED shows 0.00 though it rounds to 0.01 on its own.
    #expect(cents == ["CC-ENG": 31, "CC-OPS": 10, "CC-DATA": 16, "UNATTRIBUTED": 0, "TOTAL": 57])
  }

  /// Report rows split by `context_window`: the excess of each window over the logged calls of that
  /// size, and the long window's excess at the long-context rate (SPEC §10).
  @Test func unloggedLongContextKeepsItsRate() throws {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/pricing", withIntermediateDirectories: true)
    try """
    provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
    anthropic,claude-sonnet-4,input,standard,0,3,2025-05-14,,test
    anthropic,claude-sonnet-4,output,standard,0,15,2025-05-14,,test
    anthropic,claude-sonnet-4,input,standard,200001,6,2025-05-14,,test
    anthropic,claude-sonnet-4,output,standard,200001,22.5,2025-05-14,,test

    """.write(toFile: dir + "/pricing/anthropic.csv", atomically: true, encoding: .utf8)
    try "provider,pattern,model\nanthropic,claude-sonnet-4-2???????,claude-sonnet-4\n".write(
      toFile: dir + "/pricing/aliases.csv", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let key = "apikey_01MixResearchOTel"
    let day = Timestamp.parseMillis("2026-10-14T00:00:00Z")!
    let model = "claude-sonnet-4-20250514"
    try store.db.transaction {
      let w = try store.beginFile(sha256: "spans", path: "spans", format: "test", level: .request, bytes: 0)
      // A short call (10,000 in) and a long one (220,000 in) on the key that day.
      for (i, t) in [(10_000, 400), (220_000, 800)].enumerated() {
        try w.insert(
          UsageRecord(
            provider: .anthropic, level: .request, format: "test", naturalKey: "otel:t:\(i)", time: day + 3_600_000,
            credential: key, model: model, tokens: TokenCounts(input: Int64(t.0), output: Int64(t.1))))
      }
      try w.finish()
      let r = try store.beginFile(sha256: "report", path: "report", format: "test", level: .report, bytes: 0)
      for (i, (window, input, output)) in [("0-200k", 12_000, 500), ("200k-1M", 250_000, 1_000)].enumerated() {
        try r.insert(
          UsageRecord(
            provider: .anthropic, level: .report, format: "test", naturalKey: "anthropic:usage:\(i)",
            time: day + 3_600_000, bucketEnd: day + 7_200_000, credential: key, model: model, contextWindow: window,
            tokens: TokenCounts(input: Int64(input), output: Int64(output)), requests: 0))
      }
      try r.finish()
    }
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Self.mixed + "/identities"),
      prices: try PriceTable(directory: dir + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-10")!)
    // Logged: 10,000×3 + 400×15 = 0.036; 220,000×6 + 800×22.5 = 1.338.
    let logged = report.lines.filter { $0.key.source == .request }.reduce(Money.zero) { $0 + $1.cost }
    #expect(logged == TestSupport.usd("1.374"))
    // 0-200k: 12,000 − 10,000 = 2,000 in, 500 − 400 = 100 out at the base rate: 0.006 + 0.0015 = 0.0075.
    // 200k-1M: 250,000 − 220,000 = 30,000 in, 1,000 − 800 = 200 out at the long-context rate:
    // 0.18 + 0.0045 = 0.1845. Unlogged 0.192 (all windows at once at the base rate would be 32,000×3
    // + 300×15 = 0.1005).
    let unlogged = report.lines.filter { $0.key.source == .unlogged }
    #expect(unlogged.reduce(Money.zero) { $0 + $1.cost } == TestSupport.usd("0.192"))
    var tokens = TokenCounts()
    for l in unlogged { tokens += l.tokens }
    #expect(tokens == TokenCounts(input: 32_000, output: 300))
    let finding = try #require(report.findings.first { $0.kind == .unloggedUsage })
    #expect(finding.cost == TestSupport.usd("0.192"))
    #expect(finding.explanation.contains("standard: 2000 input, 100 output"))
    #expect(finding.explanation.contains("standard 200k-1M: 30000 input, 200 output"))
  }
}
