import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The 1-hour part of a Bedrock call's cache writes, from every body shape a log carries it in.
///
/// Those are the Converse response's `usage.cacheDetails`, an InvokeModel Messages body's
/// `usage.cache_creation`, and a streamed body (an array of events) whose `message_start` event
/// (InvokeModelWithResponseStream) or `metadata` event (ConverseStream) holds the usage. Field names
/// follow AWS's model invocation logging and Anthropic's Messages API; counts are made up, and the
/// expected split is the 1-hour count from the body, the rest of `cacheWriteInputTokenCount` 5-minute.
@Suite struct BedrockCacheTTLTests {
  static func line(_ body: String) -> String {
    #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-05T10:00:00Z","#
      + #""accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s"},"#
      + #""region":"us-east-1","requestId":"req-1","operation":"InvokeModel","#
      + #""modelId":"anthropic.claude-sonnet-4-5-20250929-v1:0","#
      + #""input":{"inputTokenCount":1000,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":3000},"#
      + #""output":{"outputTokenCount":500,"outputBodyJson":\#(body)}}"#
  }

  func tokens(_ body: String) throws -> TokenCounts {
    let dir = try TestSupport.tempDir()
    try (Self.line(body) + "\n").write(toFile: dir + "/log.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/log.json"])
    var out: [TokenCounts] = []
    try store.forEachRecord(from: .min, to: .max) { out.append($0.record.tokens) }
    return try #require(out.count == 1 ? out[0] : nil)
  }

  static let bodies: [(String, Int64)] = [
    // InvokeModel, Messages body: 2,000 of the 3,000 writes kept one hour.
    (
      #"{"id":"msg_1","usage":{"input_tokens":1000,"cache_creation_input_tokens":3000,"#
        + #""cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},"output_tokens":500}}"#,
      2000
    ),
    // InvokeModelWithResponseStream: the usage is in the message_start event's message.
    (
      #"[{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":1000,"#
        + #""cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":0,"#
        + #""ephemeral_1h_input_tokens":3000},"output_tokens":1}}},{"type":"message_delta","usage":{"output_tokens":500}},"#
        + #"{"type":"message_stop"}]"#,
      3000
    ),
    // ConverseStream: the metadata event's usage.cacheDetails.
    (
      #"[{"messageStart":{"role":"assistant"}},{"metadata":{"usage":{"inputTokens":1000,"outputTokens":500,"#
        + #""cacheWriteInputTokens":3000,"cacheDetails":[{"ttl":"5m","inputTokens":2500},{"ttl":"1h","inputTokens":500}]}}}]"#,
      500
    ),
    // Converse: usage.cacheDetails at the top of the body.
    (#"{"usage":{"cacheDetails":[{"ttl":"1h","inputTokens":1200},{"ttl":"5m","inputTokens":1800}]}}"#, 1200),
    // A 1-hour count above the writes is capped at them; a body without usage says nothing.
    (#"{"usage":{"cache_creation":{"ephemeral_1h_input_tokens":9000}}}"#, 3000),
    (#"[{"type":"message_stop"},"text",7,null]"#, 0),
  ]

  @Test(arguments: bodies)
  func oneHourWritesFromEveryBodyShape(body: String, oneHour: Int64) throws {
    let t = try tokens(body)
    #expect(t.cacheWrite1h == oneHour)
    #expect(t.cacheWrite5m == 3000 - oneHour)
    #expect(t.input == 1000 && t.output == 500)
  }

  @Test func aBadCountInAStreamedBodyIsNamed() throws {
    let dir = try TestSupport.tempDir()
    let body = #"[{"type":"message_start","message":{"usage":{"cache_creation":{"ephemeral_1h_input_tokens":-5}}}}]"#
    try (Self.line(body) + "\n").write(toFile: dir + "/log.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let error = try #require(throws: InputError.self) {
      try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [dir + "/log.json"])
    }
    #expect(error.field == "output.outputBodyJson[0].message.usage.cache_creation.ephemeral_1h_input_tokens")
    #expect(try store.recordCount() == 0)
  }
}
