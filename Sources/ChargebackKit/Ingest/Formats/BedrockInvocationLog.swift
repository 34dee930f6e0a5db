import Foundation

/// AWS Bedrock model invocation logs: gzip JSON Lines, one call per line (FORMATS.md §3).
///
/// `inputTokenCount` excludes cache reads and writes (observed for Anthropic models and assumed
/// for all), so it maps to `input` as is. Cache writes are split by `usage.cacheDetails[].ttl` in a
/// logged Converse response when present, otherwise counted as 5-minute writes (SPEC §10).
struct BedrockInvocationLog: ExportFormat {
  let id = "bedrock-invocation-log"
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    head.contains("\"schemaType\"") && head.contains("ModelInvocationLog")
  }

  func read(_ file: InputFile, emit: (UsageRecord) throws -> Void) throws {
    try file.forEachLine { lineNo, bytes in
      let data = Data(buffer: bytes)
      let log = try JSONSupport.decode(Log.self, from: data, file: file.path, line: lineNo)
      try emit(record(log, file: file.path, line: lineNo))
    }
  }

  private func record(_ log: Log, file: String, line: Int) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> IngestError {
      IngestError(file: file, line: line, field: field, message: message)
    }
    guard let time = Timestamp.parseMillis(log.timestamp) else {
      throw bad("timestamp", "\"\(log.timestamp)\" is not an RFC 3339 timestamp")
    }
    guard !log.requestId.isEmpty else { throw bad("requestId", "is empty") }
    guard !log.modelId.isEmpty else { throw bad("modelId", "is empty") }
    var tokens = TokenCounts()
    tokens.input = log.input?.inputTokenCount ?? 0
    tokens.cachedInput = log.input?.cacheReadInputTokenCount ?? 0
    let cacheWrite = log.input?.cacheWriteInputTokenCount ?? 0
    let details = log.output?.outputBodyJson?.value?.usage?.cacheDetails ?? []
    let oneHour = details.filter { $0.ttl == "1h" }.reduce(Int64(0)) { $0 + ($1.inputTokens ?? 0) }
    tokens.cacheWrite1h = min(oneHour, cacheWrite)
    tokens.cacheWrite5m = cacheWrite - tokens.cacheWrite1h
    tokens.output = log.output?.outputTokenCount ?? 0
    for (name, v) in [
      ("input.inputTokenCount", tokens.input), ("input.cacheReadInputTokenCount", tokens.cachedInput),
      ("input.cacheWriteInputTokenCount", cacheWrite), ("output.outputTokenCount", tokens.output),
    ] where v < 0 {
      throw bad(name, "is negative (\(v))")
    }
    let status = log.status?.lowercased()
    let failed = log.errorCode != nil || (status != nil && status != "success" && status != "succeeded")
    return UsageRecord(
      provider: .bedrock, level: .request, format: id, naturalKey: "bedrock:" + log.requestId,
      requestID: log.requestId, time: time, credential: log.identity?.arn, project: log.accountId,
      model: log.modelId, tokens: tokens, failed: failed, errorCode: log.errorCode ?? (failed ? log.status : nil),
      metadata: log.requestMetadata?.callMetadata ?? CallMetadata(), line: line)
  }

  private struct Log: Decodable {
    let timestamp: String
    let accountId: String?
    let identity: Identity?
    let requestId: String
    let modelId: String
    let input: Input?
    let output: Output?
    let requestMetadata: StringMap?
    let errorCode: String?
    let status: String?
  }

  private struct Identity: Decodable {
    let arn: String?
  }

  private struct Input: Decodable {
    let inputTokenCount: Int64?
    let cacheReadInputTokenCount: Int64?
    let cacheWriteInputTokenCount: Int64?
  }

  private struct Output: Decodable {
    let outputTokenCount: Int64?
    let outputBodyJson: Lenient<Body>?
  }

  private struct Body: Decodable {
    let usage: Usage?
  }

  private struct Usage: Decodable {
    let cacheDetails: [CacheDetail]?
  }

  private struct CacheDetail: Decodable {
    let ttl: String?
    let inputTokens: Int64?
  }
}
