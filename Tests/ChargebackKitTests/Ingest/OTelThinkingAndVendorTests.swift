import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Spans whose producers give Gemini's thinking tokens apart from its output, or name a Bedrock
/// call by its model's vendor (a helper's trial of OpenLIT, the Vercel AI SDK, Semantic Kernel,
/// OpenLLMetry and OpenInference payloads).
///
/// Gemini 2.5 Flash: 0.30 USD a million input tokens, 2.50 output. A call of 1,000 input, 200
/// output and 800 thinking tokens: 0.0003 + (200 + 800) × 2.5e-6 = 0.0028 USD; its thoughts left
/// out, 0.0003 + 0.0005 = 0.0008.
@Suite struct OTelThinkingAndVendorTests {
  typealias T = OTelInstrumentationTests

  static func gemini(_ usage: [String], system: String = "gemini") -> String {
    T.span(
      "chat gemini-2.5-flash", id: "g1",
      [
        T.attr("gen_ai.operation.name", "chat"), T.attr("gen_ai.system", system),
        T.attr("gen_ai.request.model", "gemini-2.5-flash"), T.intAttr("gen_ai.usage.input_tokens", 1_000),
        T.intAttr("gen_ai.usage.output_tokens", 200),
      ] + usage)
  }

  /// The thoughts apart: OpenLIT (reasoning, and a total of its own that leaves them out under
  /// another name, `telemetry.sdk.name` `openlit` on the resource), the AI SDK 5 (its total is
  /// Gemini's, 2,000), OpenInference's detail with Gemini's total.
  ///
  /// Each is charged with its thoughts.
  @Test(arguments: [
    ([T.intAttr("gen_ai.usage.reasoning_tokens", 800), T.intAttr("gen_ai.client.token.usage", 1_200)], true),
    ([T.intAttr("ai.usage.reasoningTokens", 800), T.intAttr("ai.usage.totalTokens", 2_000)], false),
    (
      [T.intAttr("llm.token_count.completion_details.reasoning", 800), T.intAttr("llm.token_count.total", 2_000)], false
    ),
  ])
  func geminiThoughtsGivenApartAreCharged(usage: [String], openLIT: Bool) throws {
    let content =
      openLIT
      ? OTelProducerTests.export(resource: [T.attr("telemetry.sdk.name", "openlit")], [Self.gemini(usage)])
      : T.export([Self.gemini(usage)])
    let (report, records) = try T().report(content)
    #expect(records.map(\.tokens.output) == [1_000])
    #expect(report.totalCost == TestSupport.usd("0.0028"))
  }

  /// A reasoning count with no total, from another producer than OpenLIT, may be inside the
  /// output already: not added (200 output tokens stay 200).
  @Test func aReasoningCountWithoutATotalIsAddedForOpenLITOnly() throws {
    let (_, records) = try T().report(T.export([Self.gemini([T.intAttr("gen_ai.usage.reasoning_tokens", 800)])]))
    #expect(records.map(\.tokens.output) == [200])
  }

  /// The thoughts inside the output already (AI SDK 6, current LiteLLM, the google-genai instrumentation): output 1,000
  /// of which 800 thoughts, total 2,000 = input + output.
  ///
  /// Not added again.
  @Test func geminiThoughtsInsideTheOutputAreNotAddedAgain() throws {
    let span = T.span(
      "chat gemini-2.5-flash", id: "g1",
      [
        T.attr("gen_ai.system", "google.generative-ai"), T.attr("gen_ai.request.model", "gemini-2.5-flash"),
        T.intAttr("gen_ai.usage.input_tokens", 1_000), T.intAttr("gen_ai.usage.output_tokens", 1_000),
        T.intAttr("ai.usage.reasoningTokens", 800), T.intAttr("ai.usage.totalTokens", 2_000),
      ])
    let (report, records) = try T().report(T.export([span]))
    #expect(records.map(\.tokens.output) == [1_000])
    #expect(report.totalCost == TestSupport.usd("0.0028"))
  }

