import ChargebackModel
import ChargebackSupport
import Foundation

/// The workbooks of SPEC §7: one per cost centre and `company.xlsx`, made to be printed.
///
/// Money is shown in cents, apportioned (``ReportRounding``) so that every column of cents adds up
/// to the cost centre's total and the cost centres to the company total. Every sheet prints on A4,
/// one page wide, with its audience, period, name and page number in the header and footer; each
/// Summary prints on one page with its charts. A cost centre's workbook holds only its own data.
package enum WorkbookReports {
  typealias Cell = DetailTable.Cell
  typealias Column = DetailTable.Column

  /// The four token columns of the detail tables (input, cached input, cache writes, output).
  static let tokenColumns: [Column] = [
    Column(header: "Input tokens", width: 13, total: .count),
    Column(header: "Cached input tokens", width: 13, total: .count),
    Column(header: "Cache write tokens", width: 13, total: .count),
    Column(header: "Output tokens", width: 13, total: .count),
  ]

  /// The most data rows a detail sheet shows; the rest are summed into one "All other" row.
  package static let defaultRowLimit = 5_000

  /// Widths of the six columns of a Summary sheet: figures (A:B), a gap (C), a small table (D:F).
  ///
  /// A is wide enough for the longest bold label ("Idle capacity you own (USD)"; the labels are
  /// kept to 27 characters: a finance trial's printout cut "Direct usage at list price (USD)"); D for a top table's names, cut to 32 characters
  /// (``chartLabel(_:characters:)``). 95 in all: 695 pixels, inside an upright A4 page's 698.
  static let summaryWidths: [Double] = [29, 14, 3, 27, 13, 9]

  /// Writes one workbook per cost centre (named by `names`, see ``WorkbookNames``) plus
  /// `company.xlsx`; returns the paths.
  ///
  /// A detail sheet shows at most `rowLimit` data rows (the largest by cost) and one "All other"
  /// row summing the rest.
  /// libxlsxwriter's scratch files go where the tasks do (`taskDirectory`, else ``TaskLedger``'s
  /// default): not a `/tmp` that is memory.
  package static func write(
    _ report: ChargebackReport, names: [String: String], to directory: String, rowLimit: Int = defaultRowLimit,
    taskMemoryLimit: Int = TaskLedger.defaultLimit, taskDirectory: String? = nil
  ) throws -> [String] {
    let jobs = Jobs(
      report, names: names, to: directory, rowLimit: rowLimit, taskMemoryLimit: taskMemoryLimit,
      taskDirectory: taskDirectory)
    return try jobs.paths.indices.map { try jobs.write($0) }
  }

  /// A cost centre's workbook: its own lines, agents, tasks, models, days, findings and the price
  /// rows its lines used; nothing of other cost centres and no input files.
  static func costCentreWorkbook(
    _ report: ChargebackReport, _ cc: CostCentreSummary, lines idx: [Int], cents: ReportRounding, dailyCents: Int128,
    tasks: (ledger: TaskLedger, group: Int32), path: String, created: Int64, limit: Int
  ) throws {
    let wb = try Workbook(
      path: path, title: "Chargeback \(report.period) — \(cc.id)", created: created, tmpdir: tasks.ledger.directory)
    let page = Page(audience: "Cost centre " + label(cc), period: report.period)
    let ccCents = cents.costCentres[cc.id] ?? 0
    let ownFindings = report.findings.indices.filter { report.findings[$0].costCentre == cc.id }
    let findings = ownFindings.map { report.findings[$0] }
    // Usage by day: idle fees and allocations have no day (without them, the cost centre's amount).
    let own = report.daily.filter { $0.costCentre == cc.id }.reduce(Money.zero) { $0 + $1.cost }
    let daily = dailyTable(report, cc.id, target: dailyCents)
    try summarySheet(wb, report, cc, ccCents: ccCents, lines: idx, cents: cents, findings: findings, page: page)
    try write(
      groupTable(
        "Agents", report, idx, cents, noun: "agents",
        keyColumns: [
          Column(header: "Agent", width: 24, wrap: true), Column(header: "Name", width: 22, wrap: true),
          Column(header: "Owner", width: 10), Column(header: "Team", width: 16, wrap: true),
        ],
        key: { [agentGroup($0.key)] },
        describe: { key in
          let v = GroupKey.id(key[0]).flatMap { report.agents[$0] }
          return [GroupKey.cell(key[0]), .text(v?.name ?? ""), .text(v?.owner ?? ""), .text(v?.team ?? "")]
        },
        previous: report.context.previous.map { p in
          LastMonth(
            groups: p.agents.filter { $0.key.costCentre == cc.id }.map {
              ([GroupKey.of(previousItem: $0.key.item)], $0.value)
            },
            target: cents.previous?.parts[cc.id] ?? 0, exactTotal: p.costCentres[cc.id] ?? .zero)
        }, regroup: false), to: wb, page: page, limit: limit)
    try write(
      tasksTable(report, cents, tasks: tasks.ledger, group: tasks.group, ccCents: ccCents, limit: limit), to: wb,
      page: page,
      limit: limit)
    try write(
      groupTable(
        "Models", report, idx, cents, noun: "models",
        keyColumns: [
          Column(header: "Provider", width: 10), Column(header: "Model", width: 26, wrap: true),
          Column(header: "Tier", width: 9),
        ],
        key: { k in
          k.key.sharingLabel.map { ["", $0, ""] } ?? [k.key.provider.rawValue, k.key.model, k.key.tier.rawValue]
        },
        // A shared cost's label in the model column (``ChargebackLine/Key/sharingLabel``), no provider or tier.
        describe: { $0[0].isEmpty ? [.empty, .made($0[1]), .empty] : $0.map { .text($0) } },
        previous: report.context.previous.map { p in
          LastMonth(
            groups: p.models.filter { $0.key.costCentre == cc.id }.map {
              (Self.modelKey(previousItem: $0.key.item), $0.value)
            },
            target: cents.previous?.parts[cc.id] ?? 0, exactTotal: p.costCentres[cc.id] ?? .zero)
        }), to: wb, page: page, limit: limit)
    // A month has at most 31 days and the Summary's chart plots every one: never cut.
    // Said on the sheet when its TOTAL is not the amount owed, which a reader compares it with.
    let dailyNotes =
      own == cc.cost
      ? []
      : [
        "Usage by day. Shared costs allocated to or from this cost centre and provisioned-capacity fees have no"
          + " day and are not in this sheet; the Summary shows the amount owed."
      ]
    try write(daily, to: wb, page: page, limit: Int.max, notes: dailyNotes)
    let findingCents = (ownFindings.map { cents.findingCosts[$0] }, ownFindings.map { cents.findingAvoidable[$0] })
    try write(
      findingsTable(findings, costCentre: false, cents: findingCents), to: wb, page: page, limit: limit,
      notes: [findingsNote])
    try write(linesTable(report, idx, cents, costCentre: false, limit: limit), to: wb, page: page, limit: limit)
    let rows = Set(idx.flatMap { report.lines[$0].priceRows }).sorted().map { report.priceRowsUsed[$0] }
    try write(
      methodTable(rows, fullLocation: false), to: wb, page: page, limit: Int.max,
      notes: methodNotes(report) + [
        "These are the price rows this cost centre's calls used. The run's input files and their SHA-256 are"
          + " listed in its manifest.json."
      ])
    try wb.close()
  }

  static let findingsNote = "A call can be in more than one finding, so the TOTAL can count its cost more than once."

  /// The cents of each finding's cost and avoidable cost, by largest remainder over `findings`, so
  /// that their TOTAL is `findings.csv`'s sum to the cent; an amount not shown (no price) is 0.
  static func findingCents(_ findings: [Finding]) -> (cost: [Int128], avoidable: [Int128]) {
    func rounded(_ amount: (Finding) -> Money, _ shown: (Finding) -> Bool) -> [Int128] {
      Apportion.rounded(findings.map { shown($0) ? amount($0) : .zero }, decimals: 2).parts
    }
    return (rounded(\.cost, \.costKnown), rounded(\.avoidableCost, \.avoidableShown))
  }

  /// One row per finding; `costCentre` adds the cost centre column (company.xlsx).
  ///
  /// Amounts by largest remainder: the TOTAL is `findings.csv`'s sum to the cent. `cents`, when
  /// given, are the amounts of these findings as the company's rounding made them
  /// (``ReportRounding/findingCosts``): a cost centre's workbook then shows each finding as
  /// company.xlsx does (rounded over its own few, one read $2.68 there and $2.67 in company.xlsx, a
  /// trial).
  static func findingsTable(
    _ findings: [Finding], costCentre: Bool, cents: (cost: [Int128], avoidable: [Int128])? = nil
  ) -> DetailTable {
    // Calls with no price have no cost: an empty cell, never $0 (SPEC §5).
    let priced = findings.map(\.costKnown)
    let avoidableShown = findings.map(\.avoidableShown)
    let (costs, avoidable) = cents ?? findingCents(findings)
    let rows: [[Cell]] = findings.indices.map { n in
      let f = findings[n]
      return [.text(f.id), .text(words(f.kind.rawValue)), .text(f.severity.rawValue)]
        + (costCentre ? [.text(f.costCentre ?? "")] : []) + [
          .text(f.agentID ?? ""), .text(f.credentialID ?? ""), .text(f.ownerID ?? ""), .dateTime(f.firstTime),
          .dateTime(f.lastTime), f.callsKnown ? .int(f.calls) : .empty,
          priced[n] ? .money(exact: f.cost.pico, cents: costs[n]) : .empty,
          avoidableShown[n] ? .money(exact: f.avoidableCost.pico, cents: avoidable[n]) : .empty,
          .text(f.label ?? ""),
          .text(f.explanation),
        ]
    }
    // The Cost (USD) column: after Calls (it was the Avoidable column, one to the right, so a cut
    // sheet kept the findings with the most avoidable cost, most of them none, by severity).
    let cost = costCentre ? 10 : 9
    return DetailTable(
      name: "Findings",
      columns: [
        Column(header: "Finding", width: 19), Column(header: "Kind", width: 17, wrap: true),
        Column(header: "Severity", width: 9),
      ] + (costCentre ? [Column(header: "Cost centre", width: 13, wrap: true)] : []) + [
        Column(header: "Agent", width: 18, wrap: true), Column(header: "Credential", width: 20, wrap: true),
        Column(header: "Owner", width: 10, wrap: true), Column(header: "First seen (UTC)", width: 19),
        Column(header: "Last seen (UTC)", width: 19), Column(header: "Calls", width: 8, total: .count),
        Column(header: "Cost (USD)", width: 11, total: .money),
        Column(header: "Avoidable (USD)", width: 11, total: .money),
        Column(header: "Label", width: 10, wrap: true), Column(header: "Explanation", width: 42, wrap: true),
      ], rows: rows, noun: "findings",
      rank: { row in
        // Every critical finding (a revoked key's use, spend nobody can be charged for) before the
        // costliest others: a trial's 20,000-credential month folded 3,487 of 5,837 critical
        // findings into "All other" beside cheaper ones kept for their cost. Costs are below
        // 10^25 pico-USD (Bounds), so the critical mark is above any of them.
        var critical: Int128 = 0
        if case .text(let severity) = row[2], severity == Severity.critical.rawValue {
          critical = 1_000_000_000_000_000_000_000_000_000_000
        }
        return critical + DetailTable.size(row[cost].rankValue ?? 0)
      })
  }

  /// `shared_credential_agent` as `shared credential agent`: a kind or status that wraps between
  /// words in a narrow column (the CSVs keep the machine name).
  static func words(_ name: String) -> String {
    // For machine names (ASCII enum values): byte by byte, since this runs once per detail row and
    // mapping Characters breaks graphemes (a tenth of writing the workbooks of a month with 60,000
    // lines). An underscore is one byte never part of a multi-byte character, so the text stays
    // valid UTF-8; one followed by a combining mark would be replaced too, where mapping
    // Characters would keep it.
    guard name.utf8.contains(UInt8(ascii: "_")) else { return name }
    return String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
  }

  /// The price rows `rows`; `fullLocation` cites each by its file as given (company.xlsx), otherwise
  /// by the file's name only, so that a cost centre's workbook shows no paths.
  static func methodTable(_ rows: [PriceRow], fullLocation: Bool) -> DetailTable {
    DetailTable(
      name: "Method",
      columns: [
        Column(header: "Provider", width: 10), Column(header: "Model", width: 22, wrap: true),
        Column(header: "Token class", width: 14), Column(header: "Tier", width: 9),
        Column(header: "Min input tokens", width: 11), Column(header: "USD per million", width: 11),
        Column(header: "Effective from", width: 11), Column(header: "Effective to (excl.)", width: 11),
        Column(header: "Source", width: 44, wrap: true), Column(header: "Price table row", width: 20, wrap: true),
      ],
      rows: rows.map { p in
        [
          .text(p.provider.rawValue), .text(p.model), .text(p.usageType.rawValue), .text(p.tier.rawValue),
          .int(Int128(p.minInputTokens)), .rate(p.rate), .date(p.from), p.to.map(Cell.date) ?? .empty, .text(p.source),
          .text(fullLocation ? p.location : (p.location as NSString).lastPathComponent),
        ]
      }, noun: "price rows", rank: { _ in 0 }, totals: false)
  }

  /// How the amounts were computed, and the hashes of the tables used.
  static func methodNotes(_ report: ChargebackReport) -> [String] {
    [
      "A call costs its units of each token class times the rate of the row in effect on its day (USD per million),"
        + " summed exactly.",
      "Amounts are rounded to cents once, at the end (largest remainder), so that lines add up to their cost centre"
        + " and cost centres to the total.",
      "Price tables SHA-256: \(report.pricingHash)", "Identity directory SHA-256: \(report.identityHash)",
    ]
  }

}
