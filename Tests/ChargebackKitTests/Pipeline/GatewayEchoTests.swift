import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A gateway's call that the provider's own log has too is named.
///
/// A LiteLLM proxy in front of Bedrock logs each call in its spend logs, and Bedrock logs it again under the proxy's
/// role, with another request id: both in `--usage`, the call is charged twice (a trial's real Converse record and
/// its LiteLLM row: 0.0082 USD for a 0.0041 USD call, without a word). The report says so and counts it; the same
/// call alone in either log, or the gateway's call of other tokens, is not named.
@Suite struct GatewayEchoTests {
  static let fixture = Fixtures.root + "/gateway-echo"

  static func run(_ files: [String]) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    for f in files { try FileManager.default.copyItem(atPath: fixture + "/usage/" + f, toPath: dir + "/usage/" + f) }
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-04")!, usage: [dir + "/usage"], identities: fixture + "/identities",
        pricing: TestSupport.packageRoot + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    return try #require(try job.run().report)
  }

  @Test func aGatewaysCallInTheProvidersLogToIsNamed() throws {
    let both = try Self.run(["litellm-spend-logs-2026-04.json", "bedrock-2026-04-19.jsonl"])
    #expect(both.gatewayEchoes == 1)
    #expect(ConsoleSummary.warnings(both).contains { $0.hasPrefix("warning: 1 call of a gateway's log") })
    for alone in ["litellm-spend-logs-2026-04.json", "bedrock-2026-04-19.jsonl"] {
      #expect(try Self.run([alone]).gatewayEchoes == 0, "\(alone)")
    }
  }
}
