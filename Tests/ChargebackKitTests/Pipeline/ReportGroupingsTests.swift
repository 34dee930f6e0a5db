import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Usage report buckets loaded twice under keys that never meet are named.
///
/// Found by two trials: the same OpenAI buckets fetched
/// with other `group_by` values (both charged, 2,115 requests as 4,230), and daily buckets fetched from midnight and
/// again from 07:00. The report warns, naming the files, and counts them in the manifest; a query of another project,
/// and pages of one grouping split over files, are not taken for the same usage.
@Suite struct ReportGroupingsTests {
  typealias B = BucketWidthTests

  static let day = B.epoch("2026-10-05T00:00:00Z")

  /// One result of 10 requests, its group-by values as given (nil: not grouped by, null in the API's answer).
  static func result(project: String?, key: String?, model: String?, batch: Bool?, tier: String?) -> String {
    func text(_ v: String?) -> String { v.map { "\"\($0)\"" } ?? "null" }
    return """
      {"object": "organization.usage.completions.result", "input_tokens": 100000, "output_tokens": 1000, \
      "num_model_requests": 10, "input_cached_tokens": 0, "project_id": \(text(project)), "user_id": null, \
      "api_key_id": \(text(key)), "model": \(text(model)), "batch": \(batch.map(String.init) ?? "null"), \
      "service_tier": \(text(tier))}
      """
  }

