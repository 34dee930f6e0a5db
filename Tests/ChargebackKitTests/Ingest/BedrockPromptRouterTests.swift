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

/// A call through a Bedrock prompt router is priced as the model the router chose, which the
/// logged response names (`trace.promptRouter.invokedModelId`, Converse and ConverseStream); the
/// router's own id could be priced by no alias (a helper's trial of real payloads).
@Suite struct BedrockPromptRouterTests {
  static let router = "arn:aws:bedrock:us-east-1:111122223333:default-prompt-router/anthropic.claude:1"
  static let haiku = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"

  /// A log record of the router with `body` as its logged response: 10,000 input and 1,000 output
  /// tokens.
  static func line(_ body: String, model: String = router) -> String {
    #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-05T10:00:00Z","#
      + #""accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s"},"#
      + #""region":"us-east-1","requestId":"pr-1","operation":"Converse","modelId":"\#(model)","#
      + #""input":{"inputTokenCount":10000},"output":{"outputTokenCount":1000,"outputBodyJson":\#(body)}}"#
  }

  static func report(_ line: String) throws -> (ChargebackReport, UsageRecord) {
    let dir = try TestSupport.tempDir()
    try (line + "\n").write(toFile: dir + "/log.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/log.json"])
    var records: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { records.append($0.record) }
    let report = try ReportBuilder(
      store: store, identities: IdentityDirectory(),
      prices: try PriceTable(directory: TestSupport.packageRoot + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period(year: 2026, month: 10))
    return (report, try #require(records.first))
  }

  /// Claude 3.5 Haiku on Bedrock: 0.80 input and 4 output USD a million: 0.008 + 0.004 = 0.012 USD.
  @Test(arguments: [
    // Converse: the response's trace.
    #"{"output":{"message":{"role":"assistant"}},"trace":{"promptRouter":{"invokedModelId":"\#(haiku)"}}}"#,
    // ConverseStream: the metadata event's trace.
    #"[{"messageStart":{"role":"assistant"}},{"metadata":{"usage":{"inputTokens":10000,"outputTokens":1000},"#
      + #""trace":{"promptRouter":{"invokedModelId":"\#(haiku)"}}}}]"#,
  ])
  func aRoutersCallIsPricedAsTheModelItChose(body: String) throws {
    let (report, record) = try Self.report(Self.line(body))
    #expect(record.model == Self.haiku)
    #expect(report.totalCost == TestSupport.usd("0.012"))
    #expect(!report.findings.contains { $0.kind == .unpricedModel })
  }

  /// Without the trace (text delivery off), the router's call stays unpriced, with a finding; a
  /// trace on a call of a model (not a router) changes nothing.
  @Test func withoutTheTraceTheCallStaysUnpriced() throws {
    let (report, record) = try Self.report(Self.line(#"{"output":{}}"#))
    #expect(record.model == Self.router)
    #expect(report.totalCost == .zero)
    #expect(report.findings.contains { $0.kind == .unpricedModel })
    let other = "anthropic.claude-sonnet-4-20250514-v1:0"
    let traced = #"{"trace":{"promptRouter":{"invokedModelId":"\#(Self.haiku)"}}}"#
    #expect(try Self.report(Self.line(traced, model: other)).1.model == other)
  }

  /// The byte search that tells a router's id from a model's, against the standard library's
  /// search on every place the text can be: at the start, the end, after a partial match, after
  /// non-ASCII text, shorter than the text sought.
  @Test(arguments: [
    router, haiku, "prompt-router/", "prompt-router", "xprompt-router/", "prompt-routeprompt-router/x",
    "ppprompt-router/", "prompt-router-/", "é/prompt-router/1", "ärn:prompt-routér/", "", "p", "prompt-router/é",
    "arn:aws:bedrock:eu-west-1:1:prompt-router/abc",
  ])
  func aRouterIsFoundWhereverItsNameIs(model: String) {
    #expect(BedrockInvocationLog.namesPromptRouter(model) == model.contains("prompt-router/"))
  }
}
