import Crypto
import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Conflicting duplicates (SPEC §8): a natural key already stored with other token counts or
/// amounts keeps the first stored copy, is recorded, and raises one `conflicting_duplicate` finding
/// naming both sources and the fields that differ.
@Suite struct ConflictTests {
  /// The month's Bedrock log lines: req-1 (claude-sonnet-4: 1,000 input, 2,000 cache read, 500
  /// output = 0.0111 USD) and req-3 (nova-pro).
  private static func monthLines() throws -> (req1: String, req3: String) {
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n").map(String.init)
    let req1 = try #require(lines.first { $0.contains("\"requestId\":\"req-1\"") })
    let req3 = try #require(lines.first { $0.contains("\"requestId\":\"req-3\"") })
    return (req1, req3)
  }

  /// req-1 with 1,200 input and 900 output tokens: 0.0036 + 0.0006 + 0.0135 = 0.0177 USD.
  private static func changed(_ req1: String, output: Int = 900) -> String {
    req1.replacingOccurrences(of: "\"inputTokenCount\":1000", with: "\"inputTokenCount\":1200")
      .replacingOccurrences(of: "\"outputTokenCount\":500", with: "\"outputTokenCount\":\(output)")
  }

  /// Writes `a.jsonl` (req-1 as logged, req-3) and `b.jsonl` (req-3, the same content: no conflict;
  /// then req-1 with other token counts, on line 2).
  private func writeFiles(_ dir: String) throws -> (a: String, b: String) {
    let (req1, req3) = try Self.monthLines()
    let a = dir + "/a.jsonl", b = dir + "/b.jsonl"
    try (req1 + "\n" + req3 + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    try (req3 + "\n" + Self.changed(req1) + "\n").write(toFile: b, atomically: true, encoding: .utf8)
    return (a, b)
  }

  private func run(_ usage: [String], db: String, out: String) throws -> (status: Int32, out: String, err: String) {
    try TestSupport.runCLI(
      ["run", "--period", "2026-10", "--usage"] + usage + [
        "--identities", Fixtures.month + "/identities", "--pricing", Fixtures.month + "/pricing", "--out", out,
        "--db", db,
      ])
  }

  private func manifest(_ out: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  private func exactTotal(_ out: String) throws -> String {
    let totals = try #require(try manifest(out)["totals"] as? [String: Any])
    return try #require(totals["cost_usd_exact"] as? String)
  }

  /// Ingest order A, B and B, A: the finding fires both times, and the first stored copy is the one
  /// charged, so each order's total is that of its first file's copy.
  @Test(arguments: [false, true])
  func theFirstStoredCopyIsChargedAndTheConflictIsRaised(reversed: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (a, b) = try writeFiles(dir)
    let (first, second) = reversed ? (b, a) : (a, b)
    let r = try run([first, second], db: dir + "/s.sqlite", out: dir + "/out")
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("\(first): loaded (bedrock-invocation-log, 2 records, 2 new)\n"))
    #expect(
      r.out.contains(
        "\(second): loaded (bedrock-invocation-log, 2 records, 0 new, 1 conflicting duplicate not stored: "
          + "the first stored copy is kept)\n"))

    // The total is the first file's alone: its copy of req-1 is the one charged.
    let alone = try run([first], db: dir + "/alone.sqlite", out: dir + "/alone")
    try #require(alone.status == 0, "\(alone.err)")
    #expect(try exactTotal(dir + "/out") == (try exactTotal(dir + "/alone")))

    let findings = try TestSupport.readCSV(dir + "/out/findings.csv").filter {
      $0["kind"] == "conflicting_duplicate"
    }
    #expect(findings.count == 1)
    let f = try #require(findings.first)
    #expect(f["severity"] == "high")
    #expect(f["evidence"] == "bedrock:req-1")
    #expect(f["calls"] == "1")
    let text = try #require(f["explanation"])
    #expect(text.hasPrefix("request req-1 (bedrock:req-1) is stored with different content in 2 sources"))
    if reversed {
      #expect(f["cost_usd"] == "0.017700")
      #expect(text.contains("kept \(b):2 (first stored, charged 0.017700 USD)"))
      #expect(text.contains("not charged \(a):1 with input 1000 instead of 1200, output 500 instead of 900"))
    } else {
      #expect(f["cost_usd"] == "0.011100")
      #expect(text.contains("kept \(a):1 (first stored, charged 0.011100 USD)"))
      #expect(text.contains("not charged \(b):2 with input 1200 instead of 1000, output 900 instead of 500"))
    }
    // req-3 is in both files with the same content: not a conflict.
    #expect(!text.contains("req-3"))
    // Two paths are told apart by their names alone.
    #expect(!text.contains("version sha256"))
    let counts = try #require(try manifest(dir + "/out")["counts"] as? [String: Any])
    #expect(counts["conflicting_duplicates"] as? Int == 1)
    #expect(counts["findings"] as? Int == (try TestSupport.readCSV(dir + "/out/findings.csv")).count)
  }

