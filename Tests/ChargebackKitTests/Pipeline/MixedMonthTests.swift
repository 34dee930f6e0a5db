import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A month over every supported export format (`Fixtures/mixed`), in the shapes the providers deliver
/// them, with its own round price tables, whose cost-centre totals and reconciliation variances were
/// computed by hand below.
///
/// Rates (USD per million, `Fixtures/mixed/pricing`): OpenAI gpt-4.1 input 2, cached 0.5, output 8,
/// batch 1 / 0.25 / 4; Anthropic and Bedrock claude-sonnet-4 input 3, cached 0.3, 5m write 3.75,
/// 1h write 6, output 15; Bedrock nova-pro input 0.8, output 3.2; Azure gpt-4o input 2.5, output 10;
/// Vertex gemini-2.5-flash input 0.3, cached 0.03, output 2.5.
///
/// The month (all 2026-10):
/// - Bedrock us-east-1, as `aws s3 sync` made it (`usage/bedrock-s3/AWSLogs/444455556666/…`, gzip
///   JSON Lines per hour folder): agent-coder's role sessions on 10-03 (a 1h cache write, and
///   mix-br-4, whose request body went to `data/<uuid>_input.json.gz`: `input.inputBodyS3Path`),
///   and a retry storm of agent-coder on 10-21 (throttles, streams broken after billing, two
///   successes; one request body) split over two objects. The zero-byte
///   `amazon-bedrock-logs-permission-check` and the `data/` body are skipped, never charged.
/// - Bedrock eu-west-1, a CloudWatch Logs export (`<RFC 3339> {record}` lines, gzip, with its
///   `aws-logs-write-test`): the unregistered IAM user's call on 10-05 and agent-coder on 10-12.
/// - Bedrock eu-central-1, records pasted from the console (`json.dumps(indent=2)`): agent-coder
///   on 10-13 (a 1h cache write).
/// - LiteLLM (request): agent-support's virtual key → OpenAI gpt-4.1 on 10-08, one call failed
///   with a 429 and no tokens; and the Pub/Sub `SpendLogsPayload`s (`metadata` a JSON string) of
///   agent-billing's key `mix-billing-prod`, registered by its `user_api_key_alias` and revoked on
///   10-16, → Bedrock claude-sonnet-4 on 10-12, 10-15, 10-19 and 10-23.
/// - OTel (request): agent-research's trace on 10-14: an `invoke_agent` span with rolled-up usage
///   (never charged) and two `chat` spans on Anthropic key `apikey_01MixResearchOTel`
///   (`chargeback.credential_id` on the agent span); and a trace on 10-27 split children-first
///   over the Collector's rotated file (the `chat` span, OpenAI gpt-4.1) and its current file (the
///   `invoke_agent` parent naming agent-research and the shared key `key_MixPlatformShared`).
/// - Azure APIM (request): two calls on 10-20 through the subscription; a `SequenceNumber` 1
///   continuation row is not a call.
/// - Vertex (request): gemini calls of agent-etl on 10-22 and 10-23 (a streamed response in two
///   chunks is one call).
/// - OpenAI usage (report): agent-coder's key on 10-08, standard and batch (a page); agent-etl's
///   report-only key on 10-27, standard and batch (the cookbook's bare array of buckets).
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

  static var usage: String { mixed + "/usage" }
  /// The `aws s3 sync` of the us-east-1 log prefix.
  static var s3Prefix: String { usage + "/bedrock-s3/AWSLogs/444455556666/BedrockModelInvocationLogs" }
  static var permissionCheck: String { s3Prefix + "/amazon-bedrock-logs-permission-check" }
  /// The request body of mix-br-4, beside its hour's log object.
  static var body: String {
    s3Prefix + "/us-east-1/2026/10/03/10/data/3f6c9a2e-7b1d-4e8a-b5c4-9d0e1f2a3b4c_input.json.gz"
  }
  /// The CloudWatch Logs export of the eu-west-1 log group, and its write test.
  static var cloudWatch: String { usage + "/bedrock-cloudwatch-eu-west-1" }
  static var writeTest: String { cloudWatch + "/aws-logs-write-test" }
  static var pasted: String { usage + "/bedrock-console-eu-central-1.json" }

  @Test func everyFormatIsRecognised() throws {
    let (result, dir) = try Self.runMonth()
    let formats = Dictionary(
      uniqueKeysWithValues: result.ingested.map { (($0.path as NSString).lastPathComponent, $0.format) })
    let bedrock = "bedrock-invocation-log"
    #expect(
      formats == [
        // The S3 sync: four log objects in three hour folders; the permission check object and the
        // data/ body are skipped (no format).
        "20261003T0905Z_7c1e4a9b2d3f5e60.json.gz": bedrock,
        "20261003T1005Z_e29b0c47a18d3f65.json.gz": bedrock,
        "20261021T1405Z_5a0f3c8e91b7d246.json.gz": bedrock,
        "20261021T1410Z_c4d81e6f0a2b9357.json.gz": bedrock,
        "amazon-bedrock-logs-permission-check": "",
        "3f6c9a2e-7b1d-4e8a-b5c4-9d0e1f2a3b4c_input.json.gz": "",
        // The CloudWatch Logs export, and its write test (skipped).
        "000000.gz": bedrock,
        "aws-logs-write-test": "",
        "bedrock-console-eu-central-1.json": bedrock,
        "litellm-spend-logs.json": "litellm-spend-logs",
        "litellm-pubsub-spend-logs.jsonl": "litellm-spend-logs",
        "otel-genai-traces.jsonl": "otel-genai-spans",
        "traces-2026-10-27T10-05-00.000.jsonl": "otel-genai-spans",
        "traces.jsonl": "otel-genai-spans",
        "azure-apim-llm-log.csv": "azure-apim-llm-log",
        "vertex-generate-content.jsonl": "vertex-generate-content",
        "openai-usage-completions.json": "openai-usage-completions",
        "openai-usage-buckets.json": "openai-usage-completions",
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
    // mix-br-1; mix-br-2 and mix-br-4; the storm's first nine calls, then its last three.
    #expect(records["20261003T0905Z_7c1e4a9b2d3f5e60.json.gz"] == 1)
    #expect(records["20261003T1005Z_e29b0c47a18d3f65.json.gz"] == 2)
    #expect(records["20261021T1405Z_5a0f3c8e91b7d246.json.gz"] == 9)
    #expect(records["20261021T1410Z_c4d81e6f0a2b9357.json.gz"] == 3)
    #expect(records["000000.gz"] == 3)
    #expect(records["bedrock-console-eu-central-1.json"] == 2)
    #expect(records["litellm-pubsub-spend-logs.jsonl"] == 4)
    // The rotated OTel file holds the chat span; the current one only its invoke_agent parent.
    #expect(records["traces-2026-10-27T10-05-00.000.jsonl"] == 1)
    #expect(records["traces.jsonl"] == 0)
    // Three buckets, one with two results, two empty.
    #expect(records["openai-usage-buckets.json"] == 2)
    // The manifest names the same formats and levels.
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let inputs = try #require(json["inputs"] as? [[String: Any]])
    #expect(inputs.count == 20)
    var levels: [String: Int] = [:]
    for i in inputs { levels[i["level"] as? String ?? "?", default: 0] += 1 }
    #expect(levels == ["request": 13, "report": 3, "cost": 4])
    #expect(Set(inputs.compactMap { $0["format"] as? String }) == Set(formats.values.filter { !$0.isEmpty }))
    let totals = try #require(json["totals"] as? [String: Any])
    #expect(totals["cost_usd"] as? String == "1.235050")
    let counts = try #require(json["counts"] as? [String: Any])
    #expect(counts["records"] as? Int == 42)
  }

  /// The delivery artifacts of the S3 sync and of the CloudWatch export are listed in the manifest
  /// (sorted by path, with their hashes) and never read or charged; the record whose request body
  /// went to `data/` is charged from its own tokens.
  @Test func deliveryArtifactsAreListedAndNotCharged() throws {
    let (result, dir) = try Self.runMonth()
    let skipped = result.ingested.filter { $0.skippedReason != nil }
    #expect(skipped.map(\.path) == [Self.writeTest, Self.permissionCheck, Self.body])
    #expect(
      skipped.map(\.skippedReason) == [
        DeliveryArtifacts.cloudWatchWriteTest, DeliveryArtifacts.permissionCheck, DeliveryArtifacts.bedrockBody,
      ])
    #expect(skipped.allSatisfy { $0.records == 0 && $0.newRecords == 0 && $0.format.isEmpty })
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
    let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let listed = try #require(manifest["skipped_inputs"] as? [[String: String]])
    let (checkHash, checkBytes) = try Ingestor.sha256(of: Self.permissionCheck)
    let (bodyHash, bodyBytes) = try Ingestor.sha256(of: Self.body)
    let (testHash, _) = try Ingestor.sha256(of: Self.writeTest)
    #expect(checkBytes == 0)
    #expect(bodyBytes > 0)
    #expect(
      listed == [
        ["path": Self.writeTest, "sha256": testHash, "reason": DeliveryArtifacts.cloudWatchWriteTest],
        ["path": Self.permissionCheck, "sha256": checkHash, "reason": DeliveryArtifacts.permissionCheck],
        ["path": Self.body, "sha256": bodyHash, "reason": DeliveryArtifacts.bedrockBody],
      ])
    // Not inputs, not files of the store, no records.
    let inputs = try #require(manifest["inputs"] as? [[String: Any]])
    let paths = Set(inputs.compactMap { $0["path"] as? String })
    #expect(paths.isDisjoint(with: [Self.writeTest, Self.permissionCheck, Self.body]))
    #expect(!result.report.inputs.contains { [Self.writeTest, Self.permissionCheck, Self.body].contains($0.path) })
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    #expect(Set(try store.files().map(\.path)).isDisjoint(with: [Self.writeTest, Self.permissionCheck, Self.body]))
    // mix-br-4's body is in data/; its record has the tokens: 6,000×3 + 30,000 cached×0.3 + 1,200×15
    // = 0.018 + 0.009 + 0.018 = 0.045, charged to agent-coder.
    let stored = try #require(try store.record(matching: "bedrock:mix-br-4")).record
    #expect(stored.tokens == TokenCounts(input: 6_000, cachedInput: 30_000, output: 1_200))
    #expect(stored.promptHash == nil)
    let charger = Charger(
      identities: try IdentityDirectory(directory: Self.mixed + "/identities"),
      prices: try PriceTable(directory: Self.mixed + "/pricing"))
    let charged = charger.charge(stored)
    #expect(charged.cost == TestSupport.usd("0.045"))
    #expect(charged.attribution.agentID == "agent-coder")
    #expect(charged.attribution.costCentre == "CC-ENG")
    // The three records moved into the delivery shapes are charged as before.
    for (id, cost) in [("mix-br-1", "0.024"), ("mix-br-2", "0.0345"), ("mix-br-3", "0.0056")] {
      let r = try #require(try store.record(matching: "bedrock:" + id)).record
      #expect(charger.charge(r).cost == TestSupport.usd(cost), "\(id)")
    }
  }

  @Test func costCentreTotalsToThePicoDollar() throws {
    let (result, _) = try Self.runMonth()
    let report = try #require(result.report)
    let byCC = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0.cost) })
    // CC-ENG (agent-coder):
    //   Bedrock mix-br-1: 2,000×3 + 10,000 cached×0.3 + 1,000×15 = 0.006 + 0.003 + 0.015 = 0.024
    //   Bedrock mix-br-2: 1,000×3 + 4,000 1h write×6 + 500×15 = 0.003 + 0.024 + 0.0075 = 0.0345
    //   Bedrock mix-br-4 (body in data/): 6,000×3 + 30,000 cached×0.3 + 1,200×15 = 0.018 + 0.009 + 0.018
    //   = 0.045
    //   OpenAI report standard: (50,000 − 20,000 cached)×2 + 20,000×0.5 + 5,000×8 = 0.06 + 0.01 + 0.04 = 0.11
    //   OpenAI report batch: 100,000×1 + 10,000×4 = 0.1 + 0.04 = 0.14
    //   CloudWatch export mix-br-5: 3,000×3 + 12,000 cached×0.3 + 2,000 5m write×3.75 + 900×15
    //   = 0.009 + 0.0036 + 0.0075 + 0.0135 = 0.0336; mix-br-6: 1,500×3 + 14,000 cached×0.3 + 400×15
    //   = 0.0045 + 0.0042 + 0.006 = 0.0147
    //   Console paste mix-br-7: 2,500×3 + 4,000 1h write×6 + 600×15 = 0.0075 + 0.024 + 0.009 = 0.0405;
    //   mix-br-8: 800×3 + 4,000 cached×0.3 + 300×15 = 0.0024 + 0.0012 + 0.0045 = 0.0081
    //   Retry storm (see retryStormIsOneFinding): 0.15315
    //   = 0.024 + 0.0345 + 0.045 + 0.11 + 0.14 + 0.0336 + 0.0147 + 0.0405 + 0.0081 + 0.15315 = 0.60355
    #expect(byCC["CC-ENG"] == TestSupport.usd("0.60355"))
    // CC-OPS (agent-support, agent-billing):
    //   LiteLLM → OpenAI: (10,000 − 4,000 cached)×2 + 4,000×0.5 + 1,000×8 = 0.012 + 0.002 + 0.008 = 0.022;
    //   the 429 costs nothing; 5,000×2 + 500×8 = 0.014
    //   Anthropic report-only key: 1,000×3 + 5,000×0.3 + 2,000 1h write×6 + 200×15
    //   = 0.003 + 0.0015 + 0.012 + 0.003 = 0.0195
    //   Azure APIM: 8,000×2.5 + 1,000×10 = 0.03; 4,000×2.5 + 400×10 = 0.014
    //   LiteLLM alias key → Bedrock (see aliasKeyRevokedMidMonth): 0.08295
    //   = 0.022 + 0.014 + 0.0195 + 0.03 + 0.014 + 0.08295 = 0.18245
    #expect(byCC["CC-OPS"] == TestSupport.usd("0.18245"))
    // CC-DATA:
    //   OTel span A: (30,000 − 20,000 cached)×3 + 20,000×0.3 + 2,000×15 = 0.03 + 0.006 + 0.03 = 0.066
    //   OTel span B: (6,000 − 1,000 write)×3 + 1,000 5m write×3.75 + 1,000×15 = 0.015 + 0.00375 + 0.015 = 0.03375
    //   unlogged on 10-14: 5,000×3 + 1,000×15 = 0.015 + 0.015 = 0.03 (see unloggedExcess)
    //   Anthropic report on 10-15 (no logs that day): 4,000×3 + 400×15 = 0.012 + 0.006 = 0.018
    //   Vertex (agent-etl via labels): (20,000 − 10,000 cached)×0.3 + 10,000×0.03 + (2,000 + 1,000
    //   thoughts)×2.5 = 0.003 + 0.0003 + 0.0075 = 0.0108; 5,000×0.3 + 400×2.5 = 0.0015 + 0.001 = 0.0025
    //   OTel split trace on 10-27 (agent-research via its invoke_agent parent): 0.0384 (see
    //   otelCallInheritsItsAncestorAcrossFiles)
    //   OpenAI bucket array, agent-etl's report-only key on 10-27: 0.132 + 0.112 = 0.244 (see
    //   bareBucketArrayIsChargedAsReportUsage)
    //   = 0.066 + 0.03375 + 0.03 + 0.018 + 0.0108 + 0.0025 + 0.0384 + 0.244 = 0.44345
    #expect(byCC["CC-DATA"] == TestSupport.usd("0.44345"))
    // UNATTRIBUTED: the unknown IAM user's nova-pro call (now in the CloudWatch export), 5,000×0.8
    // + 500×3.2 = 0.004 + 0.0016 = 0.0056.
    #expect(byCC["UNATTRIBUTED"] == TestSupport.usd("0.0056"))
    #expect(byCC.count == 4)
    // Σ cost centres = total = Σ lines: 0.60355 + 0.18245 + 0.44345 + 0.0056 = 1.23505.
    #expect(report.totalCost == TestSupport.usd("1.23505"))
    #expect(byCC.values.reduce(Money.zero, +) == report.totalCost)
    #expect(report.lines.reduce(Money.zero) { $0 + $1.cost } == report.totalCost)
    #expect(report.daily.reduce(Money.zero) { $0 + $1.cost } == report.totalCost)
    // 3 + 1 (mix-br-4) + 4 (export and paste) + 12 (storm) Bedrock + 3 + 4 LiteLLM + 2 + 1 OTel + 2 APIM
    // + 2 Vertex + 2 + 2 OpenAI rows + 4 Anthropic rows.
    #expect(report.recordCount == 42)
    #expect(report.unpricedRecords == 0)
    #expect(report.duplicateRecords == 0)
    // Requests: CC-ENG 3 + 4 + 12 Bedrock + 20 + 5; CC-OPS 3 + 4 LiteLLM + 2 APIM (Anthropic reports
    // no request count); CC-DATA 2 + 1 spans + 2 Vertex calls + 30 + 10.
    let requests = Dictionary(uniqueKeysWithValues: report.costCentres.map { ($0.id, $0.requests) })
    #expect(requests == ["CC-ENG": 44, "CC-OPS": 9, "CC-DATA": 45, "UNATTRIBUTED": 1])
    // CC-ENG per day: 10-03 0.024 + 0.0345 + 0.045 = 0.1035; 10-08 0.11 + 0.14 = 0.25; 10-12 (export)
    // 0.0336 + 0.0147 = 0.0483; 10-13 (paste) 0.0405 + 0.0081 = 0.0486; 10-21 (storm) 0.15315.
    let eng = Dictionary(
      uniqueKeysWithValues: report.daily.filter { $0.costCentre == "CC-ENG" }.map { ($0.day, $0.cost) })
    #expect(
      eng == [
        "2026-10-03": TestSupport.usd("0.1035"), "2026-10-08": TestSupport.usd("0.25"),
        "2026-10-12": TestSupport.usd("0.0483"), "2026-10-13": TestSupport.usd("0.0486"),
        "2026-10-21": TestSupport.usd("0.15315"),
      ])
  }

  @Test func summaryCSVAddsUpInPrint() throws {
    let (_, dir) = try Self.runMonth()
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let cost = Dictionary(uniqueKeysWithValues: summary.map { ($0["cost_centre"]!, $0["cost_usd"]!) })
    #expect(
      cost == [
        "CC-ENG": "0.603550", "CC-OPS": "0.182450", "CC-DATA": "0.443450", "UNATTRIBUTED": "0.005600",
        "TOTAL": "1.235050",
      ])
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let sum = lines.reduce(Int128(0)) { $0 + DecimalText.parse($1["cost_usd"]!, decimals: 6)! }
    #expect(sum == 1_235_050)
  }

  /// The overlap: agent-research's Anthropic key is in the OTel spans and in the usage report on
  /// 10-14, so the report's rows for that key and day are not charged; what they show beyond the
  /// spans is.
  @Test func unloggedExcess() throws {
    let (result, dir) = try Self.runMonth()
    let report = try #require(result.report)
    let key = "apikey_01MixResearchOTel"
    // At the task grain (the rows of chargeback.csv): the lines are keyed without the task.
    let taskRows = try report.taskLines()
    func lines(_ source: LineSource, _ credential: String = key) -> [ChargebackLine] {
      taskRows.filter { $0.key.source == source && $0.key.credentialID == credential }
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
    #expect(
      direct.first?.tokens
        == TokenTotals(TokenCounts(input: 1_000, cachedInput: 5_000, cacheWrite1h: 2_000, output: 200)))
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
    // user, the alias key used after its revocation, the shared OpenAI key of the split trace and
    // the Bedrock retry storm. The Vertex calls, whose responses name no credential but an agent
    // (labels), raise nothing: there is no credential to register. They are charged to the agent,
    // with a status that says how.
    #expect(
      Set(report.findings.map(\.kind)) == [
        .unloggedUsage, .unattributed, .revokedCredential, .sharedCredential, .retryStorm,
      ])
    #expect(report.findings.count == 5)
    #expect(report.findings.first { $0.kind == .unattributed }?.cost == TestSupport.usd("0.0056"))
    let vertex = report.lines.filter { $0.key.provider == .vertex }
    #expect(!vertex.isEmpty)
    #expect(vertex.allSatisfy { $0.key.status == .agentMetadata && $0.key.agentID == "agent-etl" })
    // chargeback.csv shows the line with its source.
    let csv = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let row = try #require(csv.first { $0["source"] == "unlogged" })
    #expect(row["credential_id"] == key)
    #expect(row["input_tokens"] == "5000")
    #expect(row["output_tokens"] == "1000")
    #expect(row["cached_input_tokens"] == "0")
    #expect(row["cost_usd"] == "0.030000")
  }

  /// Computed against billed per provider, UTC day and canonical model.
  ///
  /// Bedrock has no cost report, so it is not reconciled: the S3 sync, the CloudWatch export, the
  /// pasted records, the storm and the LiteLLM calls routed to Bedrock add no row. OpenAI is: its
  /// usage on 10-27, a day its costs pages do not cover (no bill loaded), is left out of the
  /// comparison and named apart. Vertex's billing rows come from no page: they cover 10-22 (their
  /// first billed day to their last), and its usage of 10-23 is named apart too.
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
        provider: "openai", day: "2026-10-09", model: "(web search)", computed: .zero, billed: u("0.02"),
        variance: u("-0.02"), pct: "-100.00"),
      // 0.0108 against 0.0033 input + 0.0085 output − 0.0001 credit = 0.0117 (the tax row and the
      // Cloud Storage row are left out). −0.0009 / 0.0117 = −7.69 %.
      Row(
        provider: "vertex", day: "2026-10-22", model: "gemini-2.5-flash", computed: u("0.0108"), billed: u("0.0117"),
        variance: u("-0.0009"), pct: "-7.69"),
    ]
    #expect(rows == expected)
    // 10-27: the split OTel trace's call 0.0384 and the bucket array's report rows 0.132 + 0.112 =
    // 0.2824, on a day no OpenAI costs page covers; Vertex's 0.0025 on 10-23, after its export's
    // last billed day.
    #expect(result.report.unbilledDays == [Provider.openai: ["2026-10-27"], Provider.vertex: ["2026-10-23"]])
    // reconciliation.csv carries the same values to 6 decimals.
    let csv = try TestSupport.readCSV(dir + "/out/reconciliation.csv")
    #expect(
      csv.map { [$0["provider"]!, $0["day"]!, $0["model"]!, $0["computed_usd"]!, $0["billed_usd"]!] } == [
        ["anthropic", "2026-10-14", "claude-sonnet-4", "0.149250", "0.150000"],
        ["anthropic", "2026-10-15", "claude-sonnet-4", "0.018000", "0.018000"],
        ["azure", "2026-10-20", "gpt-4o", "0.044000", "0.045000"],
        ["openai", "2026-10-08", "gpt-4.1", "0.286000", "0.300000"],
        ["openai", "2026-10-09", "(web search)", "0.000000", "0.020000"],
        ["vertex", "2026-10-22", "gemini-2.5-flash", "0.010800", "0.011700"],
      ])
    #expect(
      csv.map { [$0["variance_usd"]!, $0["variance_pct"]!] } == [
        ["-0.000750", "-0.50"], ["0.000000", "0.00"], ["-0.001000", "-2.22"], ["-0.014000", "-4.67"],
        ["-0.020000", "-100.00"], ["-0.000900", "-7.69"],
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
    // as shown. Computed 14.925 + 1.8 + 4.4 + 28.6 + 0 + 1.08 = 50.805 → 51 cents: the floors (48)
    // leave 3 cents for the largest remainders .925, .8 and .6. Billed 15 + 1.8 + 4.5 + 30 + 2 + 1.17 =
    // 54.47 → 54: the floors (53) leave 1 cent for .8, so Azure's 4.5 shows as 4. Vertex's 10-23 is
    // after its export's last billed day: not compared.
    #expect(
      body == [
        ["anthropic", "2026-10-14 00:00:00", "claude-sonnet-4", "15", "15", "0"],
        ["anthropic", "2026-10-15 00:00:00", "claude-sonnet-4", "2", "2", "0"],
        ["azure", "2026-10-20 00:00:00", "gpt-4o", "4", "4", "0"],
        ["openai", "2026-10-08 00:00:00", "gpt-4.1", "29", "30", "-1"],
        ["openai", "2026-10-09 00:00:00", "(web search)", "0", "2", "-2"],
        ["vertex", "2026-10-22 00:00:00", "gemini-2.5-flash", "1", "1", "0"],
      ])
    // The days are date cells, and the TOTAL row cross-foots: 51 − 54 = −3.
    #expect((2...7).allSatisfy { sheet.dates.contains("B\($0)") })
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
    // Total 1.23505 → 124 cents. In cents CC-ENG 60.355, CC-OPS 18.245, CC-DATA 44.345, UNATTRIBUTED
    // 0.56: the floors 60 + 18 + 44 + 0 = 122 leave 2 cents for the two largest remainders
    // (UNATTRIBUTED .56, CC-ENG .355), so CC-ENG shows 0.61 though it rounds to 0.60 on its own.
    #expect(cents == ["CC-ENG": 61, "CC-OPS": 18, "CC-DATA": 44, "UNATTRIBUTED": 1, "TOTAL": 124])
  }

  /// The stored records of one run, by request id, and the path of the file each came from.
  static func storedRecords(_ dir: String) throws -> (records: [String: UsageRecord], files: [String: String]) {
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let paths = Dictionary(uniqueKeysWithValues: try store.files().map { ($0.id, $0.path) })
    var records: [String: UsageRecord] = [:]
    var files: [String: String] = [:]
    try store.forEachRecord(from: .min, to: .max) { s in
      guard let id = s.record.requestID else { return }
      records[id] = s.record
      files[id] = paths[s.fileID]
    }
    return (records, files)
  }

  static func charger() throws -> Charger {
    Charger(
      identities: try IdentityDirectory(directory: mixed + "/identities"),
      prices: try PriceTable(directory: mixed + "/pricing"))
  }

  /// agent-coder's calls in the eu-west-1 CloudWatch Logs export (timestamp-prefixed lines, gzip)
  /// and in the records pasted pretty-printed from the eu-central-1 console.
  @Test func cloudWatchExportAndPastedRecordsAreCharged() throws {
    let (result, dir) = try Self.runMonth()
    let (records, files) = try Self.storedRecords(dir)
    let export = Self.cloudWatch + "/0b7e2c4a-91d3-4f6e-8a5b-2c9d0e1f3a47/aws/bedrock/modelinvocations/000000.gz"
    // The export: one record per line, the RFC 3339 prefix looked past.
    for (line, id) in ["mix-br-3", "mix-br-5", "mix-br-6"].enumerated() {
      #expect(files[id] == export, "\(id)")
      #expect(records[id]?.line == line + 1, "\(id)")
    }
    // The paste: `json.dumps(indent=2)` spacing; each record keeps the line of its opening `{`.
    let text = try String(contentsOfFile: Self.pasted, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.contains { $0 == "  \"schemaType\": \"ModelInvocationLog\"," })
    let starts = lines.indices.filter { lines[$0] == "{" }.map { $0 + 1 }
    #expect(starts.count == 2)
    #expect(["mix-br-7", "mix-br-8"].map { files[$0] } == [Self.pasted, Self.pasted])
    #expect(["mix-br-7", "mix-br-8"].map { records[$0]?.line } == starts)
    #expect(records["mix-br-7"]?.jsonPath == nil)
    // Tokens as logged; the cache writes split by the responses' cacheDetails (mix-br-5: 5m, mix-br-7: 1h).
    #expect(
      records["mix-br-5"]?.tokens
        == TokenCounts(input: 3_000, cachedInput: 12_000, cacheWrite5m: 2_000, output: 900))
    #expect(records["mix-br-6"]?.tokens == TokenCounts(input: 1_500, cachedInput: 14_000, output: 400))
    #expect(records["mix-br-7"]?.tokens == TokenCounts(input: 2_500, cacheWrite1h: 4_000, output: 600))
    #expect(records["mix-br-8"]?.tokens == TokenCounts(input: 800, cachedInput: 4_000, output: 300))
    // Each charged to agent-coder (role coder-runner/*) at the Bedrock claude-sonnet-4 rates:
    //   mix-br-5: 3,000×3 + 12,000×0.3 + 2,000×3.75 + 900×15 = 0.009 + 0.0036 + 0.0075 + 0.0135 = 0.0336
    //   mix-br-6: 1,500×3 + 14,000×0.3 + 400×15 = 0.0045 + 0.0042 + 0.006 = 0.0147
    //   mix-br-7: 2,500×3 + 4,000×6 + 600×15 = 0.0075 + 0.024 + 0.009 = 0.0405
    //   mix-br-8: 800×3 + 4,000×0.3 + 300×15 = 0.0024 + 0.0012 + 0.0045 = 0.0081
    let charger = try Self.charger()
    for (id, cost) in [("mix-br-5", "0.0336"), ("mix-br-6", "0.0147"), ("mix-br-7", "0.0405"), ("mix-br-8", "0.0081")] {
      let charged = charger.charge(try #require(records[id]))
      #expect(charged.cost == TestSupport.usd(cost), "\(id)")
      #expect(charged.model == "claude-sonnet-4", "\(id)")
      #expect(charged.attribution.agentID == "agent-coder", "\(id)")
      #expect(charged.attribution.costCentre == "CC-ENG", "\(id)")
      #expect(charged.attribution.credentialID == "arn:aws:sts::444455556666:assumed-role/coder-runner/*", "\(id)")
      #expect(charged.attribution.signals.isEmpty, "\(id)")
    }
    // agent-coder's Bedrock line holds every one of its Bedrock calls: mix-br-1, -2, -4 (0.1035), the
    // export (0.0483), the paste (0.0486) and the storm (0.15315) = 0.35355, 3 + 2 + 2 + 12 requests.
    let report = try #require(result.report)
    let line = try #require(
      report.lines.first { $0.key.agentID == "agent-coder" && $0.key.provider == .bedrock })
    #expect(report.lines.filter { $0.key.agentID == "agent-coder" && $0.key.provider == .bedrock }.count == 1)
    #expect(line.cost == TestSupport.usd("0.35355"))
    #expect(line.requests == 19)
    #expect(line.failedRequests == 10)
  }

  /// A trace split children-first over the Collector's rotated file and its current file: the chat
  /// call inherits agent, task and credential from its `invoke_agent` parent, a file later.
  @Test func otelCallInheritsItsAncestorAcrossFiles() throws {
    let (result, dir) = try Self.runMonth()
    let collector = Self.usage + "/otel-collector"
    let order = result.ingested.map(\.path).filter { $0.hasPrefix(collector + "/") }
    #expect(order == [collector + "/traces-2026-10-27T10-05-00.000.jsonl", collector + "/traces.jsonl"])
    let (records, _) = try Self.storedRecords(dir)
    let call = try #require(records["chatcmpl-MixOTel27a"])
    #expect(call.naturalKey == "otel:9c4e2b7d1a3f4e5b8c6d0e1f2a3b4c5d:2b00000000000002")
    #expect(call.credential == "key_MixPlatformShared")
    #expect(call.metadata.agentID == "agent-research")
    #expect(call.metadata.taskID == "conv-mix-77")
    #expect(call.agentPath == "agent-research")
    // key_MixPlatformShared is shared (cost centre CC-ENG): the call is charged to the agent its
    // ancestor names, agent-research, in CC-DATA. (24,000 − 16,000 cached)×2 + 16,000×0.5 + 1,800×8
    // = 0.016 + 0.008 + 0.0144 = 0.0384.
    let lines = try result.report.taskLines().filter { $0.key.credentialID == "key_MixPlatformShared" }
    #expect(lines.count == 1)
    let line = try #require(lines.first)
    #expect(line.key.costCentre == "CC-DATA")
    #expect(line.key.agentID == "agent-research")
    #expect(line.key.taskID == "conv-mix-77")
    #expect(line.key.status == .sharedAgent)
    #expect(line.key.provider == .openai)
    #expect(line.key.model == "gpt-4.1")
    #expect(line.key.tier == .standard)
    #expect(line.key.source == .request)
    #expect(line.tokens == TokenCounts(input: 8_000, cachedInput: 16_000, output: 1_800))
    #expect(line.requests == 1)
    #expect(line.cost.pico == 38_400_000_000)
    // The shared key is raised once, in the cost centre its one call is charged to (CC-DATA), and
    // names its own cost centre, CC-ENG, which binds it.
    let shared = try #require(result.report.findings.first { $0.kind == .sharedCredential })
    #expect(result.report.findings.filter { $0.kind == .sharedCredential }.count == 1)
    #expect(shared.credentialID == "key_MixPlatformShared")
    #expect(shared.costCentre == "CC-DATA")
    #expect(shared.explanation.contains("its cost centre CC-ENG"))
    #expect(shared.calls == 1)
    #expect(shared.cost.pico == 38_400_000_000)
    #expect(shared.evidence == [call.naturalKey])
    #expect(
      !result.report.lines.contains { $0.key.costCentre == Attribution.unattributed && $0.key.provider == .openai })
  }

  /// agent-billing's LiteLLM key, registered by its alias and revoked on 10-16, delivered as Pub/Sub
  /// `SpendLogsPayload`s (`metadata` a JSON string; the hash itself is not registered).
  @Test func aliasKeyRevokedMidMonth() throws {
    let (result, dir) = try Self.runMonth()
    let (records, _) = try Self.storedRecords(dir)
    let ids = (1...4).map { "chatcmpl-9b3e71d2-4c0a-4f8e-a6d5-1e2f3a4b000\($0)" }
    let calls = try ids.map { try #require(records[$0]) }
    #expect(calls.allSatisfy { $0.credentialAlias == "mix-billing-prod" && $0.credentialProvider == "litellm" })
    #expect(calls.allSatisfy { $0.credential == "a4c2e8f06b1d3957c8e0a2b4d6f81357e9b0c2d4f6a8b0c1d3e5f7091b2c4d6e" })
    #expect(calls.allSatisfy { $0.provider == .bedrock && $0.metadata.agentID == "agent-billing" })
    // prompt_tokens include the cache reads and writes given in the encoded metadata.
    #expect(
      calls.map(\.tokens) == [
        TokenCounts(input: 3_000, cachedInput: 6_000, output: 700), TokenCounts(input: 4_000, output: 500),
        TokenCounts(input: 3_000, cachedInput: 8_000, cacheWrite5m: 1_000, output: 1_100),
        TokenCounts(input: 2_000, output: 300),
      ])
    // At the Bedrock claude-sonnet-4 rates:
    //   10-12: 3,000×3 + 6,000×0.3 + 700×15 = 0.009 + 0.0018 + 0.0105 = 0.0213
    //   10-15: 4,000×3 + 500×15 = 0.012 + 0.0075 = 0.0195
    //   10-19 (revoked): 3,000×3 + 8,000×0.3 + 1,000×3.75 + 1,100×15 = 0.009 + 0.0024 + 0.00375 + 0.0165
    //   = 0.03165
    //   10-23 (revoked): 2,000×3 + 300×15 = 0.006 + 0.0045 = 0.0105
    let charger = try Self.charger()
    let charged = calls.map { charger.charge($0) }
    #expect(charged.map(\.cost) == ["0.0213", "0.0195", "0.03165", "0.0105"].map { TestSupport.usd($0) })
    #expect(charged.map(\.attribution.signals) == [[], [], [.revokedCredential], [.revokedCredential]])
    #expect(charged.allSatisfy { $0.attribution.credentialID == "mix-billing-prod" })
    // Every call is agent-billing's, in CC-OPS: 0.0213 + 0.0195 + 0.03165 + 0.0105 = 0.08295.
    let lines = result.report.lines.filter { $0.key.credentialID == "mix-billing-prod" }
    #expect(lines.allSatisfy { $0.key.agentID == "agent-billing" && $0.key.costCentre == "CC-OPS" })
    #expect(lines.allSatisfy { $0.key.status == .agentCredential && $0.key.model == "claude-sonnet-4" })
    #expect(lines.reduce(Money.zero) { $0 + $1.cost } == TestSupport.usd("0.08295"))
    #expect(lines.reduce(Int128(0)) { $0 + $1.requests } == 4)
    // One revoked_credential finding: the two calls after 10-16, 0.03165 + 0.0105 = 0.04215.
    let revoked = result.report.findings.filter { $0.kind == .revokedCredential }
    #expect(revoked.count == 1)
    let finding = try #require(revoked.first)
    #expect(finding.credentialID == "mix-billing-prod")
    #expect(finding.agentID == "agent-billing")
    #expect(finding.costCentre == "CC-OPS")
    #expect(finding.calls == 2)
    #expect(finding.cost.pico == 42_150_000_000)
    #expect(finding.evidence == ["litellm:" + ids[2], "litellm:" + ids[3]])
    #expect(finding.firstTime == Timestamp.parseMillis("2026-10-19T07:45:12.500Z"))
    #expect(finding.lastTime == Timestamp.parseMillis("2026-10-23T13:00:00Z"))
    let csv = try TestSupport.readCSV(dir + "/out/findings.csv")
    let row = try #require(csv.first { $0["kind"] == "revoked_credential" })
    #expect(row["credential_id"] == "mix-billing-prod")
    #expect(row["cost_usd"] == "0.042150")
  }

  /// agent-etl's report-only OpenAI key, saved as the cookbook's bare array of buckets (two empty).
  @Test func bareBucketArrayIsChargedAsReportUsage() throws {
    let (result, dir) = try Self.runMonth()
    let lines = result.report.lines.filter { $0.key.credentialID == "key_MixEtlOpenAI" }
    #expect(lines.count == 2)
    #expect(lines.allSatisfy { $0.key.source == .report && $0.key.model == "gpt-4.1" })
    #expect(lines.allSatisfy { $0.key.agentID == "agent-etl" && $0.key.costCentre == "CC-DATA" })
    // Standard: (60,000 − 24,000 cached)×2 + 24,000×0.5 + 6,000×8 = 0.072 + 0.012 + 0.048 = 0.132.
    let standard = try #require(lines.first { $0.key.tier == .standard })
    #expect(standard.tokens == TokenCounts(input: 36_000, cachedInput: 24_000, output: 6_000))
    #expect(standard.requests == 30)
    #expect(standard.cost == TestSupport.usd("0.132"))
    // Batch: 80,000×1 + 8,000×4 = 0.08 + 0.032 = 0.112.
    let batch = try #require(lines.first { $0.key.tier == .batch })
    #expect(batch.tokens == TokenCounts(input: 80_000, output: 8_000))
    #expect(batch.requests == 10)
    #expect(batch.cost == TestSupport.usd("0.112"))
    // No request log names the key: nothing is unlogged, and the rows keep their place in the array.
    #expect(!result.report.findings.contains { $0.kind == .unloggedUsage && $0.credentialID == "key_MixEtlOpenAI" })
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    var paths: [String] = []
    try store.forEachRecord(from: .min, to: .max) { s in
      if s.record.credential == "key_MixEtlOpenAI" { paths.append(s.record.jsonPath ?? "") }
    }
    #expect(paths.sorted() == ["$[1].results[0]", "$[1].results[1]"])
  }

  /// agent-coder's retry storm on 10-21 in the S3 sync: seven throttles without tokens, three
  /// streams broken after billing and two successes, one request body, at most 46 s apart, over
  /// two log objects.
  @Test func retryStormIsOneFinding() throws {
    let (result, dir) = try Self.runMonth()
    let (records, _) = try Self.storedRecords(dir)
    let storm = try (1...12).map { k in try #require(records[String(format: "mix-storm-%02d", k)]) }
    #expect(Set(storm.map(\.promptHash)).count == 1)
    #expect(storm.first?.promptHash != nil)
    #expect(storm.filter { $0.errorCode == "ThrottlingException" && $0.tokens.isZero }.count == 7)
    #expect(storm.filter { $0.errorCode == "ModelStreamErrorException" && !$0.tokens.isZero }.count == 3)
    #expect(storm.filter { !$0.failed }.count == 2)
    let storms = result.report.findings.filter { $0.kind == .retryStorm }
    #expect(storms.count == 1)
    let finding = try #require(storms.first)
    #expect(finding.calls == 12)
    #expect(finding.evidenceCount == 12)
    #expect(finding.evidence == (1...10).map { String(format: "bedrock:mix-storm-%02d", $0) })
    #expect(finding.agentID == "agent-coder")
    #expect(finding.credentialID == "arn:aws:sts::444455556666:assumed-role/coder-runner/*")
    #expect(finding.costCentre == "CC-ENG")
    #expect(finding.firstTime == Timestamp.parseMillis("2026-10-21T14:03:10Z"))
    #expect(finding.lastTime == Timestamp.parseMillis("2026-10-21T14:06:35Z"))
    // The billed calls, 8,000 input each at 3 and output at 15 (USD per million):
    //   broken streams 0.024 + 150×15 = 0.02625, 0.024 + 420×15 = 0.0303, 0.024 + 60×15 = 0.0249;
    //   successes 0.024 + 900×15 = 0.0375 and, last, 0.024 + 680×15 = 0.0342; throttles cost nothing.
    //   Cost 0.02625 + 0.0303 + 0.0249 + 0.0375 + 0.0342 = 0.15315; avoidable: all but the last
    //   success, 0.15315 − 0.0342 = 0.11895.
    #expect(finding.cost.pico == 153_150_000_000)
    #expect(finding.avoidableCost.pico == 118_950_000_000)
    #expect(finding.explanation.contains("12 times in 205 s (10 failed, task T-MIX-1)"))
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
    var tokens = TokenTotals()
    for l in unlogged { tokens += l.tokens }
    #expect(tokens == TokenCounts(input: 32_000, output: 300))
    let finding = try #require(report.findings.first { $0.kind == .unloggedUsage })
    #expect(finding.cost == TestSupport.usd("0.192"))
    #expect(finding.explanation.contains("standard: 2000 input, 100 output"))
    #expect(finding.explanation.contains("standard 200k-1M: 30000 input, 200 output"))
  }
}
