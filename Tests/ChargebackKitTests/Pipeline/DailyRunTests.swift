import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// A month run daily (SPEC §7, §11): each run ingests only the new files, a run with nothing new
/// keeps the outputs as they are, `new_findings.csv` holds what is new since the previous run, and
/// `--fail-on` turns a new finding at a severity into exit 1 after everything is written.
///
/// Through the built executable, as a scheduler runs it.
@Suite struct DailyRunTests {
  /// One Bedrock call: `arn` calls m1 at `iso` with `input` tokens ($1 per million), for `task`.
  static func call(_ id: String, _ iso: String, arn: String, input: Int, task: String? = nil, agent: String? = nil)
    -> String
  {
    let fields = [task.map { "\"task_id\":\"\($0)\"" }, agent.map { "\"agent_id\":\"\($0)\"" }].compactMap { $0 }
    let meta = fields.isEmpty ? "" : ",\"requestMetadata\":{\(fields.joined(separator: ","))}"
    return "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"\(iso)\",\"identity\":{\"arn\":\"\(arn)\"},"
      + "\"requestId\":\"\(id)\",\"modelId\":\"m1\",\"input\":{\"inputTokenCount\":\(input)},"
      + "\"output\":{\"outputTokenCount\":0}\(meta)}"
  }

  static let session = "arn:aws:sts::1:assumed-role/a/"

  /// The `k`-th call's time on `day`: hour `k % 24`, minute `k % 60`.
  static func spread(_ day: String, _ k: Int) -> String {
    "\(day)T\(String(format: "%02d", k % 24)):\(String(format: "%02d", k % 60)):00Z"
  }

  /// Agent a's role is registered as a prefix row (its sessions); b's role by its ARN, expiring on
  /// the 20th (an expired key in use is a high finding, not a critical one).
  ///
  /// Other tests give their own `agents` and `credentials` rows (owner `p-1`, cost centres CC-1
  /// and CC-2).
  static func setUp(
    _ dir: String, agents: String = "a,p-1,CC-1\nb,p-1,CC-2\n",
    credentials: String = "credential_id,provider,agent_id,expires_at\n\(session)*,bedrock,a,\n"
      + "arn:aws:iam::1:role/b,bedrock,b,2026-10-20\narn:aws:sts::1:assumed-role/g/*,bedrock,ghost,\n"
  ) throws {
    let ids = dir + "/identities"
    for d in [ids, dir + "/pricing", dir + "/usage"] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    let files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": "cost_centre,name\nCC-1,One\nCC-2,Two\n",
      ids + "/agents.csv": "agent_id,owner,cost_centre\n" + agents,
      ids + "/credentials.csv": credentials,
      ids + "/tasks.csv": "task_id\n",
      ids + "/scopes.csv": "scope_id\n",
      dir + "/pricing/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,m1,input,standard,0,1,2025-01-01,,test\nbedrock,m1,output,standard,0,2,2025-01-01,,test\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
  }

  /// Writes one day's export: `calls` lines.
  static func day(_ dir: String, _ name: String, _ calls: [String]) throws {
    try (calls.joined(separator: "\n") + "\n").write(toFile: dir + "/usage/" + name, atomically: true, encoding: .utf8)
  }

  static func run(_ dir: String, _ extra: [String] = []) throws -> (status: Int32, out: String, err: String) {
    try TestSupport.runCLI(
      [
        "run", "--period", "2026-10", "--identities", dir + "/identities", "--pricing", dir + "/pricing",
        "--out", dir + "/out", "--db", dir + "/s.sqlite", "--usage", dir + "/usage",
      ] + extra)
  }

