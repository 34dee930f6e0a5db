import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

private func fields(_ t: CSVTable) -> [[String]] { t.rows.map { $0.fields } }
private func lines(_ t: CSVTable) -> [Int] { t.rows.map { $0.line } }

/// The `InputError` `body` throws; nil (and a recorded issue) for anything else.
private func inputError(_ body: () throws -> Void) -> InputError? {
  do {
    try body()
    Issue.record("expected an InputError, nothing was thrown")
  } catch let e as InputError {
    return e
  } catch {
    Issue.record("expected an InputError, got \(error)")
  }
  return nil
}

@Suite struct CSVTableTests {
  // MARK: Quoting (RFC 4180)

  @Test func quotedFields() throws {
    let text = "id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n5,\"\"\n"
    let t = try CSVTable(file: "t.csv", text: text)
    #expect(t.header == ["id", "note"])
    #expect(fields(t) == [["1", "a, b"], ["2", "say \"hi\""], ["3", "two\nlines"], ["4", "plain"], ["5", ""]])
    // The quoted line break moves every later record down a line.
    #expect(lines(t) == [2, 3, 4, 6, 7])
  }

  @Test func quotedFieldSpanningSeveralLinesReportsItsFirstLine() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n\"x\n\ny\nz\",1\nnext,2\n")
    #expect(fields(t) == [["x\n\ny\nz", "1"], ["next", "2"]])
    #expect(lines(t) == [2, 6])
  }

  @Test func crlfLineEnds() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\r\n1,2\r\n3,\"in\r\nside\"\r\n4,5\r\n")
    #expect(t.header == ["a", "b"])
    // Outside quotes CR is part of the line end; inside quotes it is part of the value.
    #expect(fields(t) == [["1", "2"], ["3", "in\r\nside"], ["4", "5"]])
    #expect(lines(t) == [2, 3, 5])
  }

  @Test func spacesBeforeAnOpeningQuoteAreDropped() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n  \"x, y\",z\n")
    #expect(fields(t) == [["x, y", "z"]])
  }

  @Test func aQuoteInsideAnUnquotedFieldIsLiteral() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n5\" disk,ok\n")
    #expect(fields(t) == [["5\" disk", "ok"]])
  }

  @Test func emptyAndTrailingFields() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b,c\n,,\nx,,\n,y,\n")
    #expect(fields(t) == [["", "", ""], ["x", "", ""], ["", "y", ""]])
  }

  @Test func lastRecordWithoutLineEnd() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n1,2\n3,4")
    #expect(fields(t) == [["1", "2"], ["3", "4"]])
    #expect(lines(t) == [2, 3])
  }

  @Test func unterminatedQuoteNamesFileAndLine() {
    let e = inputError { _ = try CSVTable(file: "prices.csv", text: "a,b\n1,2\n3,\"open\nstill open\n") }
    #expect(e?.file == "prices.csv")
    #expect(e?.line == 3)
    #expect(e?.message == "unterminated quoted field")
  }

  // MARK: BOM, blank lines, empty files

  @Test func leadingBOMIsIgnored() throws {
    let t = try CSVTable(file: "t.csv", text: "\u{FEFF}person_id,name\nalice,Alice\n")
    #expect(t.header == ["person_id", "name"])
    #expect(t.has("person_id"))
    #expect(t.value(t.rows[0].fields, "person_id") == "alice")
  }

  @Test func leadingBOMIsIgnoredInAFile() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/people.csv"
    try Data([0xEF, 0xBB, 0xBF] + Array("person_id\nbob\n".utf8)).write(to: URL(fileURLWithPath: path))
    let t = try CSVTable(path: path)
    #expect(t.file == path)
    #expect(t.header == ["person_id"])
    #expect(fields(t) == [["bob"]])
  }

  @Test func blankLinesAreSkippedButCounted() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n\n1,2\n   \n\t\n\n3,4\n\n")
    #expect(fields(t) == [["1", "2"], ["3", "4"]])
    #expect(lines(t) == [3, 7])
  }

  @Test func emptyFileNeedsAHeader() {
    let e = inputError { _ = try CSVTable(file: "scopes.csv", text: "") }
    #expect(e?.file == "scopes.csv")
    #expect(e?.line == 1)
    #expect(e?.message == "empty file: a header row is required")
  }

  @Test func headerOnlyHasNoRows() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b\n")
    #expect(t.header == ["a", "b"])
    #expect(t.rows.isEmpty)
  }

  @Test func missingFile() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(throws: InputMissingError.self) { try CSVTable(path: dir + "/nope.csv") }
  }

  /// SPEC §10: invalid UTF-8 in any field is bad input (file, line, field); `init(path:)` decodes with
  /// `String(decoding:)`, which replaces it with U+FFFD.
  @Test func invalidUTF8IsBadInput() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/people.csv"
    try Data(Array("person_id,name\nalice,".utf8) + [0x41, 0xFF, 0x42, 10]).write(to: URL(fileURLWithPath: path))
    let e = inputError { _ = try CSVTable(path: path) }
    #expect(e?.line == 2)
    #expect(e?.field == "name")
    #expect(e?.message.contains("UTF-8") == true)
  }

  // MARK: Header lookup

  @Test func headerNamesAreTrimmedAndLookedUpByName() throws {
    let t = try CSVTable(file: "t.csv", text: " id , Name ,cost_centre\n7,  Ann  ,CC-1\n")
    #expect(t.header == ["id", "Name", "cost_centre"])
    #expect(t.has("id"))
    #expect(t.has("Name"))
    // Another case finds the column (an optional `Revoked_At` was left unread without a word).
    #expect(t.has("name") && t.has("COST_CENTRE"))
    #expect(!t.has(" id "))
    let row = t.rows[0].fields
    #expect(t.value(row, "Name") == "Ann")
    #expect(t.value(row, "cost_centre") == "CC-1")
    #expect(t.value(row, "missing") == nil)
  }

  @Test func columnsMayComeInAnyOrder() throws {
    let t = try CSVTable(file: "t.csv", text: "b,a\n2,1\n")
    #expect(t.value(t.rows[0].fields, "a") == "1")
    #expect(t.value(t.rows[0].fields, "b") == "2")
  }

  @Test func emptyBlankAndMissingCellsAreNil() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b,c\n,   ,\n")
    #expect(t.value(t.rows[0].fields, "a") == nil)
    #expect(t.value(t.rows[0].fields, "b") == nil)
    #expect(t.value(t.rows[0].fields, "c") == nil)
    #expect(t.value(t.rows[0].fields, "d") == nil)
  }

  /// A row with more fields than the header (an unquoted comma in a value) is refused.
  ///
  /// Its values would be read under other columns' names; the error names the file and line.
  /// Fewer fields (optional columns left out at the end) and extra empty fields (trailing commas)
  /// are fine.
  @Test(arguments: [
    ("a,b,c\n1,2,3\nx,hello, world,z\n", 3, 4),
    ("a,b,c\n1,2,3,x\n", 2, 4),
    ("a,b,c\n\"1,2\",3,4,5,\n", 2, 5),
  ])
  func aRowWiderThanTheHeaderIsRefused(text: String, line: Int, found: Int) throws {
    let error = try #require(throws: InputError.self) { try CSVTable(file: "t.csv", text: text) }
    #expect(error.file == "t.csv")
    #expect(error.line == line)
    #expect(error.message.contains("expected at most 3 fields, as the header has, found \(found)"), "\(error)")
  }

  @Test func shortRowsAndTrailingEmptyFieldsAreRead() throws {
    let t = try CSVTable(file: "t.csv", text: "a,b,c\nx\ny,z,w,,\n")
    #expect(t.value(t.rows[0].fields, "a") == "x")
    #expect(t.value(t.rows[0].fields, "c") == nil)
    #expect(t.value(t.rows[1].fields, "c") == "w")
  }

  /// A column named twice is read from its first place; a row that gives it two different values
  /// is refused, naming the line, the column and both values.
  @Test func aColumnNamedTwiceWithTwoValuesIsRefused() throws {
    let error = try #require(throws: InputError.self) {
      try CSVTable(file: "t.csv", text: "credential_id,provider,agent_id, agent_id\nK,bedrock,A,A\nL,bedrock,A,B\n")
    }
    #expect(error.line == 3)
    #expect(error.field == "agent_id")
    #expect(error.message.contains("columns 3 and 4") && error.message.contains("\"A\" and \"B\""), "\(error)")
    // The same value twice, or the second left empty, is one value; empty names are not names.
    let t = try CSVTable(file: "t.csv", text: "a,b,b,,\n1,2,2,,\n3,4,,,\n")
    #expect(t.value(t.rows[0].fields, "b") == "2")
    #expect(t.value(t.rows[1].fields, "b") == "4")
  }

  @Test func requireNamesFileAndColumn() throws {
    let t = try CSVTable(file: "identity/people.csv", text: "person_id,name\nalice,Alice\n")
    #expect(throws: Never.self) { try t.require(["person_id", "name"]) }
    let e = inputError { try t.require(["person_id", "email", "cost_centre"]) }
    #expect(e?.file == "identity/people.csv")
    #expect(e?.line == 1)
    #expect(e?.field == "email")
    #expect(e?.message == "required column is missing from the header")
    #expect(e?.description == "identity/people.csv:1: email: required column is missing from the header")
    // Saved with `;` between fields (a European spreadsheet's "CSV"): the message says so.
    let semi = try CSVTable(file: "cost_centres.csv", text: "cost_centre;name\nCC-A;A\n")
    let s = inputError { try semi.require(["cost_centre"]) }
    #expect(s?.field == "cost_centre")
    #expect(s?.message.contains("seems to use `;` between fields") == true)
  }

  // MARK: Typed cells

  private static let cells = """
    id,owner,since,budget
    a1,alice,2026-10-16,12.50
    a2,,2026-10-16T08:30:00Z,0
    a3,bob,16/10/2026,-5
    a4,carol,,1e3
    a5,dan,2026-02-30,abc
    a6,erin,2026-10-16,0.0000000000001
    a7,fay,,
    """

  @Test func reqReturnsTheTrimmedValueOrNamesFileLineAndField() throws {
    let t = try CSVTable(file: "agents.csv", text: Self.cells)
    #expect(try t.req(t.rows[0], "owner") == "alice")
    let e = inputError { _ = try t.req(t.rows[1], "owner") }
    #expect(e?.file == "agents.csv")
    #expect(e?.line == 3)
    #expect(e?.field == "owner")
    #expect(e?.message == "is empty")
    #expect(e?.description == "agents.csv:3: owner: is empty")
    // A column missing from the header is as empty as an empty cell.
    #expect(inputError { _ = try t.req(t.rows[0], "nope") }?.field == "nope")
  }

  @Test func datesAreUTCEpochMilliseconds() throws {
    let t = try CSVTable(file: "agents.csv", text: Self.cells)
    #expect(try t.date(t.rows[0], "since") == 1_792_108_800_000)  // 2026-10-16T00:00Z
    #expect(try t.date(t.rows[1], "since") == 1_792_108_800_000 + 30_600_000)  // 08:30 later
    #expect(try t.date(t.rows[3], "since") == nil)  // empty: no date
  }

  @Test(arguments: [(3, "16/10/2026", 4), (5, "2026-02-30", 6)])
  func badDatesNameFileLineAndField(row: Int, value: String, line: Int) throws {
    let t = try CSVTable(file: "agents.csv", text: Self.cells)
    let e = inputError { _ = try t.date(t.rows[row - 1], "since") }
    #expect(e?.file == "agents.csv")
    #expect(e?.line == line)
    #expect(e?.field == "since")
    #expect(e?.message == "\"\(value)\" is not an ISO-8601 date")
  }

  @Test func moneyIsExact() throws {
    let t = try CSVTable(file: "cost_centres.csv", text: Self.cells)
    #expect(try t.money(t.rows[0], "budget") == Money(pico: 12_500_000_000_000))
    #expect(try t.money(t.rows[1], "budget") == Money(pico: 0))
    #expect(try t.money(t.rows[6], "budget") == nil)
  }

  @Test(arguments: [(3, "-5", 4), (4, "1e3", 5), (5, "abc", 6), (6, "0.0000000000001", 7)])
  func badMoneyNamesFileLineAndField(row: Int, value: String, line: Int) throws {
    let t = try CSVTable(file: "cost_centres.csv", text: Self.cells)
    let e = inputError { _ = try t.money(t.rows[row - 1], "budget") }
    #expect(e?.file == "cost_centres.csv")
    #expect(e?.line == line)
    #expect(e?.field == "budget")
    #expect(e?.message == "\"\(value)\" is not a non-negative decimal amount")
  }

  @Test(arguments: [
    ("100.005", false), ("0.001", false), ("99.999999999999", false), ("1500.000", true),
    ("100.01", true), ("7", true), ("0", true),
  ])
  func budgetsAreWholeCents(value: String, accepted: Bool) throws {
    let t = try CSVTable(file: "cost_centres.csv", text: "cost_centre,budget\nCC-1,\(value)\n")
    let exact = try #require(try t.money(t.rows[0], "budget"))
    if accepted {
      // The budget read is the amount written, to the pico-dollar.
      #expect(try t.money(t.rows[0], "budget", wholeCents: true) == exact)
    } else {
      let e = inputError { _ = try t.money(t.rows[0], "budget", wholeCents: true) }
      #expect(e?.description == "cost_centres.csv:2: budget: \"\(value)\" has a fraction of a cent: give whole cents")
    }
  }

  @Test func uniqueNamesTheDuplicate() throws {
    let t = try CSVTable(file: "tasks.csv", text: "task_id\nT-1\nT-1\n")
    #expect(throws: Never.self) { try t.unique(true, t.rows[0], "task_id", "T-1") }
    let e = inputError { try t.unique(false, t.rows[1], "task_id", "T-1") }
    #expect(e?.description == "tasks.csv:3: task_id: duplicate id \"T-1\"")
  }

  @Test func lineNumbersOfTypedErrorsFollowQuotedLineBreaks() throws {
    let t = try CSVTable(
      file: "people.csv", text: "person_id,name,offboarded_at\np1,\"Ann\nLee\",2026-01-01\np2,Bo,never\n")
    let e = inputError { _ = try t.date(t.rows[1], "offboarded_at") }
    #expect(e?.line == 4)
  }

  // MARK: Writing

  @Test(arguments: [
    ("plain", "plain"), ("", ""), (" padded ", " padded "), ("a,b", "\"a,b\""), ("a\"b", "\"a\"\"b\""),
    ("a\nb", "\"a\nb\""), ("a\rb", "\"a\rb\""), ("\"", "\"\"\"\""), ("é;ü", "é;ü"),
  ])
  func quote(field: String, quoted: String) {
    #expect(CSVWriter.quote(field) == quoted)
  }

  @Test func writerQuotesOnlyWhereNeeded() {
    var w = CSVWriter(header: ["a", "b"])
    w.append(["x, y", "say \"hi\""])
    w.append(["plain", ""])
    #expect(w.contents == "a,b\n\"x, y\",\"say \"\"hi\"\"\"\nplain,\n")
  }

  /// Values from logs are written safe to open (SPEC §11): control characters escaped, so one value
  /// never looks like another; formula-like text prefixed with a quote; plain numbers kept.
  @Test(arguments: [
    ("line\nbreak", #"line\u000abreak"#), ("bot\u{0}-evil", #"bot\u0000-evil"#), ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
    ("+1-555", "'+1-555"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"), ("@here", "'@here"),
    ("\tx", #"\u0009x"#), ("\r=1", #"\u000d=1"#), ("-12.5", "-12.5"), ("-0.000001", "-0.000001"), ("-", "'-"),
    (#"a\u0000"#, #"a\\u0000"#), ("\u{202E}gnp.exe", #"\u202egnp.exe"#), ("ok = fine", "ok = fine"),
  ])
  func writerMakesValuesSafe(value: String, written: String) {
    var w = CSVWriter(header: ["v"])
    w.append([value])
    #expect(w.contents == "v\n" + CSVWriter.quote(written) + "\n")
  }

  @Test func writtenFilesReadBackUnchanged() throws {
    let rows: [[String]] = [
      ["1", "a, b", "say \"hi\""],
      ["2", "two, commas", "quotes \"inside\""],
      ["3", "  leading and trailing  ", ""],
      ["4", "\"quoted\"", "ünïcödé 😀"],
      ["5", ",", "\"\""],
    ]
    var w = CSVWriter(header: ["id", "x", "y"])
    for r in rows { w.append(r) }
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/out.csv"
    try w.write(to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == w.contents)
    let t = try CSVTable(path: path)
    #expect(t.header == ["id", "x", "y"])
    #expect(fields(t) == rows)
    #expect(lines(t) == [2, 3, 4, 5, 6])
  }

  /// A streaming writer writes the bytes a writer in memory holds, whatever the rows that cross
  /// its megabyte chunks (multi-byte characters, quoted fields), and reads back
  /// row for row; one that cannot create its file says which.
  @Test func aStreamedDocumentIsTheDocument() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var memory = CSVWriter(header: ["id", "text"])
    var streamed = try CSVWriter(streamingTo: dir + "/s.csv", header: ["id", "text"])
    var rows: [[String]] = []
    // About 3.4 MB: three chunks and a part, rows of uneven length.
    for k in 0..<40_000 {
      let row = [String(k), String(repeating: k % 3 == 0 ? "é, \"x\"" : "ab😀", count: 1 + k % 23)]
      rows.append(row)
      memory.append(row)
      streamed.append(row)
    }
    try streamed.finish()
    let written = try #require(FileManager.default.contents(atPath: dir + "/s.csv"))
    #expect(written.count > 3 << 20)
    #expect(String(decoding: written, as: UTF8.self) == memory.contents)
    #expect(fields(try CSVTable(path: dir + "/s.csv")) == rows)
    #expect(throws: OutputError.self) { try CSVWriter(streamingTo: dir + "/missing/s.csv", header: ["a"]) }
  }

  /// Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR: each is a record, as LF and CRLF
  /// are (it was read as one header line and no rows); a CR inside quotes stays in its value, and
  /// the line numbers count CRs.
  @Test func loneCarriageReturnsEndRecords() throws {
    let t = try CSVTable(file: "t.csv", text: "id,name\r1,a\r\n2,\"b\rc\"\r3,d\n\r")
    #expect(t.rows.map(\.fields) == [["1", "a"], ["2", "b\rc"], ["3", "d"]])
    #expect(t.rows.map(\.line) == [2, 3, 5])
  }
}
