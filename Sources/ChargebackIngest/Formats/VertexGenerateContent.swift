import ChargebackModel
import Foundation

/// Gemini / Vertex AI `generateContent` responses with `usageMetadata`, as an application logs
/// them (docs/formats.md, "Vertex/Gemini generateContent"): one JSON object per line, one JSON
/// document, or a JSON array of them.
///
/// `promptTokenCount` includes `cachedContentTokenCount`, which is subtracted to get `input`;
/// `toolUsePromptTokenCount` (tool results fed back, outside `promptTokenCount`) is input too.
/// `thoughtsTokenCount` is billed as output and added to `candidatesTokenCount`. The time is
/// `createTime` (required: a response without one names no time to charge). `usageMetadata.trafficType`
/// gives the tier; `PROVISIONED_THROUGHPUT` is the standard tier with the record marked
/// `provisioned`, so that a `provisioned` commitment (SPEC §12) can cover it. Our metadata keys are read from a `labels` object logged with the response.
/// Consecutive objects with the same `responseId` (the chunks of a streamed response) are one
/// call: the last one, which carries the final counts, is kept.
struct VertexGenerateContent: ExportFormat {
  let id = UsageRecord.vertexResponseFormat
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    head.contains("\"usageMetadata\"")
      && (head.contains("\"promptTokenCount\"") || head.contains("\"candidatesTokenCount\"")
        || head.contains("\"responseId\""))
  }

  func read(_ file: InputFile, emit: (UsageRecord) throws -> Void) throws {
    var pending: UsageRecord?
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
      if let p = pending, p.naturalKey != r.naturalKey { try emit(p) }
      pending = r
    }
    if let pending { try emit(pending) }
  }

  private func record(_ v: VertexResponse, file: String, line: Int, path: String?) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    guard let responseID = v.responseID.nonBlank else { throw bad("responseId", "required field is missing") }
    guard let model = v.modelVersion.nonBlank else { throw bad("modelVersion", "required field is missing") }
    guard let stamp = v.createTime.nonBlank else {
      throw bad("createTime", "required field is missing: a response without a time cannot be charged")
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
    let tier: Tier
    let provisioned = v.trafficType?.uppercased() == "PROVISIONED_THROUGHPUT"
    switch v.trafficType?.uppercased() {
    case nil, "", "ON_DEMAND", "TRAFFIC_TYPE_UNSPECIFIED", "PROVISIONED_THROUGHPUT": tier = .standard
    case "ON_DEMAND_PRIORITY": tier = .priority
    case "ON_DEMAND_FLEX": tier = .flex
    case let other?: throw bad("usageMetadata.trafficType", "unknown traffic type \"\(other)\"")
    }
    var record = UsageRecord(
      provider: .vertex, level: .request, format: id, naturalKey: "vertex:" + responseID, requestID: responseID,
      time: time, model: model, tier: tier,
      tokens: TokenCounts(
        input: u.prompt - u.cached + u.toolUse, cachedInput: u.cached, output: u.candidates + u.thoughts),
      metadata: v.labels, line: line, jsonPath: path)
    record.provisioned = provisioned
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
  var trafficType: String?
  var usage = Usage()
  var labels = CallMetadata()

  mutating func parse(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
    try s.object { s, key in
      field = String(decoding: key, as: UTF8.self)
      if key.equals("responseId") {
        responseID = try s.optionalString()
      } else if key.equals("modelVersion") {
        modelVersion = try s.optionalString()
      } else if key.equals("createTime") {
        createTime = try s.optionalString()
      } else if key.equals("usageMetadata") {
        if try s.consumeNull() { return }
        try s.object { s, k in
          field = "usageMetadata." + String(decoding: k, as: UTF8.self)
          if k.equals("promptTokenCount") {
            usage.prompt = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("cachedContentTokenCount") {
            usage.cached = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("candidatesTokenCount") {
            usage.candidates = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("thoughtsTokenCount") {
            usage.thoughts = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("toolUsePromptTokenCount") {
            usage.toolUse = try JSONLayout.count(&s, in: b) ?? 0
          } else if k.equals("trafficType") {
            trafficType = try s.optionalString()
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
