import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The CSV files OpenAI's usage dashboard exports are read as the API's pages would be: the same
/// tokens, the same keys (loaded both ways, counted once), and errors that name the line and column.
@Suite struct OpenAIDashboardCSVTests {
  /// The usage export's header and two rows (2025-10-05 and -06), counts written as decimals.
  static let usageCSV = """
    start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,\
    service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_audio_tokens,\
    output_audio_tokens
    1759622400,1759708800,2025-10-05T00:00:00+00:00,2025-10-06T00:00:00+00:00,proj_1,10.0,user-1,key_A,\
    gpt-4o-2024-08-06,FALSE,default,59200.0,10646.0,5760.0,53440.0,0.0,0.0
    1759708800,1759795200,2025-10-06T00:00:00+00:00,2025-10-07T00:00:00+00:00,proj_1,8.0,user-1,key_A,\
    gpt-5-2025-08-07,TRUE,default,46264.0,60000.0,8192.0,38072.0,0.0,0.0

    """

  /// The first row as the Usage API's page gives it.
  static let usagePage = """
    {"object": "page", "data": [{"object": "bucket", "start_time": 1759622400, "end_time": 1759708800, "results": [\
    {"object": "organization.usage.completions.result", "input_tokens": 59200, "output_tokens": 10646, \
    "input_cached_tokens": 5760, "input_uncached_tokens": 53440, "input_audio_tokens": 0, "output_audio_tokens": 0, \
    "num_model_requests": 10, "project_id": "proj_1", "user_id": "user-1", "api_key_id": "key_A", \
    "model": "gpt-4o-2024-08-06", "batch": false, "service_tier": "default"}]}], "has_more": false, "next_page": null}

    """

  static let costsCSV = """
    start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,\
    organization_id,organization_name
    1759622400,1759708800,2025-10-05T00:00:00+00:00,2025-10-06T00:00:00+00:00,0.8958740000000000,usd,,,org-1,Personal
    1759622400,1759708800,2025-10-05T00:00:00+00:00,2025-10-06T00:00:00+00:00,0.25,usd,"gpt-4o-2024-08-06, input",\
    proj_1,org-1,Personal

    """

  static func load(_ files: [String: String]) throws -> (results: [Ingestor.FileResult], records: [UsageRecord]) {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    var paths: [String] = []
    for (name, text) in files.sorted(by: { $0.key < $1.key }) {
      try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
      paths.append(dir + "/" + name)
    }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: paths)
    var records: [UsageRecord] = []
    try store.forEachRecord(from: .min, to: .max) { records.append($0.record) }
    return (results, records.sorted { $0.time < $1.time })
  }

  @Test func theUsageExportIsReadAsTheAPIsRows() throws {
    let (results, rs) = try Self.load(["usage.csv": Self.usageCSV])
    #expect(results.map(\.format) == ["openai-usage-csv"])
    #expect(rs.count == 2)
    let first = try #require(rs.first)
    // input_tokens 59,200 includes the 5,760 cached: 53,440 uncached.
    #expect(first.tokens == TokenCounts(input: 53_440, cachedInput: 5_760, output: 10_646))
    #expect(first.requests == 10 && first.credential == "key_A" && first.project == "proj_1")
    #expect(first.model == "gpt-4o-2024-08-06" && first.tier == .standard && first.level == .report)
    #expect(Timestamp.iso(first.time) == "2025-10-05T00:00:00Z" && first.bucketEnd == first.time + 86_400_000)
    #expect(first.line == 2)
    let second = try #require(rs.last)
    #expect(second.tier == .batch && second.tokens == TokenCounts(input: 38_072, cachedInput: 8_192, output: 60_000))
  }

  /// The same day loaded from the API's page and from the dashboard's CSV is one row.
  @Test func aRowLoadedFromThePageAndTheCSVIsCountedOnce() throws {
    let (results, rs) = try Self.load(["a-page.json": Self.usagePage, "b-usage.csv": Self.usageCSV])
    #expect(results.map(\.newRecords) == [1, 1])
    #expect(results.map(\.conflicts) == [0, 0], "the CSV's row is the page's, value for value")
    #expect(rs.count == 2)
    #expect(
      rs.filter { Timestamp.iso($0.time) == "2025-10-05T00:00:00Z" }.map(\.format) == ["openai-usage-completions"])
  }

  @Test func theCostsExportIsReadAsTheAPIsRows() throws {
    let (results, rs) = try Self.load(["costs.csv": Self.costsCSV])
    #expect(results.map(\.format) == ["openai-costs-csv"])
    let whole = try #require(rs.first { $0.lineItem == nil })
    // 0.8958740000000000 USD exactly: 895,874,000,000 pico-USD.
    #expect(whole.billed == Money(pico: 895_874_000_000) && whole.model.isEmpty && whole.level == .cost)
    let input = try #require(rs.first { $0.lineItem != nil })
    #expect(input.billed == Money(pico: 250_000_000_000) && input.model == "gpt-4o-2024-08-06")
    #expect(input.project == "proj_1")
  }

  /// Two rows of one bucket and key are one row of their sums, as on a page (8 and 1 requests: 9);
  /// two that differ by a column the key leaves out are refused, naming it (a review: the second
  /// was kept out as a conflicting copy, its request and 1,100 tokens lost).
  @Test func aBucketsRowsOfOneKeyAreSummedOrRefused() throws {
    let header = Self.usageCSV.split(separator: "\n")[0]
    let row = { (requests: String, input: String, project: String) in
      "1759622400,1759708800,2025-10-05T00:00:00+00:00,2025-10-06T00:00:00+00:00,\(project),\(requests),user-1,key_A,"
        + "gpt-5-2025-08-07,FALSE,default,\(input),100.0,0.0,\(input),0.0,0.0"
    }
    let twice = [String(header), row("8.0", "8800.0", "proj_1"), row("1.0", "1100.0", "proj_1")].joined(separator: "\n")
    let (results, rs) = try Self.load(["usage.csv": twice + "\n"])
    #expect(results.map(\.conflicts) == [0] && rs.count == 1)
    #expect(rs.first?.requests == 9 && rs.first?.tokens == TokenCounts(input: 9_900, output: 200))
    // A column the key does not read (`organization_name`) that differs: refused, naming it.
    let other =
      twice.replacingOccurrences(of: "output_audio_tokens", with: "output_audio_tokens,organization_name")
      .replacingOccurrences(of: "0.0,0.0\n1759622400", with: "0.0,0.0,Org A\n1759622400") + ",Org B\n"
    let error = try #require(throws: InputError.self) { try Self.load(["usage.csv": other]) }
    #expect(error.field == "organization_name" && error.line == 3, "\(error)")
  }

  /// A count that is not a whole number, a flag that is not one, a bucket out of the years: refused
  /// whole, naming the file, the line and the column.
  @Test(arguments: [
    ("10.0", "10.5", "num_model_requests", "is not a whole number"),
    ("FALSE,default", "maybe,default", "batch", "is not TRUE or FALSE"),
    ("59200.0,10646.0", "-5.0,10646.0", "input_tokens", "is negative"),
    ("1759622400,1759708800,2025-10-05", "1759622400,99999999999,2025-10-05", "end_time", "is out of bounds"),
  ])
  func badCellsNameTheLineAndColumn(replace: String, with bad: String, column: String, message: String) throws {
    let text = Self.usageCSV.replacingOccurrences(of: replace, with: bad)
    let error = try #require(throws: InputError.self) { try Self.load(["usage.csv": text]) }
    #expect(error.line == 2 && error.field == column, "\(error)")
    #expect(error.description.contains(message), "\(error)")
  }
}
