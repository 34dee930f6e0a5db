import ChargebackModel
import ChargebackSupport
import Foundation

/// Azure API Management `ApiManagementGatewayLlmLog` rows exported as CSV (docs/formats.md,
/// "Azure APIM LLM log"): one record per LLM call through the APIM gateway, provider `azure`.
///
/// `PromptTokens` follows the OpenAI convention and so includes cached tokens, but the table has
/// no cached (or reasoning) counter, so all of it is charged as uncached `input`: an upper bound
/// when the deployment used prompt caching. `CompletionTokens` is `output`.
///
/// The log itself names no caller; the credential is `ApimSubscriptionId` when the export joins
/// `ApiManagementGatewayLogs` on `CorrelationId` (as docs/formats.md, "Azure APIM LLM log",
/// describes), and `_SubscriptionId` (the Azure subscription) is kept as the project, for
/// `project:<id>` credentials. A joined
/// `ResponseCode` of 400 or more marks a failed call. Messages over 32 KB are split into entries
/// with `SequenceNumber` > 0, which carry message text, not another call: they are skipped.
/// Log Analytics portal exports name the time column `TimeGenerated [UTC]` and may write
/// `9/1/2025, 10:15:42.512 AM`; both are accepted.
struct AzureAPIMLLMLog: ExportFormat {
  let id = "azure-apim-llm-log"
  let level = SourceLevel.request

  func matches(head: String) -> Bool {
    let columns = Set(CSVHeader.names(inHead: head).map(Self.column))
    return columns.isSuperset(of: ["PromptTokens", "CompletionTokens", "TimeGenerated"])
      && (columns.contains("RequestId") || columns.contains("CorrelationId"))
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    var header: CSVHeader?
    try CSVStream.forEachRecord(in: file) { line, fields in
      guard let h = header else {
        let h = CSVHeader(fields, normalise: Self.column)
        for c in ["TimeGenerated", "PromptTokens", "CompletionTokens"] where !h.has(c) {
          throw InputError(
            file: file.path, line: line, field: c, message: "required column is missing from the header")
        }
        guard h.has("RequestId") || h.has("CorrelationId") else {
          throw InputError(
            file: file.path, line: line, field: "RequestId", message: "required column is missing from the header")
        }
        header = h
        return
      }
      if let r = try record(fields, header: h, file: file.path, line: line) { try emit(r) }
    }
  }

  /// The record of one row; nil for a continuation entry of a split message.
  private func record(_ f: [String], header h: CSVHeader, file: String, line: Int) throws -> UsageRecord? {
    func bad(_ column: String, _ message: String) -> InputError {
      InputError(file: file, line: line, field: column, message: message)
    }
    func count(_ column: String, max: Int64 = Bounds.tokens, unit: String = "tokens") throws -> Int64? {
      guard let text = h.value(f, column) else { return nil }
      switch JSONLayout.parseCount(text, max: max, unit: unit) {
      case .success(let v): return v
      case .failure(let problem): throw bad(column, problem.message)
      }
    }
    if let seq = try count("SequenceNumber", max: Int64.max, unit: ""), seq > 0 { return nil }
    let requestID = h.value(f, "RequestId")
    guard let key = requestID ?? h.value(f, "CorrelationId") else {
      throw bad("RequestId", "required value is empty (and so is CorrelationId)")
    }
    guard let stamp = h.value(f, "TimeGenerated") else { throw bad("TimeGenerated", "required value is empty") }
    guard let time = Timestamp.parseMillis(stamp) ?? Self.portalMillis(stamp) else {
      // The portal writes its display language's dates: a day-first or dotted one (en-GB, de-DE) was
      // "not an ISO 8601 UTC time", beside US dates that were read (a trial).
      throw bad(
        "TimeGenerated",
        "\"\(stamp)\" is not a time read here: ISO 8601 UTC (2025-09-01T10:15:42.512Z), or the Log Analytics"
          + " portal's US form (9/1/2025, 10:15:42.512 AM). A portal in another language writes dates day first or"
          + " with dots, which cannot be told from US ones: export with the portal in English (United States), or"
          + " with the query's TimeGenerated as tostring(TimeGenerated)")
    }
    guard let model = h.value(f, "ModelName") ?? h.value(f, "DeploymentName") else {
      throw bad("ModelName", "required value is empty (and so is DeploymentName)")
    }
    let tokens = TokenCounts(input: try count("PromptTokens") ?? 0, output: try count("CompletionTokens") ?? 0)
    let code = h.value(f, "ResponseCode")
    let failed = code.flatMap { Int($0) }.map { $0 >= 400 } ?? false
    return UsageRecord(
      provider: .azure, level: .request, format: id, naturalKey: requestID.map { "azure:" + $0 } ?? "azure:apim:" + key,
      requestID: requestID ?? key, time: time, credential: h.value(f, "ApimSubscriptionId"),
      project: h.value(f, "_SubscriptionId"), model: model, tokens: tokens, failed: failed,
      errorCode: failed ? code : nil, line: line)
  }

  /// A header name without the ` [UTC]` suffix Log Analytics portal exports add.
  private static func column(_ name: String) -> String {
    name.hasSuffix(" [UTC]") ? String(name.dropLast(6)) : name
  }

  /// UTC epoch milliseconds of a Log Analytics portal time, `M/D/YYYY, h:mm:ss[.fff] AM|PM`
  /// (US format, UTC); nil for any other text.
  static func portalMillis(_ text: String) -> Int64? {
    let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
    guard parts.count == 3, ["AM", "PM"].contains(parts[2].uppercased()) else { return nil }
    let date = parts[0].split(separator: "/", omittingEmptySubsequences: false)
    let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
    guard date.count == 3, clock.count == 3, let month = Int64(date[0]), let day = Int64(date[1]),
      let year = Int64(date[2]), year >= 1970, let hour12 = Int64(clock[0]), (1...12).contains(hour12),
      let minute = Int64(clock[1]), (0..<60).contains(minute)
    else { return nil }
    let hour = hour12 % 12 + (parts[2].uppercased() == "PM" ? 12 : 0)
    let iso = String(format: "%04lld-%02lld-%02lldT%02lld:%02lld:", year, month, day, hour, minute) + clock[2] + "Z"
    return Timestamp.parseMillis(iso)
  }
}
