import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A workbook whose parts were cut short (libxlsxwriter's scratch folder full) must fail the run,
/// never be published: these build zips by hand, stored and whole or cut, and check what
/// `WorkbookCheck` says of each.
@Suite struct WorkbookCheckTests {
  /// CRC-32 (IEEE), bit by bit: the zip's own checksum, written out here apart from zlib's.
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      crc ^= UInt32(b)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// A zip of stored entries; `crc` replaces an entry's checksum when given.
  static func zip(_ entries: [(name: String, data: [UInt8])], badCRC: String? = nil) -> [UInt8] {
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
    var out: [UInt8] = []
    var directory: [UInt8] = []
    for e in entries {
      let name = Array(e.name.utf8)
      let crc = e.name == badCRC ? crc32(e.data) ^ 1 : crc32(e.data)
      let offset = UInt32(out.count)
      let common =
        le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc) + le32(UInt32(e.data.count))
        + le32(UInt32(e.data.count)) + le16(name.count) + le16(0)
      out += le32(0x0403_4b50) + common + name + e.data
      directory += le32(0x0201_4b50) + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
    }
    let start = UInt32(out.count)
    out += directory
    out +=
      le32(0x0605_4b50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
      + le32(UInt32(directory.count)) + le32(start) + le16(0)
    return out
  }

  static let types = Array(#"<?xml version="1.0"?><Types xmlns="x"><Default Extension="xml"/></Types>"#.utf8)
  static let sheet = Array(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"x\"><sheetData><row r=\"1\"><c r=\"A1\"/></row></sheetData></worksheet>\n"
      .utf8)

  @Test func aWholeWorkbookPasses() {
    #expect(WorkbookCheck.problem(in: Self.zip([("[Content_Types].xml", Self.types), ("s.xml", Self.sheet)])) == nil)
  }

  @Test func aPartCutShortOrEmptyOrDamagedIsFound() {
    // Cut where a scratch file's write failed: after a whole inner element, and in a tag.
    let afterRow = Array(Self.sheet[..<(Self.sheet.count - "</sheetData></worksheet>\n".utf8.count)])
    let inTag = Array(Self.sheet[..<(Self.sheet.count - 5)])
    for cut in [afterRow, inTag] {
      #expect(
        WorkbookCheck.problem(in: Self.zip([("[Content_Types].xml", Self.types), ("xl/s1.xml", cut)]))
          == "part xl/s1.xml cut short")
    }
    #expect(
      WorkbookCheck.problem(in: Self.zip([("[Content_Types].xml", Self.types), ("xl/s1.xml", [])]))
        == "part xl/s1.xml empty")
    #expect(
      WorkbookCheck.problem(in: Self.zip([("a.xml", Self.sheet)], badCRC: "a.xml")) == "part a.xml damaged")
    // The file itself cut: no directory at its end.
    let whole = Self.zip([("a.xml", Self.sheet)])
    #expect(WorkbookCheck.problem(in: Array(whole[..<(whole.count - 10)])) == "no zip directory")
  }

  @Test func theEndOfAnXMLPartIsItsFirstElementsEnd() {
    func whole(_ s: String) -> Bool { WorkbookCheck.isWholeXML(Array(s.utf8)) }
    #expect(whole("<?xml version=\"1.0\"?>\r\n<a x=\"1\"><b/></a>\r\n"))
    #expect(whole("<!-- c --><a/>"))
    #expect(whole("<a\n x=\"y\"/>\n"))
    #expect(!whole("<a><b></b>"))
    #expect(!whole("<a><b/></b>"))
    #expect(!whole("<a/><b/>"))
    #expect(!whole("<?xml version=\"1.0\"?>"))
    #expect(!whole(""))
  }

  /// Counts and amounts past 2^53 are written as their exact digits, as text; below, as numbers.
  ///
  /// 2^53 is where a double stops holding every whole number. Expected digits worked out here.
  @Test func numbersADoubleCannotHoldAreWrittenExactly() throws {
    let dir = try TestSupport.tempDir("workbook-exact")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/w.xlsx"
    let wb = try Workbook(path: path, title: "t", created: 0, tmpdir: dir)
    let sheet = try wb.addSheet("Data")
    let limit = Int128(1) << 53  // 9,007,199,254,740,992
    try sheet.integer(0, 0, limit)
    try sheet.integer(1, 0, limit + 1)
    try sheet.integer(2, 0, 9_990_000_000_000_001, .totalInteger)
    try sheet.integer(3, 0, -(limit + 1))
    try sheet.decimal(4, 0, units: limit + 1, decimals: 2)
    try sheet.decimal(5, 0, units: -(limit + 5), decimals: 2, .totalMoney)
    try sheet.decimal(6, 0, units: 12_345, decimals: 2)
    try wb.close()
    let rows = try #require(try WorkbookTests.read(path)["Data"]).rows.map { $0.first ?? nil }
    #expect(rows[0] == .number(Decimal(string: "9007199254740992")!))
    #expect(rows[1]?.text == "9007199254740993")
    #expect(rows[2]?.text == "9990000000000001")
    #expect(rows[3]?.text == "-9007199254740993")
    #expect(rows[4]?.text == "90071992547409.93")
    #expect(rows[5]?.text == "-90071992547409.97")
    #expect(rows[6] == .number(Decimal(string: "123.45")!))
  }

  /// A date-and-time cell holds its second: the month's last instant is 23:59:59 of its last day,
  /// never the next month's first minute (a budget finding's "last seen", rounded by a trial's
  /// spreadsheet), and 03:03:40 keeps its seconds (another trial); a date cell holds its day.
  @Test func dateTimesAreWrittenToTheirSecond() throws {
    let dir = try TestSupport.tempDir("workbook-dates")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/w.xlsx"
    let wb = try Workbook(path: path, title: "t", created: 0, tmpdir: dir)
    let sheet = try wb.addSheet("Data")
    let november: Int64 = 1_793_491_200_000  // 2026-11-01T00:00:00Z
    try sheet.date(0, 0, millis: november - 1, .dateTime)
    try sheet.date(1, 0, millis: november - 30_500, .dateTime)  // 23:59:29.5
    try sheet.date(2, 0, millis: november + 61_999, .dateTime)  // 00:01:01.999
    try sheet.date(3, 0, millis: november - 1, .date)
    try wb.close()
    let rows = try #require(try WorkbookTests.read(path)["Data"]).rows.map { $0.first ?? nil }
    #expect(rows[0]?.text == "2026-10-31 23:59:59")
    #expect(rows[1]?.text == "2026-10-31 23:59:29")
    #expect(rows[2]?.text == "2026-11-01 00:01:01")
    #expect(rows[3]?.text == "2026-10-31 00:00:00")
  }

  /// A Summary's top table shows shares only when no amount is below zero.
  ///
  /// With an allocation moved out, 2,971 % stood beside −3,006 % (a trial). Amounts are shown
  /// either way.
  @Test func sharesAreLeftEmptyBesideNegativeAmounts() throws {
    let dir = try TestSupport.tempDir("workbook-shares")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/w.xlsx"
    let wb = try Workbook(path: path, title: "t", created: 0, tmpdir: dir)
    let plain = try wb.addSheet("Plain")
    _ = try WorkbookReports.topTable(
      plain, at: 0, header: "Top agents", noun: "agents", amounts: [("da", 300), ("db", 100)], total: 400, top: 10)
    let moved = try wb.addSheet("Moved")
    _ = try WorkbookReports.topTable(
      moved, at: 0, header: "Top agents", noun: "agents",
      amounts: [("da", 29_714), ("m(allocated: R-1)", -30_063), ("db", 1_349)], total: 1_000, top: 10)
    try wb.close()
    let book = try WorkbookTests.read(path)
    let p = try #require(book["Plain"]).rows
    // 300 of 400 cents: 75 %; 100: 25 %; TOTAL 100 %.
    #expect(p[1][5] == .number(Decimal(string: "0.75")!) && p[2][5] == .number(Decimal(string: "0.25")!))
    #expect(p[3][5] == .number(1))
    let m = try #require(book["Moved"]).rows
    #expect(m.count == 5)
    for r in 1...4 { #expect(m[r].count < 6 || m[r][5] == nil, "row \(r): \(m[r])") }
    // By size, whatever the sign: the allocation moved out first.
    #expect(m[1][4] == .number(Decimal(string: "-300.63")!) && m[2][4] == .number(Decimal(string: "297.14")!))
    #expect(m[4][4] == .number(Decimal(string: "10")!))
  }

  /// The workbooks the tool writes pass, read back through zlib (libxlsxwriter deflates them).
  @Test func aWorkbookLibxlsxwriterWrotePasses() throws {
    let dir = try TestSupport.tempDir("workbook-check")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/w.xlsx"
    let wb = try Workbook(path: path, title: "t", created: 0, tmpdir: dir)
    let sheet = try wb.addSheet("Data")
    for r in 0..<2_000 { try sheet.text(r, 0, "row \(r) " + String(repeating: "x", count: r % 50)) }
    try wb.close()
    let bytes = try #require(FileManager.default.contents(atPath: path))
    #expect(WorkbookCheck.problem(in: [UInt8](bytes)) == nil)
    // Cut, it fails with an error naming the workbook, the scratch folder and what to do.
    try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path))
    do {
      try WorkbookCheck.check(path, scratch: dir)
      Issue.record("a cut workbook passed")
    } catch let e as OutputError {
      #expect(e.exitStatus == ExitStatus.ioError)
      #expect(e.description.contains(path) && e.description.contains(dir) && e.description.contains("TMPDIR"))
    }
  }
}

