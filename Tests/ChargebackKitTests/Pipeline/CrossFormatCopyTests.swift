import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// One call in two logs (a LiteLLM spend log and an OTel span with the same response id) is
/// charged once, from the gateway's copy, whichever file name sorts first.
@Suite struct CrossFormatCopyTests {
  static let fixtures = Fixtures.root + "/formats/cross-format"

  /// The span's row is the one skipped, in either order of the files.
  ///
  /// The span (`a-spans.json`, read first) reports 1,200 input tokens with no cache split; the
  /// spend log's copy of `chatcmpl-Bx9a8b7c6d5e4f3g2h1` splits them.
  @Test(arguments: [false, true])
  func theGatewaysCopyIsKept(reversed: Bool) throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let names = ["a-spans.json", "b-spend-logs.json"]
    // Reversed: the spend log is read first (named so that it sorts first).
    for (n, name) in names.enumerated() {
      let target = reversed ? (n == 0 ? "z-spans.json" : "a-spend-logs.json") : name
      try FileManager.default.copyItem(atPath: Self.fixtures + "/" + name, toPath: usage + "/" + target)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [usage])
    var rows: [(id: Int64, format: String, request: String?)] = []
    try store.forEachRecord(from: .min, to: .max) { rows.append(($0.id, $0.record.format, $0.record.requestID)) }
    let copies = rows.filter { $0.request == "chatcmpl-Bx9a8b7c6d5e4f3g2h1" }
    #expect(copies.count == 2)
    let skipped = try store.crossFormatDuplicates(from: .min, to: .max)
    #expect(skipped.count == 1)
    let span = try #require(copies.first { $0.format == "otel-genai-spans" })
    #expect(skipped == [span.id])
  }

  /// A span that names another provider than the gateway's log for one response id is the same call.
  ///
  /// The OpenAI SDK pointed at a LiteLLM proxy writes `gen_ai.system=openai` on its span, and
  /// LiteLLM logs the provider it routed the call to (`anthropic` here): a trial's calls were
  /// charged twice, the span's copy of the Claude call unpriced under OpenAI. The gateway's copy is
  /// kept; a span of another call, with its own id, is not touched.
  @Test func aSpanNamingAnotherProviderIsTheGatewaysCall() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try openStore(dir + "/s.sqlite")
    defer { try? store.close() }
    try Self.expectTheSpanSkipped(store, dir)
  }

  /// Ingests the LiteLLM spend log of a Claude call and a span of it naming OpenAI (and a span of
  /// another call) into `store`, files under `dir`; expects the span of the call skipped.
  static func expectTheSpanSkipped(_ store: any ChargebackStore, _ dir: String) throws {
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: Self.fixtures + "/b-spend-logs.json", toPath: usage + "/spend-logs.json")
    func span(_ id: String, spanID: String) -> String {
      "{\"traceId\": \"cccccccccccccccccccccccccccccccc\", \"spanId\": \"\(spanID)\", \"name\": \"chat\", \"kind\": 3,"
        + " \"startTimeUnixNano\": \"1776592800200000000\", \"endTimeUnixNano\": \"1776592803400000000\", \"attributes\": ["
        + "{\"key\": \"gen_ai.operation.name\", \"value\": {\"stringValue\": \"chat\"}},"
        + " {\"key\": \"gen_ai.system\", \"value\": {\"stringValue\": \"openai\"}},"
        + " {\"key\": \"gen_ai.request.model\", \"value\": {\"stringValue\": \"claude-sonnet-4-5-20250929\"}},"
        + " {\"key\": \"gen_ai.response.id\", \"value\": {\"stringValue\": \"\(id)\"}},"
        + " {\"key\": \"gen_ai.usage.input_tokens\", \"value\": {\"intValue\": \"5000\"}},"
        + " {\"key\": \"gen_ai.usage.output_tokens\", \"value\": {\"intValue\": \"200\"}}], \"status\": {}}"
    }
    let spans = [
      span("chatcmpl-4e1b0f3a-7c55-4f0e-9a6c-1d2e3f4a5b6c", spanID: "00000000000000b1"),
      span("chatcmpl-other", spanID: "00000000000000b2"),
    ]
    try
      ("{\"resourceSpans\": [{\"resource\": {\"attributes\": []}, \"scopeSpans\": [{\"scope\": {\"name\": \"openai\"},"
      + " \"spans\": [" + spans.joined(separator: ", ") + "]}]}]}").write(
        toFile: usage + "/spans.json", atomically: true, encoding: .utf8)
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [usage])
    var rows: [(id: Int64, format: String, provider: Provider, request: String?, key: String)] = []
    try store.forEachRecord(from: .min, to: .max) {
      rows.append(($0.id, $0.record.format, $0.record.provider, $0.record.requestID, $0.record.naturalKey))
    }
    let copies = rows.filter { $0.request == "chatcmpl-4e1b0f3a-7c55-4f0e-9a6c-1d2e3f4a5b6c" }
    #expect(copies.map(\.provider).sorted { $0.rawValue < $1.rawValue } == [.anthropic, .openai])
    let span = try #require(copies.first { $0.format == "otel-genai-spans" })
    #expect(try store.crossFormatDuplicates(from: .min, to: .max) == [span.id])
    // `explain` says the span's copy is not charged, and nothing of the kind of the gateway's.
    func explained(_ format: String) throws -> String {
      let key = try #require(copies.first { $0.format == format }?.key)
      let text = try RecordExplanation.explain(key, store: store, identities: nil, prices: PriceTable(rows: []))
      return try #require(text)
    }
    #expect(
      try explained("otel-genai-spans").contains(
        "not charged         the same call (request id chatcmpl-4e1b0f3a-7c55-4f0e-9a6c-1d2e3f4a5b6c) is in another log"
      ))
    #expect(try !explained("litellm-spend-logs").contains("not charged"))
  }
}
