import ChargebackModel
import ChargebackSupport
import Foundation

// One OTLP export as read: its spans, their resources and how they link within it.

/// One OTLP export (one line): its spans in order, its resources' attributes, the parent map.
struct OTelBatch {
  let file: String
  let line: Int
  let root: String
  var spans: [OTelSpan] = []
  var resources: [OTelAttributes] = []
  /// Each span's parent's index in this export.
  ///
  /// Nil when it has none here: a root, or a parent on another line or in another file. Set by
  /// ``parse(_:)``.
  private(set) var parentIndex: [Int?] = []

  init(file: String, line: Int, root: String) {
    self.file = file
    self.line = line
    self.root = root
  }

  /// The keys an export's resource spans are under: OTLP's `resourceSpans`, and `batches`, as
  /// Grafana Tempo's trace API (`/api/traces/<id>`) returns them.
  private static let spanListKeys: [StaticString] = ["resourceSpans", "batches"]
  /// The keys of a response that wraps an export: Tempo's `/api/v2/traces/<id>` (`trace`), Jaeger's
  /// OTLP API (`result`).
  private static let wrapperKeys: [StaticString] = ["trace", "result"]
  /// The other signals a Collector's file exporter writes to a file it shares with the traces:
  /// exports of no span, not malformed ones.
  private static let otherSignalKeys: [StaticString] = ["resourceLogs", "resourceMetrics", "resourceProfiles"]

  mutating func parse(_ b: UnsafeBufferPointer<UInt8>) throws {
    var s = JSONScanner(b)
    var field = ""
    var path = root
    do {
      // A wrapper's export was read as no span, and the file counted as loaded (a trial's Tempo
      // download): an export with no list of resource spans is refused instead.
      guard try exportObject(&s, b, at: root, field: &field, path: &path) else {
        throw InputError(
          file: file, line: line, path: root, field: "resourceSpans",
          message:
            "no resourceSpans (nor Tempo's batches, nor a trace or result holding them) in this OTLP export: "
            + "its spans cannot be read")
      }
      try s.end()
      var byID: [String: Int] = [:]
      for (i, span) in spans.enumerated() {
        if let t = span.traceID, let id = span.spanID { byID[t + "/" + id] = i }
      }
      parentIndex = spans.map { span in span.traceID.flatMap { t in span.parentSpanID.flatMap { byID[t + "/" + $0] } } }
    } catch let f as JSONScanner.Failure {
      throw JSONLayout.ingestError(
        f, field: field.isEmpty ? nil : field, file: file, line: line, path: path, record: b)
    }
  }

  /// Reads the export object at `s` (at `at`), or the one a wrapper key holds; returns whether a
  /// list of resource spans was there (an empty or null one counts: an export of no span).
  private mutating func exportObject(
    _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, at objectPath: String, field: inout String,
    path: inout String
  ) throws -> Bool {
    var found = false
    try s.object { s, key in
      if let listKey = Self.spanListKeys.first(where: { key.equals($0) }) {
        // Two lists in one export (or a wrapper's beside one) would be read twice over: refused.
        guard !found else { throw secondList(at: objectPath, field: "\(listKey)") }
        found = true
        field = "\(listKey)"
        if try s.consumeNull() { return }
        try resourceSpans(&s, b, list: "\(objectPath).\(listKey)", field: &field, path: &path)
      } else if Self.otherSignalKeys.contains(where: { key.equals($0) }) {
        found = true
      } else if let wrapper = Self.wrapperKeys.first(where: { key.equals($0) }), s.next() == UInt8(ascii: "{") {
        let before = found
        if try exportObject(&s, b, at: "\(objectPath).\(wrapper)", field: &field, path: &path) {
          guard !before else { throw secondList(at: objectPath, field: "\(wrapper)") }
          found = true
        }
      }
    }
    return found
  }

  /// The error of an export with a second list of spans, at `field` of the object at `path`.
  private func secondList(at path: String, field: String) -> InputError {
    InputError(
      file: file, line: line, path: path, field: field,
      message: "a second list of resource spans in one export (resourceSpans, batches or a trace or result"
        + " holding them): which one the export is cannot be told")
  }

