import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Hostile values from logs and directories, for each rule of SPEC §11 "Safe to open": formula-like
/// text, control characters, a 40,000-character id, colliding and reserved cost-centre names.
@Suite struct OutputSafetyTests {
  static let model = "anthropic.claude-3-haiku-20240307-v1:0"
  static let longTask = "T-" + String(repeating: "x", count: 40_000)
  /// Task ids with a character that must never reach an output as it is (``SafeTextTests/hidden(_:)``).
  /// (Built from numbers: Swift's literals refuse the non-characters.)
  static let invisibleTasks = [0xFFFE, 0xFFFF, 0xFDD0, 0xAD, 0x3164, 0xFE0F, 0xE0041, 0x1FFFE].map { (v: UInt32) in
    "T" + String(Character(Unicode.Scalar(v)!)) + "x"
  }
  /// A file name XML does not allow.
  static let unwritableName = "f" + String(Character(Unicode.Scalar(UInt32(0xFFFF))!)) + ".jsonl"
  /// 2026-10-07T09:00:00Z (UTC epoch seconds).
  static let day: Int64 = 1_791_363_600

  /// One Bedrock log line; `metadata` holds JSON members (already escaped).
  static func line(_ k: Int, arn: String, model: String = model, metadata: String) -> String {
    let ts = Timestamp.iso((day + Int64(k) * 60) * 1000)
    return
      "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"\(ts)\",\"identity\":{\"arn\":\(JSONText.quoted(arn))},"
      + "\"requestId\":\"req-\(k)\",\"modelId\":\(JSONText.quoted(model)),\"input\":{\"inputTokenCount\":1000},"
      + "\"output\":{\"outputTokenCount\":100},\"requestMetadata\":{\(metadata)}}"
  }

