import Foundation
import Testing

@testable import ChargebackDetect
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Retry storms as Bedrock logs them: throttled calls that report no tokens, streams that broke
/// after billing (`ModelStreamErrorException` with tokens), and the successes that end the storm are
/// one storm; avoidable is every call but the last successful one (SPEC §6, §10).
@Suite struct RetryStormTests {
  static let model = "anthropic.claude-3-haiku-20240307-v1:0"
  static let arn = "arn:aws:sts::111122223333:assumed-role/ops-bot/s-1"
  /// 2026-10-07T08:00:00Z in UTC epoch seconds.
  static let start: Int64 = 1_791_360_000

  /// One invocation-log line; `error` nil is a success.
  static func call(_ k: Int, at second: Int64, input: Int64, output: Int64, error: String?, arn: String = arn)
    -> String
  {
    let ts = Timestamp.iso((start + second) * 1000)
    let err = error.map { ",\"errorCode\":\"\($0)\"" } ?? ""
    return
      "{\"schemaType\":\"ModelInvocationLog\",\"schemaVersion\":\"1.0\",\"timestamp\":\"\(ts)\",\"accountId\":\"111122223333\","
      + "\"identity\":{\"arn\":\"\(arn)\"},\"region\":\"us-east-1\",\"requestId\":\"req-\(arn.count)-\(k)\","
      + "\"operation\":\"ConverseStream\",\"modelId\":\"\(model)\",\"input\":{\"inputContentType\":\"application/json\","
      + "\"inputTokenCount\":\(input)},\"output\":{\"outputContentType\":\"application/json\",\"outputTokenCount\":\(output)},"
      + "\"requestMetadata\":{\"task_id\":\"T-1\"}\(err)}"
  }

  /// pico-USD at the test rates ($0.25 / $1.25 per million input / output tokens).
  static func cost(_ input: Int64, _ output: Int64) -> Int128 {
    Int128(input) * 250_000 + Int128(output) * 1_250_000
  }

  static func run(_ lines: [String]) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage.jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: usage, atomically: true, encoding: .utf8)
    return try month(in: dir, usage: usage, period: Period(year: 2026, month: 10)).report
  }

  /// Writes the identities and prices of these tests into `dir` and runs `period` on `usage`, with
  /// the store at `dir/s.sqlite` and the outputs in `dir/out`.
  static func month(in dir: String, usage: String, period: Period) throws -> ChargebackJob.Result {
    let ids = dir + "/identities"
    let pricing = dir + "/pricing"
    for d in [ids, pricing] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": "cost_centre\nCC-1\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\nops-bot,p-1,CC-1\n",
      ids + "/credentials.csv":
        "credential_id,provider,agent_id\narn:aws:sts::111122223333:assumed-role/ops-bot/*,bedrock,ops-bot\n",
      ids + "/tasks.csv": "task_id,approved_by\nT-1,p-1\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,\(model),input,standard,0,0.25,2024-01-01,,test\n"
        + "bedrock,\(model),output,standard,0,1.25,2024-01-01,,test\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return try ChargebackJob(
      options: .init(
        period: period, usage: [usage], identities: ids, pricing: pricing, out: dir + "/out",
        database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).run()
  }

  @Test func throttlesBrokenStreamsAndSuccessesAreOneStorm() throws {
    var lines: [String] = []
    var second: Int64 = 0
    func add(_ input: Int64, _ output: Int64, _ error: String?) {
      lines.append(Self.call(lines.count, at: second, input: input, output: output, error: error))
      second += 7
    }
    for _ in 0..<6 { add(0, 0, "ThrottlingException") }
    for _ in 0..<3 { add(5_000, 200, "ModelStreamErrorException") }  // billed, then broke
    for _ in 0..<2 { add(0, 0, "ThrottlingException") }
    add(5_000, 800, nil)
    add(5_000, 800, nil)
    let report = try Self.run(lines)

    let storms = report.findings.filter { $0.kind == .retryStorm }
    #expect(storms.count == 1)
    let storm = try #require(storms.first)
    #expect(storm.calls == 13)
    let total = 3 * Self.cost(5_000, 200) + 2 * Self.cost(5_000, 800)
    #expect(storm.cost.pico == total)
    #expect(storm.avoidableCost.pico == total - Self.cost(5_000, 800))
    #expect(storm.agentID == "ops-bot")
    #expect(storm.credentialID == "arn:aws:sts::111122223333:assumed-role/ops-bot/*")
    #expect(storm.evidenceCount == 13)
    // The month charges the billed failures too: 3 broken streams and 2 successes.
    #expect(report.totalCost.pico == total)
  }

  @Test func billedFailuresAloneTriggerAStorm() throws {
    // No throttles and no error code a client retries on: ten broken billed streams then a success.
    var lines: [String] = []
    for k in 0..<10 {
      lines.append(
        Self.call(k, at: Int64(k) * 30, input: 4_000, output: 100, error: "ModelStreamErrorException"))
    }
    lines.append(Self.call(10, at: 300, input: 4_000, output: 900, error: nil))
    let report = try Self.run(lines)
    let storm = try #require(report.findings.first { $0.kind == .retryStorm })
    #expect(storm.calls == 11)
    #expect(storm.avoidableCost.pico == 10 * Self.cost(4_000, 100))
  }

  @Test func spacedRetriesAndClientErrorsAreNotStorms() throws {
    // Backoff: the same request every 61 s, failing with throttles, then success.
    var backoff: [String] = []
    for k in 0..<12 {
      backoff.append(
        Self.call(
          k, at: Int64(k) * 61, input: k == 11 ? 5_000 : 0, output: k == 11 ? 500 : 0,
          error: k == 11 ? nil : "ThrottlingException"))
    }
    #expect(try Self.run(backoff).findings.filter { $0.kind == .retryStorm }.isEmpty)
    // Twelve rejected requests (a client error, no tokens) are a bug, not a retry storm.
    let rejected = (0..<12).map { Self.call($0, at: Int64($0) * 5, input: 0, output: 0, error: "ValidationException") }
    #expect(try Self.run(rejected).findings.filter { $0.kind == .retryStorm }.isEmpty)
  }
}
