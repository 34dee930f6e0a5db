import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A provider's usage report for a gateway's upstream key beside the gateway's own log is named.
///
/// A LiteLLM proxy calls OpenAI with one upstream key and logs each call under the caller's
/// virtual key; OpenAI's usage report for that key holds the same calls. A trial loaded both: 3,362
/// calls charged twice (+103 USD) without a word, the upstream key only an unregistered credential.
/// Its rows that equal, day and model, the gateway's calls to the token are counted and warned of;
/// a key whose rows differ (used directly too) is not.
@Suite struct UpstreamEchoTests {
  /// One LiteLLM spend-log row: virtual key `key`, OpenAI gpt-4.1 on 2026-10-07 at `hour`.
  static func call(_ id: Int, key: String, hour: Int, input: Int, output: Int) -> String {
    let at = String(format: "2026-10-07T%02d:00:00.000000Z", hour)
    return """
      {"request_id": "chatcmpl-up-\(id)", "call_type": "acompletion", "api_key": "\(key)", "spend": 0.0,
       "prompt_tokens": \(input), "completion_tokens": \(output), "total_tokens": \(input + output),
       "startTime": "\(at)", "endTime": "\(at)", "model": "gpt-4.1", "custom_llm_provider": "openai",
       "metadata": {"user_api_key": "\(key)", "status": "success"}}
      """
  }

  /// The gateway's three calls (input 1,000 + 2,000 + 4,000 = 7,000, output 100 + 200 + 400 = 700),
  /// and OpenAI's usage report of 2026-10-07: `key_upstream` with the same totals, `key_direct`
  /// with `directInput` input tokens and 700 output.
  static func run(directInput: Int = 9_000) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ids = dir + "/identities"
    for d in [ids, dir + "/usage"] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    let files = [
      ids + "/people.csv": "person_id\np\n", ids + "/cost_centres.csv": "cost_centre,name\nCC-1,One\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\na,p,CC-1\n",
      ids + "/credentials.csv": "credential_id,provider,agent_id\nvk-1,litellm,a\nvk-2,litellm,a\n",
      ids + "/tasks.csv": "task_id\n", ids + "/scopes.csv": "scope_id\n",
      dir + "/usage/spend-logs.json": "["
        + [
          call(1, key: "vk-1", hour: 9, input: 1_000, output: 100),
          call(2, key: "vk-2", hour: 10, input: 2_000, output: 200),
          call(3, key: "vk-1", hour: 11, input: 4_000, output: 400),
        ].joined(separator: ",\n") + "]\n",
      dir + "/usage/openai-usage.json": BucketWidthTests.openAIPage([
        (
          BucketWidthTests.epoch("2026-10-07T00:00:00Z"), BucketWidthTests.epoch("2026-10-08T00:00:00Z"),
          [
            Self.result(key: "key_upstream", input: 7_000, output: 700, requests: 3),
            Self.result(key: "key_direct", input: directInput, output: 700, requests: 2),
          ]
        )
      ]),
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [dir + "/usage"], identities: ids,
        pricing: TestSupport.packageRoot + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    return try #require(try job.run().report)
  }

  static func result(key: String, input: Int, output: Int, requests: Int) -> String {
    """
    {"object": "organization.usage.completions.result", "input_tokens": \(input), "output_tokens": \(output), \
    "num_model_requests": \(requests), "input_cached_tokens": 0, "input_uncached_tokens": \(input), \
    "project_id": "proj_1", "user_id": null, "api_key_id": "\(key)", "model": "gpt-4.1-2025-04-14", \
    "batch": false, "service_tier": "default"}
    """
  }

  @Test func anUpstreamKeysReportIsNamed() throws {
    let report = try Self.run()
    #expect(report.gatewayCallsInUsageReports == 3)
    let warnings = ConsoleSummary.warnings(report).filter { $0.contains("usage report rows of key") }
    #expect(warnings.count == 1, "\(warnings)")
    #expect(
      warnings.first?.hasPrefix(
        "warning: openai usage report rows of key key_upstream equal the gateway's (LiteLLM, Azure APIM) calls to openai"
      )
        == true, "\(warnings)")
    #expect(warnings.first?.contains("on 1 day (3 calls)") == true, "\(warnings)")
  }

  /// The direct key's rows equal the gateway's calls too: both named, the gateway's 3 calls counted
  /// once.
  @Test func twoKeysMatchingOneDayCountItsCallsOnce() throws {
    let both = try Self.run(directInput: 7_000)
    #expect(both.gatewayCallsInUsageReports == 3)
    #expect(both.upstreamKeyWarnings.count == 2)
  }
}
