import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// AWS Bedrock model invocation logs: one record per call (docs/formats.md, "Bedrock invocation
/// logs").
///
/// Read as Bedrock delivers them: gzip JSON Lines from S3, CloudWatch Logs exports whose lines
/// start with a timestamp, and records pretty-printed over several lines (``JSONLayout``).
///
/// `inputTokenCount` excludes cache reads and writes (observed for Anthropic models and assumed
/// for all), so it maps to `input` as is. Cache writes are split by `usage.cacheDetails[].ttl` in a
/// logged Converse response when present, otherwise counted as 5-minute writes (SPEC §10).
/// Records are read with ``JSONScanner``: only the fields below are decoded, the request and response
/// bodies are skipped (but still checked to be well-formed). The request body's bytes, as written,
/// are hashed into ``UsageRecord/promptHash`` for retry fingerprints.
struct BedrockInvocationLog: ExportFormat {
  let id = "bedrock-invocation-log"
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    head.contains("\"schemaType\"") && head.contains("ModelInvocationLog")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    let head = try file.head()  // read once: the layout is decided from it too
    if Self.isInsightsCSV(head) { return try readInsightsCSV(file, emit: emit) }
    var repeats = RepeatedStrings()
    try JSONLayout.forEachRecord(in: file, head: head, timestampPrefix: true) { bytes, line, path in
      try emit(parse(bytes, file: file.path, line: line, path: path, repeats: &repeats))
    }
  }

  /// Whether the file is a CloudWatch Logs Insights result downloaded as CSV from the console: a
  /// header row of Insights fields (`@timestamp,@message`), each log record in `@message` (a header
  /// without it is refused when it is read, naming it).
  static func isInsightsCSV(_ head: [UInt8]) -> Bool {
    guard let first = head.firstIndex(where: { !JSONLayout.isBlank($0) }), head[first] == UInt8(ascii: "@") else {
      return false
    }
    let names = CSVHeader.names(inHead: String(decoding: head, as: UTF8.self))
    return !names.isEmpty && names.allSatisfy { $0.trimmingCharacters(in: .blanks).hasPrefix("@") }
  }

  /// Reads each row's `@message` as a log record; errors name the row's line and the field in the
  /// record, as for a log file.
  private func readInsightsCSV(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    var column: Int?
    var repeats = RepeatedStrings()
    try CSVStream.forEachRecord(in: file) { line, fields in
      guard let c = column else {
        column = fields.firstIndex { $0.trimmingCharacters(in: .blanks) == "@message" }
        guard column != nil else {
          throw InputError(
            file: file.path, line: line, field: "@message", message: "no column of the header is @message")
        }
        return
      }
      guard c < fields.count, !fields[c].allSatisfy(\.isWhitespace) else {
        throw InputError(file: file.path, line: line, field: "@message", message: "is empty: no log record in this row")
      }
      var message = fields[c]
      try message.withUTF8 { try emit(parse($0, file: file.path, line: line, path: nil, repeats: &repeats)) }
    }
  }

  /// The fields of one log line that we keep.
  private struct Fields {
    /// The timestamp, read from its bytes (``JSONScanner/optionalTimestamp()``).
    var time: Int64?
    /// The timestamp's text when ``time`` could not be read from its bytes (for the error that
    /// names it); "" when it was; nil when the record has none (or `null`).
    var timestamp: String?
    var accountID: String?
    var arn: String?
    var requestID: String?
    var modelID: String?
    var inputTokens: Int64?
    var cacheRead: Int64?
    var cacheWrite: Int64?
    var outputTokens: Int64?
    var oneHourWrites: Int64 = 0
    /// `serviceTier.type` and `performanceConfig.latency` of a logged Converse response.
    var serviceTier: String?
    var latency: String?
    /// `trace.promptRouter.invokedModelId` of a logged Converse response (or of a ConverseStream
    /// body's `metadata` event): the model a prompt router sent the call to.
    var routedModel: String?
    var metadata = CallMetadata()
    var errorCode: String?
    var status: String?
    var promptHash: String?
  }

  /// One record from its bytes; `line` and `path` say where it is, for errors and provenance.
  func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int, path: String? = nil) throws -> UsageRecord {
    var repeats = RepeatedStrings()
    return try parse(bytes, file: file, line: line, path: path, repeats: &repeats)
  }

  /// ``parse(_:file:line:path:)`` with the role ARN and model id read through `repeats`, kept for
  /// the file's records.
  func parse(
    _ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int, path: String?, repeats: inout RepeatedStrings
  ) throws -> UsageRecord {
    var f = Fields()
    var field = ""
    var s = JSONScanner(bytes)
    do {
      try s.object { s, key in
        if key.equals("timestamp") {
          field = "timestamp"
          if let t = try s.optionalTimestamp() { (f.time, f.timestamp) = (t.millis, t.text) }
        } else if key.equals("requestId") {
          field = "requestId"
          f.requestID = try s.optionalString()
        } else if key.equals("modelId") {
          field = "modelId"
          f.modelID = try s.optionalString(repeating: &repeats)
        } else if key.equals("accountId") {
          field = "accountId"
          f.accountID = try s.optionalString()
        } else if key.equals("errorCode") {
          field = "errorCode"
          f.errorCode = try s.optionalString()
        } else if key.equals("status") {
          field = "status"
          f.status = try s.optionalString()
        } else if key.equals("identity") {
          field = "identity"
          if try s.consumeNull() { return }
          try s.object { s, k in
            if k.equals("arn") {
              field = "identity.arn"
              f.arn = try s.optionalString(repeating: &repeats)
            }
          }
        } else if key.equals("input") {
          field = "input"
          if try s.consumeNull() { return }
          try s.object { s, k in
            if k.equals("inputTokenCount") {
              field = "input.inputTokenCount"
              f.inputTokens = try s.optionalCount()
            } else if k.equals("cacheReadInputTokenCount") {
              field = "input.cacheReadInputTokenCount"
              f.cacheRead = try s.optionalCount()
            } else if k.equals("cacheWriteInputTokenCount") {
              field = "input.cacheWriteInputTokenCount"
              f.cacheWrite = try s.optionalCount()
            } else if k.equals("inputBodyJson") {
              field = "input.inputBodyJson"
              if try s.consumeNull() { return }
              let start = s.i
              try s.skipValue()
              f.promptHash = Self.promptHash(UnsafeBufferPointer(rebasing: bytes[start..<s.i]))
            }
          }
        } else if key.equals("output") {
          field = "output"
          if try s.consumeNull() { return }
          try s.object { s, k in
            if k.equals("outputTokenCount") {
              field = "output.outputTokenCount"
              f.outputTokens = try s.optionalCount()
            } else if k.equals("outputBodyJson") {
              field = "output.outputBodyJson"
              try Self.readOutputBody(&s, into: &f, field: &field)
            }
          }
        } else if key.equals("requestMetadata") {
          field = "requestMetadata"
          if try s.consumeNull() { return }
          try s.object { s, k in
            guard s.next() == UInt8(ascii: "\"") else { return }
            guard let v = Self.trimmed(try s.string()) else { return }
            if k.equals("agent_id") {
              f.metadata.agentID = v
            } else if k.equals("task_id") {
              f.metadata.taskID = v
            } else if k.equals("scope_id") {
              f.metadata.scopeID = v
            } else if k.equals("parent_request_id") || (k.equals("parent_call_id") && f.metadata.parentID == nil) {
              f.metadata.parentID = v
            }
          }
        }
      }
      try s.end()
    } catch let failure as JSONScanner.Failure {
      throw JSONLayout.ingestError(failure, field: field, file: file, line: line, path: path, record: bytes)
    }
    return try record(f, file: file, line: line, path: path)
  }

  /// `value` trimmed as `trimmingCharacters(in: .blanks)` trims it (tabs and Unicode spaces),
  /// nil when nothing is left; Foundation is called only when an end may need trimming, since this
  /// runs for every metadata field of every call.
  static func trimmed(_ value: String) -> String? {
    guard let first = value.utf8.first, let last = value.utf8.last else { return nil }
    // ASCII at both ends and neither a space nor a tab: nothing to trim (a non-ASCII end may be a
    // Unicode space).
    if first < 0x80, last < 0x80, first != 32, first != 9, last != 32, last != 9 { return value }
    let t = value.trimmingCharacters(in: .blanks)
    return t.isEmpty ? nil : t
  }

  /// SHA-256 of a request body's bytes as written, truncated to 16 bytes, in hex: equal bodies give
  /// equal hashes.
  static func promptHash(_ body: UnsafeBufferPointer<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(32)
    for byte in SHA256.hash(data: UnsafeRawBufferPointer(body)).prefix(16) {
      hex.append(digits[Int(byte >> 4)])
      hex.append(digits[Int(byte & 15)])
    }
    return String(decoding: hex, as: UTF8.self)
  }

  /// Reads what a logged response body says beyond the counts.
  ///
  /// That is the 1-hour part of the cache writes, and the Converse response's `serviceTier.type` and
  /// `performanceConfig.latency` (the tier it was served at, which may differ from the one asked
  /// for). The 1-hour writes are the sum of `usage.cacheDetails[].inputTokens` with `ttl` "1h"
  /// (Converse), or Anthropic's `usage.cache_creation.ephemeral_1h_input_tokens` (InvokeModel with
  /// a Messages body); a streamed body is an array of events, whose `message_start` event carries
  /// that usage in `message`, and whose Converse `metadata` event in `metadata`. The body's shape is
  /// model-specific, so anything unexpected counts as none, but a number there must be a count
  /// within bounds.
  ///
  /// The sum stops at ``Bounds/tokens``: it is capped by the record's cache writes anyway, and a
  /// body of millions of entries cannot overflow it.
  private static func readOutputBody(_ s: inout JSONScanner, into f: inout Fields, field: inout String) throws {
    var total: Int64 = 0
    if s.next() == UInt8(ascii: "[") {
      var n = 0
      try s.array { s in
        defer { n += 1 }
        guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
        try s.object { s, k in
          let at = "output.outputBodyJson[\(n)]"
          if k.equals("usage") {
            try readUsage(&s, total: &total, field: &field, at: at + ".usage")
          } else if k.equals("message") || k.equals("metadata"), s.next() == UInt8(ascii: "{") {
            let inner = at + "." + String(decoding: k, as: UTF8.self)
            try s.object { s, k in
              if k.equals("trace") { return try readTrace(&s, into: &f) }
              guard k.equals("usage") else { return }
              try readUsage(&s, total: &total, field: &field, at: inner + ".usage")
            }
          }
        }
      }
      f.oneHourWrites = total
      return
    }
    guard s.next() == UInt8(ascii: "{") else { return }
    try s.object { s, k in
      if k.equals("serviceTier") || k.equals("performanceConfig"), s.next() == UInt8(ascii: "{") {
        let tier = k.equals("serviceTier")
        try s.object { s, k in
          guard k.equals(tier ? "type" : "latency"), s.next() == UInt8(ascii: "\"") else { return }
          let v = try s.string()
          if tier { f.serviceTier = v } else { f.latency = v }
        }
        return
      }
      if k.equals("trace") { return try readTrace(&s, into: &f) }
      guard k.equals("usage") else { return }
      try readUsage(&s, total: &total, field: &field, at: "output.outputBodyJson.usage")
    }
    f.oneHourWrites = total
  }

  /// Reads `promptRouter.invokedModelId` of a response's `trace` (any other shape says nothing).
  private static func readTrace(_ s: inout JSONScanner, into f: inout Fields) throws {
    guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
    try s.object { s, k in
      guard k.equals("promptRouter"), s.next() == UInt8(ascii: "{") else { return }
      try s.object { s, k in
        guard k.equals("invokedModelId"), s.next() == UInt8(ascii: "\"") else { return }
        f.routedModel = try s.string()
      }
    }
  }

  /// Adds the 1-hour cache writes of a body's `usage` object (at `at`) to `total`.
  private static func readUsage(_ s: inout JSONScanner, total: inout Int64, field: inout String, at: String) throws {
    func isNumber(_ c: UInt8?) -> Bool { c.map { $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) } ?? false }
    guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
    try s.object { s, k in
      if k.equals("cache_creation"), s.next() == UInt8(ascii: "{") {
        try s.object { s, k in
          guard k.equals("ephemeral_1h_input_tokens"), isNumber(s.next()) else { return }
          field = at + ".cache_creation.ephemeral_1h_input_tokens"
          total = min(total + (try s.optionalCount() ?? 0), Bounds.tokens)
        }
        return
      }
      guard k.equals("cacheDetails"), s.next() == UInt8(ascii: "[") else { return }
      var n = 0
      try s.array { s in
        defer { n += 1 }
        guard s.next() == UInt8(ascii: "{") else { return }
        var ttl: String?
        var tokens: Int64 = 0
        try s.object { s, k in
          if k.equals("ttl"), s.next() == UInt8(ascii: "\"") {
            ttl = try s.string()
          } else if k.equals("inputTokens"), isNumber(s.next()) {
            field = at + ".cacheDetails[\(n)].inputTokens"
            tokens = try s.optionalCount() ?? 0
          }
        }
        if ttl == "1h" { total = min(total + tokens, Bounds.tokens) }
      }
    }
  }

  private static let promptRouter = Array("prompt-router/".utf8)

  /// Whether a model id is a prompt router's (its ARN has `prompt-router/`).
  ///
  /// Compared byte by byte: Foundation's `contains` went through CFString for every record (perf,
  /// the 1 M friendly `ingest`: 3.7 % of all samples), and the standard library's generic
  /// `firstRange(of:)` on the UTF-8 view took longer still (its generic metadata look-ups).
  static func namesPromptRouter(_ model: String) -> Bool {
    let needle = promptRouter
    var model = model
    return model.withUTF8 { b in
      guard b.count >= needle.count else { return false }
      for start in 0...(b.count - needle.count) where b[start] == needle[0] {
        var n = 1
        while n < needle.count && b[start + n] == needle[n] { n += 1 }
        if n == needle.count { return true }
      }
      return false
    }
  }

  private func record(_ f: Fields, file: String, line: Int, path: String?) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    guard let stamp = f.timestamp else { throw bad("timestamp", "required field is missing") }
    guard let time = f.time ?? Timestamp.parseMillis(stamp) else {
      throw bad("timestamp", "\"\(stamp)\" is not an RFC 3339 timestamp")
    }
    guard let requestID = f.requestID else { throw bad("requestId", "required field is missing") }
    guard !requestID.isEmpty else { throw bad("requestId", "is empty") }
    guard var model = f.modelID else { throw bad("modelId", "required field is missing") }
    guard !model.isEmpty else { throw bad("modelId", "is empty") }
    // A prompt router's call is the call of the model it chose, which its response names: priced
    // as that model (no alias can price a router, which picks another model from call to call).
    if Self.namesPromptRouter(model), let routed = f.routedModel, !routed.isEmpty { model = routed }
    var tokens = TokenCounts()
    tokens.input = f.inputTokens ?? 0
    tokens.cachedInput = f.cacheRead ?? 0
    let cacheWrite = f.cacheWrite ?? 0
    tokens.cacheWrite1h = min(f.oneHourWrites, cacheWrite)
    tokens.cacheWrite5m = cacheWrite - tokens.cacheWrite1h
    tokens.output = f.outputTokens ?? 0
    // (The list of fields is built only for a record that has a negative count.)
    if min(tokens.input, tokens.cachedInput, cacheWrite, tokens.output) < 0 {
      for (name, v) in [
        ("input.inputTokenCount", tokens.input), ("input.cacheReadInputTokenCount", tokens.cachedInput),
        ("input.cacheWriteInputTokenCount", cacheWrite), ("output.outputTokenCount", tokens.output),
      ] where v < 0 {
        throw bad(name, "is negative (\(v))")
      }
    }
    // The response's tier (SPEC §10; docs/formats.md): `default` is standard. Any other (`reserved`
    // capacity, paid by its reservation; a tier AWS adds later) and latency-optimized inference
    // have prices the tables do not hold: the model is named with them (``PriceModifiers``), so
    // the call stays unpriced with a finding rather than charged at the standard rate, and a body
    // of a shape we do not know stops nothing.
    var tier = Tier.standard
    switch f.serviceTier?.lowercased() {
    case nil, "", "default", "standard": break
    case "priority": tier = .priority
    case "flex": tier = .flex
    case let other?: model = PriceModifiers.appending(model, "service_tier", other)
    }
    if let latency = f.latency?.lowercased(), latency != "standard", !latency.isEmpty {
      model = PriceModifiers.appending(model, "latency", latency)
    }
    let status = f.status?.lowercased()
    let failed = f.errorCode != nil || (status != nil && status != "success" && status != "succeeded")
    // Made as the result, every field given: a record built and then changed was copied on return
    // and the local destroyed (perf: a retain and a release of each string, per call).
    return UsageRecord(
      provider: .bedrock, level: .request, format: id, naturalKey: "bedrock:" + requestID,
      requestID: requestID, time: time, credential: f.arn, project: f.accountID, model: model, tier: tier,
      tokens: tokens,
      failed: failed, errorCode: f.errorCode ?? (failed ? f.status : nil), metadata: f.metadata, line: line,
      jsonPath: path, promptHash: f.promptHash)
  }
}
