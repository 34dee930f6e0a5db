import ChargebackModel
import Foundation

/// LiteLLM proxy spend logs (docs/formats.md, "LiteLLM spend logs"): one record per proxied call.
///
/// A file is `/spend/logs` rows as a JSON array (or `/spend/logs/v2`'s `{"data":[…]}`); JSON Lines
/// (or one document, or an array) of rows, of the `SpendLogsPayload`s LiteLLM sends to Pub/Sub and
/// storage buckets, or of callback `StandardLoggingPayload`s; or the `LiteLLM_SpendLogs` table
/// exported as CSV. Nested objects (`metadata`, `request_tags`, `spend_logs_metadata`, …) may be
/// JSON or a string holding their JSON, as the logging payloads and CSV cells write them.
///
/// The record's provider is the upstream one (`custom_llm_provider`, SPEC §10); one we do not price
/// is kept as `other` with the model `<provider>/<model>`, and stays unpriced. The credential is
/// the hashed virtual key (`api_key`) under credential provider `litellm`, with the key's
/// `user_api_key_alias` as its alias. `prompt_tokens` includes the cache reads and, in most
/// releases, the cache writes found in `metadata.additional_usage_values` (or
/// `metadata.usage_object`, else `response.usage`), which are subtracted (``uncachedInput(prompt:cacheReads:cacheWrites:_:)``). A LiteLLM cache hit (`cache_hit`
/// true) never reached the provider and keeps no tokens.
struct LiteLLMSpendLogs: ExportFormat {
  let id = "litellm-spend-logs"
  let level = SourceLevel.request

  /// The uncached input of a call whose `prompt_tokens` is `prompt`.
  ///
  /// LiteLLM has written `prompt_tokens` two ways for Anthropic and Bedrock Converse calls: with
  /// the cache reads and writes in it (OpenAI's convention: before April 2025 and again in current
  /// releases), and, in the releases between (BerriAI/litellm PR 9838), with the cache reads only
  /// (BerriAI/litellm issues 11364, 15056: `prompt_tokens` 31 beside 1,253 cache writes, and
  /// `total_tokens` = prompt + completion). A row holds no version, so the count decides: when
  /// `prompt` is below reads + writes but not below the reads, the writes were not in it. A row of
  /// those releases whose uncached input is at least its cache writes cannot be told apart and is
  /// read with the writes in it (docs/formats.md says so). Below the reads, no convention fits: an error.
  static func uncachedInput(
    prompt: Int64, cacheReads: Int64, cacheWrites: Int64, _ bad: (String, String) -> InputError
  ) throws -> Int64 {
    let (withBoth, overflow) = prompt.subtractingReportingOverflow(cacheReads)
    guard !overflow, withBoth >= 0 else {
      throw bad("prompt_tokens", "\(prompt) is less than the cache reads (\(cacheReads)) it includes")
    }
    return withBoth >= cacheWrites ? withBoth - cacheWrites : withBoth
  }

  func matches(head: String) -> Bool {
    let columns = CSVHeader.names(inHead: head)
    if columns.isSuperset(of: ["request_id", "call_type", "startTime"]) { return true }
    // An OTLP export of LiteLLM's own spans may carry these names as attribute keys.
    return head.contains("\"call_type\"") && head.contains("\"startTime\"") && !head.contains("\"resourceSpans\"")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    let head = String(decoding: try file.head(), as: UTF8.self)
    if CSVHeader.names(inHead: head).contains("request_id") {
      return try readCSV(file, emit: emit)
    }
    try JSONLayout.forEachRecord(in: file, arrayKey: "data") { bytes, line, path in
      try emit(jsonRecord(bytes, file: file.path, line: line, path: path))
    }
  }

  /// The record of one row written as JSON.
  func jsonRecord(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int, path: String?) throws
    -> UsageRecord
  {
    var row = Row()
    var field = ""
    var s = JSONScanner(bytes)
    do {
      try row.parseRow(&s, bytes, field: &field)
      try s.end()
    } catch let f as JSONScanner.Failure {
      throw JSONLayout.ingestError(f, field: field, file: file, line: line, path: path, record: bytes)
    }
    return try record(row, file: file, line: line, path: path)
  }