  /// The same conflicting file again, by the same bytes or under another name with other bytes,
  /// adds no conflict; a third content for the key adds one, and the key still has one finding
  /// naming every source.
  @Test func reingestingAConflictRecordsItOnce() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (a, b) = try writeFiles(dir)
    let db = dir + "/s.sqlite"
    for paths in [[a, b], [b]] {
      let r = try TestSupport.runCLI(["ingest"] + paths + ["--db", db])
      #expect(r.status == 0, "\(r.err)")
    }
    #expect(try StoreState(db).conflicts == 1)
    // Other bytes (a trailing blank line), same records.
    let renamed = dir + "/b-again.jsonl"
    try (String(contentsOfFile: b, encoding: .utf8) + "\n").write(toFile: renamed, atomically: true, encoding: .utf8)
    let again = try TestSupport.runCLI(["ingest", renamed, "--db", db])
    #expect(again.status == 0, "\(again.err)")
    #expect(again.out.contains("1 conflicting duplicate not stored"))
    #expect(try StoreState(db).conflicts == 1)

    // A third version of req-1.
    let (req1, _) = try Self.monthLines()
    let c = dir + "/c.jsonl"
    try (Self.changed(req1, output: 700) + "\n").write(toFile: c, atomically: true, encoding: .utf8)
    #expect(try TestSupport.runCLI(["ingest", c, "--db", db]).status == 0)
    #expect(try StoreState(db).conflicts == 2)

