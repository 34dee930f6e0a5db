import ChargebackModel
import Foundation

/// OpenTelemetry GenAI spans in OTLP JSON (docs/formats.md, "OTel GenAI spans"), one record per
/// model call.
///
/// The Collector file exporter writes one `{"resourceSpans":[…]}` export per line; a single
/// pretty-printed export is read too.
///
/// A model call is a span whose `gen_ai.operation.name` is chat, text_completion,
/// generate_content or embeddings, or any other non-agent span carrying usage attributes.
/// Agent, tool and workflow spans are never charged (some instrumentations roll usage up onto
/// them), but they lend their attributes to the calls beneath them: agent, task, scope and
/// credential are looked up on the span, then its ancestors nearest first, then the resource.
/// Every span is also handed on as a ``TraceSpan``, and the ancestry is resolved over the whole
/// trace once the file is in the store (``TraceAncestry``): the Collector's file exporter writes
/// children before parents, on earlier lines and in earlier files.
///
/// `gen_ai.usage.input_tokens` includes cache reads and writes, so both are subtracted to get
/// `input`; reasoning tokens are part of `gen_ai.usage.output_tokens`. The time is
/// `startTimeUnixNano` truncated to milliseconds.
struct OTelGenAISpans: ExportFormat {
  let id = "otel-genai-spans"
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    head.contains("\"resourceSpans\"")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    try readItems(file) { item in
      if case .record(let r) = item { try emit(r) }
    }
  }

  /// Framework spans that are calls in their own export, held at most until the file ends.
  static let heldFrameworkCalls = 50_000

  func readItems(_ file: InputFile, emit: (consuming IngestItem) throws -> Void) throws {
    // A framework's call span (Strands, LangChain) whose provider's span beneath it is on another
    // line of the file (the Collector's file exporter writes each batch as it ends: a child that
    // ended earlier is on an earlier line) is a wrapper too: such spans wait, with the record (or
    // the error) they would make, until the file ends, and the parents of the provider's calls
    // are noted by a hash of their ids. A trial's Strands spans over botocore's were charged twice
    // (+62 %). At most `heldFrameworkCalls` wait (memory bounded): past it the first held is taken
    // as a call, as it would have been.
    var held: [(key: UInt64?, record: Result<UsageRecord, any Error>, span: TraceSpan?)] = []
    var first = 0
    var callParents = Set<UInt64>()
    func release(_ h: (key: UInt64?, record: Result<UsageRecord, any Error>, span: TraceSpan?)) throws {
      if let key = h.key, callParents.contains(key) {
        if var span = h.span {
          span.isModelCall = false
          try emit(.span(span))
        }
        return
      }
      try emit(.record(h.record.get()))
      if let span = h.span { try emit(.span(span)) }
    }
    try JSONLayout.forEachRecord(in: file) { bytes, line, path in
      var batch = OTelBatch(file: file.path, line: line, root: path ?? "$")
      try batch.parse(bytes)
      batch.markFrameworkWrappers()
      let keys = batch.spans.map { s in s.traceID.flatMap { t in s.spanID.map { Self.spanKey(trace: t, span: $0) } } }
      var inBatch: [UInt64: Int] = [:]
      for (i, key) in keys.enumerated() { if let key { inBatch[key] = i } }
      // Up from span `i` through its ancestors in this export: the first one outside it is noted
      // (a wrapper there is on another line), and with `frameworks`, the framework spans within.
      // Only those: a call's ancestors within its own export were marked by markFrameworkWrappers,
      // and noting every call's parent made memory grow with the calls.
      func noteAncestors(of i: Int, frameworks: Bool) {
        var current = i
        var steps = 0
        while steps <= batch.spans.count, let t = batch.spans[current].traceID,
          let p = batch.spans[current].parentSpanID
        {
          let key = Self.spanKey(trace: t, span: p)
          guard let j = inBatch[key] else {
            callParents.insert(key)
            return
          }
          if frameworks && batch.isFramework(j) { callParents.insert(key) }
          current = j
          steps += 1
        }
      }
      // A span here that an earlier line's call named as its ancestor: its ancestors here are the
      // call's too (a provider's call, its agent loop's span and the framework's span on two lines).
      if !callParents.isEmpty {
        for (i, key) in keys.enumerated() where key.map(callParents.contains) == true {
          noteAncestors(of: i, frameworks: true)
        }
      }
      for i in batch.spans.indices {
        let span = batch.spans[i]
        if span.isModelCall && batch.isFramework(i) {
          // Its error, if any, is thrown when it is released, at the line of the span.
          let made = Result { try record(batch, span: i) }.mapError { e -> any Error in
            guard let e = e as? InputError, e.file == file.path, e.line == line else { return e }
            return JSONLayout.relocated(e, record: bytes, line: line, root: path ?? "$")
          }
          held.append((keys[i], made, traceSpan(batch, span: i)))
          if held.count - first > Self.heldFrameworkCalls {
            try release(held[first])
            first += 1
            if first > Self.heldFrameworkCalls {
              held.removeFirst(first)
              first = 0
            }
          }
          continue
        }
        if span.isModelCall {
          try emit(.record(record(batch, span: i)))
          noteAncestors(of: i, frameworks: false)
        }
        if let s = traceSpan(batch, span: i) { try emit(.span(s)) }
      }
    }
    for h in held[first...] { try release(h) }
  }

  /// A span's trace and span ids as one hash, for ``readItems(_:emit:)``'s wrappers across lines.
  private static func spanKey(trace: String, span: String) -> UInt64 {
    var h = Hasher()
    h.combine(trace)
    h.combine(span)
    // Hasher is seeded per process; the key lives only while one file is read.
    return UInt64(bitPattern: Int64(h.finalize()))
  }

  /// The span as ancestry keeps it; nil when it has no trace or span id to link by.
  private func traceSpan(_ batch: OTelBatch, span i: Int) -> TraceSpan? {
    let span = batch.spans[i]
    guard let traceID = span.traceID.nonBlank, let spanID = span.spanID.nonBlank else { return nil }
    let a = span.attributes
    let invoked = a.operation?.lowercased() == "invoke_agent" ? (a.genAIAgent.nonBlank ?? a.agent.nonBlank) : nil
    return TraceSpan(
      traceID: traceID, spanID: spanID, parentSpanID: span.parentSpanID.nonBlank, isModelCall: span.isModelCall,
      invokedAgent: invoked, own: Self.context(a), resource: Self.context(batch.resources[span.resource]))
  }

  /// The attributes a span or resource lends to the calls beneath it.
  private static func context(_ a: OTelAttributes) -> TraceSpan.Context {
    TraceSpan.Context(
      agentID: a.agent.nonBlank ?? a.genAIAgent.nonBlank, taskID: a.task.nonBlank,
      conversationID: a.conversation.nonBlank, scopeID: a.scope.nonBlank, credential: a.credential.nonBlank)
  }

  private func record(_ batch: OTelBatch, span i: Int) throws -> UsageRecord {
    let span = batch.spans[i]
    let a = span.attributes
    let resource = batch.resources[span.resource]
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: batch.file, line: batch.line, path: span.path, field: field, message: message)
    }
    guard let traceID = span.traceID.nonBlank else { throw bad("traceId", "required field is missing") }
    guard let spanID = span.spanID.nonBlank else { throw bad("spanId", "required field is missing") }
    guard let nanos = span.startNanos else { throw bad("startTimeUnixNano", "required field is missing") }
    guard nanos >= 0 else { throw bad("startTimeUnixNano", "is negative (\(nanos))") }
    guard Bounds.isPlausible(millis: nanos / 1_000_000) else {
      throw bad("startTimeUnixNano", "\(nanos) is out of bounds (not within the years 2000 to 2099)")
    }
    guard
      let rawProvider =
        (a.providerName ?? a.system ?? resource.providerName ?? resource.system ?? a.altProvider
        ?? resource.altProvider ?? a.altSystem ?? resource.altSystem).nonBlank
    else {
      throw bad("gen_ai.provider.name", "required attribute is missing (nor is gen_ai.system set)")
    }
    let modelName =
      a.responseModel.nonBlank ?? a.requestModel.nonBlank ?? a.altResponseModel.nonBlank ?? a.altModel.nonBlank
    // Strands Agents names no provider but itself; its Bedrock model ids say whose the call is.
    let strandsOnBedrock = Self.isStrands(rawProvider) && modelName.map(Self.isBedrockModelID) == true
    guard let provider = Self.provider(rawProvider) ?? (strandsOnBedrock ? .bedrock : nil) else {
      let name =
        a.providerName != nil || resource.providerName != nil
        ? "gen_ai.provider.name"
        : a.system != nil || resource.system != nil
          ? "gen_ai.system" : a.altProvider != nil || resource.altProvider != nil ? "llm.provider" : "llm.system"
      throw bad(
        name,
        "\"\(rawProvider)\" is not a provider we price (openai, anthropic, aws.bedrock, azure.ai.openai, gcp.vertex_ai, gcp.gemini)"
          + (Self.isFramework(rawProvider)
            ? "; it is a framework: instrument the provider's SDK too, whose span beneath this one names the provider"
              + (Self.isStrands(rawProvider) ? " (Strands Agents spans are read alone only for Bedrock model ids)" : "")
            : "")
      )
    }
    guard var model = modelName else {
      throw bad("gen_ai.request.model", "required attribute is missing (nor is gen_ai.response.model set)")
    }
    let failed = a.errorType.nonBlank != nil || span.statusError
    if !a.hasUsage && !failed {
      // A call that succeeded but reports no usage at all (opentelemetry-instrumentation-openai-v2
      // sets none on a stream unless the caller asked for `stream_options.include_usage`): its
      // tokens are unknown, not zero. It stays unpriced, with a finding, instead of a free call.
      let modifier = PriceModifiers.usageNotReported
      model = PriceModifiers.appending(model, modifier.name, modifier.value)
    }
    let inputName =
      a.inputTokens != nil
      ? "gen_ai.usage.input_tokens" : a.promptTokens != nil ? "gen_ai.usage.prompt_tokens" : "llm.token_count.prompt"
    var total = a.inputTokens ?? a.promptTokens ?? a.altPrompt ?? 0
    var cached = a.cacheRead ?? a.altCacheRead ?? 0
    var writes = a.cacheWrite ?? a.altCacheWrite ?? 0
    let apart = provider == .anthropic || provider == .bedrock || rawProvider.lowercased().contains("anthropic")
    if a.cacheRead == nil && a.cacheWrite == nil, let v = a.vercelInput(total: total, apart: apart) {
      // The Vercel AI SDK's split (``OTelAttributes/vercelInput(total:apart:)``), as a total
      // that includes its cache reads and writes, like the conventions'.
      (total, cached, writes) = (v.uncached + v.reads + v.writes, v.reads, v.writes)
    }
    if Self.inputExcludesCache(provider: provider, rawProvider: rawProvider, sdkName: resource.sdkName ?? a.sdkName) {
      total += cached + writes  // the conventions' total (counts are within 10^13: no overflow)
    }
    let output = a.outputTokens ?? a.completionTokens ?? a.altCompletion ?? 0
    for (name, v) in [
      (inputName, total), ("gen_ai.usage.cache_read.input_tokens", cached),
      ("gen_ai.usage.cache_creation.input_tokens", writes), ("gen_ai.usage.output_tokens", output),
    ] where v < 0 {
      throw bad(name, "is negative (\(v))")
    }
    guard total - cached - writes >= 0 else {
      throw bad(
        inputName, "\(total) is less than the cache reads (\(cached)) plus cache writes (\(writes)) it includes")
    }
    let tier: Tier
    switch (a.responseTier ?? a.requestTier)?.lowercased() {
    case nil, "", "default", "auto", "standard": tier = .standard
    case "flex": tier = .flex
    // OpenAI renamed priority processing "Fast" (2026-07) and takes `fast` for `priority`.
    case "priority", "scale", "fast": tier = .priority
    case "batch": tier = .batch
    case let other?:
      throw bad(
        a.responseTier != nil ? "openai.response.service_tier" : "openai.request.service_tier",
        "unknown service tier \"\(other)\"")
    }
    // The span's own values, else its resource's; ancestors are added once the trace is in the
    // store (TraceAncestry), which overwrites these.
    let own = Self.context(a)
    let res = Self.context(resource)
    let metadata = CallMetadata(
      agentID: own.agentID ?? res.agentID,
      taskID: own.taskID ?? res.taskID ?? own.conversationID ?? res.conversationID, scopeID: own.scopeID ?? res.scopeID,
      parentID: span.parentSpanID.nonBlank ?? a.parentRequest.nonBlank)
    var r = UsageRecord(
      provider: provider, level: .request, format: id, naturalKey: "otel:\(traceID):\(spanID)",
      requestID: a.responseID.nonBlank, time: nanos / 1_000_000, credential: own.credential ?? res.credential,
      model: model,
      tier: tier,
      tokens: TokenCounts(input: total - cached - writes, cachedInput: cached, cacheWrite5m: writes, output: output),
      failed: failed, errorCode: failed ? a.errorType.nonBlank : nil, metadata: metadata, line: batch.line,
      jsonPath: span.path)
    r.traceID = traceID
    r.spanID = spanID
    return r
  }
}

