import ChargebackModel

// The formats whose large files are parsed on several threads, a chunk of lines each
// (``LineRecordFormat``): their JSON Lines, and nothing else they read.

extension BedrockInvocationLog: LineRecordFormat {
  /// JSON Lines, with or without CloudWatch's timestamp prefix: what ``read(_:emit:)`` reads line
  /// by line (not an Insights CSV, not a document).
  func lineLayout(head: [UInt8]) -> LineLayout? {
    Self.isInsightsCSV(head) ? nil : JSONLayout.lineLayout(head: head, timestampPrefix: true)
  }

  func record(
    _ record: UnsafeBufferPointer<UInt8>, file: String, line: Int, repeats: inout RepeatedStrings
  ) throws -> UsageRecord {
    try parse(record, file: file, line: line, path: nil, repeats: &repeats)
  }
}

extension LiteLLMSpendLogs: LineRecordFormat {
  /// JSON Lines of one row each: what ``read(_:emit:)`` reads line by line (not the CSV table, not
  /// API pages, not a document).
  func lineLayout(head: [UInt8]) -> LineLayout? {
    guard !CSVHeader.names(inHead: String(decoding: head, as: UTF8.self)).contains("request_id") else { return nil }
    return JSONLayout.lineLayout(head: head, arrayKey: "data")
  }

  func record(
    _ record: UnsafeBufferPointer<UInt8>, file: String, line: Int, repeats: inout RepeatedStrings
  ) throws -> UsageRecord {
    try jsonRecord(record, file: file, line: line, path: nil)
  }
}
