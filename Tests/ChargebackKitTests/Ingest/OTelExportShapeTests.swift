import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// OTLP exports as trace back ends hand them out, found by a trial of real payloads: ids in upper
/// case hex (the OTLP specification's own example, Grafana Tempo), Tempo's `batches` and the
/// wrappers of Tempo's and Jaeger's trace APIs; and a file recognised as OTLP whose spans are
/// nowhere to be read, which loaded as "0 records".
@Suite struct OTelExportShapeTests {
  typealias O = OTelInstrumentationTests

  static let (trace, agentSpan, callSpan) = ("5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B173", "EEE19B7EC3C1B174")

  /// The agent's span and its chat call (1,000 in, 100 out of gpt-4o: 0.0035 USD), in trace `t`.
  static func spans(trace t: String, agent: String, call: String, parent: String) -> [String] {
    let agentSpan = O.span(
      "invoke_agent", id: agent, [O.attr("gen_ai.operation.name", "invoke_agent"), O.attr("agent_id", "writer")])
    return [agentSpan, O.chat("chat gpt-4o", span: call, parent: parent)].map {
      $0.replacingOccurrences(of: #""traceId":"t1""#, with: #""traceId":"\#(t)""#)
    }
  }

  /// Every id of the call in upper, lower or mixed case: one call, which finds its agent above it
  /// whatever the case of either; the ids are kept in lower case.
  @Test(arguments: [
    (trace, callSpan, agentSpan), (trace.lowercased(), callSpan, agentSpan.lowercased()),
    ("5b8EFFF798038103d269b633813fc60C", callSpan.lowercased(), "eee19B7EC3C1B173"),
  ])
  func hexIdsInEitherCaseAreOneSpan(trace: String, call: String, parent: String) throws {
    let lower = Self.spans(
      trace: Self.trace.lowercased(), agent: Self.agentSpan.lowercased(), call: Self.callSpan.lowercased(),
      parent: Self.agentSpan.lowercased())
    let other = Self.spans(trace: trace, agent: Self.agentSpan, call: call, parent: parent)
    // The agent in lower case on the first line, the call in the other spelling on the second, and
    // again in lower case on the third.
    let (report, records) = try O().report(O.export([lower[0]]) + O.export([other[1]]) + O.export([lower[1]]))
    #expect(records.count == 1)
    #expect(records.first?.traceID == Self.trace.lowercased())
    #expect(records.first?.spanID == Self.callSpan.lowercased())
    #expect(records.first?.metadata.agentID == "writer")
    #expect(report.totalCost == TestSupport.usd("0.0035"))
  }

  /// Tempo's `/api/traces/<id>` (`batches`, ids in upper case), its `/api/v2/traces/<id>` (the
  /// export under `trace`), and Jaeger's OTLP API (under `result`), pretty-printed as saved: the
  /// call, charged once, with its agent.
  @Test(arguments: [
    #"{"batches":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[SPANS]}]}]}"#,
    #"{"trace":{"resourceSpans":[{"scopeSpans":[{"spans":[SPANS]}]}]},"status":"complete"}"#,
    #"{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[SPANS]}]}]}}"#,
  ])
  func traceBackEndsDownloadsAreRead(shape: String) throws {
    let spans = Self.spans(trace: Self.trace, agent: Self.agentSpan, call: Self.callSpan, parent: Self.agentSpan)
    let text = shape.replacingOccurrences(of: "SPANS", with: spans.joined(separator: ",\n    "))
      .replacingOccurrences(of: "{", with: "{\n  ")
    let (report, records) = try O().report(text + "\n")
    #expect(records.count == 1)
    #expect(records.first?.metadata.agentID == "writer")
    #expect(report.totalCost == TestSupport.usd("0.0035"))
  }

  /// A file recognised as OTLP (it names `resourceSpans`) whose lines hold them where no exporter
  /// or API puts them is refused, naming the file, the line and the field, and nothing of it is
  /// stored; a line of another signal (a Collector writing logs to the same file) is no span and
  /// no error.
  @Test func anExportWithoutItsSpansIsRefused() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spans = Self.spans(trace: Self.trace, agent: Self.agentSpan, call: Self.callSpan, parent: Self.agentSpan)
    let logs = #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[]}]}]}"# + "\n"
    let good = dir + "/good.jsonl"
    try (logs + O.export(spans)).write(toFile: good, atomically: true, encoding: .utf8)
    let db = dir + "/s.sqlite"
    let ok = try TestSupport.runCLI(["ingest", good, "--db", db])
    #expect(ok.status == 0, "\(ok.err)")
    #expect(ok.out.contains("good.jsonl: loaded (otel-genai-spans, 1 record, 1 new)"))

    let wrapped = dir + "/wrapped.jsonl"
    try (O.export(spans) + #"{"data":{"export":{"resourceSpans":[]}}}"# + "\n").write(
      toFile: wrapped, atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI(["ingest", wrapped, "--db", db])
    #expect(r.status == 65)
    #expect(r.err.contains("\(wrapped):2: "), "\(r.err)")
    #expect(r.err.contains("resourceSpans") && r.err.contains("no resourceSpans"), "\(r.err)")
    #expect(try StoreState(db).files == 1)
  }

  /// An export with two lists of spans (`resourceSpans` beside `batches`, or beside a wrapper's)
  /// would be read twice over: refused, naming the second; one list's spans are at paths numbered
  /// from 0 in that list.
  @Test func twoListsInOneExportAreRefused() throws {
    let spans = Self.spans(trace: Self.trace, agent: Self.agentSpan, call: Self.callSpan, parent: Self.agentSpan)
    let list = #"[{"scopeSpans":[{"spans":[\#(spans.joined(separator: ","))]}]}]"#
    for (text, field) in [
      (#"{"resourceSpans":\#(list),"batches":\#(list)}"#, "batches"),
      (#"{"resourceSpans":\#(list),"trace":{"resourceSpans":\#(list)}}"#, "trace"),
    ] {
      let dir = try TestSupport.tempDir()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let path = dir + "/t.jsonl"
      try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      let store = try UsageStore(path: dir + "/s.sqlite")
      let error = try #require(throws: InputError.self) {
        try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [path])
      }
      #expect(error.field == field && error.line == 1, "\(error)")
      #expect(try store.recordCount() == 0)
    }
    let (_, records) = try O().report(#"{"batches":\#(list)}"# + "\n")
    #expect(records.first?.jsonPath == "$.batches[0].scopeSpans[0].spans[1]")
  }

  /// Any attribute the tool reads given twice in one span's list is refused naming it.
  ///
  /// Whether the two values differ or not; and a token count given as a boolean, list or map is refused: a trial's span with 5,000 then 5 output
  /// tokens was charged 5, and one with `{"boolValue":true}` 0. A key it does not read may repeat, and a string
  /// attribute given as a boolean is passed over.
  @Test(arguments: [
    ("gen_ai.usage.output_tokens", #"{"intValue":"5000"}"#, #"{"intValue":"5"}"#),
    ("gen_ai.usage.output_tokens", #"{"intValue":"100"}"#, #"{"intValue":"100"}"#),
    ("gen_ai.system", #"{"stringValue":"openai"}"#, #"{"stringValue":"anthropic"}"#),
    ("gen_ai.request.model", #"{"stringValue":"gpt-4o"}"#, #"{"stringValue":"gpt-4o"}"#),
  ])
  func aKeyGivenTwiceIsRefused(key: String, first: String, second: String) throws {
    func kv(_ value: String) -> String { #"{"key":"\#(key)","value":\#(value)}"# }
    let call = O.chat("chat gpt-4o", span: "c1").replacingOccurrences(
      of: #""attributes":["#, with: #""attributes":["# + kv(first) + "," + kv(second) + ",")
    let error = try #require(throws: InputError.self) { try O().report(O.export([call])) }
    #expect(error.field == key && error.line == 1)
    #expect(error.message.contains("given twice"), "\(error.message)")
  }

  @Test(arguments: [#"{"boolValue":true}"#, #"{"arrayValue":{"values":[]}}"#, #"{"kvlistValue":{"values":[]}}"#])
  func aCountOfAnotherTypeIsRefused(value: String) throws {
    let call = O.chat("chat gpt-4o", span: "c1").replacingOccurrences(
      of: #"{"key":"gen_ai.usage.output_tokens","value":{"intValue":"100"}}"#,
      with: #"{"key":"gen_ai.usage.output_tokens","value":\#(value)}"#)
    #expect(call.contains(value))
    let error = try #require(throws: InputError.self) { try O().report(O.export([call])) }
    #expect(error.field == "gen_ai.usage.output_tokens" && error.message.contains("not a whole number"))
    // Other keys repeated, and a string attribute of another type, are as before: the call, 0.0035 USD.
    let fine = O.chat("chat gpt-4o", span: "c1").replacingOccurrences(
      of: #""attributes":["#,
      with: #""attributes":[{"key":"x.y","value":{"intValue":"1"}},{"key":"x.y","value":{"intValue":"2"}},"#
        + #"{"key":"gen_ai.conversation.id","value":{"boolValue":true}},"#)
    let (report, records) = try O().report(O.export([fine]))
    #expect(records.count == 1 && report.totalCost == TestSupport.usd("0.0035"))
  }
}
