import ChargebackModel
import Foundation

/// Gemini / Vertex AI `generateContent` responses with `usageMetadata`, as an application logs
/// them (docs/formats.md, "Vertex/Gemini generateContent"): one JSON object per line, one JSON
/// document, or a JSON array of them; with the REST API's camelCase keys or the snake_case ones
/// the google-genai SDK's `model_dump_json()` writes by default (`usage_metadata`,
/// `prompt_token_count`, …).
///
/// `promptTokenCount` includes `cachedContentTokenCount`, which is subtracted to get `input`;
/// `toolUsePromptTokenCount` (tool results fed back, outside `promptTokenCount`) is input too.
/// `thoughtsTokenCount` is billed as output and added to `candidatesTokenCount`. The time is
/// `createTime` (required: a response without one names no time to charge). `usageMetadata.trafficType`
/// gives the tier; `PROVISIONED_THROUGHPUT` is the standard tier with the record marked
/// `provisioned`, so that a `provisioned` commitment (SPEC §12) can cover it. Our metadata keys are read from a `labels` object logged with the response.
/// Objects with the same `responseId` (the chunks of a streamed response) are one call: the last
/// one, which carries the final counts, is kept. Chunks of concurrent streams may be logged
/// interleaved, so a stream stays open until its chunk with a `finishReason` (the last), or the
/// end of the file; before, only consecutive chunks were one call, and interleaved ones kept the
/// first, partial chunk (5 output tokens of 2,000) and refused the rest as conflicts.
struct VertexGenerateContent: ExportFormat {
  let id = UsageRecord.vertexResponseFormat
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    (head.contains("\"usageMetadata\"")
      && (head.contains("\"promptTokenCount\"") || head.contains("\"candidatesTokenCount\"")
        || head.contains("\"responseId\"")))
      || (head.contains("\"usage_metadata\"")
        && (head.contains("\"prompt_token_count\"") || head.contains("\"candidates_token_count\"")
          || head.contains("\"response_id\"")))
  }

  /// Streams left open at once, at most: past it, the one opened first is taken as ended (a log of
  /// responses without `finishReason` must not hold every response of the file in memory).
  static let openStreamLimit = 4_096

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    // Open streams by natural key: their latest chunk, and the order they opened in (the one opened
    // first is taken as ended when too many are open; the records come out as their streams end).
    var open: [String: (order: Int, record: UsageRecord)] = [:]
    var opened = 0
    // The keys in the order they opened; those closed since are skipped when met.
    var queue: [(key: String, order: Int)] = []
    var head = 0
    func close(_ key: String) throws {
      if let r = open.removeValue(forKey: key) { try emit(r.record) }
    }
    try JSONLayout.forEachRecord(in: file) { bytes, line, path in
      var response = VertexResponse()
      var field = ""
      var s = JSONScanner(bytes)
      do {
        try response.parse(&s, bytes, field: &field)
        try s.end()
      } catch let f as JSONScanner.Failure {
        throw JSONLayout.ingestError(f, field: field, file: file.path, line: line, path: path, record: bytes)
      }
      let r = try record(response, file: file.path, line: line, path: path)
      let order = open[r.naturalKey]?.order ?? opened
      if order == opened {
        opened += 1
        queue.append((r.naturalKey, order))
      }
      open[r.naturalKey] = (order, r)
      if response.finished { try close(r.naturalKey) }
      // Past the limit, the stream opened first is taken as ended.
      while open.count > Self.openStreamLimit && head < queue.count {
        let (key, order) = queue[head]
        head += 1
        if open[key]?.order == order { try close(key) }
      }
      // The queue keeps only open streams, rebuilt when it holds many more entries than streams
      // open (amortised: a rebuild follows at least 4,096 new entries): with every response
      // ending (a `finishReason` each), it held a key per response of the file.
      if queue.count - head > 2 * open.count + 4_096 {
        queue = queue[head...].filter { open[$0.key]?.order == $0.order }
        head = 0
      }
    }
    for (key, order) in queue[head...] where open[key]?.order == order { try close(key) }
  }

  private func record(_ v: VertexResponse, file: String, line: Int, path: String?) throws -> UsageRecord {
    // Named as the file spells its keys.
    func bad(_ field: String, _ message: String) -> InputError {
      let named = v.snakeCase ? String(field.flatMap { $0.isUppercase ? "_" + $0.lowercased() : String($0) }) : field
      return InputError(file: file, line: line, path: path, field: named, message: message)
    }
    guard let responseID = v.responseID.nonBlank else { throw bad("responseId", "required field is missing") }
    guard let model = v.modelVersion.nonBlank else { throw bad("modelVersion", "required field is missing") }
    guard let stamp = v.createTime.nonBlank else {
      // The Gemini API (generativelanguage.googleapis.com) returns no time; Vertex AI does.
      throw bad(
        "createTime",
        (v.createTimeNull ? "is null" : "required field is missing")
          + ": a response without a time cannot be charged (Gemini API responses carry none: log each with"
          + " the time of the call as createTime, RFC 3339, e.g. \"2026-10-05T10:00:00Z\")")
    }
    guard let time = Timestamp.parseMillis(stamp) else {
      throw bad("createTime", "\"\(stamp)\" is not an RFC 3339 timestamp")
    }
    let u = v.usage
    for (name, value) in [
      ("promptTokenCount", u.prompt), ("cachedContentTokenCount", u.cached), ("candidatesTokenCount", u.candidates),
      ("thoughtsTokenCount", u.thoughts), ("toolUsePromptTokenCount", u.toolUse),
    ] where value < 0 {
      throw bad("usageMetadata." + name, "is negative (\(value))")
    }
    guard u.prompt >= u.cached else {
      throw bad(
        "usageMetadata.promptTokenCount",
        "\(u.prompt) is less than the cachedContentTokenCount (\(u.cached)) it includes")
    }
    var tier: Tier
    let provisioned = v.trafficType?.uppercased() == "PROVISIONED_THROUGHPUT"
    switch v.trafficType?.uppercased() {
    case nil, "", "ON_DEMAND", "TRAFFIC_TYPE_UNSPECIFIED", "PROVISIONED_THROUGHPUT": tier = .standard
    case "ON_DEMAND_PRIORITY": tier = .priority
    case "ON_DEMAND_FLEX": tier = .flex
    case let other?: throw bad("usageMetadata.trafficType", "unknown traffic type \"\(other)\"")
    }
    // The Gemini API says the tier a call ran at in `serviceTier` (flex at half the standard rate,
    // priority at 1.75–2 times it); it was ignored, and flex calls were charged twice their cost.
    if let named = v.serviceTier?.uppercased(), !named.isEmpty {
      let served: Tier
      switch named.hasPrefix("SERVICE_TIER_") ? String(named.dropFirst("SERVICE_TIER_".count)) : named {
      case "STANDARD", "UNSPECIFIED", "DEFAULT": served = .standard
      case "FLEX": served = .flex
      case "PRIORITY": served = .priority
      default: throw bad("usageMetadata.serviceTier", "unknown service tier \"\(v.serviceTier ?? "")\"")
      }
      guard tier == .standard || served == .standard || served == tier else {
        throw bad(
          "usageMetadata.serviceTier",
          "\"\(v.serviceTier ?? "")\" contradicts the traffic type \"\(v.trafficType ?? "")\"")
      }
      if served != .standard {
        guard !provisioned else {
          throw bad(
            "usageMetadata.serviceTier",
            "\"\(v.serviceTier ?? "")\" contradicts the traffic type \"\(v.trafficType ?? "")\"")
        }
        tier = served
      }
    }
    // Audio has rates of its own: the call stays unpriced, with a finding saying so, until a price
    // row or alias names the model with the modifier (it was priced as text, 70 % under for audio
    // input to Gemini 2.5 Flash).
    let priced =
      v.audio ? PriceModifiers.appending(model, PriceModifiers.audio.name, PriceModifiers.audio.value) : model
    var record = UsageRecord(
      provider: .vertex, level: .request, format: id, naturalKey: "vertex:" + responseID, requestID: responseID,
      time: time, model: priced, tier: tier,
      tokens: TokenCounts(
        input: u.prompt - u.cached + u.toolUse, cachedInput: u.cached, output: u.candidates + u.thoughts),
      metadata: v.labels, line: line, jsonPath: path)
    record.provisioned = provisioned
    // A blocked prompt generated nothing: a failed call (it counts in retry storms, and shows in the
    // failed requests), charged whatever usage it reports.
    if let reason = v.blockReason {
      record.failed = true
      record.errorCode = reason
    }
    return record
  }
}

