import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
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
    // A finding's id, as findings.csv shows it: said to be one, with where its calls' keys are.
    let finding = try #require(throws: InputMissingError.self) {
      try ChargebackJob.explain(
        id: "F-52d3dee83e607945", database: db, identities: nil, pricing: Fixtures.root + "/mixed/pricing")
    }
    #expect(finding.reason.contains("F-52d3dee83e607945 looks like a finding's id"), "\(finding.reason)")
    let other = try #require(throws: InputMissingError.self) {
      try ChargebackJob.explain(
        id: "F-not-an-id", database: db, identities: nil, pricing: Fixtures.root + "/mixed/pricing")
    }
    #expect(!other.reason.contains("finding's id"))
  }

  /// A key as `findings.csv` shows it (escaped: `\\` for a backslash, `\u202e`) finds its record:
  /// users copy evidence keys from the outputs.
  @Test(arguments: ["key|with|bars", "=SUM(1)", "rtl\u{202E}id", "back\\slash"])
  func explainFindsAKeyAsTheOutputsShowIt(apiKey: String) throws {
    let dir = try TestSupport.tempDir("explain-\(apiKey.unicodeScalars.map(\.value))")
    let page = try String(
      contentsOfFile: Fixtures.samples + "/anthropic/usage-report-messages-1h.json", encoding: .utf8
    ).replacingOccurrences(
      of: #""api_key_id": "apikey_01Hq7m3XcT2vYpKd8sLwNz4R""#, with: #""api_key_id": "# + JSONText.quoted(apiKey))
    try page.write(toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let db = dir + "/s.sqlite"
    _ = try ChargebackJob.ingest(paths: [dir + "/usage.json"], database: db, progress: ProgressReporter(force: false))
    var keys: [String] = []
    try UsageStore(path: db).forEachRecord(from: .min, to: .max) { keys.append($0.record.naturalKey) }
    let key = try #require(keys.first)
    let shown = SafeText.csvField(key)
    let text = try ChargebackJob.explain(
      id: shown, database: db, identities: nil, pricing: TestSupport.pricing)
    #expect(text.contains(SafeText.terminal(key)), "\(shown)")
  }

  /// Two keys where one is how a CSV shows the other (`a;=1` shows as `a;'=1`, which is the second
  /// key as stored): `explain` of that text explains the record spelled so, and says the other
  /// shows alike and how to ask for it.
  @Test func explainSaysWhenTheTextIsAlsoHowAnotherKeyShows() throws {
    let dir = try TestSupport.tempDir("explain-alike")
    let sample = try String(
      contentsOfFile: Fixtures.samples + "/anthropic/usage-report-messages-1h.json", encoding: .utf8)
    for (n, apiKey) in ["a;=1", "a;'=1"].enumerated() {
      try sample.replacingOccurrences(
        of: #""api_key_id": "apikey_01Hq7m3XcT2vYpKd8sLwNz4R""#, with: #""api_key_id": "# + JSONText.quoted(apiKey)
      ).write(toFile: dir + "/usage\(n).json", atomically: true, encoding: .utf8)
    }
    let db = dir + "/s.sqlite"
    _ = try ChargebackJob.ingest(
      paths: [dir + "/usage0.json", dir + "/usage1.json"], database: db, progress: ProgressReporter(force: false))
    var keys: [String] = []
    try UsageStore(path: db).forEachRecord(from: .min, to: .max) { keys.append($0.record.naturalKey) }
    let plain = try #require(keys.first { $0.contains("a;=1") })
    let quoted = try #require(keys.first { $0.contains("a;'=1") })
    #expect(SafeText.csvField(plain) == quoted, "the month no longer makes the two alike")
    let text = try ChargebackJob.explain(id: quoted, database: db, identities: nil, pricing: TestSupport.pricing)
    #expect(text.contains("record              " + SafeText.terminal(quoted)))
    #expect(text.contains("also how the outputs show record " + SafeText.terminal(plain)), "\(text)")
    // A key that shows as no other's: no note.
    let alone = try ChargebackJob.explain(id: plain, database: db, identities: nil, pricing: TestSupport.pricing)
    #expect(!alone.contains("also how the outputs show"))
  }
}
