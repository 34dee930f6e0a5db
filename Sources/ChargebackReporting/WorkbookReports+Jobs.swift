import ChargebackModel
import ChargebackSupport
import Foundation

extension WorkbookReports {
  /// The workbooks as jobs that can run on any thread, in any order, at once.
  ///
  /// One per cost centre, then `company.xlsx` (``paths``). What they share (the cents, the tasks
  /// of each cost centre) is worked out once, by ``prepare()`` or the first job that needs it.
  ///
  /// libxlsxwriter keeps no writable state of its own between workbooks. What it shares through
  /// the C library: `rand` for its scratch files' names (opened with `O_EXCL`: a clash is a
  /// retry), and `gmtime`'s buffer, for the creation time in `docProps/core.xml`. glibc fills that
  /// buffer under a lock but `strftime` reads it after; it holds the same fields whichever thread
  /// filled it only because every workbook of a report has the same creation time (`created`) and
  /// nothing else in the process calls `gmtime` or `localtime`. Keep both true, or put a lock
  /// around `Workbook.close()`.
  package struct Jobs: Sendable {
    /// The workbook files, in the order of ``write(_:)``'s numbers.
    package let paths: [String]
    /// The numbers of ``paths``, largest workbook first: `company.xlsx`, then the cost centres' by
    /// their lines, most first (so that two threads sharing them finish about together).
    package let largestFirst: [Int]
    private let report: ChargebackReport
    /// Each cost centre's lines (positions in `report.lines`).
    private let linesByCC: [String: [Int]]
    private let rowLimit: Int
    private let created: Int64
    private let directory: String
    private let shared: SharedValue<Shared>

    /// What every workbook reads.
    private struct Shared: Sendable {
      var cents: ReportRounding
      /// Each cost centre's usage in cents, on its Daily sheet and the company's (``dailyTargets(_:_:)``).
      var dailyCents: [String: Int128]
      var tasks: TaskLedger
    }

    package init(
      _ report: ChargebackReport, names: [String: String], to directory: String, rowLimit: Int = defaultRowLimit,
      taskMemoryLimit: Int = TaskLedger.defaultLimit, taskDirectory: String? = nil
    ) {
      self.report = report
      self.rowLimit = rowLimit
      self.directory = directory
      created = report.period.endMillis / 1000  // fixed, so the file is reproducible
      paths =
        report.costCentres.map {
          (directory as NSString).appendingPathComponent(names[$0.id] ?? WorkbookNames.assign([$0.id])[$0.id] ?? "")
        } + [(directory as NSString).appendingPathComponent("company.xlsx")]
      var linesByCC: [String: [Int]] = [:]
      report.lines.forEachLent { i, l in linesByCC[l.pointee.key.costCentre, default: []].append(i) }
      self.linesByCC = linesByCC
      let centres = report.costCentres.map { linesByCC[$0.id]?.count ?? 0 }
      largestFirst = [centres.count] + centres.indices.sorted { (centres[$0], $1) > (centres[$1], $0) }
      shared = SharedValue {
        let cents = ReportRounding(report, decimals: 2)
        return Shared(
          cents: cents, dailyCents: dailyTargets(report, cents),
          tasks: try centreTasks(report, limit: taskMemoryLimit, directory: taskDirectory))
      }
    }

    /// Works out what the workbooks share, when no job has yet.
    package func prepare() throws { _ = try shared.value() }

    /// Writes workbook `n` of ``paths``; returns its path.
    package func write(_ n: Int) throws -> String {
      let s = try shared.value()
      if n == report.costCentres.count {
        return try company(
          report, cents: s.cents, dailyCents: s.dailyCents, created: created, directory: directory, limit: rowLimit,
          tmpdir: s.tasks.directory)
      }
      let cc = report.costCentres[n]
      try costCentreWorkbook(
        report, cc, lines: linesByCC[cc.id] ?? [], cents: s.cents, dailyCents: s.dailyCents[cc.id] ?? 0,
        tasks: (s.tasks, Int32(n)), path: paths[n],
        created: created, limit: rowLimit)
      return paths[n]
    }
  }
}