  /// Every file in `--out` with its bytes.
  static func outputs(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/out") {
      out[name] = FileManager.default.contents(atPath: dir + "/out/" + name)
    }
    return out
  }

  /// The first day: 20 calls of a, each from its own role session, 100,000 tokens each ($2.00).
  static func firstDay(_ dir: String) throws {
    try day(
      dir, "2026-10-01.jsonl",
      (1...20).map { k in
        call("d1-\(k)", "2026-10-01T\(String(format: "%02d", k % 24)):00:00Z", arn: session + "s-\(k)", input: 100_000)
      })
  }

  @Test func aRunWithNothingNewKeepsTheOutputsAndSaysSo() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try Self.firstDay(dir)
    let first = try Self.run(dir)
    #expect(first.status == 0, "\(first.err)")
    let before = try Self.outputs(dir)
    #expect(before["new_findings.csv"] != nil)

    let second = try Self.run(dir)
    #expect(second.status == 0, "\(second.err)")
    // The unchanged file is counted, not listed: one line for every file a daily run finds again.
    #expect(TestSupport.alreadyIngested(second.out) == 1)
    #expect(!second.out.contains("2026-10-01.jsonl"))
    // Every file but the two written again is kept; the month's figures are said again, as
    // summary.csv and findings.csv have them (open: the data runs to the 1st).
    let total = try #require(try TestSupport.readCSV(dir + "/out/summary.csv").first { $0["cost_centre"] == "TOTAL" })
    let cents = Money(pico: TestSupport.usd(total["cost_usd"] ?? "").pico).formatted(decimals: 2)
    let findings = try TestSupport.readCSV(dir + "/out/findings.csv").count
    #expect(
      second.out.contains(
        "nothing new since the last run: \(before.count - 2) files in \(dir)/out kept as they were"
          + " (2026-10 (open, to date): \(cents) USD, \(findings) finding\(findings == 1 ? "" : "s"); summary.csv has"
          + " each cost centre); manifest.json and new_findings.csv written again"), "\(second.out)")
    let after = try Self.outputs(dir)
    #expect(Set(after.keys) == Set(before.keys))
    for (name, data) in before where name != "manifest.json" && name != "new_findings.csv" {
      #expect(after[name] == data, "\(name) changed on a run with nothing new")
    }
    // The manifest differs in its run time only.
    func withoutTime(_ d: Data?) -> String {
      (String(data: d ?? Data(), encoding: .utf8) ?? "").replacingOccurrences(
        of: #""generated_at" : "[^"]*""#, with: "", options: .regularExpression)
    }
    #expect(withoutTime(after["manifest.json"]) == withoutTime(before["manifest.json"]))
    // Nothing can be new: a header alone.
    let newRows = try TestSupport.readCSV(dir + "/out/new_findings.csv")
    #expect(newRows.isEmpty)

    // Touched but unchanged: read and hashed again, still nothing new.
    let path = dir + "/usage/2026-10-01.jsonl"
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: path)
    let third = try Self.run(dir)
    #expect(third.status == 0, "\(third.err)")
    #expect(TestSupport.alreadyIngested(third.out) == 1)
    #expect(third.out.contains("nothing new since the last run"))

    // A changed identity file is something new: the report is built again, with the same money.
    let ccs = dir + "/identities/cost_centres.csv"
    try "cost_centre,name\nCC-1,One renamed\nCC-2,Two\n".write(toFile: ccs, atomically: true, encoding: .utf8)
    let fourth = try Self.run(dir)
    #expect(fourth.status == 0, "\(fourth.err)")
    #expect(!fourth.out.contains("nothing new"))
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    #expect(summary.first { $0["cost_centre"] == "CC-1" }?["name"] == "One renamed")
    #expect(summary.first { $0["cost_centre"] == "CC-1" }?["cost_usd"] == "2.000000")
  }

  /// Identity files mounted as links (a Kubernetes ConfigMap is all links): a change to the file
  /// a link points to is a change.
  @Test func aChangeBehindASymbolicLinkIsSomethingNew() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try Self.firstDay(dir)
    let real = dir + "/mounted-cost-centres.csv"
    try FileManager.default.moveItem(atPath: dir + "/identities/cost_centres.csv", toPath: real)
    try FileManager.default.createSymbolicLink(atPath: dir + "/identities/cost_centres.csv", withDestinationPath: real)
    #expect(try Self.run(dir).status == 0)
    try "cost_centre,name\nCC-1,One moved\nCC-2,Two\n".write(toFile: real, atomically: true, encoding: .utf8)
    let again = try Self.run(dir)
    #expect(again.status == 0, "\(again.err)")
    #expect(!again.out.contains("nothing new"))
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    #expect(summary.first { $0["cost_centre"] == "CC-1" }?["name"] == "One moved")
  }

  /// An output deleted by hand is written again by the next run, though nothing is new (one
  /// changed by hand stops the run instead: PublicationTests).
  @Test func anOutputDeletedByHandIsWrittenAgain() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try Self.firstDay(dir)
    #expect(try Self.run(dir).status == 0)
    let original = try #require(FileManager.default.contents(atPath: dir + "/out/summary.csv"))
    try FileManager.default.removeItem(atPath: dir + "/out/summary.csv")
    let again = try Self.run(dir)
    #expect(again.status == 0, "\(again.err)")
    #expect(!again.out.contains("nothing new"))
    #expect(FileManager.default.contents(atPath: dir + "/out/summary.csv") == original)
  }

  /// Day 2 brings b's calls after its key expired on the 20th: a new `expired_credential` (high).
  @Test(arguments: [("critical", Int32(0)), ("high", 1), ("medium", 1)])
  func failOnExitsOneOnlyForANewFindingAtThatSeverity(failOn: String, expected: Int32) throws {
    let dir = try TestSupport.tempDir("failOn-\(failOn)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try Self.firstDay(dir)
    let first = try Self.run(dir, ["--fail-on", failOn])
    #expect(first.status == 0, "the first day has no finding at \(failOn): \(first.err)")
    let firstFindings = Set(try TestSupport.readCSV(dir + "/out/findings.csv").compactMap { $0["finding_id"] })

    try Self.day(
      dir, "2026-10-21.jsonl",
      [
        Self.call("d21-1", "2026-10-21T09:00:00Z", arn: "arn:aws:iam::1:role/b", input: 500_000),
        Self.call("d21-2", "2026-10-21T10:00:00Z", arn: "arn:aws:iam::1:role/b", input: 500_000),
      ])
    let second = try Self.run(dir, ["--fail-on", failOn])
    #expect(second.status == expected, "\(second.err)")
    if expected == 1 { #expect(second.err.contains("--fail-on \(failOn)")) }
    // Everything was written before the exit: b's $1.00 is in the summary.
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    #expect(summary.first { $0["cost_centre"] == "CC-2" }?["cost_usd"] == "1.000000")
    let new = try TestSupport.readCSV(dir + "/out/new_findings.csv")
    #expect(new.contains { $0["kind"] == "expired_credential" && $0["credential_id"] == "arn:aws:iam::1:role/b" })
    #expect(new.allSatisfy { !firstFindings.contains($0["finding_id"] ?? "") })
    #expect(!new.contains { $0["severity"] == "critical" })

    // The same finding the next day is not new: no alert again.
    let third = try Self.run(dir, ["--fail-on", failOn])
    #expect(third.status == 0, "\(third.err)")
  }

  @Test func failOnRejectsAnUnknownSeverity() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    let r = try Self.run(dir, ["--fail-on", "severe"])
    #expect(r.status == 64)
    #expect(r.err.contains("severe"))
  }

  /// SPEC §11: sessions under a prefix row are one line; unregistered credentials one line each.
  @Test func sessionsUnderAPrefixRowAreOneLineAndUnregisteredCredentialsOneEach() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try Self.firstDay(dir)
    try Self.day(
      dir, "2026-10-02.jsonl",
      [
        Self.call("x-1", "2026-10-02T01:00:00Z", arn: "arn:aws:iam::1:role/x", input: 10_000),
        Self.call("y-1", "2026-10-02T02:00:00Z", arn: "arn:aws:iam::1:role/y", input: 20_000),
        Self.call("y-2", "2026-10-02T03:00:00Z", arn: "arn:aws:iam::1:role/y", input: 20_000),
      ])
    let r = try Self.run(dir)
    #expect(r.status == 0, "\(r.err)")
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv").filter { $0["period"] == "2026-10" }
    let a = lines.filter { $0["agent_id"] == "a" }
    #expect(a.count == 1)
    #expect(a.first?["credential_id"] == Self.session + "*")
    #expect(a.first?["requests"] == "20")
    let unregistered = lines.filter { $0["cost_centre"] == "UNATTRIBUTED" }
    #expect(Set(unregistered.compactMap { $0["credential_id"] }) == ["arn:aws:iam::1:role/x", "arn:aws:iam::1:role/y"])
    #expect(unregistered.count == 2)
    // focus.csv: one credential for a's twenty sessions.
    let focus = try TestSupport.readCSV(dir + "/out/focus.csv")
    let resources = Set(focus.compactMap { $0["ResourceId"] })
    #expect(resources.contains(Self.session + "*"))
    #expect(!resources.contains { $0.hasPrefix(Self.session + "s-") })
  }

  /// SPEC §11: an unregistered role's sessions are one line, one FOCUS credential and one finding.
  ///
  /// The same 2,000 calls from 10 or from 2,000 sessions (one per call, as Lambda names them) of
  /// an unregistered role `z`, half of them claiming the registered agent `b`, half naming none,
  /// give the same outputs: the role's prefix row as the credential, one `unregistered_credential`
  /// and one `unattributed` finding, and the same money. An IAM user stays one by one; the sessions
  /// of role `b`, registered by its IAM ARN, are charged to that row.
  @Test func anUnregisteredRolesSessionsAreOneLineWhateverTheirNumber() throws {
    let role = "arn:aws:sts::1:assumed-role/z/"
    func month(sessions: Int) throws -> (lines: [[String: String]], focus: Int, findings: [[String: String]]) {
      let dir = try TestSupport.tempDir("roleSessions-\(sessions)")
      defer { try? FileManager.default.removeItem(atPath: dir) }
      try Self.setUp(dir)
      try Self.day(
        dir, "2026-10-06.jsonl",
        (0..<2_000).map { k in
          Self.call(
            "z-\(k)", Self.spread("2026-10-06", k),
            arn: role + "inv-\(k % sessions)", input: 10_000, agent: k % 2 == 0 ? "b" : nil)
        } + [Self.call("u-1", "2026-10-06T05:00:00Z", arn: "arn:aws:iam::1:user/u-1", input: 30_000)]
          // Role g is registered, bound to an agent agents.csv lacks: unattributed, but matched.
          + [Self.call("g-1", "2026-10-06T07:00:00Z", arn: "arn:aws:sts::1:assumed-role/g/run-1", input: 10_000)]
          // Role b is registered by its IAM ARN: its sessions are that row.
          + (0..<5).map { k in
            Self.call("b-\(k)", "2026-10-06T06:0\(k):00Z", arn: "arn:aws:sts::1:assumed-role/b/job-\(k)", input: 20_000)
          })
      let r = try Self.run(dir)
      #expect(r.status == 0, "\(r.err)")
      // `explain` names the call's own session and the role it is charged as.
      let explained = try TestSupport.runCLI(["explain", "z-13", "--db", dir + "/s.sqlite"])
      #expect(
        explained.out.contains(
          "no row of credentials.csv matches \(role)inv-\(13 % sessions); charged as its role \(role)*"),
        "\(explained.out)")
      let matched = try TestSupport.runCLI(["explain", "g-1", "--db", dir + "/s.sqlite"])
      #expect(
        matched.out.contains("arn:aws:sts::1:assumed-role/g/* (credentials.csv), which charges no cost centre"),
        "\(matched.out)")
      return (
        try TestSupport.readCSV(dir + "/out/chargeback.csv").filter { $0["period"] == "2026-10" },
        try TestSupport.readCSV(dir + "/out/focus.csv").count,
        try TestSupport.readCSV(dir + "/out/findings.csv")
      )
    }
    let few = try month(sessions: 10)
    let many = try month(sessions: 2_000)
    for m in [few, many] {
      // Charged to b: 1,000 calls × 10,000 tokens at $1 per million = $10.00; UNATTRIBUTED: the
      // other 1,000 calls ($10.00) and the IAM user's 30,000 tokens ($0.03), each its own line.
      let z = m.lines.filter { $0["credential_id"] == role + "*" }
      #expect(Set(z.compactMap { $0["cost_centre"] }) == ["CC-2", "UNATTRIBUTED"])
      #expect(z.first { $0["cost_centre"] == "CC-2" }?["cost_usd"] == "10.000000")
      #expect(z.first { $0["cost_centre"] == "UNATTRIBUTED" }?["cost_usd"] == "10.000000")
      #expect(z.map { Int($0["requests"] ?? "") ?? 0 }.reduce(0, +) == 2_000)
      #expect(!m.lines.contains { ($0["credential_id"] ?? "").hasPrefix(role + "inv-") })
      #expect(m.lines.first { $0["credential_id"] == "arn:aws:iam::1:user/u-1" }?["cost_usd"] == "0.030000")
      // Five calls × 20,000 tokens at $1 per million, charged to b's cost centre.
      let b = m.lines.filter { $0["credential_id"] == "arn:aws:iam::1:role/b" }
      #expect(b.count == 1)
      #expect(b.first?["cost_centre"] == "CC-2")
      #expect(b.first?["cost_usd"] == "0.100000")
      let ofRole = m.findings.filter { $0["credential_id"] == role + "*" }
      #expect(ofRole.compactMap { $0["kind"] }.sorted() == ["unattributed", "unregistered_credential"])
      #expect(ofRole.allSatisfy { $0["calls"] == "1000" })
      #expect(ofRole.allSatisfy { ($0["explanation"] ?? "").contains("sessions of role") })
    }
    #expect(many.lines.count == few.lines.count)
    #expect(many.focus == few.focus)
    #expect(many.findings.count == few.findings.count)
  }

  /// company.xlsx's Unattributed sheet: one row per credential, claimed agent, provider and model,
  /// whatever the tasks (it has no task column: a line per task looked like one row repeated).
  @Test func theUnattributedSheetSumsOverTasks() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    // 50 calls of an unregistered IAM user, a task each, 10,000 tokens at $1 per million: $0.50.
    try Self.day(
      dir, "2026-10-07.jsonl",
      (0..<50).map { k in
        Self.call(
          "n-\(k)", Self.spread("2026-10-07", k), arn: "arn:aws:iam::1:user/nobody", input: 10_000, task: "T-\(k)")
      })
    let r = try Self.run(dir)
    #expect(r.status == 0, "\(r.err)")
    #expect(
      try TestSupport.readCSV(dir + "/out/chargeback.csv").filter { $0["cost_centre"] == "UNATTRIBUTED" }.count == 50)
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Unattributed"])
    #expect(sheet.filterLastRow == 1)  // one row
    #expect(sheet.rows[1][0]?.text == "arn:aws:iam::1:user/nobody")
    #expect(sheet.rows[1][sheet.column("Requests") ?? 0]?.cents == 5_000)  // 50 requests
    #expect(sheet.rows[1][sheet.column("Cost (USD)") ?? 0]?.cents == 50)
  }

  /// SPEC §11: the task is not in FOCUS's grain.
  ///
  /// The same calls tagged with 1 task or with 10,000
  /// give the same `focus.csv` (and the same money), while `chargeback.csv` keeps every task.
  @Test func focusRowsDoNotGrowWithTasks() throws {
    func month(tasks: Int) throws -> (focus: [[String: String]], lines: Int, dir: String) {
      let dir = try TestSupport.tempDir("focusTasks-\(tasks)")
      try Self.setUp(dir)
      try Self.day(
        dir, "2026-10-05.jsonl",
        (0..<10_000).map { k in
          Self.call(
            "t-\(k)", Self.spread("2026-10-05", k),
            arn: Self.session + "s-\(k % 7)", input: 1_000 + k, task: "T-\(k % tasks)")
        })
      let r = try Self.run(dir)
      #expect(r.status == 0, "\(r.err)")
      let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv").filter { $0["period"] == "2026-10" }
      return (try TestSupport.readCSV(dir + "/out/focus.csv"), lines.count, dir)
    }
    let one = try month(tasks: 1)
    let many = try month(tasks: 10_000)
    defer {
      try? FileManager.default.removeItem(atPath: one.dir)
      try? FileManager.default.removeItem(atPath: many.dir)
    }
    // One day × one cost centre × agent × credential × model × one token class (input).
    #expect(one.focus.count == 1)
    #expect(many.focus.count == one.focus.count)
    // Σ (1,000 + k) for k < 10,000 = 59,995,000 tokens at $1 per million = $59.995.
    let list = try #require(many.focus.first?["ListCost"].flatMap { DecimalText.parse($0, decimals: 12) })
    #expect(list == Int128(59_995) * 1_000_000_000)
    #expect(many.focus.first?["BilledCost"] == one.focus.first?["BilledCost"])
    #expect(one.lines == 1)
    #expect(many.lines == 10_000)
  }
}

/// A credential bound to an agent agents.csv does not know (a typo in the binding): the finding
/// says so, where it said the calls named the agent (they named none).
@Suite struct BoundToAnUnknownAgentTests {
  @Test func theFindingNamesTheBindingNotTheCalls() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try DailyRunTests.setUp(dir)
    // Role g is bound to `ghost`, which agents.csv does not list; the call names no agent.
    try DailyRunTests.day(
      dir, "d1.jsonl",
      [DailyRunTests.call("g-1", "2026-10-02T10:00:00Z", arn: "arn:aws:sts::1:assumed-role/g/s1", input: 100)])
    let r = try DailyRunTests.run(dir)
    #expect(r.status == 0, "\(r.err)")
    let unknown = try TestSupport.readCSV(dir + "/out/findings.csv").filter { $0["kind"] == "unknown_agent" }
    #expect(unknown.count == 1)
    #expect(
      unknown.first?["explanation"]
        == "credential arn:aws:sts::1:assumed-role/g/* is bound to agent ghost in credentials.csv, which is not in agents.csv"
    )
  }
}
