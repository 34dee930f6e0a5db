import ChargebackModel
import Foundation

/// OpenAI Usage API `/v1/organization/usage/completions` pages (docs/formats.md, "OpenAI
/// usage/completions pages"), or `/v1/organization/usage/embeddings` pages ("OpenAI
/// usage/embeddings pages"): report level, one record per bucket × group-by values.
///
/// `input_tokens` includes cached and cache-write tokens, so both are subtracted to get `input`.
/// A file is one page, a JSON array of pages, or JSON Lines with one page per line; or the buckets
/// without their pages, as the cookbook's `completions_usage_api.ipynb` keeps them (the pages'
/// `data` arrays concatenated into one JSON array), one bucket, or JSON Lines of buckets.
///
/// The embeddings endpoint's results are the completions' without the output, cache, batch and
/// service-tier fields (`input_tokens`, `num_model_requests` and the `project_id`, `user_id`,
/// `api_key_id` and `model` group-by values): its rows are input tokens at the standard rate.
struct OpenAIUsageCompletions: ExportFormat {
  /// The usage endpoint whose pages are read.
  enum Endpoint: String, Sendable {
    case completions, embeddings
  }

  var endpoint = Endpoint.completions
  var id: String { "openai-usage-" + endpoint.rawValue }
  let level = SourceLevel.report
  var provider: Provider? { .openai }

  func pages(_ file: InputFile) -> [ExportPage] { PageLinks.pages(in: file) }
  var comesInPages: Bool { true }

  func matches(head: String) -> Bool {
    head.contains("organization.usage.\(endpoint.rawValue).result")
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    try JSONSupport.forEachBucket(Bucket.self, in: file) { bucket, path, line in
      try emitBucket(bucket, prefix: path, file: file.path, line: line, emit: emit)
    }
  }

  private func emitBucket(
    _ bucket: Bucket, prefix: String, file: String, line: Int?, emit: (consuming UsageRecord) throws -> Void
  ) throws {
    let rows = try bucket.results.enumerated().map { r, row in
      let v = Values(row.row, start: bucket.start_time, end: bucket.end_time)
      return (try record(v, format: id, file: file, line: line, path: "\(prefix).results[\(r)]"), row.members)
    }
    for record in try ReportRowMembers.checked(rows, file: file) { try emit(record) }
  }

  /// The `object` of the results this reader reads.
  static let readResults: Set<String> = [
    "organization.usage.completions.result", "organization.usage.embeddings.result",
  ]

  /// One usage row as a page's result gives it, or a row of the usage dashboard's CSV export
  /// (``OpenAIUsageCSV``): its bucket's start and end (UTC epoch seconds), counts and group-by values.
  struct Values {
    var start: Int64
    var end: Int64
    var object: String?
    var input: Int64?
    var output: Int64?
    var requests: Int64?
    var cached: Int64?
    var cacheWrite: Int64?
    var uncached: Int64?
    var inputAudio: Int64?
    var outputAudio: Int64?
    var projectID: String?
    var userID: String?
    var apiKeyID: String?
    var model: String?
    var batch: Bool?
    var serviceTier: String?
    var apiSource: String?
  }