  /// OpenAI's reasoning tokens are inside its output, whatever the span says beside them: o4-mini
  /// with 1,000 output tokens of which 800 reasoning stays at 1,000.
  @Test func otherProvidersReasoningIsNeverAdded() throws {
    let span = T.span(
      "chat o4-mini", id: "o1",
      [
        T.attr("gen_ai.system", "openai"), T.attr("gen_ai.request.model", "o4-mini"),
        T.intAttr("gen_ai.usage.input_tokens", 1_000), T.intAttr("gen_ai.usage.output_tokens", 1_000),
        T.intAttr("gen_ai.usage.reasoning_tokens", 800),
      ])
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.tokens.output) == [1_000])
  }

  /// Semantic Kernel names the first part of a Bedrock model id as the provider, Azure AI Inference as
  /// `azure-ai-inference`; older OpenLLMetry names the vendor with the model id without it.
  ///
  /// Each is its provider's call.
  @Test(arguments: [
    ("amazon", "amazon.nova-pro-v1:0", Provider.bedrock),
    ("us", "us.anthropic.claude-3-5-sonnet-20240620-v1:0", .bedrock),
    ("anthropic", "anthropic.claude-3-5-sonnet-20240620-v1:0", .bedrock),
    ("anthropic", "claude-3-5-sonnet-20240620-v1:0", .bedrock),
    ("anthropic", "claude-3-5-sonnet-20240620", .anthropic),
    ("azure-ai-inference", "gpt-4o", .azure),
    ("google-ai-studio", "gemini-2.5-flash", .vertex),
  ])
  func providersNamedByTheirModelsVendor(system: String, model: String, provider: Provider) throws {
    let span = T.span(
      "chat " + model, id: "s1",
      [
        T.attr("gen_ai.system", system), T.attr("gen_ai.request.model", model),
        T.intAttr("gen_ai.usage.input_tokens", 1_000), T.intAttr("gen_ai.usage.output_tokens", 200),
      ])
    let (_, records) = try T().report(T.export([span]))
    #expect(records.map(\.provider) == [provider])
  }

  /// Bedrock model ids without their vendor (OpenLLMetry's `gen_ai.system` `AWS` beside
  /// `claude-3-5-sonnet-20240620-v1:0`; OpenInference's response model `claude-3-5-sonnet-20240620`
  /// under `llm.provider` `aws`) are priced as the bare id: 1,000 input and 200 output tokens of
  /// Claude 3.5 Sonnet at 3 and 15 USD a million, 0.003 + 0.003 = 0.006 USD each; Nova Pro's
  /// `nova-pro-v1:0` at 0.80 and 3.20: 0.0008 + 0.00064 = 0.00144.
  @Test func vendorlessBedrockModelIDsArePriced() throws {
    func span(_ id: String, _ attributes: [String]) -> String {
      T.span("chat", id: id, attributes + [T.intAttr("gen_ai.usage.output_tokens", 200)])
    }
    let spans = [
      span(
        "a",
        [
          T.attr("gen_ai.system", "AWS"), T.attr("gen_ai.request.model", "claude-3-5-sonnet-20240620-v1:0"),
          T.intAttr("gen_ai.usage.input_tokens", 1_000),
        ]),
      span(
        "b",
        [
          T.attr("llm.provider", "aws"), T.attr("llm.model_name", "claude-3-5-sonnet-20240620"),
          T.attr("openinference.span.kind", "LLM"), T.intAttr("llm.token_count.prompt", 1_000),
        ]),
      span(
        "c",
        [
          T.attr("gen_ai.system", "AWS"), T.attr("gen_ai.request.model", "nova-pro-v1:0"),
          T.intAttr("gen_ai.usage.input_tokens", 1_000),
        ]),
    ]
    let (report, records) = try T().report(T.export(spans))
    #expect(records.map(\.provider) == [.bedrock, .bedrock, .bedrock])
    #expect(report.unpricedRecords == 0)
    #expect(report.totalCost == TestSupport.usd("0.01344"))
  }
}