  /// A month with hostile values: cost centres named like formulas and colliding as file names,
  /// formula-like and 40,000-character task ids, a credential and a model id from the log that
  /// start with `@` and `+`, and an agent claim with a NUL in it.
  static func hostileMonth(_ dir: String) throws -> (usage: String, identities: String, pricing: String) {
    let ids = dir + "/identities"
    let pricing = dir + "/pricing"
    let usage = dir + "/usage"
    for d in [ids, pricing, usage] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    // One agent per cost centre, each with its own role.
    let centres = ["a/b", "a_b", "company", "COMPANY", String(repeating: "L", count: 300), "=1+2"]
    var agents = "agent_id,owner,cost_centre\n"
    var creds = "credential_id,provider,agent_id\n"
    var ccRows = "cost_centre,name\n"
    for (k, cc) in centres.enumerated() {
      agents += "agent-\(k),p-1,\(CSVWriter.quote(cc))\n"
      creds += "arn:aws:iam::1:role/r\(k),bedrock,agent-\(k)\n"
      ccRows += "\(CSVWriter.quote(cc)),\(k == 0 ? "-2+3" : "@SUM(1)")\n"
    }
    let files = [
      ids + "/people.csv": "person_id\np-1\n",
      ids + "/cost_centres.csv": ccRows,
      ids + "/agents.csv": agents,
      ids + "/credentials.csv": creds,
      ids + "/tasks.csv": "task_id\n",
      ids + "/scopes.csv": "scope_id\n",
      pricing + "/bedrock.csv":
        "provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source\n"
        + "bedrock,\(model),input,standard,0,0.25,2024-01-01,,test\n"
        + "bedrock,\(model),output,standard,0,1.25,2024-01-01,,test\n",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    var lines: [String] = []
    for k in centres.indices {
      lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r\(k)", metadata: "\"task_id\":\"T-\(k)\""))
    }
    lines.append(
      Self.line(lines.count, arn: "arn:aws:iam::1:role/r0", metadata: #""task_id":"=HYPERLINK(\"http://x\")""#))
    lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r1", metadata: "\"task_id\":\"\(longTask)\""))
    // Formulas after a `;`, bare and behind a quote.
    lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r3", metadata: #""task_id":"s;=1+1;""#))
    lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r4", metadata: #""task_id":"q;\"=2+2""#))
    // A number after a `;`, at a field's end: the cell runs on into the next field.
    lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r5", metadata: #""task_id":"t;-1""#))
    lines.append(Self.line(lines.count, arn: "@attacker", metadata: #""agent_id":"bot\u0000-evil""#))
    // Characters XML does not allow (U+FFFE, U+FFFF: a workbook holding one is unreadable) and
    // invisible ones that made a name look like another (a soft hyphen, a Hangul filler, a
    // variation selector, a tag character, a non-character of another plane).
    for task in Self.invisibleTasks {
      lines.append(
        Self.line(lines.count, arn: "arn:aws:iam::1:role/r0", metadata: "\"task_id\":\(JSONText.quoted(task))"))
    }
    lines.append(Self.line(lines.count, arn: "batcher\u{AD}", metadata: ""))
    lines.append(Self.line(lines.count, arn: "arn:aws:iam::1:role/r2", model: "+cmd\u{1B}[31m", metadata: ""))
    try (lines.joined(separator: "\n") + "\n").write(toFile: usage + "/log.jsonl", atomically: true, encoding: .utf8)
    // A file whose name XML does not allow either (the company workbook lists its inputs).
    try (Self.line(lines.count, arn: "arn:aws:iam::1:role/r0", metadata: "") + "\n").write(
      toFile: usage + "/" + Self.unwritableName, atomically: true, encoding: .utf8)
    return (usage, ids, pricing)
  }

  static func run(_ dir: String) throws -> ChargebackJob.Result {
    let (usage, ids, pricing) = try hostileMonth(dir)
    return try run(dir, usage: usage, identities: ids, pricing: pricing)
  }

  /// `chargeback run` of October 2026 on these folders, into `dir/out` with the store `dir/s.sqlite`.
  @discardableResult
  static func run(_ dir: String, usage: String, identities: String, pricing: String) throws -> ChargebackJob.Result {
    try ChargebackJob(
      options: .init(
        period: Period(year: 2026, month: 10), usage: [usage], identities: identities, pricing: pricing,
        out: dir + "/out", database: dir + "/s.sqlite"),
      progress: .init(force: false)
    ).run()
  }

  @Test func noCSVFieldIsAFormulaOrHidesControlCharacters() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.run(dir)
    for name in ["summary.csv", "chargeback.csv", "findings.csv", "focus.csv"] {
      let path = dir + "/out/" + name
      let bytes = try #require(FileManager.default.contents(atPath: path))
      // No raw control character but the line ends.
      #expect(!bytes.contains { $0 < 0x20 && $0 != 0x0A && $0 != 0x0D }, "\(name) holds a raw control character")
      let hidden = String(decoding: bytes, as: UTF8.self).unicodeScalars.filter {
        $0 != "\n" && $0 != "\r" && SafeTextTests.hidden($0)
      }
      #expect(hidden.isEmpty, "\(name) holds raw hidden characters \(hidden.map { String($0.value, radix: 16) })")
      let table = try CSVTable(path: path)
      for row in table.rows {
        for field in row.fields {
          guard let first = field.first, "=+-@".contains(first) else { continue }
          // Only plain numbers may start so (negative amounts).
          #expect(Double(field) != nil, "\(name):\(row.line): \(field.prefix(40)) is formula-like")
        }
      }
    }
    // Where the list separator is `;`, a spreadsheet starts a cell at every `;` of a line, a quoted
    // field or not: no piece of any line may start (after quotes it would take as a quoted value's)
    // like a formula. Written out here: `=`, `+`, `@`, or `-` before anything but a number.
    for name in ["summary.csv", "chargeback.csv", "findings.csv", "focus.csv", "journal.csv"] {
      let text = try String(contentsOfFile: dir + "/out/" + name, encoding: .utf8)
      for line in text.split(separator: "\n") {
        for piece in line.split(separator: ";", omittingEmptySubsequences: false).dropFirst() {
          // The cell runs to the next `;`, over the field's end: all of it must be a number.
          let rest = piece.drop { $0 == "\"" }
          guard let first = rest.first, "=+-@".contains(first) else { continue }
          #expect(first == "-" && Double(rest) != nil, "\(name): a cell after ';' starts \(rest.prefix(30))")
        }
      }
    }
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    #expect(lines.contains { $0["task_id"] == "'=HYPERLINK(\"http://x\")" })
    #expect(lines.contains { $0["credential_id"] == "'@attacker" })
    #expect(lines.contains { $0["model"] == #"'+cmd\u001b[31m"# })
    // The CSV keeps the long id whole.
    #expect(lines.contains { $0["task_id"] == Self.longTask })
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    #expect(summary.contains { $0["cost_centre"] == "'=1+2" })
    #expect(summary.contains { $0["name"] == "'-2+3" })
    // The NUL is shown escaped, so `bot\0-evil` cannot pass for `bot`.
    let findings = try String(contentsOfFile: dir + "/out/findings.csv", encoding: .utf8)
    #expect(findings.contains(#"bot\u0000-evil"#))
  }