  /// The record of one usage row; `format` is the reader's id, `path` the row's JSON path (none in
  /// a CSV file, whose `line` is the row's).
  func record(_ v: Values, format: String, file: String, line: Int?, path: String?) throws -> UsageRecord {
    func bad(_ field: String, _ message: String) -> InputError {
      InputError(file: file, line: line, path: path, field: field, message: message)
    }
    // A result of another endpoint (images, audio, moderations: counted in images, characters or
    // seconds) in a file led by a completions page had its tokens read as 0 and its requests
    // charged as a completions model's, or its input counted as tokens; alone, such a page is
    // refused as an endpoint the tool does not read, and so it is here.
    if let object = v.object, !Self.readResults.contains(object) {
      let endpoint = object.split(separator: ".").dropFirst(2).first.map { " (\($0))" } ?? ""
      throw bad(
        "object",
        "\"\(object)\" is a result of an OpenAI endpoint the tool does not read\(endpoint): it reads the"
          + " completions and embeddings usage and the costs pages; keep each endpoint's pages in files of their own"
          + " and leave this endpoint's out (docs/formats.md)")
    }
    // Every count is within 0…10^13 (CountJSON, OpenAIUsageCSV), so this arithmetic cannot overflow.
    let cached = v.cached ?? 0
    let cacheWrite = v.cacheWrite ?? 0
    let total = v.input ?? 0
    let uncached = total - cached - cacheWrite
    guard uncached >= 0 else {
      throw bad(
        "input_tokens", "\(total) is less than input_cached_tokens + input_cache_write_tokens (\(cached + cacheWrite))")
    }
    if let u = v.uncached, u != uncached, v.cacheWrite != nil {
      throw bad("input_uncached_tokens", "\(u) disagrees with input_tokens − cached − cache writes (\(uncached))")
    }
    let output = v.output ?? 0
    let requests = v.requests ?? 0
    if let problem = Bounds.countProblem(requests, max: Bounds.requests, unit: "requests") {
      throw bad("num_model_requests", problem)
    }
    let tier: Tier
    if v.batch == true {
      tier = .batch
    } else {
      switch v.serviceTier?.lowercased() {
      case nil, "default", "auto", "standard": tier = .standard
      case "flex": tier = .flex
      // OpenAI renamed priority processing "Fast" (2026-07) and takes `fast` for `priority`.
      case "priority", "scale", "fast": tier = .priority
      case let other?: throw bad("service_tier", "unknown service tier \"\(other)\"")
      }
    }
    guard let start = Bounds.millis(epochSeconds: v.start) else {
      throw bad("start_time", "is out of bounds (\(v.start) is not a time in the years 2000 to 2099)")
    }
    guard let end = Bounds.millis(epochSeconds: v.end, end: true) else {
      throw bad("end_time", "is out of bounds (\(v.end) is not a time in the years 2000 to 2099)")
    }
    guard end > start else {
      throw bad("end_time", "bucket ends (\(v.end)) before it starts (\(v.start))")
    }
    let model = v.model ?? ""
    // Audio tokens (inside input_tokens and output_tokens) have rates of their own, many times the
    // text rates: a row with any stays unpriced with a finding that says so, as Vertex's do
    // (PriceModifiers.audio), never charged at the text rates.
    let audio = (v.inputAudio ?? 0) > 0 || (v.outputAudio ?? 0) > 0
    let priced =
      audio && !model.isEmpty
      ? PriceModifiers.appending(model, PriceModifiers.audio.name, PriceModifiers.audio.value) : model
    // A completions row's key as it always was; an embeddings row's names its endpoint (a row of
    // each for one key, model and bucket are two rows). The row's own `object` says which, so a
    // page in a file led by the other endpoint's gets the same key as in a file of its own. A
    // dashboard CSV's row has the key of the page's row it copies: loaded both, they are one.
    let embeddings = v.object.map { $0.contains(".embeddings.") } ?? (endpoint == .embeddings)
    // `api_source` (a newer grouping) joins the key only when given, so that every other row keeps
    // the key stores already hold.
    let key = KeyParts.join(
      [
        "openai", embeddings ? "usage-embeddings" : "usage", String(v.start), String(v.end), v.projectID, v.userID,
        v.apiKeyID, model, v.batch.map { $0 ? "batch" : "sync" }, v.serviceTier,
      ] + (v.apiSource.map { ["api_source=" + $0] } ?? []))
    return UsageRecord(
      provider: .openai, level: .report, format: format, naturalKey: key, time: start,
      bucketEnd: end, credential: v.apiKeyID, project: v.projectID,
      model: priced, tier: tier,
      tokens: TokenCounts(
        input: uncached, cachedInput: cached, cacheWrite5m: cacheWrite, output: output),
      requests: requests, line: line, jsonPath: path)
  }

  private struct Bucket: Decodable {
    let start_time: Int64
    let end_time: Int64
    let results: [WithMembers<Result>]
  }

  // Field names as the API spells them.
  // swift-format-ignore: AlwaysUseLowerCamelCase
  fileprivate struct Result: MeasuredRow {
    let object: String?
    let input_tokens: CountJSON?
    let output_tokens: CountJSON?
    let num_model_requests: CountJSON?
    let input_cached_tokens: CountJSON?
    let input_cache_write_tokens: CountJSON?
    let input_uncached_tokens: CountJSON?
    let input_audio_tokens: CountJSON?
    let output_audio_tokens: CountJSON?
    let project_id: String?
    let user_id: String?
    let api_key_id: String?
    let model: String?
    let batch: Bool?
    let service_tier: String?
    let api_source: String?
  }
}

extension OpenAIUsageCompletions.Values {
  /// A page's result `row` in the bucket from `start` to `end`.
  fileprivate init(_ row: OpenAIUsageCompletions.Result, start: Int64, end: Int64) {
    self.init(
      start: start, end: end, object: row.object, input: row.input_tokens?.value, output: row.output_tokens?.value,
      requests: row.num_model_requests?.value, cached: row.input_cached_tokens?.value,
      cacheWrite: row.input_cache_write_tokens?.value, uncached: row.input_uncached_tokens?.value,
      inputAudio: row.input_audio_tokens?.value, outputAudio: row.output_audio_tokens?.value, projectID: row.project_id,
      userID: row.user_id, apiKeyID: row.api_key_id, model: row.model, batch: row.batch, serviceTier: row.service_tier,
      apiSource: row.api_source)
  }
}