/// One span of an export, with the JSON path it was read from.
private struct OTelSpan {
  var traceID, spanID, parentSpanID: String?
  /// `startTimeUnixNano` (UTC epoch nanoseconds).
  var startNanos: Int64?
  var statusError = false
  /// Named as an agent's run (``OTelBatch/isAgentRunName(_:)``).
  var isAgentRun = false
  /// A framework's span around a model call that a span beneath it records
  /// (``OTelBatch/markFrameworkWrappers()``).
  var wrapsCall = false
  var attributes = OTelAttributes()
  /// Index of its resource in ``OTelBatch/resources``.
  var resource: Int
  var path: String

  /// True for a span that stands for a charged model call.
  var isModelCall: Bool {
    // The call is the provider's span beneath it: counted there, once, at the provider's price.
    if wrapsCall { return false }
    switch attributes.operation?.lowercased() {
    // Semantic Kernel's `chat.completions`, `text.completions` (its telemetry ADR, before the
    // conventions settled): its calls were read as no call, and dropped without a word.
    case "chat", "text_completion", "generate_content", "embeddings", "chat.completions", "text.completions":
      return true
    case "invoke_agent", "create_agent", "execute_tool", "invoke_workflow": return false
    default:
      // OpenInference (Arize) names the kind of every span: LLM and EMBEDDING spans are calls; its
      // chains, agents and tools are not, even when they carry token counts.
      if let kind = attributes.spanKind?.uppercased() { return kind == "LLM" || kind == "EMBEDDING" }
      // An agent's run with its calls' usage rolled up onto it, without an operation name (Pydantic
      // AI before it wrote `invoke_agent`): its calls are the spans beneath it.
      // A span named by its agent but naming no model of its own is such a run too.
      if isAgentRun { return false }
      let a = attributes
      if a.agentName != nil && a.requestModel == nil && a.responseModel == nil && a.altModel == nil
        && a.altResponseModel == nil
      {
        return false
      }
      return attributes.hasUsage
    }
  }
}

