import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The task level of the report kept out of memory (issue 11, SPEC §11): a month of a ticket per
/// call gives the same outputs, byte for byte, whether its (line, task) pairs stay in memory or go
/// to runs on disk; its Tasks sheets keep the largest tasks and an exact rest; and a line's rows
/// add up to it when a provisioned fee's share replaced its cost.
@Suite struct TaskSpillTests {
  static let records = 12_000

  /// The bench month of a ticket per call, written once into a new folder.
  static func month() throws -> (dir: String, usage: String, identities: String) {
    let dir = try TestSupport.tempDir("task-spill")
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: records, perFile: 4_000, shape: .tickets)
    return (dir, layout.usageDirectory, layout.identityDirectory)
  }

  static func run(
    _ m: (dir: String, usage: String, identities: String), out: String, limit: Int
  ) throws -> ChargebackJob.Result {
    var options = ChargebackJob.Options(
      period: Period(year: 2026, month: 10), usage: [m.usage], identities: m.identities,
      pricing: TestSupport.packageRoot + "/pricing", out: m.dir + "/" + out, database: m.dir + "/s.sqlite")
    options.taskMemoryLimit = limit
    return try ChargebackJob(options: options, progress: .init(force: false)).run()
  }

  static func files(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
      out[name] = FileManager.default.contents(atPath: dir + "/" + name)
    }
    return out
  }

  @Test func theOutputsDoNotDependOnWhereTheTasksAreKept() throws {
    let m = try Self.month()
    defer { try? FileManager.default.removeItem(atPath: m.dir) }
    _ = try Self.run(m, out: "memory", limit: TaskLedger.defaultLimit)  // every task held in memory
    let onDisk = try Self.run(m, out: "disk", limit: 5)
    // The disk was used: the lines' tasks went to runs (``TaskLedger/spilledRuns``).
    let spilled = try #require(onDisk.report?.lineTasks as? TaskLedger)
    #expect(spilled.spilledRuns > 0)
    // Its files went to a folder of the run's own beside the store (or in $TMPDIR), gone with the run.
    let env = ProcessInfo.processInfo.environment["TMPDIR"] ?? ""
    let base = env.isEmpty ? m.dir : env
    #expect(spilled.directory.hasPrefix(base + "/" + ScratchFolder.prefix))
    #expect(!FileManager.default.fileExists(atPath: spilled.directory))
    #expect(
      !(try FileManager.default.contentsOfDirectory(atPath: m.dir)).contains {
        $0.hasPrefix("chargeback-tasks-") || $0.hasPrefix(ScratchFolder.prefix)
      })
    #expect(ChargebackJob.taskDirectory(m.dir + "/s.sqlite") == (env.isEmpty ? m.dir : env))
    // A --db that is a link: the real store's folder.
    try FileManager.default.createDirectory(atPath: m.dir + "/links", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: m.dir + "/links/s.sqlite", withDestinationPath: m.dir + "/s.sqlite")
    #expect(ChargebackJob.taskDirectory(m.dir + "/links/s.sqlite") == (env.isEmpty ? m.dir : env))
    #expect(ChargebackJob.taskDirectory("postgresql://u@localhost/db") == (env.isEmpty ? nil : env))
    // A store's folder this process cannot write into is not used.
    #expect(ChargebackJob.taskDirectory("/nonexistent-chargeback-folder/s.sqlite") == (env.isEmpty ? nil : env))
    let a = try Self.files(m.dir + "/memory")
    let b = try Self.files(m.dir + "/disk")
    #expect(a.keys.sorted() == b.keys.sorted())
    #expect(a.keys.contains("company.xlsx") && a.keys.contains("chargeback.csv"))
    for name in a.keys.sorted() where name != "manifest.json" {
      #expect(a[name] == b[name], "\(name) differs")
    }
    // A row per call in chargeback.csv, each line's rows adding up to its cost centre's total.
    let rows = try TestSupport.readCSV(m.dir + "/disk/chargeback.csv").filter { $0["source"] == "request" }
    #expect(rows.count == Self.records)
    #expect(Set(rows.compactMap { $0["task_id"] }).count == Self.records)
    // The manifest counts the rows of chargeback.csv, not the lines kept in memory.
    let all = try TestSupport.readCSV(m.dir + "/disk/chargeback.csv")
    let manifest = try JSONSerialization.jsonObject(with: try #require(b["manifest.json"])) as? [String: Any]
    let counts = try #require(manifest?["counts"] as? [String: Any])
    #expect((counts["lines"] as? Int) == all.count, "\(String(describing: counts["lines"]))")
    // Far fewer lines than rows: the lines are keyed without the task.
    let report = try #require(onDisk.report)
    #expect(report.lines.count * 10 < Self.records)
    #expect(report.lines.allSatisfy { $0.key.taskID == nil })
  }

  /// 5,000 tasks shared by the calls (a pair summed across runs), calls without a task on the
  /// same lines (a row for the rest), and a provisioned fee far below its calls' list cost (the
  /// lines' costs replaced after the pass, split over their rows): the same outputs, byte for
  /// byte, with the tasks in memory or on disk.
  @Test func sharedTasksUntaskedCallsAndAFeeDoNotDependOnWhereTheTasksAreKept() throws {
    let dir = try TestSupport.tempDir("task-spill-shared")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/input", records: Self.records, perFile: 4_000, shape: .cardinality)
    let commitments = layout.identityDirectory + "/commitments.csv"
    let terms = try String(contentsOfFile: commitments, encoding: .utf8)
    #expect(terms.contains(",provisioned,*claude-haiku-4-5*,120.00,"))
    try terms.replacingOccurrences(of: ",120.00,", with: ",0.50,").write(
      toFile: commitments, atomically: true, encoding: .utf8)
    // The first 400 calls of a file again, under new request ids, with their task ids taken out.
    let usage = layout.usageDirectory + "/bedrock"
    // From the last file: late in the month, under the provisioned capacity (from the 10th) too.
    let first = try #require(try FileManager.default.contentsOfDirectory(atPath: usage).sorted().last)
    let again = try String(contentsOfFile: usage + "/" + first, encoding: .utf8).split(separator: "\n").prefix(400)
      .map {
        $0.replacingOccurrences(of: #""task_id":"TKT-[0-9]+""#, with: #""note":"none""#, options: .regularExpression)
          .replacingOccurrences(of: #""requestId":""#, with: #""requestId":"untasked-"#)
      }
    #expect(again.allSatisfy { !$0.contains("task_id") && $0.contains("untasked-") })
    try (again.joined(separator: "\n") + "\n").write(
      toFile: usage + "/untasked.jsonl", atomically: true, encoding: .utf8)
    let m = (dir, layout.usageDirectory, layout.identityDirectory)
    _ = try Self.run(m, out: "memory", limit: TaskLedger.defaultLimit)
    let onDisk = try Self.run(m, out: "disk", limit: 5)
    #expect((onDisk.report?.lineTasks as? TaskLedger)?.spilledRuns ?? 0 > 100)
    let a = try Self.files(dir + "/memory")
    let b = try Self.files(dir + "/disk")
    #expect(a.keys.sorted() == b.keys.sorted())
    for name in a.keys.sorted() where name != "manifest.json" { #expect(a[name] == b[name], "\(name) differs") }
    let rows = try TestSupport.readCSV(dir + "/disk/chargeback.csv")
    // Lines with rows with and without a task.
    func line(_ r: [String: String]) -> String {
      [
        "cost_centre", "agent_id", "credential_id", "provider", "model", "tier", "attribution_status", "price_status",
        "source", "commitment_id",
      ].map { r[$0] ?? "" }.joined(separator: "|")
    }
    let tasked = Set(rows.filter { !($0["task_id"] ?? "").isEmpty }.map(line))
    let untasked = rows.filter { ($0["task_id"] ?? "").isEmpty && $0["source"] == "request" }
    #expect(untasked.contains { tasked.contains(line($0)) })
    // …among them lines whose cost the fee replaced, read back from disk.
    #expect(untasked.contains { $0["commitment_id"] == "PT-HAIKU45" && tasked.contains(line($0)) })
    #expect(Set(rows.compactMap { $0["task_id"] }.filter { !$0.isEmpty }).count == 5_000)
    // The fee's share is below list on the rows under it.
    let provisioned = rows.filter { $0["commitment_id"] == "PT-HAIKU45" && $0["source"] == "request" }
    #expect(provisioned.count > 100)
    #expect(
      provisioned.allSatisfy { TicketMonthTests.micros($0["cost_usd"]) <= TicketMonthTests.micros($0["list_cost_usd"]) }
    )
    #expect(
      provisioned.contains { TicketMonthTests.micros($0["cost_usd"]) < TicketMonthTests.micros($0["list_cost_usd"]) })
    // Every cost centre's rows add up to its amount in summary.csv, to the micro-dollar.
    var byCentre: [String: Int128] = [:]
    for r in rows where !(r["cost_usd"] ?? "").isEmpty {
      byCentre[r["cost_centre"] ?? "", default: 0] += TicketMonthTests.micros(r["cost_usd"])
    }
    for s in try TestSupport.readCSV(dir + "/disk/summary.csv") where s["cost_centre"] != "TOTAL" {
      #expect(
        (byCentre[s["cost_centre"] ?? ""] ?? 0) == TicketMonthTests.micros(s["cost_usd"]), "\(s["cost_centre"] ?? "")")
    }
  }

  @Test func aCutTasksSheetKeepsTheLargestAndAnExactRest() throws {
    let m = try Self.month()
    defer { try? FileManager.default.removeItem(atPath: m.dir) }
    let report = try #require(try Self.run(m, out: "out", limit: 7).report)
    let names = WorkbookNames.assign(report.costCentres.map(\.id))
    let limit = 40
    for (folder, memory) in [("small", 3), ("large", TaskLedger.defaultLimit)] {
      try FileManager.default.createDirectory(atPath: m.dir + "/" + folder, withIntermediateDirectories: true)
      _ = try WorkbookReports.write(
        report, names: names, to: m.dir + "/" + folder, rowLimit: limit, taskMemoryLimit: memory)
    }
    #expect(try Self.files(m.dir + "/small") == (try Self.files(m.dir + "/large")))
    // The cost centre with the most calls, against its rows in chargeback.csv.
    let csv = try TestSupport.readCSV(m.dir + "/out/chargeback.csv")
    let counts = Dictionary(grouping: csv, by: { $0["cost_centre"] ?? "" })
    let (cc, ccRows) = try #require(counts.max { $0.value.count < $1.value.count })
    let tasks = Set(ccRows.map { $0["task_id"] ?? "" })
    #expect(tasks.count > limit * 10)
    var micros: [String: Int128] = [:]
    for r in ccRows {
      let task = r["task_id"] ?? ""
      let amount = r["cost_usd"] ?? ""
      // An allocation is its own row, named by its rule as in the Agents sheet, not "(none)".
      let name =
        !task.isEmpty ? task : r["source"] == "allocated" ? "(allocated: \(r["rule_id"] ?? ""))" : "(none)"
      micros[name, default: 0] += amount.isEmpty ? 0 : TicketMonthTests.micros(amount)
    }
    let wb = try WorkbookTests.read(m.dir + "/small/" + (try #require(names[cc])))
    let sheet = try #require(wb["Tasks"])
    let cost = try #require(sheet.column("Cost (USD)"))
    let shown = WorkbookTests.dataCents(sheet, cost)
    #expect(shown.count == limit + 1)
    let other = try #require(sheet.rows.first { ($0.first??.text ?? "").hasPrefix("All other (") })
    #expect(other.first??.text == "All other (\(micros.count - limit) tasks)")
    #expect(micros.keys.contains { $0.hasPrefix("(allocated: ") } == (micros.count == tasks.count + 1))
    // The TOTAL is the cost centre's exact amount rounded to the cent (the report's own rounding
    // of the cost centres to the month's rounded total can differ from it by a cent: read it).
    let total = try #require(sheet.row("TOTAL").flatMap { sheet.rows[$0][cost]?.cents })
    let rounding = ReportRounding(report, decimals: 2, lines: false)
    #expect(Int128(total) == rounding.costCentres[cc])
    let exact = try #require(report.costCentres.first { $0.id == cc }?.cost.pico)
    #expect(abs(Int128(total) * Money.unit(2) - exact) < Money.unit(2))
    #expect(Int128(shown.reduce(0, +)) == Int128(total))
    // The kept tasks are the largest by exact cost, largest first, each within a cent of its
    // exact amount (chargeback.csv's rows of the task, to the micro-dollar).
    let largest = micros.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit)
    let keptNames = (1...limit).compactMap { sheet.rows[$0].first??.text }
    #expect(keptNames.count == limit)
    #expect(Set(keptNames).count == limit)
    for (n, name) in keptNames.enumerated() {
      let exact = try #require(micros[name], "\(name)")
      #expect(largest.last.map { exact >= $0.value } == true, "\(name) is among the largest")
      #expect(abs(Int128(shown[n]) * 10_000 - exact) < 10_000, "\(name): \(shown[n]) cents for \(exact) µ$")
    }
    #expect(zip(shown.prefix(limit), shown.prefix(limit).dropFirst()).allSatisfy { $0 >= $1 })
  }

  /// A provisioned fee's share replaces a line's cost after the pass: the line's rows are that
  /// cost split by what the pass charged each, and add up to it exactly.
  @Test func aLineWhoseCostWasReplacedSplitsItOverItsRows() throws {
    let ledger = TaskLedger(limit: 2)
    var line = ChargebackLine(
      key: .init(
        costCentre: "CC", agentID: "a", provider: .bedrock, model: "m", tier: .standard, status: .agentCredential,
        priced: true, source: .request, commitmentID: "pt-1"))
    // Three tasks of 300, 200 and 100 pico-dollars at list, and 400 of calls without a task.
    for (task, pico) in [("T-c", 100), ("T-a", 300), ("T-b", 200), ("T-a", 0)] as [(String, Int128)] {
      var f = TaskFigures()
      f.requests = 1
      (f.cost, f.listCost, f.priced) = (Money(pico: pico), Money(pico: pico), true)
      try ledger.add(group: 0, task: task, f)
    }
    (line.requests, line.cost, line.listCost, line.taskGroup) = (5, Money(pico: 1_000), Money(pico: 1_000), 0)
    ledger.setTotals(of: 0, TaskFigures(line))
    try ledger.finish()
    // The fee's share: 1,000 at list becomes 701.
    line.cost = Money(pico: 701)
    var report = ChargebackReport(
      period: Period(year: 2026, month: 10), lines: [line], costCentres: [], daily: [], findings: [],
      priceRowsUsed: [], inputs: [], identityHash: "", pricingHash: "", recordCount: 5, unpricedRecords: 0)
    report.lineTasks = ledger
    let rows = try report.taskLines()
    #expect(rows.map(\.key.taskID) == [nil, "T-a", "T-b", "T-c"])
    #expect(report.taskRowCount == 4)
    #expect(rows.map(\.requests) == [1, 2, 1, 1])
    // 701 × (400, 300, 200, 100) / 1,000 = 280.4, 210.3, 140.2, 70.1: floors 280 + 210 + 140 + 70 =
    // 700, and the one left goes to the largest remainder (280.4).
    #expect(rows.map(\.cost.pico) == [281, 210, 140, 70])
    #expect(rows.map(\.listCost.pico) == [400, 300, 200, 100])
    #expect(rows.allSatisfy { $0.taskGroup == nil && $0.key.commitmentID == "pt-1" })
    // Unchanged, the rows are their own costs.
    report.lines[0].cost = Money(pico: 1_000)
    #expect(try report.taskLines().map(\.cost.pico) == [400, 300, 200, 100])
  }

  /// A line's rows are rounded within its amount the same way whether they are held (read once)
  /// or read twice (a line of more than ``ReportRounding/heldRows`` tasks), and add up to it.
  @Test func aLineReadOnceOrTwiceRoundsItsRowsAlike() throws {
    let ledger = TaskLedger(limit: 100)
    var line = ChargebackLine(
      key: .init(
        costCentre: "CC", provider: .openai, model: "m", tier: .standard, status: .agentCredential, priced: true,
        source: .request))
    var whole = TaskFigures()
    for n in 0..<3_000 {
      var f = TaskFigures()
      f.requests = 1
      // Fractions of a cent and of a micro-dollar, so both roundings have remainders to place.
      (f.cost, f.listCost, f.priced) = (Money(pico: Int128(n % 97) * 3_333_337), Money(pico: Int128(n) * 7_777), true)
      try ledger.add(group: 0, task: "T-\(n % 2_500)", f)
      whole.add(f)
    }
    var untasked = TaskFigures()
    (untasked.requests, untasked.cost, untasked.listCost) = (4, Money(pico: 123_456_789), Money(pico: 5))
    whole.add(untasked)
    (line.requests, line.cost, line.listCost, line.taskGroup) = (whole.requests, whole.cost, whole.listCost, 0)
    ledger.setTotals(of: 0, whole)
    try ledger.finish()
    var cc = CostCentreSummary(id: "CC", name: "CC")
    (cc.cost, cc.listCost) = (line.cost, line.listCost)
    var report = ChargebackReport(
      period: Period(year: 2026, month: 10), lines: [line], costCentres: [cc], daily: [], findings: [],
      priceRowsUsed: [], inputs: [], identityHash: "", pricingHash: "", recordCount: 3_004, unpricedRecords: 0)
    report.lineTasks = ledger
    for decimals in [2, 6] {
      let rounding = ReportRounding(report, decimals: decimals)
      var once: [(String?, Int128, Int128)] = []
      var twice: [(String?, Int128, Int128)] = []
      try rounding.forEachTaskRow(report, line: 0) { once.append(($0.key.taskID, $1, $2)) }
      try rounding.forEachTaskRow(report, line: 0, held: 10) { twice.append(($0.key.taskID, $1, $2)) }
      #expect(once.count == 2_501)
      #expect(once.elementsEqual(twice) { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 })
      // The rows add up to the line's rounded amount and list cost, each within a unit of exact.
      let unit = Money.unit(decimals)
      #expect(once.reduce(0) { $0 + $1.1 } == rounding.lines[0])
      #expect(once.reduce(0) { $0 + $1.2 } == rounding.lineList[0])
      #expect(rounding.lines[0] == (line.cost.pico + unit / 2) / unit)
    }
  }
}