/// A write that fails inside the staging folder is reported as the output it was to become (the
/// staging folder is gone by then), in the system's own words.
@Suite struct FailedOutputTests {
  @Test func aFileOfTheStagingFolderIsNamedAsItsOutput() {
    let staging = "/srv/.out.chargeback-host-1-AB"
    let failed = OutputError(path: staging + "/company.xlsx", reason: "the workbook came out incomplete")
    let named = ReportWriter.named(failed, staging: staging, directory: "/srv/out")
    #expect(named.path == "/srv/out/company.xlsx")
    #expect(named.reason == failed.reason && named.exitStatus == failed.exitStatus)
    // Anything else is left as it was: a task file's folder, a folder whose name merely begins so.
    for path in ["/tmp/tasks", staging + "x/company.xlsx", staging] {
      #expect(
        ReportWriter.named(OutputError(path: path, reason: "r"), staging: staging, directory: "/srv/out").path == path)
    }
  }

  /// A write refused by the system says why in its words (a file-size limit read "NSCocoaErrorDomain
  /// error 512").
  @Test func aSystemErrorIsShownInItsOwnWords() {
    let posix = NSError(domain: NSPOSIXErrorDomain, code: Int(EFBIG))
    let wrapped = NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSUnderlyingErrorKey: posix])
    #expect(OutputError.reason(wrapped) == String(cString: strerror(EFBIG)))
    #expect(OutputError.reason(posix) == String(cString: strerror(EFBIG)))
  }
}

