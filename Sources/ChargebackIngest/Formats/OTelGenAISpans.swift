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
    // Tempo's trace download names the list `batches` (``OTelBatch/parse(_:)``).
    head.contains("\"resourceSpans\"")
      || (head.contains("\"batches\"")
        && (head.contains("\"scopeSpans\"") || head.contains("\"instrumentationLibrarySpans\"")))
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
    // Of those, the ancestors of calls that report usage, and whether every such call names a
    // response id: a call span among them, on a later line, is a second instrumentation's span of
    // the same call (``OTelBatch/markFrameworkWrappers()``).
    var countedParents: [UInt64: Bool] = [:]
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
      // The call spans as read, before any is found a wrapper (``OTelBatch/nearestCall(above:calls:)``).
      let calls = batch.spans.indices.map { batch.spans[$0].isModelCall }
      batch.markFrameworkWrappers()
      func key(_ i: Int) -> UInt64? {
        batch.spans[i].traceID.flatMap { t in batch.spans[i].spanID.map { Self.spanKey(trace: t, span: $0) } }
      }
      // Only the first ancestor outside the export is noted (a wrapper there is on another line):
      // those within it were marked by markFrameworkWrappers, and noting every call's parent made
      // memory grow with the calls.
      func note(_ outside: (trace: String, span: String)?, counted: Bool, identified: Bool) {
        guard let outside else { return }
        let k = Self.spanKey(trace: outside.trace, span: outside.span)
        callParents.insert(k)
        if counted { countedParents[k] = (countedParents[k] ?? true) && identified }
      }
      // A span here that an earlier line's call named as its ancestor: its ancestors here are the
      // call's too (a provider's call, its agent loop's span and the framework's span on two lines),
      // and it and they are wrappers, not calls, when frameworks' spans, or calls over a call that
      // reports usage.
      if !callParents.isEmpty {
        for i in batch.spans.indices {
          guard let k = key(i), callParents.contains(k) else { continue }
          let identified = countedParents[k]
          for j in batch.markWrappers(
            above: i, counted: identified != nil, identified: identified ?? false, calls: calls)
          {
            if let kj = key(j) { callParents.insert(kj) }
          }
          // The call beneath still looks for its nearest call above when nothing here is one or
          // stands between (a chain's span between them).
          note(
            batch.walkAncestors(of: i) { _ in },
            counted: identified != nil && batch.nearestCall(atOrAbove: i, calls: calls) == .outside,
            identified: identified ?? false)
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
          held.append((key(i), made, traceSpan(batch, span: i)))
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
          // Counted for the line of its nearest call above only when nothing here stands between.
          note(
            batch.walkAncestors(of: i) { _ in },
            counted: span.attributes.reportsTokens && batch.nearestCall(above: i, calls: calls) == .outside,
            identified: span.attributes.responseID.nonBlank != nil)
        }
        if let s = traceSpan(batch, span: i) { try emit(.span(s)) }
      }
    }
    for h in held[first...] { try release(h) }
  }

  /// Claude Code's flat usage (``OTelAttributes/flatInput``) as the conventions' attributes,
  /// unless the span gives those too.
  ///
  /// Claude Code (2.1, its beta tracing) writes no `gen_ai.usage.*` on its `claude_code.llm_request`
  /// spans but the Anthropic API's counts under bare names: `input_tokens` without the cache,
  /// `cache_read_tokens`, `cache_creation_tokens` (written for five minutes: the span does not
  /// split them by lifetime) and `output_tokens`. A trial's spans were read as no call and charged
  /// nothing. The input here is the conventions' (the cache included); `request_id` is the
  /// response id the store tells copies of a call apart by.
  static func claudeCodeUsage(_ a: inout OTelAttributes, bad: (String, String) -> InputError) throws {
    guard a.inputTokens == nil, a.promptTokens == nil, a.outputTokens == nil, a.completionTokens == nil else { return }
    if let (key, problem) = a.flatProblem { throw bad(key, problem) }
    func count(_ text: String?, _ name: String) throws -> Int64 {
      guard let text else { return 0 }
      switch JSONLayout.parseCount(text) {
      case .success(let v): return v
      case .failure(let problem): throw bad(name, problem.message)
      }
    }
    let input = try count(a.flatInput, "input_tokens")
    let reads = try count(a.flatCacheRead, "cache_read_tokens")
    let writes = try count(a.flatCacheWrite, "cache_creation_tokens")
    // Counts are within Bounds (10^13): no overflow.
    a.inputTokens = input + reads + writes
    a.cacheRead = a.cacheRead ?? reads
    a.cacheWrite = a.cacheWrite ?? writes
    a.outputTokens = try count(a.flatOutput, "output_tokens")
    a.responseID = a.responseID.nonBlank ?? a.flatRequestID.nonBlank
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
    var a = span.attributes
    let resource = batch.resources[span.resource]
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: batch.file, line: batch.line, path: span.path, field: field, message: message)
    }
    if a.hasClaudeCodeUsage { try Self.claudeCodeUsage(&a, bad: bad) }
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
    guard
      let provider = Self.bedrockByModel(rawProvider, model: modelName) ?? Self.provider(rawProvider)
        ?? (strandsOnBedrock ? .bedrock : nil)
    else {
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
    let failed =
      a.errorType.nonBlank != nil || span.statusError || (a.claudeCode && a.flatSuccess?.lowercased() == "false")
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
    var output = a.outputTokens ?? a.completionTokens ?? a.altCompletion ?? 0
    output = Self.geminiOutput(
      a, output: output, input: a.inputTokens ?? a.promptTokens ?? a.altPrompt ?? 0, provider: provider, model: model,
      sdkName: resource.sdkName ?? a.sdkName)
    var writes1h: Int64 = 0
    if let raw = a.rawUsage() {
      // The provider's own usage object, which says how its API counts the cache
      // (``OTelAttributes/rawUsage()``): it wins over the scalar attributes.
      (total, cached, writes, writes1h, output) =
        (raw.total, raw.cacheRead, raw.cacheWrite5m + raw.cacheWrite1h, raw.cacheWrite1h, raw.output)
    }
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
      tokens: TokenCounts(
        input: total - cached - writes, cachedInput: cached, cacheWrite5m: writes - writes1h, cacheWrite1h: writes1h,
        output: output),
      failed: failed, errorCode: failed ? a.errorType.nonBlank : nil, metadata: metadata, line: batch.line,
      jsonPath: span.path)
    r.traceID = traceID
    r.spanID = spanID
    return r
  }
}
