import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// One record as `CSVStream` hands it over.
private struct Record: Equatable, CustomStringConvertible {
  var line: Int
  var fields: [String]
  init(_ line: Int, _ fields: [String]) {
    self.line = line
    self.fields = fields
  }
  var description: String { "\(line): \(fields)" }
}

/// Writes `bytes` to a new file and streams its records.
private func stream(_ bytes: [UInt8], name: String = #function) throws -> [Record] {
  let dir = try TestSupport.tempDir(name)
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = dir + "/export.csv"
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  var out: [Record] = []
  try CSVStream.forEachRecord(in: InputFile(path: path)) { line, fields in out.append(Record(line, fields)) }
  return out
}

private func stream(_ text: String, name: String = #function) throws -> [Record] {
  try stream(Array(text.utf8), name: name)
}

@Suite struct CSVStreamTests {
  @Test func headerFirstThenRecordsWithTheirLines() throws {
    let got = try stream("id,model,tokens\nr1,gpt-4o,10\nr2,gpt-4o-mini,20\n")
    #expect(
      got == [
        Record(1, ["id", "model", "tokens"]), Record(2, ["r1", "gpt-4o", "10"]),
        Record(3, ["r2", "gpt-4o-mini", "20"]),
      ])
  }

  @Test func quotedCommasAndDoubledQuotes() throws {
    let got = try stream("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n")
    #expect(got == [Record(1, ["a", "b"]), Record(2, ["x, y", "say \"hi\""]), Record(3, ["", "\""])])
  }

  @Test func multiLineQuotedFieldsReportTheLineTheyStartOn() throws {
    let text = "id,metadata\nr1,\"{\n  \"\"agent_id\"\": \"\"a\"\"\n}\"\nr2,plain\nr3,\"one\ntwo\"\n"
    let got = try stream(text)
    #expect(
      got == [
        Record(1, ["id", "metadata"]),
        Record(2, ["r1", "{\n  \"agent_id\": \"a\"\n}"]),
        Record(5, ["r2", "plain"]),
        Record(6, ["r3", "one\ntwo"]),
      ])
  }

  @Test func blankLinesInsideAQuotedFieldAreKept() throws {
    let got = try stream("h\n\"a\n\n\nb\"\nz\n")
    #expect(got == [Record(1, ["h"]), Record(2, ["a\n\n\nb"]), Record(6, ["z"])])
  }

  @Test func aLineBreakRightAfterTheOpeningQuote() throws {
    let got = try stream("h,i\n\"\nx\",1\n")
    #expect(got == [Record(1, ["h", "i"]), Record(2, ["\nx", "1"])])
  }

  @Test func doubledQuoteAtTheStartOfAContinuationLine() throws {
    // The value `a` LF `"b` written as `"a` LF `""b"`.
    let got = try stream("h\n\"a\n\"\"b\"\nnext\n")
    #expect(got == [Record(1, ["h"]), Record(2, ["a\n\"b"]), Record(4, ["next"])])
  }

  @Test func blankLinesBetweenRecordsAreSkippedButCounted() throws {
    let got = try stream("a,b\n\n1,2\n   \n\t\n3,4\n\n")
    #expect(got == [Record(1, ["a", "b"]), Record(3, ["1", "2"]), Record(6, ["3", "4"])])
  }

  @Test func crlfLineEnds() throws {
    let got = try stream("a,b\r\n1,2\r\n3,\"x,y\"\r\n")
    #expect(got == [Record(1, ["a", "b"]), Record(2, ["1", "2"]), Record(3, ["3", "x,y"])])
  }

  /// A line break inside a quoted field is the value's own, as the file writes it: CRLF, LF and
  /// CR CR LF each stay what they are, so two ids that differ by them stay two (a CRLF was read as
  /// LF); the record's own CRLF is no part of its last field.
  @Test(arguments: [
    ("h\r\n\"x\r\ny\"\r\n", "x\r\ny"), ("h\n\"x\ny\"\n", "x\ny"), ("h\r\n\"x\ny\"\r\n", "x\ny"),
    ("h\r\n\"x\r\r\ny\"\r\n", "x\r\r\ny"), ("h\r\n\"x\r\n\r\n\"\r\n", "x\r\n\r\n"),
    ("h\r\n\"x\"\r\n", "x"),
  ])
  func quotedLineBreaksKeepTheirBytes(text: String, value: String) throws {
    let got = try stream(text)
    #expect(got == [Record(1, ["h"]), Record(2, [value])])
  }

  @Test func leadingBOMIsIgnored() throws {
    let got = try stream([0xEF, 0xBB, 0xBF] + Array("request_id,model\nr1,m\n".utf8))
    #expect(got == [Record(1, ["request_id", "model"]), Record(2, ["r1", "m"])])
  }

  @Test func aBOMLaterInTheFileIsData() throws {
    let got = try stream("h\n\u{FEFF}x\n")
    #expect(got == [Record(1, ["h"]), Record(2, ["\u{FEFF}x"])])
  }

  @Test func emptyAndTrailingFields() throws {
    let got = try stream("a,b,c\n,,\nx,,\n,y,\n")
    #expect(got.dropFirst().map(\.fields) == [["", "", ""], ["x", "", ""], ["", "y", ""]])
  }

  @Test func spacesBeforeAnOpeningQuoteAreDroppedAndAStrayQuoteIsLiteral() throws {
    let got = try stream("a,b\n  \"x, y\",5\" disk\n")
    #expect(got == [Record(1, ["a", "b"]), Record(2, ["x, y", "5\" disk"])])
  }

  @Test func lastRecordWithoutLineEnd() throws {
    let got = try stream("a,b\n1,2")
    #expect(got == [Record(1, ["a", "b"]), Record(2, ["1", "2"])])
  }

  /// A record with more or fewer fields than the header is refused, naming its line: an unquoted
  /// comma in a value would shift every later column (a credential read from the next column).
  @Test(arguments: [
    ("a,b,c\n1,2,3\nx,hello, world,z\n", 3, 4, "must be quoted"),
    ("a,b,c\n1,2,3\n\nx,y\n", 4, 2, "must be quoted"),
    ("a,b,c\r\n1,2,3\r\n1,2\r\n", 3, 2, "must be quoted"),
    // Lone carriage returns: two records read as one line, with a hint.
    ("a,b,c\n1,2,3\r4,5,6\r", 2, 5, "lone carriage return"),
  ])
  func aRecordOfAnotherWidthThanTheHeaderIsRefused(text: String, line: Int, found: Int, hint: String) throws {
    let error = try #require(throws: InputError.self) { try stream(text) }
    #expect(error.line == line)
    #expect(error.message.contains("expected 3 fields, as the header has, found \(found)"), "\(error)")
    #expect(error.message.contains(hint), "\(error)")
  }

  @Test func emptyFileHasNoRecords() throws {
    #expect(try stream("").isEmpty)
  }

  @Test func unterminatedQuoteNamesFileAndTheLineItStarts() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/spend.csv"
    try Data("a,b\n1,2\n3,\"open\nstill open\nand more\n".utf8).write(to: URL(fileURLWithPath: path))
    var seen: [Int] = []
    do {
      try CSVStream.forEachRecord(in: InputFile(path: path)) { line, _ in seen.append(line) }
      Issue.record("an unterminated quote must fail")
    } catch let e as InputError {
      #expect(e.file == path)
      #expect(e.line == 3)
      #expect(e.message == "unterminated quoted field")
    }
    // The complete records before it were handed over.
    #expect(seen == [1, 2])
  }

  @Test func anErrorFromTheBodyStopsTheStream() throws {
    struct Stop: Error {}
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/x.csv"
    try Data("a\n1\n2\n3\n".utf8).write(to: URL(fileURLWithPath: path))
    var seen: [String] = []
    #expect(throws: Stop.self) {
      try CSVStream.forEachRecord(in: InputFile(path: path)) { _, fields in
        seen.append(fields[0])
        if fields[0] == "1" { throw Stop() }
      }
    }
    #expect(seen == ["a", "1"])
  }

  /// `InputFile.forEachLine` drops whitespace-only lines; inside a quoted field such a line is part of
  /// the value, and only its line break is put back, so its spaces are lost.
  @Test func whitespaceOnlyLinesInsideAQuotedFieldKeepTheirSpaces() throws {
    let got = try stream("h\n\"a\n   \n\tb\"\n")
    #expect(got == [Record(1, ["h"]), Record(2, ["a\n   \n\tb"])])
  }

  /// SPEC §10: invalid UTF-8 in any field is bad input (file, line, field), never replaced.
  @Test func invalidUTF8IsBadInput() throws {
    #expect(throws: InputError.self) { _ = try stream(Array("a\nx".utf8) + [0xFF, 10]) }
  }

  @Test func invalidUTF8NamesTheLineAndTheColumn() throws {
    do {
      _ = try stream(Array("id,name\n1,ok\n2,a".utf8) + [0xC3, 0x28] + Array("\n".utf8))
      Issue.record("invalid UTF-8 must fail")
    } catch let e as InputError {
      #expect(e.line == 3)
      #expect(e.field == "name")
      #expect(e.message.contains("not valid UTF-8"))
    }
  }

  @Test func aRecordOfTooManyFieldsIsRefused() throws {
    let text = "h\n" + String(repeating: ",", count: CSVStream.maxFields) + "\n"
    #expect(throws: InputError.self) { _ = try stream(text) }
  }

  @Test func aByteOrderMarkIsDropped() throws {
    #expect(
      try stream([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2\n".utf8)) == [Record(1, ["a", "b"]), Record(2, ["1", "2"])])
  }

  // MARK: CSVHeader

  @Test func headerLooksUpTrimmedNames() {
    let h = CSVHeader([" request_id ", "Model", "request_id"])
    #expect(h.names == ["request_id", "Model", "request_id"])
    #expect(h.has("request_id"))
    #expect(!h.has("model"))
    #expect(h.value(["r1", " gpt-4o ", "r2"], "request_id") == "r1")  // first of duplicates
    #expect(h.value(["r1", " gpt-4o ", "r2"], "Model") == "gpt-4o")
    #expect(h.value(["r1", "   "], "Model") == nil)
    #expect(h.value(["r1"], "Model") == nil)
    #expect(h.value(["r1"], "absent") == nil)
  }

  @Test func headerNormalisesNames() {
    let h = CSVHeader(["Request ID", "MODEL"]) { $0.lowercased().replacingOccurrences(of: " ", with: "_") }
    #expect(h.has("request_id"))
    #expect(h.value(["r9", "m"], "model") == "m")
    #expect(h.names == ["Request ID", "MODEL"])
  }

  @Test func headerNamesInTheHead() {
    #expect(CSVHeader.names(inHead: "\u{FEFF}\"a\", b ,c\r\n1,2,3\n") == ["a", "b", "c"])
    #expect(CSVHeader.names(inHead: "x,y") == ["x", "y"])
    #expect(CSVHeader.names(inHead: "x,,y\nz") == ["x", "", "y"])
  }
}