  /// Writes each file's page of one bucket (`start`…`end`, epoch seconds) and reports the month.
  static func report(_ files: [(name: String, start: Int64, end: Int64, results: [String])]) throws -> (
    ChargebackReport, [String]
  ) {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    var paths: [String] = []
    for f in files {
      let path = dir + "/usage/" + f.name
      try B.openAIPage([(f.start, f.end, f.results)]).write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    let store = try B.ingest(paths, dir)
    return (try B.report(store, dir), paths)
  }

  static let full = result(project: "proj_1", key: "key_A", model: "gpt-4.1-mini", batch: false, tier: "default")

  /// The dashboard's CSV of a bucket grouped by model only, beside the page grouped by key, is named.
  ///
  /// The same usage, both charged; named as two pages would be (a review: nothing was said, 16 requests
  /// charged for 8). The CSV grouped as the page is, its rows are the page's (one key): nothing named.
  @Test(arguments: [(",,,gpt-4.1-mini,,", 1), ("proj_1,,key_A,gpt-4.1-mini,FALSE,default", 0)])
  func aDashboardCSVGroupedOtherwiseThanThePageIsNamed(groups: String, named: Int64) throws {
    let dir = try TestSupport.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let page = dir + "/usage/page.json"
    try B.openAIPage([(Self.day, Self.day + 86_400, [Self.full])]).write(
      toFile: page, atomically: true, encoding: .utf8)
    // project_id, user_id, api_key_id, model, batch, service_tier as the CSV gives them.
    let cells = groups.split(separator: ",", omittingEmptySubsequences: false)
    let csv = dir + "/usage/usage.csv"
    try """
    start_time,end_time,start_time_iso,end_time_iso,project_id,user_id,api_key_id,model,batch,service_tier,\
    num_model_requests,input_tokens,output_tokens,input_cached_tokens
    \(Self.day),\(Self.day + 86_400),x,y,\(cells.joined(separator: ",")),10.0,100000.0,1000.0,0.0

    """.write(toFile: csv, atomically: true, encoding: .utf8)
    let store = try B.ingest([page, csv], dir)
    let report = try B.report(store, dir)
    #expect(report.reportBucketsGroupedTwice == named)
    if named > 0 {
      let warning = try #require(report.reportBucketWarnings.first)
      #expect(warning.contains("page.json") && warning.contains("usage.csv"), "\(warning)")
    }
  }

  /// The trial's case: the page as fetched, and the same bucket from an older script grouped by project, key and
  /// model only (batch and service tier null).
  @Test func theSameBucketGroupedTwoWaysIsNamed() throws {
    let old = Self.result(project: "proj_1", key: "key_A", model: "gpt-4.1-mini", batch: nil, tier: nil)
    let (report, paths) = try Self.report([
      ("full.json", Self.day, Self.day + 86_400, [Self.full]), ("old.json", Self.day, Self.day + 86_400, [old]),
    ])
    #expect(report.reportBucketsGroupedTwice == 1 && report.reportBucketsMisaligned == 0)
    let warning = try #require(report.reportBucketWarnings.first)
    #expect(warning.contains("1 usage report bucket was loaded from files grouped differently"))
    #expect(warning.contains(paths[0] + " (grouped by project_id, api_key_id, model, batch, service_tier)"))
    #expect(warning.contains(paths[1] + " (grouped by project_id, api_key_id, model)"))
    #expect(warning.contains("2026-10-05T00:00:00Z"))
  }

  /// Grouped by key and again by project only (the second trial's case): the same usage.
  @Test func aPageWithoutKeysBesideOneWithIsNamed() throws {
    let byProject = Self.result(project: "proj_1", key: nil, model: "gpt-4.1-mini", batch: nil, tier: nil)
    let (report, _) = try Self.report([
      ("keys.json", Self.day, Self.day + 86_400, [Self.full]),
      ("projects.json", Self.day, Self.day + 86_400, [byProject]),
    ])
    #expect(report.reportBucketsGroupedTwice == 1)
  }

  /// Not the same usage: a fetch of another project grouped otherwise (no project in common), pages of one grouping
  /// in two files, and one file's rows of which some have no key (usage without one).
  @Test func otherProjectsAndOneGroupingSplitOverFilesAreNotNamed() throws {
    let other = Self.result(project: "proj_2", key: nil, model: "gpt-4.1-mini", batch: nil, tier: nil)
    let secondKey = Self.result(project: "proj_1", key: "key_B", model: "gpt-4.1-mini", batch: false, tier: "default")
    let keyless = Self.result(project: "proj_1", key: nil, model: "gpt-4.1-mini", batch: false, tier: "default")
    let (report, _) = try Self.report([
      ("a.json", Self.day, Self.day + 86_400, [Self.full, keyless]), ("b.json", Self.day, Self.day + 86_400, [other]),
      ("c.json", Self.day, Self.day + 86_400, [secondKey]),
    ])
    #expect(report.reportBucketsGroupedTwice == 0)
    #expect(report.reportBucketWarnings.isEmpty)
  }

  /// A day's bucket from midnight and another from 07:00 overlap without either holding the other; an hour inside a
  /// day is the bucket-width rule's, not this.
  @Test func bucketsThatOverlapWithoutNestingAreNamed() throws {
    let seven = Self.day + 7 * 3600
    let (report, _) = try Self.report([
      ("midnight.json", Self.day, Self.day + 86_400, [Self.full]), ("seven.json", seven, seven + 86_400, [Self.full]),
      ("hour.json", Self.day + 3600, Self.day + 7200, [Self.full]),
    ])
    #expect(report.reportBucketsMisaligned == 1)
    #expect(report.reportBucketWarnings.contains { $0.contains("2026-10-05T07:00:00Z to 2026-10-06T07:00:00Z") })
    let (nested, _) = try Self.report([
      ("day.json", Self.day, Self.day + 86_400, [Self.full]),
      ("hour.json", Self.day + 3600, Self.day + 7200, [Self.full]),
    ])
    #expect(nested.reportBucketsMisaligned == 0 && nested.reportBucketWarnings.isEmpty)
  }

  /// The natural key's parts: `|` between them, `\` escaping the next character, a lone `-` for none.
  @Test func keyPartsAreReadAsWritten() {
    #expect(KeyParts.split(#"a|-|\-|x\|y||z\\"#) == ["a", nil, "-", "x|y", "", #"z\"#])
  }
}
