import ChargebackModel
import Foundation

/// One provider export format: how to recognise it and how to read it into ``UsageRecord``s.
///
/// Adding a format is one new file in `Ingest/Formats/` implementing this protocol, plus one entry
/// in ``FormatRegistry/all``.
package protocol ExportFormat: Sendable {
  /// Stable id, stored with every record (`bedrock-invocation-log`).
  var id: String { get }
  /// The level of the records it yields.
  var level: SourceLevel { get }
  /// Whether the first bytes of a (decompressed) file look like this format.
  func matches(head: String) -> Bool
  /// Reads every record of `file` and hands each to `emit`. Throws ``InputError`` on bad input.
  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws
  /// Reads every record and every span kept for trace ancestry (``TraceSpan``); formats without
  /// traces only emit records.
  func readItems(_ file: InputFile, emit: (consuming IngestItem) throws -> Void) throws
  /// The API pages of `file` and their links (``ExportPage``), for the bucketed exports that come
  /// in pages; none for the others.
  func pages(_ file: InputFile) -> [ExportPage]
  /// Whether its files come in API pages (``pages(_:)`` reads them).
  var comesInPages: Bool { get }
  /// The provider every record of the format names; nil when it varies (a gateway's, a trace's).
  var provider: Provider? { get }
}

/// A format that reads some of its files one record per line, each line read on its own, so that
/// a large file's lines can be parsed on several threads (``LineChunks``).
package protocol LineRecordFormat: ExportFormat {
  /// The layout ``ExportFormat/read(_:emit:)`` reads a file whose (decompressed) head is `head` in
  /// when it reads it one record per line; nil when it reads it otherwise.
  func lineLayout(head: [UInt8]) -> LineLayout?
  /// The record of one line, as ``ExportFormat/read(_:emit:)`` reads it: `record` is its bytes
  /// (``LineLayout/record(in:)``), `line` its 1-based number in `file`; `repeats` is the calling
  /// thread's own.
  func record(
    _ record: UnsafeBufferPointer<UInt8>, file: String, line: Int, repeats: inout RepeatedStrings
  ) throws -> UsageRecord
}

extension ExportFormat {
  /// Records only.
  package func readItems(_ file: InputFile, emit: (consuming IngestItem) throws -> Void) throws {
    // Each record handed on, not copied: `emit`'s values are consumed down to the store's batch.
    try read(file) { r in try emit(.record(r)) }
  }

  /// None: the format does not come in API pages.
  package func pages(_ file: InputFile) -> [ExportPage] { [] }

  package var comesInPages: Bool { false }

  /// Nil: records may name any provider.
  package var provider: Provider? { nil }
}

