import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackTestSupport

/// The workbooks as finance prints and hands them out: print settings on every sheet, readable and
/// typed cells, totals that add up below the filter, a cross-footing reconciliation, cost-centre
/// workbooks that hold only their own data, and long sheets cut to a limit with an exact total.
@Suite struct WorkbookPrintTests {
  typealias Dump = WorkbookTests.SheetDump

  /// Every sheet: A4, one page wide, margins, header (audience, sheet, period) and footer (page N
  /// of M); a Summary prints on one page with its charts inside the print area, and so does the
  /// Daily sheet; another detail sheet repeats its header row on every page.
  static func expectPrintable(_ wb: [String: Dump], file: String, audience: String, period: String) {
    for (name, s) in wb {
      let p = s.page
      let at = "\(file) \(name)"
      #expect(p.paper == 9, "\(at): not A4")
      #expect(p.fitToPage, "\(at): not fitted to the page")
      #expect((p.fitWidth ?? 1) == 1, "\(at): not one page wide")
      #expect(p.margins == [0.5, 0.5, 0.75, 0.75], "\(at)")
      #expect(p.header["left"] == .some(audience), "\(at): header \(p.header)")
      #expect(p.header["center"] == .some("&A"), "\(at): header \(p.header)")
      #expect(p.header["right"] == .some("Period " + period), "\(at): header \(p.header)")
      #expect(p.footer["right"] == .some("Page &P of &N"), "\(at): footer \(p.footer)")
      if name == "Summary" {
        #expect(p.orientation == "portrait", "\(at)")
        #expect((p.fitHeight ?? 1) == 1, "\(at): not one page")
        let last = p.printAreaLastRow ?? -1
        #expect(last > 0, "\(at): no print area")
        #expect(!s.chartInfo.isEmpty, "\(at): no chart")
        for c in s.chartInfo { #expect((c.anchorEnd ?? .max) <= last, "\(at): chart outside the print area") }
      } else if name == "Daily" {
        // A month's days (and its TOTAL) on one page: the TOTAL printed alone on a second one.
        #expect((p.fitHeight ?? 1) == 1, "\(at): not one page")
        #expect(p.titleRows == "$1:$1", "\(at): header row not repeated")
      } else {
        #expect(["portrait", "landscape"].contains(p.orientation ?? ""), "\(at)")
        #expect(p.fitHeight == 0, "\(at): height not left free")
        #expect(p.titleRows == "$1:$1", "\(at): header row not repeated")
        #expect(s.freeze == "A2", "\(at)")
      }
    }
  }

  @Test func everySheetOfTheMonthPrints() throws {
    let (result, dir) = try MonthTests.runMonth()
    let names = WorkbookNames.assign(result.report.costCentres.map(\.id))
    for cc in result.report.costCentres {
      let file = try #require(names[cc.id])
      let wb = try WorkbookTests.read(dir + "/out/" + file)
      let audience = "Cost centre " + (cc.name == cc.id ? cc.id : "\(cc.id) — \(cc.name)")
      Self.expectPrintable(wb, file: file, audience: audience, period: "2026-10")
    }
    let company = try WorkbookTests.read(dir + "/out/company.xlsx")
    Self.expectPrintable(company, file: "company.xlsx", audience: "Company: all cost centres", period: "2026-10")
    // Wide tables print across, the daily table and the one-page summaries upright.
    let b = try WorkbookTests.read(dir + "/out/CC-B.xlsx")
    #expect(b["Lines"]?.page.orientation == "landscape")
    #expect(b["Findings"]?.page.orientation == "landscape")
    #expect(b["Daily"]?.page.orientation == "portrait")
    // company.xlsx charts cost by cost centre (bars) and daily spend stacked by cost centre.
    let charts = try #require(company["Summary"]?.chartInfo)
    #expect(charts.count == 2)
    #expect(charts.contains { $0.grouping == "stacked" && $0.series == result.report.costCentres.count })
  }

  @Test func everySheetOfTheDemoPrints() throws {
    let dir = try TestSupport.tempDir()
    let r = try TestSupport.runCLI(["demo", "--out", dir + "/demo", "--pricing", TestSupport.packageRoot + "/pricing"])
    try #require(r.status == 0, "\(r.err)")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/demo").filter { $0.hasSuffix(".xlsx") }
    #expect(files.count == 8)  // five cost centres, the shared platform, UNATTRIBUTED and the company
    let summary = try TestSupport.readCSV(dir + "/demo/summary.csv")
    let names = Dictionary(uniqueKeysWithValues: summary.map { ($0["cost_centre"] ?? "", $0["name"] ?? "") })
    for file in files.sorted() {
      let wb = try WorkbookTests.read(dir + "/demo/" + file)
      let id = String(file.dropLast(".xlsx".count))
      let name = names[id] ?? id
      let audience =
        file == "company.xlsx" ? "Company: all cost centres" : "Cost centre " + (name == id ? id : "\(id) — \(name)")
      Self.expectPrintable(wb, file: file, audience: audience, period: "2026-10")
    }
    // Its findings show one amount in every workbook.
    #expect(try FindingCentsTests.compared(dir + "/demo") > 0)
    // A line under a commitment names it (CC-1100's nova-pro calls under D-NOVA, beside its other
    // calls at list), and the Summary sends its owner to a sheet of its own workbook.
    let cc = try WorkbookTests.read(dir + "/demo/CC-1100.xlsx")
    let lines = try #require(cc["Lines"])
    let status = try #require(lines.column("Price status"))
    let named = lines.rows.dropFirst().compactMap { $0.count > status ? $0[status]?.text : nil }
    #expect(named.contains("priced, D-NOVA"), "\(Set(named))")
    #expect(named.contains("priced"))
    let summaryText = try #require(cc["Summary"]).rows.flatMap { $0.compactMap { $0?.text } }
    #expect(!summaryText.contains { $0.contains("company.xlsx") })
  }

  @Test func headersAreForPeopleAndCellsAreTyped() throws {
    let (_, dir) = try MonthTests.runMonth()
    let wb = try WorkbookTests.read(dir + "/out/CC-B.xlsx")
    let lines = try #require(wb["Lines"])
    let header = lines.rows[0].compactMap { $0?.text }
    #expect(header.contains("Cached input tokens"))
    #expect(header.contains("Cost (USD)"))
    for (name, sheet) in wb where name != "Summary" {
      for h in sheet.rows[0].compactMap({ $0?.text }) { #expect(!h.contains("_"), "\(name): machine header \(h)") }
    }
    // The CSVs keep the machine names.
    let csvHeader = try String(contentsOfFile: dir + "/out/chargeback.csv", encoding: .utf8).prefix { $0 != "\n" }
    #expect(csvHeader.contains("cached_input_tokens"))
    // Days are date cells.
    let daily = try #require(wb["Daily"])
    #expect((2...32).allSatisfy { daily.dates.contains("A\($0)") })
    let findings = try #require(wb["Findings"])
    let firstSeen = try #require(findings.column("First seen (UTC)"))
    #expect(findings.dates.contains(Sheet.columnName(firstSeen) + "2"))
    // Money in a currency format, rates as numbers: nova-pro's input rate was cut from 0.8 to 0.7.
    let costCol = try #require(lines.column("Cost (USD)"))
    #expect(lines.formats[Sheet.columnName(costCol) + "2"]?.contains("$") == true)
    let method = try #require(wb["Method"])
    let rate = try #require(method.column("USD per million"))
    let from = try #require(method.column("Effective from"))
    let novaInput = method.rows.filter { $0[1]?.text == "nova-pro" && $0[2]?.text == "input" }
    let micro = novaInput.compactMap { r -> Int? in
      guard case .number(let d)? = r[rate] else { return nil }
      return Int((NSDecimalNumber(decimal: d).doubleValue * 1e6).rounded())
    }
    #expect(Set(micro) == [800_000, 700_000])
    #expect(method.dates.contains(Sheet.columnName(from) + "2"))
  }

  /// Every detail sheet of every workbook has a bold TOTAL row below its filter range whose every
  /// amount and count is the sum of the rows above, to the cent.
  @Test func totalsSitBelowTheFilterAndAddUp() throws {
    let (_, dir) = try MonthTests.runMonth()
    let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter { $0.hasSuffix(".xlsx") }
    #expect(files.count == 5)
    for file in files {
      for (name, sheet) in try WorkbookTests.read(dir + "/out/" + file) where name != "Summary" {
        let at = "\(file) \(name)"
        guard name != "Method" else {
          #expect(sheet.row("TOTAL") == nil, "\(at)")
          continue
        }
        let total = try #require(sheet.row("TOTAL"), "\(at): no TOTAL row")
        let last = try #require(sheet.filterLastRow, "\(at): no filter")
        #expect(total > last, "\(at): TOTAL inside the filter range")
        #expect(sheet.bold.contains("A\(total + 1)"), "\(at): TOTAL not bold")
        var checked = 0
        for (c, cell) in sheet.rows[total].enumerated() {
          guard let sum = cell?.cents, sheet.formats[Sheet.columnName(c) + "\(total + 1)"]?.contains("%") != true
          else { continue }
          #expect(WorkbookTests.dataCents(sheet, c).reduce(0, +) == sum, "\(at): column \(c) does not add up")
          checked += 1
        }
        #expect(checked > 0, "\(at): nothing totalled")
      }
    }
  }

  /// Σ computed − Σ billed = Σ variance, exactly in cents, and every row cross-foots.
  @Test func reconciliationCrossFoots() throws {
    let (_, dir) = try MixedMonthTests.runMonth()
    let sheet = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Reconciliation"])
    let (c, b, v) = (
      try #require(sheet.column("Computed (USD)")), try #require(sheet.column("Billed (USD)")),
      try #require(sheet.column("Variance (USD)"))
    )
    // Six rows: Vertex's 10-23 is after its export's last billed day, not compared.
    let last = try #require(sheet.filterLastRow)
    #expect(last == 6)
    for r in 1...last {
      let row = sheet.rows[r]
      #expect((row[c]?.cents ?? 0) - (row[b]?.cents ?? 0) == row[v]?.cents, "row \(r) does not cross-foot")
    }
    let total = sheet.rows[try #require(sheet.row("TOTAL"))]
    let (tc, tb, tv) = (try #require(total[c]?.cents), try #require(total[b]?.cents), try #require(total[v]?.cents))
    #expect(tc - tb == tv)
    #expect(WorkbookTests.dataCents(sheet, c).reduce(0, +) == tc)
    #expect(WorkbookTests.dataCents(sheet, b).reduce(0, +) == tb)
    #expect(WorkbookTests.dataCents(sheet, v).reduce(0, +) == tv)
    // Σ computed 0.50805 → 51 cents, Σ billed 0.5447 → 54 (see MixedMonthTests).
    #expect([tc, tb, tv] as [Int] == [51, 54, -3])
  }

  /// A cost centre's workbook names no other cost centre, no input file and no price row its
  /// lines did not use.
  @Test func costCentreWorkbookHoldsOnlyItsOwnData() throws {
    let (result, dir) = try MonthTests.runMonth()
    let ids = result.report.costCentres.map(\.id)
    #expect(Set(ids) == ["CC-A", "CC-B", "CC-C", "UNATTRIBUTED"])
    let names = WorkbookNames.assign(ids)
    var forbidden = [Fixtures.root]
    for f in result.report.inputs {
      forbidden += [f.path, f.sha256, (f.path as NSString).lastPathComponent]
    }
    for cc in ids {
      let wb = try WorkbookTests.read(dir + "/out/" + (try #require(names[cc])))
      #expect(wb["Inputs"] == nil)
      var texts: [String] = []
      for s in wb.values {
        texts += s.rows.flatMap { $0.compactMap { $0?.text } }
        texts += (Array(s.page.header.values) + Array(s.page.footer.values)).compactMap { $0 }
      }
      for other in ids where other != cc {
        #expect(!texts.contains { $0.contains(other) }, "\(cc)'s workbook names \(other)")
      }
      for f in forbidden { #expect(!texts.contains { $0.contains(f) }, "\(cc)'s workbook holds \(f)") }
    }
    // Only the price rows of its own lines: CC-C used gpt-4.1-mini standard (input, cached, output).
    let method = try #require(try WorkbookTests.read(dir + "/out/CC-C.xlsx")["Method"])
    let last = try #require(method.filterLastRow)
    let rows = method.rows[1...last].map { [$0[1]?.text ?? "", $0[2]?.text ?? "", $0[3]?.text ?? ""] }
    #expect(
      rows == [
        ["gpt-4.1-mini", "input", "standard"], ["gpt-4.1-mini", "cached_input", "standard"],
        ["gpt-4.1-mini", "output", "standard"],
      ])
    // The company's Method has every row used in the period.
    let company = try #require(try WorkbookTests.read(dir + "/out/company.xlsx")["Method"])
    #expect(company.filterLastRow == result.report.priceRowsUsed.count)
    // Each line knows its rows: CC-A's one call was priced by claude-sonnet-4's base rows.
    let a = try #require(result.report.lines.first { $0.key.costCentre == "CC-A" })
    #expect(a.priceRows.map { result.report.priceRowsUsed[$0].usageType } == [.input, .cachedInput, .output])
  }

  /// With a limit of 2 rows, a sheet keeps the two largest lines and one "All other" row, and its
  /// TOTAL stays exact; the CSV keeps every line.
  @Test func longSheetsKeepAnExactTotal() throws {
    let (result, runDir) = try MonthTests.runMonth()
    let report = try #require(result.report)
    let dir = try TestSupport.tempDir()
    _ = try WorkbookReports.write(
      report, names: WorkbookNames.assign(report.costCentres.map(\.id)), to: dir, rowLimit: 2)
    let cents = ReportRounding(report, decimals: 2)
    let own = report.lines.indices.filter { report.lines[$0].key.costCentre == "CC-B" }
    #expect(own.count > 3)
    let lines = try #require(try WorkbookTests.read(dir + "/CC-B.xlsx")["Lines"])
    let cost = try #require(lines.column("Cost (USD)"))
    #expect(lines.filterLastRow == 3)
    #expect(lines.rows[3][0]?.text == "All other (\(own.count - 2) lines)")
    let largest = own.map { cents.lines[$0] }.sorted(by: >).prefix(2).map { Int($0) }
    #expect([lines.rows[1][cost]?.cents, lines.rows[2][cost]?.cents].compactMap { $0 }.sorted(by: >) == largest)
    #expect(WorkbookTests.dataCents(lines, cost).reduce(0, +) == 111)
    #expect(lines.rows[try #require(lines.row("TOTAL"))][cost]?.cents == 111)
    let requests = try #require(lines.column("Requests"))
    #expect(
      lines.rows[try #require(lines.row("TOTAL"))][requests]?.cents
        == Int(own.reduce(Int128(0)) { $0 + report.lines[$1].requests }) * 100)
    let company = try #require(try WorkbookTests.read(dir + "/company.xlsx")["Lines"])
    let companyCost = try #require(company.column("Cost (USD)"))
    #expect(company.rows[3][0]?.text == "All other (\(report.lines.count - 2) lines)")
    #expect(company.rows[try #require(company.row("TOTAL"))][companyCost]?.cents == 114)
    // The CSV keeps every line.
    #expect(try TestSupport.readCSV(runDir + "/out/chargeback.csv").count == report.lines.count)
  }

  @Test func captionsAreEscaped() {
    #expect(PageLayout.caption("R&D", maxWidth: 90) == "R&&D")
    // libxlsxwriter takes `&G` and `&[Picture]`, even after `&&`, for image placeholders.
    #expect(PageLayout.caption("a&Gb&[Picture]", maxWidth: 90) == #"a\u0026Gb\u0026[Picture]"#)
    #expect(PageLayout.caption("bell\u{7}\u{1B}[31m", maxWidth: 90) == #"bell\u0007\u001b[31m"#)
    let long = PageLayout.caption(String(repeating: "&", count: 300), maxWidth: 90)
    #expect(long.count <= 90)  // ASCII and the `…`: a width a character
    let halves = long.split(separator: "…", omittingEmptySubsequences: false)
    #expect(halves.count == 2)
    #expect(halves.allSatisfy { $0.count % 2 == 0 && !$0.isEmpty })  // never half of a doubled `&`
    // Two long ids that differ only at their end print different headers: the cut keeps both ends.
    let prefix = "Cost centre " + String(repeating: "a", count: 60)
    let x = PageLayout.caption(prefix + "-X", maxWidth: 44)
    let y = PageLayout.caption(prefix + "-Y", maxWidth: 44)
    #expect(x != y && x.count <= 44 && y.count <= 44)
    #expect(x.hasPrefix("Cost centre aaa") && x.hasSuffix("aa-X"))
    // By width, not bytes: 35 Hebrew letters (70 bytes) fit in 44; 30 CJK characters (60 widths) do
    // not, and are cut to 43 widths and the `…`: 21 characters.
    let hebrew = "Cost centre " + String(repeating: "ת", count: 30)
    #expect(PageLayout.caption(hebrew, maxWidth: 44) == hebrew)
    let cjk = PageLayout.caption(String(repeating: "財", count: 30), maxWidth: 44)
    #expect(cjk.count == 22 && cjk.contains("…"))
    #expect(PageLayout.caption("🔬🧪", maxWidth: 44) == "🔬🧪")
    // Letters under 40 combining marks each: at most 2 × 44 code points, whatever their widths.
    let zalgo = PageLayout.caption(
      String(repeating: "a" + String(repeating: "\u{301}", count: 40), count: 30), maxWidth: 44)
    #expect(zalgo.unicodeScalars.count <= 88 && zalgo.contains("…"))
    // A title names at most 120 characters, its start and its end.
    let title = PageLayout.shortened(String(repeating: "n", count: 10_000) + "END", maxCharacters: 120)
    #expect(title.count == 120 && title.hasPrefix("nnn") && title.hasSuffix("nEND") && title.contains("…"))
    #expect(PageLayout.shortened("CC-B — Beta", maxCharacters: 120) == "CC-B — Beta")
  }

  /// Names from the directory reach headers escaped: `&`, image codes, control characters and a
  /// 300-character id.
  @Test func hostileNamesReachHeadersEscaped() throws {
    let dir = try TestSupport.tempDir()
    let (usage, ids, pricing) = try OutputSafetyTests.hostileMonth(dir)
    try
      "cost_centre,name\n\"a/b\",\"R&D &Go \u{7} [&[Picture]]\"\na_b,x\ncompany,x\nCOMPANY,x\n\(String(repeating: "L", count: 300)),x\n\"=1+2\",x\n"
      .write(toFile: ids + "/cost_centres.csv", atomically: true, encoding: .utf8)
    try OutputSafetyTests.run(dir, usage: usage, identities: ids, pricing: pricing)
    let names = try #require(OutputSafetyTests.manifest(dir + "/out")["workbooks"] as? [String: String])
    let ab = try WorkbookTests.read(dir + "/out/" + (try #require(names["a/b"])))
    #expect(
      ab["Lines"]?.page.header["left"] == .some(#"Cost centre a/b — R&&D \u0026Go \u0007 [\u0026[Picture]]"#))
    let long = try WorkbookTests.read(dir + "/out/" + (try #require(names[String(repeating: "L", count: 300)])))
    let left = try #require(long["Summary"]?.page.header["left"] ?? nil)
    // Its name is `x`: the cut keeps the start and the end of `Cost centre LLL… — x`.
    #expect(
      left.hasPrefix("Cost centre LLLL") && left.contains("…") && left.hasSuffix("L — x") && left.utf8.count <= 90)
  }
}

/// A sheet cut to its largest rows sums the rest into its "All other" row: whatever way a table makes
/// the figures of the rows it leaves out (``DetailTable/figures`` or the whole row), that row must be
/// the full sheet's data less the rows shown, column by column, in every workbook.
@Suite struct CutSheetTests {
  @Test func allOtherIsTheFullSheetLessTheRowsShown() throws {
    let (result, _) = try MonthTests.runMonth()
    let report = try #require(result.report)
    let names = WorkbookNames.assign(report.costCentres.map(\.id))
    let (fullDir, cutDir) = (try TestSupport.tempDir(), try TestSupport.tempDir())
    let paths = try WorkbookReports.write(report, names: names, to: fullDir, rowLimit: Int.max)
    _ = try WorkbookReports.write(report, names: names, to: cutDir, rowLimit: 1)
    // Ratios of sums are not sums: their columns are left out.
    let ratios: Set<String> = ["Share", "Change", "Variance"]
    var cut: Set<String> = []
    var checked = 0
    for path in paths {
      let name = (path as NSString).lastPathComponent
      let full = try WorkbookTests.read(fullDir + "/" + name)
      for (sheetName, small) in try WorkbookTests.read(cutDir + "/" + name) {
        guard let other = small.rows.firstIndex(where: { ($0.first??.text ?? "").hasPrefix("All other (") }) else {
          continue
        }
        cut.insert(sheetName)
        let whole = try #require(full[sheetName], "\(name) \(sheetName)")
        let last = try #require(whole.filterLastRow, "\(name) \(sheetName)")
        #expect(other == 2, "\(name) \(sheetName): one row shown, then All other")
        // The row kept is the largest by cost, by size: a negative line (an allocation moved out) too.
        if ["Agents", "Tasks", "Models", "Lines"].contains(sheetName), let cost = small.column("Cost (USD)") {
          let largest = (1...last).compactMap { whole.rows[$0].count > cost ? whole.rows[$0][cost]?.cents : nil }
            .max { abs($0) < abs($1) }
          #expect(
            small.rows[1][cost]?.cents.map(abs) == largest.map(abs), "\(name) \(sheetName): the largest row is kept")
        }
        #expect(small.rows[other].first??.text?.hasPrefix("All other (\(last - 1) ") == true, "\(name) \(sheetName)")
        for (c, header) in (small.rows.first ?? []).enumerated() {
          guard let header = header?.text, !ratios.contains(header), c > 0,
            let rest = small.rows[other][c]?.cents
          else { continue }
          let sum = (1...last).reduce(0) { $0 + (c < whole.rows[$1].count ? whole.rows[$1][c]?.cents ?? 0 : 0) }
          let shown = small.rows[1].count > c ? small.rows[1][c]?.cents ?? 0 : 0
          #expect(rest == sum - shown, "\(name) \(sheetName) \(header)")
          checked += 1
        }
      }
    }
    // Each line's price rows are ascending (``ChargebackLine/priceRows``), whatever order its calls
    // brought them in.
    for l in report.lines {
      #expect(zip(l.priceRows, l.priceRows.dropFirst()).allSatisfy { $0 < $1 }, "\(l.key)")
    }
    // The tables that make their rows' figures apart are among those cut.
    #expect(cut.isSuperset(of: ["Agents", "Tasks", "Models", "Lines"]), "\(cut.sorted())")
    #expect(checked > 20)
  }
}