/// The fields of one logged response that we keep.
private struct VertexResponse {
  /// `usageMetadata` counters (tokens); absent counts are zero.
  struct Usage {
    var prompt: Int64 = 0
    var cached: Int64 = 0
    var candidates: Int64 = 0
    var thoughts: Int64 = 0
    var toolUse: Int64 = 0
  }

  var responseID: String?
  var modelVersion: String?
  var createTime: String?
  /// True when the response's keys are snake_case (the SDK's dump), for the names in errors.
  var snakeCase = false
  /// True when `createTime` is present as null (a Gemini API response, which carries no time).
  var createTimeNull = false
  var trafficType: String?
  /// `usageMetadata.serviceTier` of a Gemini API response (`standard`, `flex`, `priority`).
  var serviceTier: String?
  var usage = Usage()
  var labels = CallMetadata()
  /// True when a candidate has a `finishReason`: the response's last chunk, or a whole response.
  var finished = false
  /// True when the usage's details count tokens of modality `AUDIO`.
  var audio = false
  /// `promptFeedback.blockReason`: the prompt was blocked (a safety filter, Model Armor) and no
  /// candidate was generated; nil when it was not.
  var blockReason: String?

  /// Whether a `…TokensDetails` list (`[{"modality": "AUDIO", "tokenCount": 12}, …]`) counts audio.
  private static func hasAudio(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>) throws -> Bool {
    guard s.next() == UInt8(ascii: "[") else {
      try s.skipValue()
      return false
    }
    var found = false
    try s.array { s in
      guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
      var modality: String?
      var count: Int64 = 0
      try s.object { s, k in
        if k.equals("modality") {
          modality = try s.optionalString()
        } else if k.equals("tokenCount", or: "token_count") {
          count = try JSONLayout.count(&s, in: b) ?? 0
        } else {
          try s.skipValue()
        }
      }
      if modality?.uppercased() == "AUDIO" && count > 0 { found = true }
    }
    return found
  }