  /// An identity id with a control or invisible character is refused, naming file, line, field
  /// and the character: ids are matched byte for byte, so it would be another id that prints like
  /// the one it imitates (a trial registered `CC-A` and `CC-A` with a soft hyphen).
  @Test(arguments: ["cc\u{202E}3", "cc\u{1}4", "cc\u{2028}5", "CC-A\u{AD}", "C\u{200B}C", "CC-\u{E0041}"])
  func idsWithInvisibleCharactersAreRefused(id: String) throws {
    let dir = try TestSupport.tempDir()
    let (_, ids, _) = try Self.hostileMonth(dir)
    try "cost_centre,name\nCC-OK,ok\n\(CSVWriter.quote(id)),x\n".write(
      toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    let hidden = try #require(id.unicodeScalars.first(where: SafeTextTests.hidden))
    do {
      _ = try IdentityDirectory(directory: ids)
      Issue.record("\(SafeText.escaped(id)) was accepted")
    } catch let e as InputError {
      #expect(e.file.hasSuffix("cost_centres.csv") && e.line == 3 && e.field == "cost_centre")
      // A C0 or C1 control is called so; anything else hidden, invisible.
      let kind = hidden.value < 0x20 || (0x7F...0x9F).contains(hidden.value) ? "a control" : "an invisible"
      #expect(e.message.contains("holds \(kind) character") && e.message.contains(SafeText.codePoint(hidden)))
      // On the terminal, the id shows escaped once: escaped twice, `\\u200b` read as another id.
      let shown = SafeText.message(e.description)
      #expect(shown.contains("\"" + SafeText.escaped(id) + "\"") && !shown.contains("\\\\"), "\(shown)")
    }
  }

  /// FOCUS `Tags` is a JSON object in a CSV cell: with ids holding quotes, backslashes, escapes
  /// written out and formula text it still parses, and gives back each id exactly. (An id with a
  /// control or invisible character is refused when the directory loads:
  /// ``idsWithInvisibleCharactersAreRefused(id:)``.)
  @Test func focusTagsAreJSONThatGivesBackTheIds() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.hostileMonth(dir)
    let centres = [
      "cc\"1", #"cc\2"#, "=HYPERLINK(\"http://x\")", #"cc\u202e3"#, "cc\u{E9}4", #"cc\u0000"# + "5",
      "cc;=1+1;6",
    ]
    var agents = "agent_id,owner,cost_centre\n"
    var ccRows = "cost_centre,name\n"
    for (k, cc) in centres.enumerated() {
      agents += "\(CSVWriter.quote("ag\"\\\(k)")),p-1,\(CSVWriter.quote(cc))\n"
      ccRows += "\(CSVWriter.quote(cc)),n\n"
    }
    var creds = "credential_id,provider,agent_id\n"
    for k in centres.indices { creds += "arn:aws:iam::1:role/r\(k),bedrock,\(CSVWriter.quote("ag\"\\\(k)"))\n" }
    try agents.write(toFile: ids + "/agents.csv", atomically: true, encoding: .utf8)
    try ccRows.write(toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    try creds.write(toFile: ids + "/credentials.csv", atomically: true, encoding: .utf8)
    // A call for each cost centre past the month's six roles.
    let log = try String(contentsOfFile: usage + "/log.jsonl", encoding: .utf8)
    let more = (6..<centres.count).map { Self.line(1_000 + $0, arn: "arn:aws:iam::1:role/r\($0)", metadata: "") }
    try (log + more.joined(separator: "\n") + "\n").write(
      toFile: usage + "/log.jsonl", atomically: true, encoding: .utf8)
    try Self.run(dir, usage: usage, identities: ids, pricing: pricing)
    let rows = try TestSupport.readCSV(dir + "/out/focus.csv")
    var seen = Set<String>()
    var agentsSeen = Set<String>()
    for row in rows {
      let text = try #require(row["Tags"])
      let tags = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
      seen.insert(try #require(tags["cost_centre"]))
      if let a = tags["agent"] { agentsSeen.insert(a) }
      #expect(!text.unicodeScalars.contains(where: SafeTextTests.hidden), "\(text)")
    }
    #expect(seen.isSuperset(of: centres), "\(seen)")
    // The `;` of an id is JSON's `\u003b` in the file: no `;` to split the document at.
    let raw = try String(contentsOfFile: dir + "/out/focus.csv", encoding: .utf8)
    #expect(raw.contains(#"cc\u003b=1+1\u003b6"#))
    #expect(agentsSeen.isSuperset(of: centres.indices.map { "ag\"\\\($0)" }), "\(agentsSeen)")
  }

  @Test func workbooksHoldTextNotFormulasAndCutOversizedValues() throws {
    let dir = try TestSupport.tempDir()
    let result = try Self.run(dir)
    let manifest = try Self.manifest(dir + "/out")
    let names = try #require(manifest["workbooks"] as? [String: String])
    for file in Set(names.values).union(["company.xlsx"]) {
      let wb = try WorkbookTests.read(dir + "/out/" + file)
      for (sheet, dump) in wb {
        #expect(dump.formulas.isEmpty, "\(file) \(sheet) has formulas at \(dump.formulas)")
        for row in dump.rows {
          for cell in row {
            guard case .text(let s)? = cell else { continue }
            #expect(s.utf16.count <= SafeText.cellLimit)
            #expect(!s.unicodeScalars.contains(where: SafeTextTests.hidden), "\(file) \(sheet): raw hidden character")
          }
        }
      }
    }
    // The 40,000-character task is cut visibly in the workbook of its cost centre (a_b).
    let ab = try WorkbookTests.read(dir + "/out/" + (try #require(names["a_b"])))
    let cells = (ab["Tasks"]?.rows ?? []).flatMap { $0 }.compactMap { $0?.text }
    let cut = try #require(cells.first { $0.hasPrefix("T-xxxx") })
    #expect(cut.hasSuffix(SafeText.cutMarker))
    #expect(cut.utf16.count == SafeText.cellLimit)
    #expect(try result.report.taskLines().contains { $0.key.taskID == Self.longTask })
  }

  /// Task ids from a log that read like the rows and groups a sheet makes itself: none is summed
  /// with the calls without a task or shown as a second TOTAL, and each reads back as its id.
  @Test func dataNeverPassesForTheSheetsOwnRows() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.hostileMonth(dir)
    // Role r1 is cost centre a_b's; its calls so far: T-1 and the long task.
    let lookalikes = [
      "(none)", "TOTAL", "total", "All other (1 tasks)", "All\u{A0}other (1 tasks)", "(allocated: rule)",
    ]
    var lines = [Self.line(100, arn: "arn:aws:iam::1:role/r1", metadata: "")]  // no task
    // A registered task whose id starts with a combining mark: its ticket shows beside it.
    let accented = "\u{301}x"
    try "task_id,ticket,approved_by\n\(accented),TK-9,p-1\n".write(
      toFile: ids + "/tasks.csv", atomically: true, encoding: .utf8)
    lines.append(Self.line(99, arn: "arn:aws:iam::1:role/r1", metadata: "\"task_id\":\(JSONText.quoted(accented))"))
    for (k, task) in lookalikes.enumerated() {
      lines.append(
        Self.line(101 + k, arn: "arn:aws:iam::1:role/r1", metadata: "\"task_id\":\(JSONText.quoted(task))"))
    }
    try (lines.joined(separator: "\n") + "\n").write(
      toFile: usage + "/lookalikes.jsonl", atomically: true, encoding: .utf8)
    try Self.run(dir, usage: usage, identities: ids, pricing: pricing)
    let names = try #require(try Self.manifest(dir + "/out")["workbooks"] as? [String: String])
    let ab = try #require(names["a_b"])
    let tasks = try #require(try WorkbookTests.read(dir + "/out/" + ab)["Tasks"])
    let requests = try #require(tasks.column("Requests"))
    let ticket = try #require(tasks.column("Ticket"))
    let accentedRow = tasks.rows.first { $0.first??.text == accented }
    #expect(accentedRow.map { $0[ticket]?.text } == "TK-9")
    let shown = tasks.rows.dropFirst().compactMap { row -> (String, Int)? in
      guard let name = row.first??.text, requests < row.count, case .number(let n)? = row[requests] else { return nil }
      return (name, NSDecimalNumber(decimal: n).intValue)
    }
    // The calls without a task are one row of one call, and the only TOTAL is the sheet's, last.
    #expect(shown.filter { $0.0 == "(none)" }.map(\.1) == [1], "\(shown)")
    #expect(shown.filter { $0.0.uppercased().trimmingCharacters(in: .whitespaces) == "TOTAL" }.count == 1)
    #expect(shown.last?.0 == "TOTAL")
    #expect(!shown.contains { $0.0.hasPrefix("All other") })
    // Each look-alike is a row of its own, one call, and reads back as its id.
    for task in lookalikes {
      let rows = shown.filter { SafeText.unescaped($0.0) == task }
      #expect(rows.map(\.1) == [1], "\(task): \(shown)")
      #expect(rows.first?.0.hasPrefix("\\u") == true, "\(task) is shown as it is")
    }
  }

  @Test func workbookNamesAreSafeDistinctAndNeverTheCompanys() throws {
    let dir = try TestSupport.tempDir()
    _ = try Self.run(dir)
    let manifest = try Self.manifest(dir + "/out")
    let names = try #require(manifest["workbooks"] as? [String: String])
    #expect(names.count == 7)  // six cost centres and UNATTRIBUTED
    #expect(Set(names.values.map { $0.lowercased() }).count == names.count)
    #expect(!names.values.contains { $0.lowercased() == "company.xlsx" })
    #expect(names["a_b"] == "a_b.xlsx")
    let slash = try #require(names["a/b"])
    #expect(slash.hasPrefix("a_b-") && slash != "a_b.xlsx")
    #expect(try #require(names["company"]).hasPrefix("company-"))
    #expect(try #require(names["COMPANY"]).hasPrefix("COMPANY-"))
    let long = try #require(names[String(repeating: "L", count: 300)])
    #expect(long.utf8.count < 80)
    for file in names.values {
      #expect(!file.contains("/") && !file.hasPrefix("."))
      #expect(FileManager.default.fileExists(atPath: dir + "/out/" + file))
    }
    // company.xlsx is the company's: it has the cost centres side by side.
    let company = try WorkbookTests.read(dir + "/out/company.xlsx")
    #expect(company["Cost centres"] != nil)
  }

  /// No workbook name starts with `-` (an option to `rm`, `ls *`, `cp`) or `.` (a hidden file),
  /// whatever the cost centre id starts with; plain ids keep their own name.
  @Test func workbookNamesNeverStartWithADashOrADot() {
    let ids = ["-CC", "--rf", "-", ".cc", "..", "-.x", "_-x", "CC-1", "a-"]
    let names = WorkbookNames.assign(ids)
    #expect(Set(names.values.map { $0.lowercased() }).count == ids.count)
    for (id, file) in names {
      #expect(!file.hasPrefix("-") && !file.hasPrefix(".") && file.hasSuffix(".xlsx"), "\(id) → \(file)")
    }
    #expect(names["CC-1"] == "CC-1.xlsx")
    #expect(names["_-x"] == "_-x.xlsx")
    #expect(names["a-"] == "a-.xlsx")
    #expect(names["-CC"]?.hasPrefix("_CC-") == true)
  }

  /// A cost centre named in another script or with accents keeps a name one can tell it by: its
  /// accents dropped and one `_` a character (`Ünïcødé` was `__n__c__d__-bef14f67.xlsx`, a byte
  /// each), and ids apart only by their accents stay apart by their hashes.
  @Test func workbookNamesOfAccentedIdsReadAsTheirIds() {
    let names = WorkbookNames.assign(["Ünïcødé", "Unicode", "Vertrieb-Süd", "Vertrieb-Sud", "財務", "Ｆｕｌｌ"])
    #expect(names["Ünïcødé"]?.hasPrefix("Unic_de-") == true, "\(names)")
    #expect(names["Unicode"] == "Unicode.xlsx")
    #expect(names["Vertrieb-Süd"]?.hasPrefix("Vertrieb-Sud-") == true, "\(names)")
    #expect(names["Vertrieb-Sud"] == "Vertrieb-Sud.xlsx")
    #expect(names["財務"]?.hasPrefix("__-") == true, "\(names)")
    #expect(names["Ｆｕｌｌ"]?.hasPrefix("Full-") == true, "\(names)")
    #expect(Set(names.values.map { $0.lowercased() }).count == 6)
  }

  /// No workbook is named like a device Windows reserves, with or without an extension after it:
  /// the part of the file name before its first `.` is never one of them, in any case (written
  /// out here from Windows' list: CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9).
  @Test func workbookNamesAreNeverWindowsDevices() {
    let devices = ["CON", "PRN", "AUX", "NUL"] + (0...9).flatMap { ["COM\($0)", "LPT\($0)"] }
    var ids = ["NUL.txt", "con.2026", "COM1.backup", "lpt0", "Com0", "aux ", "aux .x", "nul/x", "CC-1", "console"]
    ids += devices + devices.map { $0.lowercased() + ".xlsx" }
    let names = WorkbookNames.assign(ids)
    #expect(Set(names.values.map { $0.lowercased() }).count == ids.count)
    for (id, file) in names {
      var stem = file.prefix { $0 != "." }
      while stem.last == " " { stem = stem.dropLast() }
      #expect(!devices.contains(stem.uppercased()), "\(id) → \(file)")
    }
    #expect(names["CC-1"] == "CC-1.xlsx")
    #expect(names["console"] == "console.xlsx")
  }

  /// Workbook names stay distinct (but for case) whatever the ids: ids that are other ids' hashed
  /// names, their case variants, and those names' own hashed names, added round after round from
  /// random seeds.
  @Test(arguments: [UInt64(1), 2, 3, 4, 5])
  func workbookNamesStayDistinctWhenIdsAreOtherIdsNames(seed: UInt64) {
    var random = DemoRandom(seed: seed)
    let pieces = ["a", "B", "/", "_", "-", ".", "company", "é", " ", "x"]
    var ids = Set<String>()
    for _ in 0..<12 {
      let n = Int.random(in: 1...6, using: &random)
      ids.insert((0..<n).map { _ in pieces.randomElement(using: &random) ?? "x" }.joined())
    }
    ids.insert("a/b")
    for _ in 0..<3 {
      let names = WorkbookNames.assign(Array(ids))
      #expect(Set(names.values.map { $0.lowercased() }).count == ids.count, "\(names)")
      for file in names.values.shuffled(using: &random).prefix(6) {
        let stem = String(file.dropLast(".xlsx".count))
        ids.insert(stem)
        ids.insert(stem.uppercased())
      }
    }
    let names = WorkbookNames.assign(Array(ids))
    #expect(Set(names.values.map { $0.lowercased() }).count == ids.count, "\(names)")
    // `a/b` is named `a_b-c14cddc0`; an id of that name gets a name of its own.
    let pair = WorkbookNames.assign(["a/b", "a_b-c14cddc0"])
    #expect(pair["a/b"] == "a_b-c14cddc0.xlsx")
    #expect(pair["a_b-c14cddc0"] != "a_b-c14cddc0.xlsx")
  }

  /// `UNATTRIBUTED` (the tool's cost centre) and `TOTAL` (the sum rows' label) in any case.
  @Test(arguments: [
    ("unattributed", "is reserved for spend nobody can be charged for"),
    ("Total", "is reserved for the outputs' total rows"), ("TOTAL", "is reserved for the outputs' total rows"),
  ])
  func reservedCostCentreIdsAreRefused(id: String, message: String) throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.hostileMonth(dir)
    try "cost_centre,name\nCC-1,One\n\(id),Sneaky\n".write(
      toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--out",
      dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 65)
    #expect(r.err.contains("cost_centres.csv:3: cost_centre: \"\(id)\" \(message)"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
  }

  @Test func terminalOutputIsEscaped() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.hostileMonth(dir)
    try
      "cost_centre,name\n\"a/b\",\"red \u{1B}[31m alert\"\na_b,x\ncompany,x\nCOMPANY,x\n\(String(repeating: "L", count: 300)),x\n\"=1+2\",x\n"
      .write(toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--out",
      dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    #expect(!r.out.contains("\u{1B}"))
    #expect(r.out.contains(#"red \u001b[31m alert"#))
    // The table's columns line up: ids and names are measured as shown (escaped), and the
    // 300-character id is cut to the id column's 40 (it was printed whole).
    let table = r.out.split(separator: "\n").map(String.init)
    let top = try #require(table.firstIndex { $0.hasPrefix("cost centre ") })
    let total = try #require(table.firstIndex { $0.hasPrefix("TOTAL ") })
    let rows = table[top...total]
    #expect(rows.count == 9, "header, 6 cost centres, UNATTRIBUTED, TOTAL: \(rows)")
    #expect(Set(rows.map(\.count)).count == 1, "\(rows.map(\.count))")
    #expect(rows.contains { $0.hasPrefix(String(repeating: "L", count: 39) + "… ") })
    #expect(rows.contains { $0.contains(#" red \u001b[31m alert "#) })
    let explain = try TestSupport.runCLI(["explain", "req-9", "--db", dir + "/s.sqlite"])
    #expect(explain.status == 0, "\(explain.err)")
    #expect(!explain.out.contains("\u{1B}"))
    #expect(!explain.out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  /// A value from a log that holds a newline stays on its own line of `explain`, escaped: a
  /// credential id or agent claim cannot add a line that looks like the tool's.
  @Test func explainKeepsEachValueOnItsLine() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try Self.hostileMonth(dir)
    let forged = Self.line(
      20, arn: "key\nforged-label        yes", metadata: #""agent_id":"a\r\nforged-agent        yes""#)
    try (forged + "\n").write(toFile: usage + "/forged.jsonl", atomically: true, encoding: .utf8)
    let r = try TestSupport.runCLI([
      "run", "--period", "2026-10", "--usage", usage, "--identities", ids, "--pricing", pricing, "--out",
      dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 0, "\(r.err)")
    let explain = try TestSupport.runCLI(["explain", "req-20", "--db", dir + "/s.sqlite"])
    #expect(explain.status == 0, "\(explain.err)")
    let lines = explain.out.split(separator: "\n")
    #expect(!lines.contains { $0.hasPrefix("forged") })
    #expect(lines.contains { $0.hasPrefix("credential ") && $0.hasSuffix(#"key\u000aforged-label        yes"#) })
    #expect(explain.out.contains(#"agent_id=a\u000d\u000aforged-agent        yes"#))
    #expect(!explain.out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  static func manifest(_ out: String) throws -> [String: Any] {
    let data = try #require(FileManager.default.contents(atPath: out + "/manifest.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }
}
