import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// OTel traces as the Collector's file exporter writes them.
///
/// Children come before parents, on earlier lines and in earlier files. A model call inherits agent, task, scope and credential from its
/// nearest ancestor over the whole trace, and loops are judged on the whole agent path.
@Suite struct OTelAncestryTests {
  /// One span of a hand-built trace.
  struct Span {
    var id: String
    var parent: String?
    var operation: String
    var agent: String? = nil
    var task: String? = nil
    var credential: String? = nil
    var input: Int64? = nil
    var output: Int64? = nil
    var second: Int64 = 0
  }

  static let trace = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
  /// 2026-10-05T10:00:00Z in UTC epoch seconds.
  static let base: Int64 = 1_791_194_400

  /// One OTLP export line (`{"resourceSpans":[…]}`) holding `spans` of `trace`.
  static func line(_ spans: [Span], trace: String = trace) -> String {
    func attr(_ k: String, _ v: String) -> String { "{\"key\":\"\(k)\",\"value\":{\"stringValue\":\"\(v)\"}}" }
    func int(_ k: String, _ v: Int64) -> String { "{\"key\":\"\(k)\",\"value\":{\"intValue\":\"\(v)\"}}" }
    let items = spans.map { s -> String in
      var attrs = [attr("gen_ai.operation.name", s.operation)]
      if s.operation == "chat" {
        attrs += [attr("gen_ai.provider.name", "openai"), attr("gen_ai.request.model", "gpt-4.1-mini")]
      }
      if let a = s.agent { attrs.append(attr("gen_ai.agent.id", a)) }
      if let t = s.task { attrs.append(attr("task_id", t)) }
      if let c = s.credential { attrs.append(attr("chargeback.credential_id", c)) }
      if let i = s.input { attrs.append(int("gen_ai.usage.input_tokens", i)) }
      if let o = s.output { attrs.append(int("gen_ai.usage.output_tokens", o)) }
      let parent = s.parent.map { ",\"parentSpanId\":\"\($0)\"" } ?? ""
      return
        "{\"traceId\":\"\(trace)\",\"spanId\":\"\(s.id)\"\(parent),\"name\":\"\(s.operation)\",\"kind\":1,"
        + "\"startTimeUnixNano\":\"\((base + s.second) * 1_000_000_000)\",\"attributes\":[\(attrs.joined(separator: ","))]}"
    }
    return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[\(attr("service.name", "agents"))]},"
      + "\"scopeSpans\":[{\"scope\":{\"name\":\"t\"},\"spans\":[\(items.joined(separator: ","))]}]}]}"
  }

  /// A directory where key_X is a shared OpenAI key of cost centre CC-S, planner is in CC-A and
  /// writer in CC-B; gpt-4.1-mini costs $0.40 / $1.60 per million input / output tokens.
  static func setUp(_ dir: String) throws -> (identities: String, pricing: String) {
    let ids = dir + "/identities"
    let pricing = dir + "/pricing"
    for d in [ids, pricing] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let files = [
      ids + "/people.csv": "person_id,name\np-1,Ana\n",
      ids + "/cost_centres.csv": "cost_centre,name\nCC-A,Alpha\nCC-B,Beta\nCC-S,Shared\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\nplanner,p-1,CC-A\nwriter,p-1,CC-B\n",
      ids + "/credentials.csv": "credential_id,provider,agent_id,cost_centre\nkey_X,openai,,CC-S\n",
      ids + "/tasks.csv": "task_id,approved_by\nT-9,p-1\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/openai.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "openai,gpt-4.1-mini,input,standard,0,0.4,2025-01-01,,test\n"
        + "openai,gpt-4.1-mini,output,standard,0,1.6,2025-01-01,,test\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return (ids, pricing)
  }

  /// pico-USD of a gpt-4.1-mini call at the test rates.
  static func cost(_ input: Int64, _ output: Int64) -> Int128 {
    Int128(input) * 400_000 + Int128(output) * 1_600_000
  }

  @Test func aChildWrittenBeforeItsParentsInheritsAcrossLinesAndFiles() throws {
    let dir = try TestSupport.tempDir()
    let (ids, pricing) = try Self.setUp(dir)
    // planner (task T-9, key_X) → writer → chat M1; planner → chat M0.
    let root = Span(
      id: "00000000000000a1", parent: nil, operation: "invoke_agent", agent: "planner", task: "T-9",
      credential: "key_X")
    let writer = Span(id: "00000000000000b2", parent: root.id, operation: "invoke_agent", agent: "writer", second: 1)
    let m1 = Span(id: "00000000000000c3", parent: writer.id, operation: "chat", input: 1_000, output: 500, second: 2)
    let m0 = Span(id: "00000000000000d4", parent: root.id, operation: "chat", input: 2_000, output: 100, second: 3)
    // The first file holds M1 (line 1) then its parent (line 2); the root comes a file later.
    try (Self.line([m1]) + "\n" + Self.line([writer, m0]) + "\n").write(
      toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
    try (Self.line([root]) + "\n").write(toFile: dir + "/b.jsonl", atomically: true, encoding: .utf8)

    let store = dir + "/s.sqlite"
    _ = try ChargebackJob.ingest(paths: [dir + "/a.jsonl"], database: store, progress: .init(force: false))
    // Without the root, the calls know neither the credential nor the task.
    do {
      let s = try UsageStore(path: store)
      defer { try? s.close() }
      let m1Row = try #require(try s.record(matching: "otel:\(Self.trace):\(m1.id)"))
      #expect(m1Row.record.metadata.agentID == "writer")
      #expect(m1Row.record.credential == nil)
      #expect(m1Row.record.metadata.taskID == nil)
    }
    let result = try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [dir + "/b.jsonl"], identities: ids, pricing: pricing,
        out: dir + "/out", database: store),
      progress: .init(force: false)
    ).run()

    let lines = try result.report.taskLines()
    let m1Line = try #require(lines.first { $0.key.agentID == "writer" })
    #expect(m1Line.key.costCentre == "CC-B")
    #expect(m1Line.key.credentialID == "key_X")
    #expect(m1Line.key.taskID == "T-9")
    #expect(m1Line.key.status == .sharedAgent)
    #expect(m1Line.cost.pico == Self.cost(1_000, 500))
    let m0Line = try #require(lines.first { $0.key.agentID == "planner" })
    #expect(m0Line.key.costCentre == "CC-A")
    #expect(m0Line.cost.pico == Self.cost(2_000, 100))
    #expect(!lines.contains { $0.key.costCentre == Attribution.unattributed })
    #expect(!result.report.findings.contains { $0.kind == .unattributed })
    // Ingesting the first file again changes nothing.
    _ = try ChargebackJob.ingest(
      paths: [dir + "/a.jsonl", dir + "/b.jsonl"], database: store, progress: .init(force: false))
    let s = try UsageStore(path: store)
    defer { try? s.close() }
    #expect(try s.recordCount() == 2)
  }

  @Test func aLoopSplitOverFilesIsMeasuredOnTheWholePath() throws {
    let dir = try TestSupport.tempDir()
    let (ids, pricing) = try Self.setUp(dir)
    // planner → writer → planner → writer, a chat call at every level; the loop shows at the
    // second planner, so the calls at levels 3 and 4 are avoidable.
    let l1 = Span(
      id: "0000000000000001", parent: nil, operation: "invoke_agent", agent: "planner", task: "T-9",
      credential: "key_X")
    let l2 = Span(id: "0000000000000002", parent: l1.id, operation: "invoke_agent", agent: "writer", second: 1)
    let l3 = Span(id: "0000000000000003", parent: l2.id, operation: "invoke_agent", agent: "planner", second: 2)
    let l4 = Span(id: "0000000000000004", parent: l3.id, operation: "invoke_agent", agent: "writer", second: 3)
    let calls = [(l1, 100, 10), (l2, 200, 20), (l3, 300, 30), (l4, 400, 40)].enumerated().map { k, c in
      Span(
        id: "00000000000000f\(k)", parent: c.0.id, operation: "chat", input: Int64(c.1), output: Int64(c.2),
        second: 10 + Int64(k))
    }
    // Children first: the deepest calls and agents in the first file, their ancestors later.
    try (Self.line([calls[3], calls[2]]) + "\n" + Self.line([l4]) + "\n").write(
      toFile: dir + "/1.jsonl", atomically: true, encoding: .utf8)
    try (Self.line([l3, calls[1]]) + "\n" + Self.line([l2, calls[0], l1]) + "\n").write(
      toFile: dir + "/2.jsonl", atomically: true, encoding: .utf8)

    let result = try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [dir + "/1.jsonl", dir + "/2.jsonl"], identities: ids,
        pricing: pricing, out: dir + "/out", database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).run()
    // planner and writer are charged to two cost centres: the loop is a finding of each, with its
    // own calls (levels 1 and 3, 2 and 4), which together are the whole path.
    let loops = result.report.findings.filter { $0.kind == .recursiveLoop }
    #expect(loops.count == 2)
    #expect(Set(loops.compactMap(\.costCentre)).count == 2)
    let planner = try #require(loops.first { $0.agentID == "planner" })
    let writer = try #require(loops.first { $0.agentID == "writer" })
    #expect(planner.calls == 2 && writer.calls == 2)
    #expect(planner.cost.pico == Self.cost(100, 10) + Self.cost(300, 30))
    #expect(writer.cost.pico == Self.cost(200, 20) + Self.cost(400, 40))
    #expect(planner.avoidableCost.pico == Self.cost(300, 30))
    #expect(writer.avoidableCost.pico == Self.cost(400, 40))
    for loop in loops {
      #expect(loop.explanation.contains("planner → writer → planner"))
      #expect(loop.explanation.contains("2 of its 4 calls are this cost centre's"))
    }
  }

  @Test func ancestryIsLinearOnADeepChain() throws {
    // 8,000 nested spans with a call at the bottom: resolved in one pass (this took 111 s when the
    // ancestry was walked per call within a line).
    var spans: [TraceSpan] = []
    for k in 0..<8_000 {
      spans.append(
        TraceSpan(
          traceID: "t", spanID: "s\(k)", parentSpanID: k == 0 ? nil : "s\(k - 1)", isModelCall: k == 7_999,
          invokedAgent: k % 2 == 0 ? "a" : nil,
          own: TraceSpan.Context(agentID: k == 10 ? "deep-agent" : nil, taskID: k == 0 ? "T-root" : nil),
          resource: TraceSpan.Context(agentID: "resource-agent")))
    }
    let out = TraceAncestry.resolve(spans.reversed())
    #expect(out.count == 1)
    let c = try #require(out.first?.context)
    #expect(c.agentID == "deep-agent")
    #expect(c.taskID == "T-root")
    #expect(c.agentPath?.split(separator: ">").count == TraceAncestry.maxPathLength)
  }

  @Test func aCycleOfParentLinksIsCut() {
    let spans = [
      TraceSpan(
        traceID: "t", spanID: "a", parentSpanID: "b", isModelCall: true, invokedAgent: nil,
        own: .init(), resource: .init()),
      TraceSpan(
        traceID: "t", spanID: "b", parentSpanID: "a", isModelCall: false, invokedAgent: "x",
        own: .init(taskID: "T-1"), resource: .init()),
    ]
    let out = TraceAncestry.resolve(spans)
    #expect(out.map(\.spanID) == ["a"])
    #expect(out.first?.context.taskID == "T-1")
    #expect(out.first?.context.agentPath == "x")
  }
}
