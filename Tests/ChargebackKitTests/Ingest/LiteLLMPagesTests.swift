import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `/spend/logs/v2` pages are numbered (`page`, `total_pages`, `total`, `page_size`): a page whose
/// next page is not loaded is a missing page, as an OpenAI page that says `has_more` (a trial:
/// page 1 of 3 loaded alone charged 1 of 21 calls without a word).
///
/// The three rows of the LiteLLM payload fixture (5 and 6 October 2026), two to a page: page 1 of
/// 2 holds rows 1 and 2, page 2 of 2 row 3.
@Suite struct LiteLLMPagesTests {
  static func pages() throws -> (String, String) {
    let lines = try String(
      contentsOfFile: LiteLLMPayloadTests.payloads + "/spend-logs-payloads-encoded.jsonl", encoding: .utf8
    ).split(separator: "\n")
    let page1 = #"{"data":["# + lines[0] + "," + lines[1] + #"],"total":3,"page":1,"page_size":2,"total_pages":2}"#
    let page2 = #"{"data":["# + lines[2] + #"],"total":3,"page":2,"page_size":2,"total_pages":2}"#
    return (page1, page2)
  }

  @Test func aPageWhoseNextIsNotLoadedIsMissingUntilItIs() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (page1, page2) = try Self.pages()
    try page1.write(toFile: dir + "/page-1.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    _ = try ingestor.ingest(paths: [dir + "/page-1.json"])
    let october = Period(year: 2026, month: 10)
    let gaps = ExportPage.gaps(try store.exportPages(), period: october)
    #expect(gaps.count == 1)
    // 3 rows, 2 a page: page 1 leaves at most 1.
    #expect(
      gaps.first?.message
        == "LiteLLM spend log pages stop at page 1 of 2 (3 rows, 2 a page): \(dir)/page-1.json is followed by no"
        + " loaded page 2, so up to 1 call of its query is not in this chargeback; fetch pages 2 to 2 (page=2)"
        + " and load them")
    // Page 2, the last, loaded, fetched when the query had grown (4 rows, still 2 a page): nothing
    // missing.
    try page2.replacingOccurrences(of: #""total":3"#, with: #""total":4"#).write(
      toFile: dir + "/page-2.json", atomically: true, encoding: .utf8)
    _ = try ingestor.ingest(paths: [dir + "/page-2.json"])
    #expect(ExportPage.gaps(try store.exportPages(), period: october).isEmpty)
  }

  /// The legacy `/spend/logs` array, JSON Lines of rows and a one-page query (page 1 of 1) say
  /// nothing is missing.
  @Test func rowsWithoutPagesAndALastPageMissNothing() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let lines = try String(
      contentsOfFile: LiteLLMPayloadTests.payloads + "/spend-logs-payloads-encoded.jsonl", encoding: .utf8
    ).split(separator: "\n")
    try ("[" + lines.joined(separator: ",") + "]").write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
    let only = #"{"data":["# + lines[0] + #"],"total":1,"page":1,"page_size":50,"total_pages":1}"#
    try only.write(toFile: dir + "/only.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/a.json", LiteLLMPayloadTests.payloads + "/spend-logs-payloads-encoded.jsonl", dir + "/only.json",
    ])
    #expect(ExportPage.gaps(try store.exportPages(), period: Period(year: 2026, month: 10)).isEmpty)
  }

  /// The page's text is read back as written, and a cursor is not taken for one.
  @Test func aNumberedPageReadsBackAndACursorIsNone() {
    let page = NumberedPage(number: 2, count: 5, rows: 230, size: 50)
    #expect(page.text == "page 2 of 5 (230 rows, 50 a page)")
    #expect(NumberedPage(text: page.text) == page)
    #expect(NumberedPage(text: "page 1 of 1") == NumberedPage(number: 1, count: 1, rows: nil, size: nil))
    #expect(NumberedPage(text: "page_AAAAAGdGxdEi") == nil)
    #expect(NumberedPage(text: "page 2 of 5 (230 rows) trailing") == nil)
  }
}
