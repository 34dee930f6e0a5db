import ChargebackModel

/// The page shape both Anthropic Admin reports share (`usage_report/messages` and `cost_report`):
/// `data[]` buckets with RFC 3339 `starting_at` / `ending_at` and `results[]` rows.
enum AnthropicReportPages {
  // Field names as the API spells them.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  private struct Bucket<Row: Decodable>: Decodable {
    let starting_at: String
    let ending_at: String?
    let results: [Row]
  }

  /// Emits the record `record` makes of every row of every page in `file`, given its bucket's start
  /// and end (UTC epoch ms), the line of its page (JSON Lines) and its JSON path; a bucket whose
  /// rows differ by a grouping the reader does not read is refused (``ReportRowMembers/checked(_:file:)``).
  ///
  /// The pages' buckets, or bare buckets: a paging loop that gathers each response's `data` saves
  /// the buckets without their pages, as OpenAI's cookbook does (a trial's file was refused,
  /// "`[0].data`: required field is missing").
  static func forEachRecord<Row: MeasuredRow>(
    _ type: Row.Type, in file: InputFile,
    record: (_ row: Row, _ start: Int64, _ end: Int64?, _ line: Int?, _ path: String) throws -> UsageRecord,
    emit: (consuming UsageRecord) throws -> Void
  ) throws {
    try JSONSupport.forEachBucket(Bucket<WithMembers<Row>>.self, in: file) { bucket, bucketPath, line in
      let (start, end) = try bucketTimes(
        bucket.starting_at, bucket.ending_at, file: file.path, line: line, path: bucketPath)
      let rows = try bucket.results.enumerated().map { r, row in
        (try record(row.row, start, end, line, "\(bucketPath).results[\(r)]"), row.members)
      }
      for r in try ReportRowMembers.checked(rows, file: file.path) { try emit(r) }
    }
  }

  /// A bucket's `starting_at` and `ending_at` (RFC 3339) as UTC epoch milliseconds; `ending_at` is
  /// optional but must follow the start when given.
  static func bucketTimes(_ startText: String, _ endText: String?, file: String, line: Int?, path: String) throws
    -> (Int64, Int64?)
  {
    guard let start = Timestamp.parseMillis(startText) else {
      throw InputError(
        file: file, line: line, path: path, field: "starting_at", message: "\"\(startText)\" is not an RFC 3339 time")
    }
    guard let endText else { return (start, nil) }
    guard let end = Timestamp.parseMillis(endText) else {
      throw InputError(
        file: file, line: line, path: path, field: "ending_at", message: "\"\(endText)\" is not an RFC 3339 time")
    }
    guard end > start else {
      throw InputError(
        file: file, line: line, path: path, field: "ending_at", message: "bucket ends (\(endText)) before it starts")
    }
    return (start, end)
  }
}
