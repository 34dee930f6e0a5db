import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Claude Code's own traces, whose request spans carry the API's usage under flat names.
///
/// Its `claude_code.llm_request` spans carry the Anthropic API's usage under flat names
/// (`input_tokens` without the cache, `cache_read_tokens`, `cache_creation_tokens`,
/// `output_tokens`), no `gen_ai.usage.*`. A helper's trial, on the
/// attributes of Langfuse's Claude Code ingestion test and anthropics/claude-code#50776, found
/// such a file loaded as 0 records: a team's coding agent charged nothing.
///
/// claude-sonnet-4-5 (USD per million): input 3, cache reads 0.30, 5-minute cache writes 3.75,
/// output 15. A call of 2 input, 63,002 cache reads, 679 cache writes and 333 output tokens:
/// 0.000006 + 0.0189006 + 0.00254625 + 0.004995 = 0.02644785 USD.
@Suite struct OTelClaudeCodeTests {
  typealias T = OTelInstrumentationTests

  static func request(
    name: String = "claude_code.llm_request", id: String = "c1", extra: [String] = [], usage: [String]? = nil
  ) -> String {
    T.span(
      name, id: id,
      [
        T.attr("span.type", "llm_request"), T.attr("model", "claude-sonnet-4-5"), T.attr("gen_ai.system", "anthropic"),
        T.attr("gen_ai.request.model", "claude-sonnet-4-5"), T.attr("request_id", "req_011CUaaa"),
        T.attr("success", "true"),
      ]
        + (usage ?? [
          T.intAttr("input_tokens", 2), T.intAttr("output_tokens", 333), T.intAttr("cache_read_tokens", 63_002),
          T.intAttr("cache_creation_tokens", 679),
        ]) + extra)
  }

  /// The call is charged with its cache reads and writes apart from its input.
  @Test func aClaudeCodeRequestIsChargedWithItsCache() throws {
    let (report, records) = try T().report(T.export([Self.request()]))
    #expect(records.count == 1)
    let r = try #require(records.first)
    #expect(r.provider == .anthropic)
    #expect(r.tokens.input == 2)
    #expect(r.tokens.cachedInput == 63_002)
    #expect(r.tokens.cacheWrite5m == 679)
    #expect(r.tokens.output == 333)
    #expect(r.requestID == "req_011CUaaa")
    #expect(!r.failed)
    #expect(report.totalCost == TestSupport.usd("0.02644785"))
  }

  /// `success` false is a failed call (its tokens, if any, are still what the API counted).
  @Test func anUnsuccessfulRequestIsAFailedCall() throws {
    let span = Self.request(usage: [T.intAttr("input_tokens", 0), T.intAttr("output_tokens", 0)])
      .replacingOccurrences(of: #""stringValue":"true""#, with: #""stringValue":"false""#)
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.failed) == [true])
  }

  /// The flat names on any other span mean nothing we know: a tool's span with `input_tokens` is
  /// not a call, and a span of another name with them is not read as Claude Code's.
  @Test func flatNamesElsewhereAreNotUsage() throws {
    let tool = T.span(
      "claude_code.tool", id: "t1", [T.attr("tool_name", "Bash"), T.intAttr("input_tokens", 500)])
    let other = Self.request(name: "my_app.request", id: "o1")
    let (report, records) = try T().report(T.export([tool, other]))
    #expect(records.isEmpty)
    #expect(report.totalCost == .zero)
  }

  /// A Claude Code span that also writes the conventions' names is read by them (a later release
  /// may write both): counted once, not twice.
  @Test func theConventionsNamesWinWhenGiven() throws {
    let span = Self.request(extra: [
      T.intAttr("gen_ai.usage.input_tokens", 1_000), T.intAttr("gen_ai.usage.output_tokens", 100),
    ])
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.tokens.input) == [1_000])
    #expect(records.map(\.tokens.output) == [100])
  }

  /// A count that is not a whole number names the attribute.
  @Test func aBadFlatCountNamesItsAttribute() throws {
    let span = Self.request(usage: [T.attr("input_tokens", "lots"), T.intAttr("output_tokens", 3)])
    #expect {
      try T().report(T.export([span]))
    } throws: { error in
      "\(error)".contains("input_tokens")
    }
  }

  /// On its request spans a flat count given twice or not as a number is refused naming it (a review: a boolean
  /// output count was charged 0 tokens); on other spans the flat names are not read, so neither stops the file.
  @Test func aFlatCountTwiceOrOfAnotherTypeIsRefusedOnARequestSpanOnly() throws {
    let bool = #"{"key":"output_tokens","value":{"boolValue":true}}"#
    for usage in [
      [T.intAttr("input_tokens", 2), bool], [T.intAttr("input_tokens", 2), T.intAttr("input_tokens", 5)],
    ] {
      let error = try #require(throws: InputError.self) { try T().report(T.export([Self.request(usage: usage)])) }
      #expect(["output_tokens", "input_tokens"].contains(error.field) && error.line == 1, "\(error)")
      let tool = T.span("claude_code.tool", id: "t1", [T.attr("tool_name", "Bash")] + usage)
      let (_, records) = try T().report(T.export([tool]))
      #expect(records.isEmpty)
    }
  }
}