  /// Reads a list of resource spans, at `list`.
  private mutating func resourceSpans(
    _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, list: String, field: inout String, path: inout String
  ) throws {
    var k = 0
    try s.array { s in
      let r = resources.count
      resources.append(OTelAttributes())
      let rpath = "\(list)[\(k)]"
      k += 1
      path = rpath
      try s.object { s, key in
        if key.equals("resource") {
          path = rpath + ".resource"
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("attributes") else { return }
            try Self.attributes(&s, b, into: &resources[r], field: &field)
          }
        } else if key.equals("scopeSpans") || key.equals("instrumentationLibrarySpans") {
          let scopeKey = String(decoding: key, as: UTF8.self)
          field = scopeKey
          if try s.consumeNull() { return }
          var sc = 0
          try s.array { s in
            try s.object { s, k in
              guard k.equals("spans") else { return }
              field = "spans"
              if try s.consumeNull() { return }
              var n = 0
              try s.array { s in
                var span = OTelSpan(resource: r, path: "\(rpath).\(scopeKey)[\(sc)].spans[\(n)]")
                n += 1
                path = span.path
                try Self.span(&s, b, into: &span, field: &field)
                spans.append(span)
              }
            }
            sc += 1
          }
        }
      }
    }
  }

  /// Whether span `i` is a framework's own (`gen_ai.system` `strands-agents`, `langchain`).
  func isFramework(_ i: Int) -> Bool {
    let a = spans[i].attributes
    return (a.providerName ?? a.system ?? a.altProvider ?? a.altSystem).map(OTelGenAISpans.isFramework) ?? false
  }

  /// Marks the framework spans with a provider's model call beneath them in this export.
  ///
  /// A framework names a span as its own (`gen_ai.system` `langchain`): OpenLIT writes a LangChain
  /// `chat` span, with the call's usage counted again, around the OpenAI SDK's `chat` span. Those
  /// are not calls.
  /// A framework's span with no provider's call beneath it in the export stays a call (and is
  /// refused: its provider is not one we price), so no usage is dropped unseen.
  ///
  /// So is the nearest call span above a call that reports tokens, with no agent's or tool's span
  /// between them, unless both name a response id (then they are one call's two copies, and the
  /// store charges the better one): one call traced by two instrumentations without a response id
  /// to tell (OpenInference's LangChain `LLM` span around its OpenAI `LLM` span, both with the
  /// call's tokens) was charged twice (a trial). Only the nearest, and not past an agent or a tool:
  /// a call whose span stays current while its tools and sub-agents run (a streamed generator) is
  /// a call of its own, as are theirs.
  mutating func markFrameworkWrappers() {
    let own = spans.indices.map(isFramework)
    let calls = spans.indices.map { spans[$0].isModelCall }
    guard own.contains(true) || calls.filter({ $0 }).count > 1 else { return }
    var wrappers: [Int] = []
    for i in spans.indices where !own[i] && calls[i] {
      _ = walkAncestors(of: i) { j in if own[j] { wrappers.append(j) } }
      guard spans[i].attributes.reportsTokens, case .call(let j) = nearestCall(above: i, calls: calls), !own[j],
        !(spans[i].attributes.responseID.nonBlank != nil && spans[j].attributes.responseID.nonBlank != nil)
      else { continue }
      wrappers.append(j)
    }
    for j in wrappers { spans[j].wrapsCall = true }
  }

  /// What lies above span `i` on the way to the nearest call span.
  enum Above: Equatable {
    /// The nearest call span above, in this export.
    case call(Int)
    /// The chain leaves the export with no call, agent or tool on the way: the nearest call may be
    /// on another line.
    case outside
    /// An agent's or a tool's span first, or the trace's root: no call above is a wrapper of this one.
    case none
  }

  /// ``Above`` for span `i` itself first: `i` when it is a call (or a framework's span), none when
  /// it is an agent's or a tool's, else ``nearestCall(above:calls:)``.
  func nearestCall(atOrAbove i: Int, calls: [Bool]) -> Above {
    if calls[i] || isFramework(i) { return .call(i) }
    return isAgentOrTool(i) ? .none : nearestCall(above: i, calls: calls)
  }

  /// ``Above`` for span `i`; `calls` marks the call spans as read (frameworks' count as calls).
  func nearestCall(above i: Int, calls: [Bool]) -> Above {
    var current = i
    var steps = 0
    while steps < spans.count {
      guard spans[current].traceID != nil, spans[current].parentSpanID != nil else { return .none }
      guard let j = parentIndex[current] else { return .outside }
      if calls[j] || isFramework(j) { return .call(j) }
      if isAgentOrTool(j) { return .none }
      current = j
      steps += 1
    }
    return .none
  }

  /// Whether span `j` is an agent's run or a tool's execution: calls beneath it are its own, not a
  /// second record of a call above.
  func isAgentOrTool(_ j: Int) -> Bool {
    let a = spans[j].attributes
    switch a.operation?.lowercased() {
    case "invoke_agent", "create_agent", "execute_tool", "invoke_workflow": return true
    default: break
    }
    if let kind = a.spanKind?.uppercased(), kind == "AGENT" || kind == "TOOL" { return true }
    return spans[j].isAgentRun
  }

  /// Marks span `i` and its ancestors here as wrappers, where an earlier line's call named `i` as
  /// its ancestor.
  ///
  /// The Collector writes a child that ended first on an earlier line. Marked: frameworks' spans;
  /// and, when that call reported tokens with no call, agent or tool between it and `i`
  /// (`counted`), the nearest call at or above `i`, not past an agent or a tool, unless both name a
  /// response id (`identified`: every such call beneath named one). Gives the framework spans
  /// marked.
  mutating func markWrappers(above i: Int, counted: Bool, identified: Bool, calls: [Bool]) -> [Int] {
    var marked: [Int] = []
    if isFramework(i) { marked.append(i) }
    _ = walkAncestors(of: i) { j in if isFramework(j) { marked.append(j) } }
    for j in marked { spans[j].wrapsCall = true }
    if counted, case .call(let j) = nearestCall(atOrAbove: i, calls: calls), !isFramework(j),
      !(identified && spans[j].attributes.responseID.nonBlank != nil)
    {
      spans[j].wrapsCall = true
    }
    return marked
  }

  /// Visits span `i`'s ancestors in this export, nearest first.
  ///
  /// Gives the trace and span id of the first ancestor outside it (on another line or in another
  /// file); nil when the chain ends here. The walk is bounded by the export's spans (a cycle in
  /// bad input).
  func walkAncestors(of i: Int, _ visit: (Int) -> Void) -> (trace: String, span: String)? {
    var current = i
    var steps = 0
    while steps < spans.count, let t = spans[current].traceID, let p = spans[current].parentSpanID {
      guard let j = parentIndex[current] else { return (t, p) }
      visit(j)
      current = j
      steps += 1
    }
    return nil
  }

  /// An id as OTLP/JSON writes it, hex.
  ///
  /// An id in protobuf's own JSON mapping (base64: 24
  /// characters for a 16-byte trace id, 12 for an 8-byte span id, as `protojson` and some
  /// exporters write them) is made hex, so that the same span exported both ways is one call, and
  /// a parent finds its children (a trial's spans were charged twice). Hex is made lower case: OTLP
  /// reads it either way, and Tempo and the specification's own example write it upper case, so
  /// one span exported both ways was charged twice, and a child in one case never found its parent
  /// in the other (a trial). Any other text is as given.
  static func hexID(_ id: String?, bytes: Int) -> String? {
    guard let id else { return nil }
    let u = id.utf8
    if u.count == 2 * bytes {
      func upper(_ c: UInt8) -> Bool { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F") }
      func hex(_ c: UInt8) -> Bool {
        upper(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
          || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
      }
      guard u.contains(where: upper), u.allSatisfy(hex) else { return id }
      return String(decoding: u.map { upper($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
    guard u.count == (bytes + 2) / 3 * 4, u.last == UInt8(ascii: "="),
      let data = Data(base64Encoded: id), data.count == bytes
    else { return id }
    return data.lowercaseHex
  }

  /// Whether a span's name is that of an agent's run (Pydantic AI's `agent run` and `invoke_agent X`,
  /// `invoke_agent` in the GenAI conventions): such a span may carry the run's usage rolled up
  /// without `gen_ai.operation.name`, and is never a model call.
  static func isAgentRunName(_ name: String?) -> Bool {
    guard let n = name?.lowercased() else { return false }
    return n == "agent run" || n.hasPrefix("agent run ") || n == "invoke_agent" || n.hasPrefix("invoke_agent ")
  }

  private static func span(
    _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, into span: inout OTelSpan, field: inout String
  ) throws {
    try s.object { s, key in
      if key.equals("traceId") {
        field = "traceId"
        span.traceID = Self.hexID(try s.optionalString(), bytes: 16)
      } else if key.equals("spanId") {
        field = "spanId"
        span.spanID = Self.hexID(try s.optionalString(), bytes: 8)
      } else if key.equals("parentSpanId") {
        field = "parentSpanId"
        span.parentSpanID = Self.hexID(try s.optionalString(), bytes: 8)
      } else if key.equals("name") {
        field = "name"
        let name = try s.optionalString()
        span.isAgentRun = Self.isAgentRunName(name)
        span.attributes.claudeCode = name == "claude_code.llm_request"
      } else if key.equals("startTimeUnixNano") {
        field = "startTimeUnixNano"
        span.startNanos = try JSONLayout.count(&s, in: b, max: Int64.max, unit: "ns")
      } else if key.equals("status") {
        field = "status"
        guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
        try s.object { s, k in
          guard k.equals("code") else { return }
          field = "status.code"
          let code = try JSONLayout.scalarText(&s, in: b)
          span.statusError = code == "2" || code == "STATUS_CODE_ERROR"
        }
      } else if key.equals("attributes") {
        field = "attributes"
        if try s.consumeNull() { return }
        try attributes(&s, b, into: &span.attributes, field: &field)
      }
    }
  }

  /// Reads an OTLP `KeyValue` list; only the attributes ``OTelSlot`` names are kept.
  ///
  /// A key the tool reads given twice in one list is refused, as OTLP requires keys to be unique:
  /// which value is the call's is not known (a trial's span with `gen_ai.usage.output_tokens` 5000
  /// then 5 was charged 5). So is a token count given as a boolean, list or map (`{"boolValue":
  /// true}` was charged 0 tokens).
  private static func attributes(
    _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, into a: inout OTelAttributes, field: inout String
  ) throws {
    field = "attributes"
    var seen: Set<String> = []
    try s.array { s in
      guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
      var key: Range<Int>?
      var value: Range<Int>?
      try s.object { s, k in
        if k.equals("key") {
          guard s.next() == UInt8(ascii: "\"") else { return try s.skipValue() }
          let start = s.i
          try s.skipValue()
          key = (start + 1)..<(s.i - 1)
        } else if k.equals("value") {
          _ = s.next()
          let start = s.i
          try s.skipValue()
          value = start..<s.i
        }
      }
      guard let key, let value, let slot = OTelSlot(UnsafeBufferPointer(rebasing: b[key])) else { return }
      field = String(decoding: UnsafeBufferPointer(rebasing: b[key]), as: UTF8.self)
      guard seen.insert(field).inserted else {
        if slot.isFlatCount {
          a.flatProblem = a.flatProblem ?? (field, "is given twice in one attribute list (OTLP keys are unique)")
          return
        }
        throw JSONScanner.Failure(
          kind: .invalid(
            "is given twice in one attribute list (OTLP keys are unique): which value is the call's is not known"),
          offset: 0, message: "")
      }
      let vb = UnsafeBufferPointer(rebasing: b[value])
      var v = JSONScanner(vb)
      if try v.consumeNull() { return }
      var text: String?
      var other: String?
      try v.object { v, k in
        if k.equals("stringValue") || k.equals("intValue") || k.equals("doubleValue") {
          text = try JSONLayout.scalarText(&v, in: vb)
        } else {
          other = String(decoding: k, as: UTF8.self)
          try v.skipValue()
        }
      }
      if let text {
        try slot.assign(text, to: &a)
      } else if let other, slot.isFlatCount {
        a.flatProblem = a.flatProblem ?? (field, "is a token count given as \(other), not a whole number")
      } else if let other, slot.isCount {
        throw JSONScanner.Failure(
          kind: .invalid("is a token count given as \(other), not a whole number"), offset: 0, message: "")
      }
    }
  }
}
