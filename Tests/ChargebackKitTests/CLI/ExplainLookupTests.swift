import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// How `explain` finds a record by a provider's response id inside a natural key of another shape
/// (natural keys and request ids: `CLITests`, `BedrockDeliveryTests`).
@Suite struct ExplainLookupTests {
  /// `explain` finds an OTel span by the provider's response id it carries (`gen_ai.response.id`),
  /// though its natural key is `otel:<trace>:<span>`.
  @Test func explainFindsAnOTelCallByItsResponseID() throws {
    let dir = try TestSupport.tempDir()
    let db = dir + "/s.sqlite"
    let otel = Fixtures.root + "/mixed/usage/otel-genai-traces.jsonl"
    _ = try ChargebackJob.ingest(paths: [otel], database: db, progress: ProgressReporter(force: false))
    let text = try ChargebackJob.explain(
      id: "msg_01MixOTelB", database: db, identities: nil, pricing: Fixtures.root + "/mixed/pricing")
    let record = try #require(text.split(separator: "\n").first { $0.hasPrefix("record") })
    #expect(record.contains("otel:"))
    #expect(text.contains("msg_01MixOTelB"))
    #expect(!text.contains("msg_01MixOTelA"))
    #expect(throws: (any Error).self) {
      try ChargebackJob.explain(
        id: "msg_nobody", database: db, identities: nil, pricing: Fixtures.root + "/mixed/pricing")
    }
  }
}
