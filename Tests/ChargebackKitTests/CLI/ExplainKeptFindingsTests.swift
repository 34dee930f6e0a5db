import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The findings `explain` lists: the last report's, kept in the store, while nothing they depend on
/// has changed; else the month's built again, with the identity folder's `detection.csv` as the
/// report reads it.
@Suite struct ExplainKeptFindingsTests {
  /// A month whose role r5 makes twelve identical throttled calls a minute apart: a retry storm
  /// under the default settings (ten calls, gaps up to a minute), all of them cited.
  static func stormMonth(_ dir: String) throws -> (usage: String, identities: String, pricing: String) {
    let (usage, ids, pricing) = try OutputSafetyTests.hostileMonth(dir)
    let calls = (0..<12).map {
      OutputSafetyTests.line(500 + $0, arn: "arn:aws:iam::1:role/r5", metadata: "").replacingOccurrences(
        of: "\"requestMetadata\"", with: "\"errorCode\":\"ThrottlingException\",\"requestMetadata\"")
    }
    try (calls.joined(separator: "\n") + "\n").write(toFile: usage + "/storm.jsonl", atomically: true, encoding: .utf8)
    return (usage, ids, pricing)
  }

  static func explain(_ key: String, _ dir: String, _ ids: String, _ pricing: String) throws -> String {
    try ChargebackJob.explain(id: key, database: dir + "/s.sqlite", identities: ids, pricing: pricing)
  }

  @Test func theLastReportsFindingsAreReadUntilTheStoreChanges() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.stormMonth(dir)
    let first = try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    let stormID = try #require(first.report?.findings.first { $0.kind == .retryStorm }?.id)
    // Labelled: the report is made again (its labels changed), its findings kept with the label.
    try "finding_id,label,note,who\n\(stormID),confirmed,\"a \u{0}note, with a comma\",ana\n".write(
      toFile: ids + "/labels.csv", atomically: true, encoding: .utf8)
    let result = try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    let findings = try #require(result.report?.findings)
    let storm = try #require(findings.first { $0.id == stormID })
    #expect(storm.label == "confirmed" && storm.evidence.contains("bedrock:req-500"))
    let name = KeptFindings.settingPrefix + "2026-10"
    let store = try UsageStore(path: dir + "/s.sqlite")
    let text = try #require(try store.setting(name))
    var kept = try JSONDecoder().decode(KeptFindings.Kept.self, from: Data(text.utf8))
    // Every finding comes back as the report made it: 128-bit amounts, lists, flags, labels.
    #expect(kept.findings.compactMap(\.finding) == findings)
    // One of them given another text: explain shows that text, so it read the kept findings
    // rather than building the month again.
    let i = try #require(kept.findings.firstIndex { $0.id == storm.id })
    kept.findings[i].explanation = "the kept finding"
    try store.setSetting(name, String(decoding: try JSONEncoder().encode(kept), as: UTF8.self))
    try store.close()
    let read = try Self.explain("bedrock:req-500", dir, ids, pricing)
    #expect(read.contains("\(storm.id) retry_storm (medium), cites this record: the kept finding"), "\(read)")

    // A call loaded since: the month is built again, and the storm is the report's own again.
    try (OutputSafetyTests.line(900, arn: "arn:aws:iam::1:role/r0", metadata: "") + "\n").write(
      toFile: dir + "/late.jsonl", atomically: true, encoding: .utf8)
    _ = try ChargebackJob.ingest(
      paths: [dir + "/late.jsonl"], database: dir + "/s.sqlite", progress: ProgressReporter(force: false))
    let rebuilt = try Self.explain("bedrock:req-500", dir, ids, pricing)
    #expect(!rebuilt.contains("the kept finding"), "\(rebuilt)")
    #expect(rebuilt.contains("\(storm.id) retry_storm (medium), cites this record: \(storm.explanation)"), "\(rebuilt)")
  }

  /// `explain` builds the month with the folder's `detection.csv`, as the report does: a storm the
  /// folder's settings rule out is not listed (it was, under the default settings).
  @Test func theMonthIsBuiltAgainWithTheFoldersDetectionSettings() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.stormMonth(dir)
    let before = try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    #expect(before.report?.findings.contains { $0.kind == .retryStorm } == true)
    #expect(try Self.explain("bedrock:req-500", dir, ids, pricing).contains("retry_storm"))
    // Storms of twenty calls or more only: these twelve are none. The kept findings are of other
    // settings, so they are not read.
    try "setting,value\nstorm_min_calls,20\n".write(toFile: ids + "/detection.csv", atomically: true, encoding: .utf8)
    let text = try Self.explain("bedrock:req-500", dir, ids, pricing)
    #expect(!text.contains("retry_storm"), "\(text)")
    // The report agrees.
    let after = try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    #expect(after.report?.findings.contains { $0.kind == .retryStorm } == false)
    // And with the report's findings kept again, explain reads the same.
    #expect(!(try Self.explain("bedrock:req-500", dir, ids, pricing)).contains("retry_storm"))
  }

  /// A `detection.csv` a report would refuse: explain still shows the record's chain, its
  /// findings those of the default settings, and says so.
  @Test func aDetectionFileAReportRefusesLeavesTheChainAndSaysSo() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.stormMonth(dir)
    try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    try "setting,value\nstorm_min_calls,abc\n".write(toFile: ids + "/detection.csv", atomically: true, encoding: .utf8)
    let text = try Self.explain("bedrock:req-500", dir, ids, pricing)
    #expect(text.contains("record              bedrock:req-500"), "\(text)")
    let note = try #require(text.split(separator: "\n").first { $0.hasPrefix("findings of") })
    #expect(note.contains("the default detection settings: \(ids)/detection.csv:2: value:"), "\(note)")
    #expect(text.contains("retry_storm (medium), cites this record"), "\(text)")
  }

  /// A report made as of an earlier time keeps nothing: `explain` reads the latest data.
  @Test func aReportAsOfAnEarlierTimeKeepsNoFindings() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.stormMonth(dir)
    try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [usage], identities: ids, pricing: pricing, out: dir + "/out",
        database: dir + "/s.sqlite", asOf: Timestamp.parseMillis("2026-11-01T00:00:00Z")),
      progress: .init(force: false)
    ).run()
    let store = try UsageStore(path: dir + "/s.sqlite", access: .read)
    defer { try? store.close() }
    #expect(try store.setting(KeptFindings.settingPrefix + "2026-10") == nil)
  }
}
