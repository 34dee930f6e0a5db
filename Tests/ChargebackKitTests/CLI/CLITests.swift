import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The executable as a user runs it: exit codes, messages, and the demo.
@Suite struct CLITests {
  @Test func malformedLineExits65NamingFileAndLine() throws {
    let dir = try TestSupport.tempDir()
    let lines = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8).split(
      separator: "\n")
    var bad = lines.map(String.init)
    bad[2] = String(bad[2].dropLast(5))  // cut the JSON short
    let path = dir + "/bad.jsonl"
    try bad.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let db = dir + "/s.sqlite"
    // A good file first, so the store has something to keep.
    let ok = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage/openai", "--db", db])
    #expect(ok.status == 0)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", path, "--identities", Fixtures.month + "/identities",
      "--pricing", Fixtures.month + "/pricing", "--out", dir + "/out", "--db", db,
    ])
    #expect(r.status == 65)
    #expect(r.err.contains(path + ":3:"))
    #expect(r.err.contains("malformed JSON"))
    let store = try UsageStore(path: db)
    #expect(try store.recordCount() == 3)
    #expect(try store.files().count == 1)
  }

  @Test func missingInputsExit66AndBadUsage64() throws {
    let dir = try TestSupport.tempDir()
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", dir + "/nope", "--identities", Fixtures.month + "/identities",
      "--pricing", Fixtures.month + "/pricing", "--db", dir + "/s.sqlite", "--out", dir + "/out",
    ])
    #expect(r.status == 66)
    #expect(r.err.contains(dir + "/nope"))
    // No store file is left behind by a run that could not start, nor by `ingest`.
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
    let i = try TestSupport.runCLI(["ingest", dir + "/nope", "--db", dir + "/i.sqlite"])
    #expect(i.status == 66)
    #expect(!FileManager.default.fileExists(atPath: dir + "/i.sqlite"))
    let u = try TestSupport.runCLI(["run", "--period", "October", "--usage", dir, "--identities", dir])
    #expect(u.status == 64)
  }

  /// A file named with a leading `-` is refused as what it reads as (options; `-hourly.jsonl`
  /// printed the help and exited 0, a trial), saying how to name it; after `--` it is a file.
  @Test(arguments: ["-hourly.jsonl", "-dash.jsonl", "-x1"])
  func aNameWithALeadingDashIsRefused(name: String) throws {
    let dir = try TestSupport.tempDir()
    let r = try TestSupport.runCLI(["ingest", name, "--db", dir + "/s.sqlite"], cwd: dir)
    #expect(r.status == 64)
    #expect(r.err.contains("./" + name), "\(r.err)")
    #expect(!r.out.contains("USAGE"))
    try FileManager.default.copyItem(
      atPath: Fixtures.month + "/usage/bedrock/month.jsonl", toPath: dir + "/" + name)
    let named = try TestSupport.runCLI(["ingest", "--db", dir + "/s.sqlite", "--", name], cwd: dir)
    #expect(named.status == 0, "\(named.err)")
  }

  @Test func missingIdentityColumnExits65NamingIt() throws {
    let dir = try TestSupport.tempDir()
    let ids = dir + "/ids"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: ids)
    try "agent_id,name,owner\nagent-x,X,p-1\n".write(toFile: ids + "/agents.csv", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", Fixtures.month + "/usage", "--identities", ids,
      "--pricing", Fixtures.month + "/pricing", "--db", dir + "/s.sqlite", "--out", dir + "/out",
    ])
    #expect(r.status == 65)
    #expect(r.err.contains("agents.csv:1: cost_centre: required column is missing"))
  }

  @Test func demoRunsEndToEnd() throws {
    let dir = try TestSupport.tempDir()
    let r = try TestSupport.runCLI(["demo", "--out", dir + "/demo", "--pricing", TestSupport.packageRoot + "/pricing"])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("TOTAL"))
    let summary = try TestSupport.readCSV(dir + "/demo/summary.csv")
    #expect(summary.count >= 6)  // five cost centres (+ unattributed) and the total
    // The generated month is whole: reported closed, with no forecast of a month that has ended.
    #expect(!r.out.contains("is reported as open"))
    #expect(summary.allSatisfy { $0["forecast_usd"] == "" })
    let findings = try TestSupport.readCSV(dir + "/demo/findings.csv")
    let kinds = Set(findings.map { $0["kind"]! })
    #expect(kinds.isSuperset(of: ["revoked_credential", "unattributed", "out_of_scope_model", "shared_credential"]))
    // An out-of-scope finding is the agent's, scope's and model's, whichever provider served it: its
    // text names the model alone (it named the first call's provider).
    for f in findings where f["kind"] == "out_of_scope_model" {
      let text = f["explanation"] ?? ""
      #expect(text.hasPrefix("agent \(f["agent_id"] ?? "") called model "), "\(text)")
      #expect(text.contains(", which scope ") && !text.contains("bedrock/"), "\(text)")
    }
    #expect(FileManager.default.fileExists(atPath: dir + "/demo/company.xlsx"))
  }

  @Test func explainShowsTheChain() throws {
    let dir = try TestSupport.tempDir()
    let store = dir + "/s.sqlite"
    _ = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage", "--db", store])
    let r = try TestSupport.runCLI([
      "explain", "req-2", "--db", store, "--identities", Fixtures.month + "/identities", "--pricing",
      Fixtures.month + "/pricing",
    ])
    #expect(r.status == 0, "\(r.err)")
    #expect(r.out.contains("cost centre         CC-B"))
    #expect(r.out.contains("0.993000000000 USD"))
    #expect(r.out.contains("month.jsonl:2"))
    // The ghost credential's call is cited by the unattributed finding.
    let ghost = try TestSupport.runCLI([
      "explain", "req-5", "--db", store, "--identities", Fixtures.month + "/identities", "--pricing",
      Fixtures.month + "/pricing",
    ])
    #expect(ghost.out.contains("unattributed (critical), cites this record"))
    #expect(ghost.out.contains("cost centre         UNATTRIBUTED"))
    // Nothing matched: the explanation says so instead of naming the raw credential as matched.
    #expect(ghost.out.contains("matched credential  none: "))
    #expect(ghost.out.contains("is not in credentials.csv"))
  }

  /// The raw line is shown as the file has it: a JSON escape (`\"`, `\u001b`) keeps one backslash
  /// (a trial's showed two), and an escape written so in the file never becomes the character.
  @Test(arguments: [false, true])
  func explainShowsTheRawLineAsTheFileHasIt(control: Bool) throws {
    let dir = try TestSupport.tempDir()
    let project = control ? #"proj_\"A\u001b[31m"# : #"proj_\"A"#
    let result = BucketWidthTests.openAIResult(key: "key_X", input: 10, cached: 0, output: 1, requests: 1)
      .replacingOccurrences(of: "\"proj_Fin7Q\"", with: "\"\(project)\"")
    let page =
      #"{"object": "page", "data": [{"object": "bucket", "start_time": 1791331200, "end_time": 1791417600, "#
      + #""results": [\#(result)]}], "has_more": false, "next_page": null}"#
    try (page + "\n").write(toFile: dir + "/p.json", atomically: true, encoding: .utf8)
    let store = dir + "/s.sqlite"
    #expect(try TestSupport.runCLI(["ingest", dir + "/p.json", "--db", store]).status == 0)
    let s = try UsageStore(path: store)
    var key: String?
    try s.forEachRecord(from: 0, to: Int64.max) { key = $0.record.naturalKey }
    try s.close()
    let r = try TestSupport.runCLI([
      "explain", try #require(key), "--db", store, "--pricing", Fixtures.month + "/pricing",
    ])
    #expect(r.status == 0, "\(r.err)")
    let raw = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("raw ") })
    #expect(raw.contains(#""project_id":""# + project + "\""), "\(raw)")
    #expect(!raw.contains("\u{1B}"))
  }

  /// A record of a JSON document (an API page) shows the element at its JSON path, not the start of
  /// the file; after a run, `explain` needs neither --identities nor --pricing.
  @Test func explainShowsTheRecordOfADocumentWithoutFlagsAfterARun() throws {
    let dir = try TestSupport.tempDir()
    let store = dir + "/s.sqlite"
    let run = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", Fixtures.month + "/usage", "--identities",
      Fixtures.month + "/identities",
      "--pricing", Fixtures.month + "/pricing", "--out", dir + "/out", "--db", store,
    ])
    #expect(run.status == 0, "\(run.err)")
    let s = try UsageStore(path: store)
    let keys = try s.files().filter { $0.format == "openai-usage-completions" }.map(\.path)
    var reportKey: String?
    try s.forEachRecord(from: 0, to: Int64.max) { r in
      if reportKey == nil, r.record.level == .report, r.record.credential == "key_B" { reportKey = r.record.naturalKey }
    }
    try s.close()
    #expect(keys.count == 1)
    let key = try #require(reportKey)
    let r = try TestSupport.runCLI(["explain", key, "--db", store], cwd: dir)
    #expect(r.status == 0, "\(r.err)")
    let raw = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("raw ") })
    // The bucket result of key_B alone, not the page (whose first result is key_A's).
    #expect(raw.contains("\"api_key_id\": \"key_B\"") || raw.contains("\"api_key_id\":\"key_B\""))
    #expect(!raw.contains("key_A"))
    #expect(!raw.contains("\"data\""))
    // Priced and attributed with the directories of the run, from another working directory.
    #expect(r.out.contains("matched credential  key_B (credentials.csv)"))
    #expect(r.out.contains("cost centre         CC-C"))
    #expect(r.out.contains("USD (exact)"))
    // With the identity folder the run used gone, it says so instead of leaving attribution out.
    let ids = dir + "/ids"
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: ids)
    let again = try TestSupport.runCLI([
      "report", "--period", "2026-10", "--identities", ids, "--pricing", Fixtures.month + "/pricing", "--out",
      dir + "/out2", "--db", store,
    ])
    #expect(again.status == 0, "\(again.err)")
    try FileManager.default.removeItem(atPath: ids)
    let gone = try TestSupport.runCLI(["explain", key, "--db", store, "--pricing", Fixtures.month + "/pricing"])
    #expect(gone.status == 0, "\(gone.err)")
    #expect(
      gone.out.contains("attribution         not shown: the identity folder the last report used (\(ids)) is gone"))
    #expect(!gone.out.contains("cost centre"))
  }
}
