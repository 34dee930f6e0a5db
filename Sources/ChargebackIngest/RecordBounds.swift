import ChargebackModel

/// The last check of every record a reader hands on, against ``Bounds``: token counts, requests,
/// retries, times and billed amounts within their plausible ranges.
///
/// The readers check each field where they read it and name it as the export does; this check
/// covers what they derive (`input` = prompt − cache reads − cache writes, …) and anything a reader
/// might miss, so that no record outside the bounds reaches the store, whatever the format.
package enum RecordBounds {
  /// Throws an ``InputError`` naming the record's line or path and the field out of bounds.
  package static func check(_ r: UsageRecord, file: String) throws {
    guard let (field, message) = r.boundsViolation else { return }
    let names = fieldNames[r.format]
    let named: String? =
      switch field {
      case "time": names?.time
      case "bucket_end": names?.end
      case "requests": names?.requests
      case "billed": names?.billed
      default: nil
      }
    throw InputError(file: file, line: r.line, path: r.jsonPath, field: named ?? field, message: message)
  }

  /// The export's own names of the time, bucket end, request count and billed amount, by format.
  private static let fieldNames: [String: (time: String, end: String?, requests: String?, billed: String?)] = [
    "bedrock-invocation-log": ("timestamp", nil, nil, nil),
    "litellm-spend-logs": ("startTime", nil, nil, nil),
    "otel-genai-spans": ("startTimeUnixNano", nil, nil, nil),
    "azure-apim-llm-log": ("TimeGenerated", nil, nil, nil),
    "vertex-generate-content": ("createTime", nil, nil, nil),
    "openai-usage-completions": ("start_time", "end_time", "num_model_requests", nil),
    "openai-usage-embeddings": ("start_time", "end_time", "num_model_requests", nil),
    "anthropic-usage-report": ("starting_at", "ending_at", nil, nil),
    "openai-costs": ("start_time", "end_time", nil, "amount.value"),
    "openai-usage-csv": ("start_time", "end_time", "num_model_requests", nil),
    "openai-costs-csv": ("start_time", "end_time", nil, "amount_value"),
    "anthropic-cost-report": ("starting_at", "ending_at", nil, "amount"),
    "azure-cost-export": ("Date", "Date", nil, "cost"),
    "gcp-billing-export": ("usage_start_time", "usage_end_time", nil, "cost"),
  ]
}