  /// The `LiteLLM_SpendLogs` table as CSV (`\copy … CSV HEADER`): one row per record.
  private func readCSV(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    var header: CSVHeader?
    try CSVStream.forEachRecord(in: file) { line, fields in
      guard let h = header else {
        let h = CSVHeader(fields)
        for c in ["request_id", "startTime"] where !h.has(c) {
          throw InputError(
            file: file.path, line: line, field: c, message: "required column is missing from the header")
        }
        header = h
        return
      }
      var row = Row()
      row.requestID = h.value(fields, "request_id")
      row.apiKey = h.value(fields, "api_key")
      row.model = h.value(fields, "model")
      row.provider = h.value(fields, "custom_llm_provider")
      row.callType = h.value(fields, "call_type")
      row.status = h.value(fields, "status")
      row.start = h.value(fields, "startTime")
      row.alias = h.value(fields, "user_api_key_alias")
      row.cacheHit = h.value(fields, "cache_hit").map { ["true", "t", "1"].contains($0.lowercased()) } ?? false
      for (column, kp) in [
        ("prompt_tokens", \Row.promptTokens), ("completion_tokens", \Row.completionTokens),
        ("total_tokens", \Row.totalTokens),
      ] {
        guard let text = h.value(fields, column) else { continue }
        switch JSONLayout.parseCount(text) {
        case .success(let v): row[keyPath: kp] = v
        case .failure(let problem):
          throw InputError(file: file.path, line: line, field: column, message: problem.message)
        }
      }
      for column in ["metadata", "request_tags"] {
        guard var text = h.value(fields, column) else { continue }
        var field = column
        let shown = text.count > 40 ? text.prefix(40) + "…" : text
        try text.withUTF8 { b in
          var s = JSONScanner(b)
          if let c = s.next(), !Row.startsJSONValue(c) {
            throw InputError(file: file.path, line: line, field: column, message: "is not valid JSON (\"\(shown)\")")
          }
          do {
            if column == "metadata" {
              try row.readMetadata(&s, b, field: &field)
            } else {
              try row.readTags(&s, b, field: &field)
            }
            try s.end()
          } catch let f as JSONScanner.Failure {
            if case .malformed = f.kind {
              throw InputError(file: file.path, line: line, field: column, message: "is not valid JSON (\(f.message))")
            }
            throw JSONLayout.ingestError(f, field: field, file: file.path, line: line, path: nil)
          }
        }
      }
      try emit(record(row, file: file.path, line: line, path: nil))
    }
  }