/// The formats `chargeback` knows, in detection order.
package enum FormatRegistry {
  /// Every known format.
  package static let all: [any ExportFormat] = [
    BedrockInvocationLog(),
    OpenAIUsageCompletions(), OpenAIUsageCompletions(endpoint: .embeddings), OpenAIUsageCSV(),
    LiteLLMSpendLogs(), OTelGenAISpans(), AzureAPIMLLMLog(), VertexGenerateContent(),
    // request-level formats (LiteLLM, OTel, Azure APIM, Vertex) go here
    AnthropicUsageReport(), AnthropicCostReport(), OpenAICosts(), OpenAICostsCSV(), AzureCostManagementExport(),
    GCPBillingExport(),
    // report- and cost-level formats (Anthropic, OpenAI costs, Azure cost, GCP billing) go here
  ]

  /// The format whose signature the head of `file` carries.
  package static func detect(_ file: InputFile, among formats: [any ExportFormat] = all) throws -> any ExportFormat {
    let first = try file.head(limit: headBytes)
    var head = String(decoding: first, as: UTF8.self)
    // Before the formats: a compressed file's literals may hold a format's signature in clear.
    if let kind = compressed(first) {
      throw InputError(file: file.path, line: 1, message: "unrecognised format: " + kind)
    }
    if let batch = batchOutput(first) {
      throw InputError(file: file.path, line: 1, message: "unrecognised format: " + batch)
    }
    if let f = formats.first(where: { $0.matches(head: head) }) { return f }
    if let longer = try longHead(of: file, after: first) {
      head = String(decoding: longer, as: UTF8.self)
      if let f = formats.first(where: { $0.matches(head: head) }) { return f }
    }
    let trimmed = head.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
    let hint = trimmed.isEmpty ? "the file is empty" : "no known export format matches its content"
    throw InputError(file: file.path, line: 1, message: "unrecognised format: \(hint)" + lookalike(head))
  }

  /// The compressions ``compressed(_:)`` names: magic bytes, name, and the command that undoes it
  /// (made once: the check runs for every file).
  private static let compressions: [(magic: [UInt8], name: String, tool: String)] = [
    ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstd -d"), ([0x42, 0x5A, 0x68], "bzip2", "bunzip2"),
    ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "unxz"), ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7-Zip", "7z x"),
    ([0x04, 0x22, 0x4D, 0x18], "LZ4", "lz4 -d"),
    ([0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50], "Snappy", "a Snappy tool"),
  ]

  /// What a file compressed other than with gzip is, and what to do; nil for any other file.
  ///
  /// By the compressors' magic bytes: such a file was "no known export format", which did not
  /// say that only its compression stood in the way (a trial's Collector file exporter, whose own
  /// compression is zstd).
  static func compressed(_ head: [UInt8]) -> String? {
    guard let k = compressions.first(where: { head.starts(with: $0.magic) }) else { return nil }
    // bzip2's "BZh" is followed by the block size, a digit 1 to 9: a text file may start "BZh".
    if k.name == "bzip2", head.count < 4 || !(UInt8(ascii: "1")...UInt8(ascii: "9")).contains(head[3]) { return nil }
    return "it is \(k.name)-compressed, which is not read (gzip is): decompress it first (\(k.tool))"
      + (k.name == "zstd" ? ", or turn off the compression of the OpenTelemetry Collector's file exporter" : "")
  }

  /// Bytes of a file read to find its format; ``longHeadBytes`` when no format matches them and
  /// the file goes on.
  static let headBytes = 65_536
  static let longHeadBytes = 16 << 20

  /// The first ``longHeadBytes`` of `file` when `head`, its first ``headBytes``, ends inside it;
  /// nil when the head is the whole file.
  ///
  /// A signature may lie past the head: a Bedrock record names its `schemaType` last, after inline
  /// bodies of up to 100 KB; a Vertex response names its `usageMetadata` after the answer's text;
  /// an OpenAI usage or costs page names its kind only in its results, after hours of empty
  /// 1-minute buckets. 16 MiB is what no first record or first bucket of a real export comes near.
  static func longHead(of file: InputFile, after head: [UInt8]) throws -> [UInt8]? {
    head.count == headBytes ? try file.head(limit: longHeadBytes) : nil
  }

  /// An OpenAI bucket page that no format matched: its head shows buckets but no whole result's
  /// object name (none yet, or one cut at the head's end).
  static func isBucketPageWithoutResults(_ head: String) -> Bool {
    head.contains("\"bucket\"") && head.contains("\"results\"") && head.contains("\"start_time\"")
  }

  /// What a batch job's output file is, when `head` is one, and why it is not read; nil otherwise.
  ///
  /// Its lines hold the responses a format reads (a Vertex batch's `response` is a
  /// `generateContent` response), so it matched that format and was refused for a field: a Vertex
  /// batch prediction output as `responseId: required field is missing`, a Bedrock batch output
  /// as raw Anthropic responses with the advice to read Anthropic's Admin API (trials).
  ///
  /// On the head's bytes: run for every file, `String.contains` over 64 KiB heads cost a
  /// millisecond a file, 6 s of CPU on a month of 5,000 small files.
  static func batchOutput(_ head: [UInt8]) -> String? {
    func has(_ text: StaticString) -> Bool { Self.contains(head, text) }
    if has("\"processed_time\""), has("\"request\""), has("\"response\""),
      has("\"usageMetadata\"") || has("\"usage_metadata\"")
    {
      return "it looks like a Vertex AI batch prediction output (request, response and processed_time per"
        + " line), which is not read: it names no caller, and its calls are billed at the batch rate (the GCP"
        + " billing export reconciles their cost; docs/formats.md)"
    }
    if has("\"modelInput\""), has("\"modelOutput\"") {
      return "it looks like an Amazon Bedrock batch inference output (recordId, modelInput and modelOutput per"
        + " line), which is not read: it names no caller and is billed at the batch rate; docs/formats.md lists"
        + " the Bedrock formats read"
    }
    return nil
  }

  /// Whether `bytes` hold `text`: `memchr` to each place of the text's second byte (its first is
  /// a quote, which JSON is full of), then a comparison.
  static func contains(_ bytes: [UInt8], _ text: StaticString) -> Bool {
    let n = text.utf8CodeUnitCount
    guard n >= 2, bytes.count >= n else { return false }
    return bytes.withUnsafeBufferPointer { h in
      guard let base = h.baseAddress else { return false }
      let anchor = Int32(text.utf8Start[1])
      var i = 1
      while i <= h.count - n + 1 {
        guard let hit = memchr(base + i, anchor, h.count - n + 2 - i) else { return false }
        let k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        if memcmp(base + k - 1, text.utf8Start, n) == 0 { return true }
        i = k + 1
      }
      return false
    }
  }

  /// What a file that no format matches seems to be, when it is a known near miss, and what to do.
  static func lookalike(_ head: String) -> String {
    if head.hasPrefix("PK\u{3}\u{4}") {
      return "; it is a zip file (an .xlsx workbook?), not an export: point --usage at the exports only (a"
        + " chargeback output folder is not an input)"
    }
    if head.hasPrefix("SQLite format 3\u{0}") {
      return "; it is an SQLite database (another chargeback store?), not an export: keep stores outside the"
        + " --usage folders (a run skips only its own --db)"
    }
    let columns = CSVHeader.names(inHead: head)
    if columns.contains("cost_centre")
      && (columns.contains("agent_id") || columns.contains("credential_id") || columns.contains("person_id"))
    {
      return "; it looks like a file of an identity directory: pass its folder as --identities, not --usage"
    }
    if columns.contains("PromptTokens") && columns.contains("CompletionTokens"),
      let time = columns.first(where: { $0.hasPrefix("TimeGenerated [") && $0 != "TimeGenerated [UTC]" })
    {
      return "; it looks like an Azure API Management LLM log exported from the Log Analytics portal with its"
        + " times in the portal's time zone (\(time)), which cannot be read as UTC: set the portal's display"
        + " time zone to UTC and export again"
    }
    if head.contains("BilledCost") && head.contains("ChargePeriodStart") {
      return "; it looks like a FOCUS cost export (an Azure or cloud FOCUS export), which is not read: export"
        + " the provider's own usage or cost format (docs/formats.md lists them)"
    }
    if head.contains("\"error\"") && head.contains("\"message\"") && head.count < 4096
      && (head.contains("\"type\"") || head.contains("\"code\""))
    {
      return "; it looks like an API's error response (`{\"error\": …}`), not a page of usage: the request that"
        + " saved it failed; fetch that page again and replace this file"
    }
    if isBucketPageWithoutResults(head) {
      if head.contains("\"organization.") {
        // The endpoint, from its results' object (`organization.usage.moderations.result`).
        var endpoint = ""
        if let r = head.range(of: "\"organization.usage.") {
          let name = head[r.upperBound...].prefix { $0 != "." && $0 != "\"" }
          if !name.isEmpty, name.count < 40 { endpoint = " (" + name + ")" }
        }
        return "; it looks like an OpenAI usage page of an endpoint the tool does not read\(endpoint): it reads"
          + " the completions and embeddings usage pages. That endpoint's spend shows in the costs pages"
          + " (/v1/organization/costs), which are read to reconcile the bill, not charged to cost centres"
          + " (docs/formats.md)"
      }
      return "; it looks like an OpenAI usage or costs page whose buckets hold no result in its first 16 MiB"
        + " (a page of empty buckets: nothing to charge; leave it out)"
    }
    if head.contains("\"messageType\"") && head.contains("\"logEvents\"") {
      return "; it looks like CloudWatch Logs subscription records (as Firehose delivers a log group to S3),"
        + " whose logEvents[].message each hold one record as text; they are not read: have Bedrock's model"
        + " invocation logging write to S3 itself, or export the log group (aws logs create-export-task, or a"
        + " Logs Insights query saved as CSV), which are read (docs/formats.md, Bedrock)"
    }
    // The same log as Log Analytics exports it (Export → CSV of an AzureDiagnostics query).
    let diagnosticsCSV =
      columns.contains("OperationName") && columns.contains("Category") && head.contains("RequestResponse")
    if diagnosticsCSV || (head.contains("\"RequestResponse\"") && head.contains("\"operationName\"")) {
      return "; it looks like the Azure OpenAI RequestResponse diagnostic log, which has no token counts and is"
        + " not read: export the APIM LLM log (ApiManagementGatewayLlmLog) for calls, or the Cost Management"
        + " export for cost (docs/formats.md, Azure)"
    }
    let metrics = [
      "ProcessedPromptTokens", "GeneratedTokens", "TokenTransaction", "AzureOpenAIRequests", "InputTokens",
    ]
    if head.contains("\"timeseries\""), metrics.contains(where: head.contains) {
      return "; it looks like Azure Monitor metrics (token counts per resource and time, with no caller), which"
        + " are not read: export the APIM LLM log (ApiManagementGatewayLlmLog) for calls, or the Cost Management"
        + " export for cost (docs/formats.md, Azure)"
    }
    let rawOpenAI = ["\"chat.completion\"", "\"object\": \"response\"", "\"object\":\"response\""]
    if head.contains("\"usage\""), rawOpenAI.contains(where: head.contains) {
      return "; it looks like raw OpenAI API responses, which are not read (they name no caller): read the"
        + " organisation's Usage API pages (/v1/organization/usage/completions, grouped by api_key_id) or a"
        + " gateway's logs (LiteLLM spend logs, OpenTelemetry GenAI spans; docs/formats.md)"
    }
    if head.contains("\"usage\""), head.contains("\"input_tokens\""),
      head.contains("\"type\": \"message\"") || head.contains("\"type\":\"message\"")
    {
      return "; it looks like raw Anthropic Messages responses, which are not read (they name no caller): read"
        + " the Admin API's usage report (/v1/organizations/usage_report/messages, grouped by api_key_id) or a"
        + " gateway's logs (LiteLLM spend logs, OpenTelemetry GenAI spans; docs/formats.md)"
    }
    if AnthropicUsageReport.isEnterpriseAnalytics(head) && JSONSupport.headHasKey(head, "uncached_input_tokens") {
      return "; it looks like the Claude Enterprise Analytics API's usage report (analytics/usage_report or"
        + " user_usage_report), which is not read: it counts claude.ai and Claude Code use under an Enterprise"
        + " plan by product and user, not API calls by key. API calls are in the Admin API's Messages usage"
        + " report (/v1/organizations/usage_report/messages, grouped by api_key_id), which is read"
        + " (docs/formats.md)"
    }
    if head.contains("\"core_metrics\"") && head.contains("\"model_breakdown\"") {
      return "; it looks like Anthropic's Claude Code usage report (usage_report/claude_code), which is not read:"
        + " it sums each user's or key's day with an estimated cost, and names no API key id. Claude Code's API"
        + " calls are in the Messages usage report (/v1/organizations/usage_report/messages, grouped by"
        + " api_key_id), which is read (docs/formats.md)"
    }
    if head.contains("\"request_created_at\"") && (head.contains("Helicone") || head.contains("\"request_model\"")) {
      return "; it looks like a Helicone request export, which is not read: send the calls through LiteLLM or"
        + " OpenTelemetry GenAI spans, or read the providers' usage reports (docs/formats.md)"
    }
    if head.contains("\"ai_org\"") && head.contains("\"req_units\"") {
      return "; it looks like a Portkey log export, which is not read: send the calls through LiteLLM or"
        + " OpenTelemetry GenAI spans, or read the providers' usage reports (docs/formats.md)"
    }
    if head.contains("\"PrimaryResult\"") || (head.contains("\"TableName\"") && head.contains("PromptTokens")) {
      return "; it looks like `az monitor log-analytics query` JSON, which is not read: export the"
        + " query result as CSV from the Log Analytics portal (docs/formats.md, Azure APIM LLM log)"
    }
    return ""
  }
}