/// One OTLP export (one line): its spans in order, its resources' attributes, the parent map.
private struct OTelBatch {
  let file: String
  let line: Int
  let root: String
  var spans: [OTelSpan] = []
  var resources: [OTelAttributes] = []

  init(file: String, line: Int, root: String) {
    self.file = file
    self.line = line
    self.root = root
  }

  mutating func parse(_ b: UnsafeBufferPointer<UInt8>) throws {
    var s = JSONScanner(b)
    var field = ""
    var path = root
    do {
      try s.object { s, key in
        guard key.equals("resourceSpans") else { return }
        field = "resourceSpans"
        if try s.consumeNull() { return }
        try s.array { s in
          let r = resources.count
          resources.append(OTelAttributes())
          let rpath = "\(root).resourceSpans[\(r)]"
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
      try s.end()
    } catch let f as JSONScanner.Failure {
      throw JSONLayout.ingestError(
        f, field: field.isEmpty ? nil : field, file: file, line: line, path: path, record: b)
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
  mutating func markFrameworkWrappers() {
    let own = spans.indices.map(isFramework)
    guard own.contains(true) else { return }
    var byID: [String: Int] = [:]
    for (i, s) in spans.enumerated() {
      if let t = s.traceID, let id = s.spanID { byID[t + "/" + id] = i }
    }
    for (i, s) in spans.enumerated() where !own[i] && s.isModelCall {
      var parent = s.parentSpanID
      var steps = 0
      // Up the span's ancestors in this export (a bound on the walk: a cycle in bad input).
      while let p = parent, let t = s.traceID, let j = byID[t + "/" + p], steps < spans.count {
        if own[j] { spans[j].wrapsCall = true }
        parent = spans[j].parentSpanID
        steps += 1
      }
    }
  }

  /// An id as OTLP/JSON writes it, hex.
  ///
  /// An id in protobuf's own JSON mapping (base64: 24
  /// characters for a 16-byte trace id, 12 for an 8-byte span id, as `protojson` and some
  /// exporters write them) is made hex, so that the same span exported both ways is one call, and
  /// a parent finds its children (a trial's spans were charged twice). Any other text is as given.
  static func hexID(_ id: String?, bytes: Int) -> String? {
    guard let id, id.utf8.count == (bytes + 2) / 3 * 4, id.utf8.last == UInt8(ascii: "="),
      let data = Data(base64Encoded: id), data.count == bytes
    else { return id }
    return data.map { String(format: "%02x", $0) }.joined()
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
        span.isAgentRun = Self.isAgentRunName(try s.optionalString())
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
  private static func attributes(
    _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, into a: inout OTelAttributes, field: inout String
  ) throws {
    field = "attributes"
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
      let vb = UnsafeBufferPointer(rebasing: b[value])
      var v = JSONScanner(vb)
      if try v.consumeNull() { return }
      var text: String?
      try v.object { v, k in
        if k.equals("stringValue") || k.equals("intValue") || k.equals("doubleValue") {
          text = try JSONLayout.scalarText(&v, in: vb)
        }
      }
      if let text { try slot.assign(text, to: &a) }
    }
  }
}