  mutating func parse(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
    try s.object { s, key in
      field = String(decoding: key, as: UTF8.self)
      if key.equals("response_id") || key.equals("model_version") || key.equals("create_time")
        || key.equals("usage_metadata")
      {
        snakeCase = true
      }
      if key.equals("responseId", or: "response_id") {
        responseID = try s.optionalString()
      } else if key.equals("modelVersion", or: "model_version") {
        modelVersion = try s.optionalString()
      } else if key.equals("createTime", or: "create_time") {
        createTimeNull = try s.consumeNull()
        if !createTimeNull { createTime = try s.optionalString() }
      } else if key.equals("usageMetadata", or: "usage_metadata") {
        if try s.consumeNull() { return }
        let parent = field
        try s.object { s, k in
          field = parent + "." + String(decoding: k, as: UTF8.self)
          if k.equals("promptTokenCount", or: "prompt_token_count") {
            usage.prompt = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("cachedContentTokenCount", or: "cached_content_token_count") {
            usage.cached = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("candidatesTokenCount", or: "candidates_token_count") {
            usage.candidates = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("thoughtsTokenCount", or: "thoughts_token_count") {
            usage.thoughts = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("toolUsePromptTokenCount", or: "tool_use_prompt_token_count") {
            usage.toolUse = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("trafficType", or: "traffic_type") {
            trafficType = try s.optionalString()
          } else if k.equals("serviceTier", or: "service_tier") {
            serviceTier = try s.optionalString()
          } else if k.equals("promptTokensDetails", or: "prompt_tokens_details")
            || k.equals("candidatesTokensDetails", or: "candidates_tokens_details")
            || k.equals("toolUsePromptTokensDetails", or: "tool_use_prompt_tokens_details")
          {
            if try Self.hasAudio(&s, b) { audio = true }
          }
        }
      } else if key.equals("candidates") {
        guard s.next() == UInt8(ascii: "[") else { return try s.skipValue() }
        try s.array { s in
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("finishReason", or: "finish_reason"), s.next() == UInt8(ascii: "\"") else {
              return try s.skipValue()
            }
            let reason = try s.string()
            if !reason.isEmpty && reason != "FINISH_REASON_UNSPECIFIED" { finished = true }
          }
        }
      } else if key.equals("promptFeedback", or: "prompt_feedback") {
        guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
        try s.object { s, k in
          guard k.equals("blockReason", or: "block_reason"), s.next() == UInt8(ascii: "\"") else {
            return try s.skipValue()
          }
          let reason = try s.string()
          if !reason.isEmpty && reason != "BLOCKED_REASON_UNSPECIFIED" {
            blockReason = reason
            finished = true  // a blocked prompt's response is whole: nothing follows it
          }
        }
      } else if key.equals("labels") {
        guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
        try s.object { s, k in
          guard s.next() == UInt8(ascii: "\"") else { return try s.skipValue() }
          guard let v = try Optional(s.string()).nonBlank else { return }
          if k.equals("agent_id") {
            labels.agentID = v
          } else if k.equals("task_id") {
            labels.taskID = v
          } else if k.equals("scope_id") {
            labels.scopeID = v
          } else if k.equals("parent_request_id") || (k.equals("parent_call_id") && labels.parentID == nil) {
            labels.parentID = v
          }
        }
      }
    }
  }
}

extension UnsafeBufferPointer<UInt8> {
  /// True when the key is `camel` (the REST API's JSON) or `snake` (the google-genai SDK's
  /// `model_dump_json()`, whose default writes the fields' Python names).
  fileprivate func equals(_ camel: StaticString, or snake: StaticString) -> Bool {
    equals(camel) || equals(snake)
  }
}