  private func record(_ r: Row, file: String, line: Int, path: String?) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    guard let requestID = r.requestID.nonBlank ?? r.payloadID.nonBlank ?? r.callID.nonBlank else {
      throw bad("request_id", "required field is missing")
    }
    let status = (r.status.nonBlank ?? r.metadataStatus.nonBlank)?.lowercased()
    let failed = status == "failure" || status == "failed" || status == "error"
    // A call LiteLLM refused before choosing a provider (a budget exceeded, a key blocked) logs an
    // empty `custom_llm_provider` and often no model: kept as a failed call of provider `unknown`
    // (under `other`, unpriced), so that one refused call does not stop the month's file.
    let refused = failed && r.provider.nonBlank == nil && (r.promptTokens ?? 0) == 0 && (r.completionTokens ?? 0) == 0
    guard let rawProvider = r.provider.nonBlank ?? (refused ? "unknown" : nil) else {
      throw bad("custom_llm_provider", r.provider == nil ? "required field is missing" : "is empty")
    }
    guard var model = r.model.nonBlank ?? (refused ? "(none)" : nil) else {
      throw bad("model", "required field is missing")
    }
    let provider: Provider = Self.provider(rawProvider) ?? .other
    if provider != .other { model = Self.withoutRoute(model, rawProvider: rawProvider, provider: provider) }
    if provider == .other {
      // Kept, unpriced, under `other`; the model names the upstream so that it shows in every output.
      let prefix = rawProvider.lowercased() + "/"
      if !model.lowercased().hasPrefix(prefix) { model = prefix + model }
    }
    guard let start = r.start.nonBlank else { throw bad("startTime", "required field is missing") }
    guard let time = Self.millis(start) else {
      throw bad("startTime", "\"\(start)\" is neither an ISO 8601 time nor epoch seconds")
    }
    guard Bounds.isPlausible(millis: time) else {
      throw bad("startTime", "\"\(start)\" is out of bounds (not within the years 2000 to 2099)")
    }
    let prompt = r.promptTokens ?? 0
    let usage = r.usage.or(r.responseUsage)
    let output = Self.output(r, usage: usage, provider: provider, model: model)
    let cached = usage.cacheRead ?? usage.cachedDetail ?? 0
    let writes = usage.writes ?? 0
    for (name, v) in [
      ("prompt_tokens", prompt), ("completion_tokens", output),
      ("metadata.additional_usage_values.cache_read_input_tokens", cached),
      ("metadata.additional_usage_values.cache_creation_input_tokens", writes),
    ] where v < 0 {
      throw bad(name, "is negative (\(v))")
    }
    let uncached = try Self.uncachedInput(prompt: prompt, cacheReads: cached, cacheWrites: writes, bad)
    var tokens = TokenCounts(input: uncached, cachedInput: cached, output: output)
    tokens.cacheWrite1h = min(usage.writes1h ?? 0, writes)
    tokens.cacheWrite5m = writes - tokens.cacheWrite1h
    // Anthropic's web searches are billed per request (10 USD a thousand), beside the tokens; only
    // its price table has the rate (another provider's count would leave the whole call unpriced).
    tokens.webSearch = provider == .anthropic ? usage.webSearches ?? 0 : 0
    if r.cacheHit || (failed && Self.refusedByProvider(r.errorCode ?? r.topErrorCode)) { tokens = TokenCounts() }
    var metadata = r.metadata
    metadata.agentID = metadata.agentID ?? r.tags.agentID
    metadata.taskID = metadata.taskID ?? r.tags.taskID
    metadata.scopeID = metadata.scopeID ?? r.tags.scopeID
    metadata.parentID = metadata.parentID ?? r.tags.parentID
    var record = UsageRecord(
      provider: provider, level: .request, format: id, naturalKey: "litellm:" + requestID, requestID: requestID,
      time: time, credential: r.apiKey.nonBlank ?? r.keyHash.nonBlank, model: model,
      tier: Self.isBatch(r.callType) ? .batch : .standard, tokens: tokens,
      failed: failed, errorCode: failed ? (r.errorCode ?? r.topErrorCode ?? status) : nil, metadata: metadata,
      line: line, jsonPath: path)
    record.credentialProvider = "litellm"
    record.credentialAlias = r.alias.nonBlank ?? r.metadataAlias.nonBlank
    record.retries = r.retries
    return record
  }

  /// The call's output: `completion_tokens`, with a Gemini call's thoughts when they are apart.
  ///
  /// Gemini's API counts thinking tokens apart from its output and bills them as output. LiteLLM
  /// releases before BerriAI/litellm PR 10141 wrote `completion_tokens` without them (current ones
  /// add them, and give them again as `completion_tokens_details.reasoning_tokens`); a row holds no
  /// version, so its `total_tokens` decides: at least prompt + completion + reasoning, the
  /// thoughts were left out of the completion (a trial's 2.5 Flash row had been charged 200 output
  /// tokens of 1,000). Without a total, the completion is taken as it is.
  static func output(_ r: Row, usage: Row.Usage, provider: Provider, model: String) -> Int64 {
    let completion = r.completionTokens ?? 0
    guard provider == .vertex, model.lowercased().contains("gemini"), let reasoning = usage.reasoning, reasoning > 0,
      let total = r.totalTokens
    else { return completion }
    // Counts are within Bounds (10^13): no overflow.
    return total >= (r.promptTokens ?? 0) + completion + reasoning ? completion + reasoning : completion
  }

  /// Whether a failed call's error code is an HTTP status the provider refuses a request with
  /// before any model runs: 4xx but a timeout (408).
  ///
  /// Since BerriAI/litellm PR 37365, LiteLLM writes its own tokenizer's estimate of the input on a
  /// failed call's row (at 0 spend), for calls a provider may bill anyway (a timeout). A rate
  /// limit (429) or a request refused as invalid (400) is billed nothing: a trial's throttled row
  /// had been charged 5,000 input tokens.
  static func refusedByProvider(_ code: String?) -> Bool {
    guard let code, let status = Int(code.trimmingCharacters(in: .whitespaces)) else { return false }
    return (400..<500).contains(status) && status != 408
  }

  /// True for the call types of LiteLLM's batch API (`acreate_batch`, `aretrieve_batch`, …); not
  /// `batch_completion`, which makes ordinary calls in parallel.
  static func isBatch(_ callType: String?) -> Bool {
    guard let t = callType?.lowercased() else { return false }
    return t == "batch" || t.hasSuffix("_batch") || t.hasSuffix("_batches")
  }

  /// Our provider id for a LiteLLM `custom_llm_provider` (SPEC §10), nil when we ship no prices
  /// for it (the record is then kept under `other`).
  static func provider(_ raw: String) -> Provider? {
    let p = raw.lowercased()
    switch p {
    case "openai", "text-completion-openai": return .openai
    case "anthropic": return .anthropic
    case "azure", "azure_text", "azure_ai": return .azure
    case "vertex_ai", "vertex_ai_beta", "gemini": return .vertex
    default:
      if p.hasPrefix("bedrock") { return .bedrock }  // bedrock, bedrock_converse
      if p.hasPrefix("vertex_ai-") || p.hasPrefix("vertex_ai_") { return .vertex }  // vertex_ai-language-models, …
      return nil
    }
  }

  /// `model` without the routing prefixes of LiteLLM's model names.
  ///
  /// Those are its provider's own (`openai/gpt-4.1`, `azure/gpt-4o`, `anthropic/claude-…`) and
  /// Bedrock's routes (`bedrock/`, `converse/`, `invoke/`: `converse/us.anthropic.claude-…`), which
  /// a row's `model` can keep; with them, the call was unpriced (a trial). A name that is nothing
  /// but a prefix is kept.
  static func withoutRoute(_ model: String, rawProvider: String, provider: Provider) -> String {
    // On bytes, ASCII case ignored: a row's model is read once per call.
    guard model.utf8.contains(UInt8(ascii: "/")) else { return model }
    var prefixes = [Array(rawProvider.lowercased().utf8) + [UInt8(ascii: "/")]]
    if provider == .bedrock { prefixes += ["bedrock/", "converse/", "invoke/"].map { Array($0.utf8) } }
    let bytes = Array(model.utf8)
    var start = 0
    func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
    while let p = prefixes.first(where: { p in
      bytes.count - start > p.count && zip(bytes[start...], p).allSatisfy { lower($0) == $1 }
    }) {
      start += p.count
    }
    return start == 0 ? model : String(decoding: bytes[start...], as: UTF8.self)
  }

  /// UTC epoch milliseconds of a `startTime`: ISO 8601 (table and API rows; Postgres `+00`
  /// offsets too; BigQuery's `2026-04-19 09:20:46.847371 UTC`, a table exported from a BigQuery
  /// logging callback) or decimal epoch seconds (callback payloads), read exactly from the text.
  static func millis(_ text: String) -> Int64? {
    if let ms = epochSecondsMillis(text) { return ms }
    var t = text.hasSuffix(" UTC") ? String(text.dropLast(4)) : text
    let tail = t.suffix(3)
    if tail.count == 3, tail.first == "+" || tail.first == "-", tail.dropFirst().allSatisfy(\.isASCII),
      tail.dropFirst().allSatisfy(\.isNumber), t.dropLast(3).contains(Character(":"))
    {
      t += ":00"
    }
    return Timestamp.parseMillis(t)
  }

  /// `seconds[.fraction]` as epoch milliseconds, the fraction truncated to milliseconds; nil for
  /// any other text (an exponent, a sign, more than 12 integer digits).
  static func epochSecondsMillis(_ text: String) -> Int64? {
    let parts = text.utf8.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
    guard let whole = parts.first, (1...12).contains(whole.count), whole.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
      return nil
    }
    var ms: Int64 = 0
    for c in whole { ms = ms * 10 + Int64(c - 48) }
    ms *= 1000
    if parts.count == 2 {
      let fraction = parts[1]
      guard !fraction.isEmpty, fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
      var scale: Int64 = 100
      for c in fraction.prefix(3) {
        ms += Int64(c - 48) * scale
        scale /= 10
      }
    }
    return ms
  }
}