    let r = try TestSupport.runCLI([
      "report", "--period", "2026-10", "--identities", Fixtures.month + "/identities", "--pricing",
      Fixtures.month + "/pricing", "--out", dir + "/out", "--db", db,
    ])
    #expect(r.status == 0, "\(r.err)")
    let findings = try TestSupport.readCSV(dir + "/out/findings.csv").filter {
      $0["kind"] == "conflicting_duplicate"
    }
    #expect(findings.count == 1)
    let text = try #require(findings.first?["explanation"])
    #expect(text.contains("in 3 sources: kept \(a):1"))
    #expect(text.contains("\(b):2 with input 1200 instead of 1000, output 900 instead of 500"))
    #expect(text.contains("\(c):1 with input 1200 instead of 1000, output 700 instead of 500"))
  }

  /// SHA-256 (hex) of a file's bytes, worked out here.
  private static func sha256(_ path: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }

  /// A file fetched again to the same name with other counts (a usage page of a day not yet over,
  /// then complete): the finding tells the two versions apart by their SHA-256, which the path
  /// alone did not ("kept a.jsonl:1 … not charged a.jsonl:1").
  @Test func aFileFetchedAgainToTheSamePathIsNamedByVersion() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (req1, _) = try Self.monthLines()
    let a = dir + "/a.jsonl"
    try (req1 + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    let first = try Self.sha256(a)
    let db = dir + "/s.sqlite"
    #expect(try TestSupport.runCLI(["ingest", a, "--db", db]).status == 0)
    try (Self.changed(req1) + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    let second = try Self.sha256(a)
    try #require(first != second)
    let r = try run([a], db: db, out: dir + "/out")
    #expect(r.status == 0, "\(r.err)")
    let findings = try TestSupport.readCSV(dir + "/out/findings.csv").filter { $0["kind"] == "conflicting_duplicate" }
    let text = try #require(findings.first?["explanation"])
    #expect(text.contains("kept \(a):1 (version sha256 \(first.prefix(12))) (first stored, charged 0.011100 USD)"))
    #expect(text.contains("not charged \(a):1 (version sha256 \(second.prefix(12))) with input 1200 instead of 1000"))
  }

  /// A usage bucket fetched before it ended (a daily pull up to now) and again once it had: the
  /// later copy has more of every count, and the finding says so, with advice that fits a daily
  /// folder; a later copy with less of a count gets the general advice.
  @Test(arguments: [(1, 2, true), (2, 1, false)])
  func aGrownBucketIsSaidToBeOne(first: Int, then: Int, grown: Bool) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (a, b) = (dir + "/usage/2026-10-05.json", dir + "/usage/2026-10-06.json")
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    try UnknownGroupingTests.openAIUsage.page([(first, "")]).write(toFile: a, atomically: true, encoding: .utf8)
    try UnknownGroupingTests.openAIUsage.page([(then, "")]).write(toFile: b, atomically: true, encoding: .utf8)
    let r = try run([dir + "/usage"], db: dir + "/s.sqlite", out: dir + "/out")
    #expect(r.status == 0, "\(r.err)")
    let text = try #require(
      try TestSupport.readCSV(dir + "/out/findings.csv").first { $0["kind"] == "conflicting_duplicate" }?["explanation"]
    )
    #expect(text.contains("the later copies have more of every count that differs") == grown, "\(text)")
    #expect(text.contains("find out which export is right") == !grown, "\(text)")
    // The refused copy's page is an input of the month, though none of its records was stored.
    let inputs = try #require(try manifest(dir + "/out")["inputs"] as? [[String: Any]])
    #expect(Set(inputs.compactMap { $0["path"] as? String }) == [a, b])
  }

  /// Two refused versions of one path (a page fetched twice after another file's copy was kept):
  /// each names its version, which the path alone did not tell apart.
  @Test func twoRefusedVersionsOfOnePathAreNamedByVersion() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (req1, _) = try Self.monthLines()
    let (a, b) = (dir + "/a.jsonl", dir + "/b.jsonl")
    try (req1 + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    let db = dir + "/s.sqlite"
    #expect(try TestSupport.runCLI(["ingest", a, "--db", db]).status == 0)
    var versions: [String] = []
    for output in [900, 700] {
      try (Self.changed(req1, output: output) + "\n").write(toFile: b, atomically: true, encoding: .utf8)
      versions.append(try Self.sha256(b))
      #expect(try TestSupport.runCLI(["ingest", b, "--db", db]).status == 0)
    }
    let r = try run([b], db: db, out: dir + "/out")
    #expect(r.status == 0, "\(r.err)")
    let text = try #require(
      try TestSupport.readCSV(dir + "/out/findings.csv").first { $0["kind"] == "conflicting_duplicate" }?["explanation"]
    )
    #expect(text.contains("kept \(a):1 (version sha256 \(try Self.sha256(a).prefix(12)))"))
    #expect(
      text.contains("\(b):1 (version sha256 \(versions[0].prefix(12))) with input 1200 instead of 1000, output 900"))
    #expect(
      text.contains("\(b):1 (version sha256 \(versions[1].prefix(12))) with input 1200 instead of 1000, output 700"))
  }

  /// In the store: the stored copy is untouched, and the conflict keeps both sources and the values.
  @Test func theStoreKeepsTheFirstCopyAndRecordsBothSources() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (a, b) = try writeFiles(dir)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [a, b])
    #expect(results.map(\.conflicts) == [0, 1])
    let stored = try #require(try store.record(matching: "req-1"))
    #expect(stored.record.tokens.input == 1000)
    #expect(stored.record.tokens.output == 500)
    let conflicts = try store.conflicts(from: 0, to: Int64.max)
    #expect(conflicts.count == 1)
    let c = try #require(conflicts.first?.conflict)
    #expect(c.naturalKey == "bedrock:req-1")
    #expect(c.requestID == "req-1")
    #expect(c.kept == DuplicateConflict.Source(path: a, line: 1, sha256: try Self.sha256(a)))
    #expect(c.other == DuplicateConflict.Source(path: b, line: 2, sha256: try Self.sha256(b)))
    #expect(
      c.differences == [
        .init(field: "input", kept: "1000", other: "1200"), .init(field: "output", kept: "500", other: "900"),
      ])
    #expect(conflicts.first?.keptID == stored.id)
  }

  /// A period's conflicts are those whose kept copy is in it, by natural key: the query is driven
  /// from the conflicts table, so the bounds on the kept record's time must still hold.
  @Test func aPeriodHasOnlyTheConflictsOfItsOwnRecords() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (req1, req3) = try Self.monthLines()
    // req-3 moved to November, and changed there too (a second conflict, outside October).
    let novReq3 = req3.replacingOccurrences(of: "\"timestamp\":\"2026-10-", with: "\"timestamp\":\"2026-11-")
    try #require(novReq3 != req3)
    let novReq3Changed = novReq3.replacingOccurrences(of: "\"outputTokenCount\":", with: "\"outputTokenCount\":1")
    try #require(novReq3Changed != novReq3)
    let a = dir + "/a.jsonl", b = dir + "/b.jsonl"
    try (req1 + "\n" + novReq3 + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    try (Self.changed(req1) + "\n" + novReq3Changed + "\n").write(toFile: b, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [a, b])
    #expect(results.map(\.conflicts) == [0, 2])
    let october = try #require(Period("2026-10"))
    let november = try #require(Period("2026-11"))
    #expect(
      try store.conflicts(from: october.startMillis, to: october.endMillis).map(\.conflict.naturalKey) == [
        "bedrock:req-1"
      ])
    #expect(
      try store.conflicts(from: november.startMillis, to: november.endMillis).map(\.conflict.naturalKey) == [
        "bedrock:req-3"
      ])
    #expect(
      try store.conflicts(from: 0, to: Int64.max).map(\.conflict.naturalKey) == ["bedrock:req-1", "bedrock:req-3"])
  }

  /// Metadata that does not change the amount (credential, agent, error code) is not content.
  @Test func metadataDifferencesAreNotConflicts() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (req1, _) = try Self.monthLines()
    let a = dir + "/a.jsonl", b = dir + "/b.jsonl"
    try (req1 + "\n").write(toFile: a, atomically: true, encoding: .utf8)
    let other = req1.replacingOccurrences(of: "x-runner/s1", with: "x-runner/s9")
      .replacingOccurrences(of: "\"agent_id\":\"agent-x\"", with: "\"agent_id\":\"agent-z\"")
    try #require(other != req1)
    try (other + "\n").write(toFile: b, atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    let results = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [a, b])
    #expect(results.map(\.conflicts) == [0, 0])
    #expect(try store.conflictCount() == 0)
  }

  /// A provider's bill re-exported with another amount: the billed amount is content.
  @Test func aBilledAmountThatDiffersIsAConflict() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/s.sqlite")
    defer { try? store.close() }
    for (i, amount) in ["12.5", "12.75", "12.75"].enumerated() {
      try store.db.transaction {
        let w = try store.beginFile(
          sha256: "bill-\(i)", path: "bill-\(i).csv", format: "test", level: .cost, bytes: 0)
        var r = UsageRecord(
          provider: .azure, level: .cost, format: "test", naturalKey: "azure|cost|day-1|meter", time: 86_400_000,
          model: "gpt-4o", tokens: TokenCounts(), line: 2)
        r.billed = TestSupport.usd(amount)
        try w.insert(r)
        try w.finish()
        #expect(w.conflicts == (i == 0 ? 0 : 1))
      }
    }
    // The third file repeats the second's amount: the same refused content, one row.
    let conflicts = try store.conflicts(from: 0, to: Int64.max)
    #expect(conflicts.count == 1)
    #expect(conflicts.first?.conflict.other == DuplicateConflict.Source(path: "bill-1.csv", line: 2, sha256: "bill-1"))
    #expect(
      conflicts.first?.conflict.differences == [
        .init(field: "billed_usd", kept: "12.500000000000", other: "12.750000000000")
      ])
  }

  @Test func differencesSurviveTheStoreWithAnyCharacters() {
    let d: [DuplicateConflict.Difference] = [
      .init(field: "model", kept: "a\tb\\c", other: "line\nbreak\r\n"),
      .init(field: "billed_usd", kept: "", other: "1"),
    ]
    #expect(ConflictText.decode(ConflictText.encode(d)) == d)
  }
}