/// The elements of an XML part nest, or a piece is missing from its middle.
@Suite struct XMLBalanceTests {
  @Test func nestingIsChecked() {
    func balanced(_ s: String) -> Bool { WorkbookCheck.isBalanced(Array(s.utf8)) }
    #expect(balanced(#"<?xml version="1.0"?><a x="1>2" y='<'><b/><!-- <c> --><c><![CDATA[</a>]]></c></a>"#))
    #expect(balanced("<x:a xmlns:x=\"u\"><x:b>t</x:b></x:a>\n"))
    // A hole where a buffer was lost: an end tag without its start, or a start never ended.
    #expect(!balanced("<a><row><c/></row><row><c/></a>"))
    #expect(!balanced("<a><row><c/></ro</row></a>"))
    #expect(!balanced("<a><b></c></a>"))
    #expect(!balanced("<a/><b/>"))
    #expect(!balanced("<a><b"))
    #expect(!balanced("<a><!-- open</a>"))
  }

  /// A part whose end is whole but whose middle lost a buffer fails the check.
  @Test func aHoleInTheMiddleIsFound() {
    let rows = (1...200).map { "<row r=\"\($0)\"><c r=\"A\($0)\"><v>\($0)</v></c></row>" }.joined()
    let sheet = Array(("<?xml version=\"1.0\"?><worksheet><sheetData>" + rows + "</sheetData></worksheet>").utf8)
    let holed = Array(sheet[..<1_000]) + Array(sheet[1_500...])
    #expect(WorkbookCheck.isWholeXML(holed))
    #expect(
      WorkbookCheck.problem(in: WorkbookCheckTests.zip([("xl/s.xml", holed)])) == "part xl/s.xml has a piece missing")
    #expect(WorkbookCheck.problem(in: WorkbookCheckTests.zip([("xl/s.xml", sheet)])) == nil)
  }
}

/// The order two threads take the workbooks in: every one once, `company.xlsx` first, then the
/// cost centres by their lines, most first.
@Suite struct WorkbookJobOrderTests {
  @Test func largestFirstTakesEachWorkbookOnceCompanyFirst() throws {
    let base = try TestSupport.tempDir("job-order")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let report = try PublicationTests.report(base)
    let jobs = WorkbookReports.Jobs(report, names: WorkbookNames.assign(report.costCentres.map(\.id)), to: base)
    #expect(jobs.largestFirst.sorted() == Array(jobs.paths.indices))
    #expect(jobs.largestFirst.first == report.costCentres.count)
    #expect(jobs.paths.last?.hasSuffix("/company.xlsx") == true)
    let lines = report.costCentres.map { cc in report.lines.filter { $0.key.costCentre == cc.id }.count }
    let counts = jobs.largestFirst.dropFirst().map { lines[$0] }
    #expect(counts == counts.sorted(by: >), "\(counts)")
    #expect(report.costCentres.count > 1)
  }
}
