import ChargebackModel
import ChargebackSupport
import Foundation

/// The CSV outputs of SPEC §7: `summary.csv`, `chargeback.csv`, `findings.csv`.
package enum CSVReports {
  /// Writes the files into `directory` (`reconciliation.csv` only when cost reports were given or
  /// the bucket-width rule left a report row uncharged); returns their paths.
  package static func write(_ report: ChargebackReport, to directory: String) throws -> [String] {
    try jobs(report, to: directory).map { job in
      _ = try job.write()
      return job.path
    }
  }

  /// The files ``write(_:to:)`` writes, each as a job that any thread can run, at once with the
  /// others: `summary.csv`, `chargeback.csv`, `findings.csv`, and `reconciliation.csv` when there
  /// is anything to reconcile.
  ///
  /// A job returns the SHA-256 of the bytes it wrote (hashed as they were written: no file is
  /// read back for its hash).
  package static func jobs(_ report: ChargebackReport, to directory: String) -> [(
    path: String, write: @Sendable () throws -> String?
  )] {
    let rounding = ReportRounding(report, decimals: 6)
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    let (summaryPath, chargebackPath, findingsPath) = (
      path("summary.csv"), path("chargeback.csv"), path("findings.csv")
    )
    var jobs: [(path: String, write: @Sendable () throws -> String?)] = [
      (summaryPath, { try summary(report, rounding).write(to: summaryPath) }),
      (chargebackPath, { try chargeback(report, rounding, to: chargebackPath) }),
      (findingsPath, { try findings(report.findings, to: findingsPath) }),
    ]
    if !report.reconciliation.isEmpty || !report.granularity.isEmpty {
      let reconciliationPath = path("reconciliation.csv")
      jobs.append((reconciliationPath, { try reconciliation(report).write(to: reconciliationPath) }))
    }
    return jobs
  }

  /// The columns `reconciliation.csv` adds after the first seven for `granularity` rows.
  static let granularityColumns = [
    "credential", "tier", "context_window", "bucket_start", "bucket_end", "coarse_rows", "finer_rows", "coarse_usd",
    "finer_usd", "difference_usd", "input_tokens_difference", "cached_input_tokens_difference",
    "cache_write_5m_tokens_difference", "cache_write_1h_tokens_difference", "output_tokens_difference",
    "web_search_requests_difference", "charged",
  ]

  /// The reconciliation: two kinds of row, told apart by `kind`.
  ///
  /// - `billed`: computed vs billed per provider, day and model (the first seven columns; the
  ///   variance is the printed computed less the printed billed, the percentage exact);
  /// - `granularity`: a coarse report bucket with finer rows of its group within it, against those
  ///   finer rows: the bucket, row counts, both costs, finer − coarse in cost and per token class,
  ///   and which side was charged (`finer`, or `coarse` when the finer pages cover only part of it). Its computed, billed and variance columns are empty, so sums over them
  ///   stay those of the billed rows.
  static func reconciliation(_ report: ChargebackReport) -> CSVWriter {
    var w = CSVWriter(
      header: ["provider", "day", "model", "computed_usd", "billed_usd", "variance_usd", "variance_pct", "kind"]
        + granularityColumns)
    let none = granularityColumns.map { _ in "" }
    for r in report.reconciliation {
      w.append(
        [
          r.provider.rawValue, r.day, r.model, r.computed.formatted(decimals: 6), r.billed.formatted(decimals: 6),
          // The printed amounts' difference, so that each row cross-foots as printed (a trial:
          // 0.158731 − 0.154560 printed as 0.004172, the exact difference rounded).
          Money.format(units: r.computed.rounded(toDecimals: 6) - r.billed.rounded(toDecimals: 6), decimals: 6),
          r.variancePercentText, "billed",
        ] + none)
    }
    for g in report.granularity {
      let d = g.tokenDifference
      w.append(
        [g.provider.rawValue, g.day, g.model, "", "", "", "", "granularity"] + [
          g.credential, g.tier.rawValue, g.contextWindow ?? "", Timestamp.iso(g.bucketStart),
          Timestamp.iso(g.bucketEnd), String(g.coarseRows), String(g.finerRows),
          g.coarseCost?.formatted(decimals: 6) ?? "", g.finerCost?.formatted(decimals: 6) ?? "",
          g.costDifference?.formatted(decimals: 6) ?? "",
        ] + TokenClass.allCases.map { String(d[$0]) } + [g.coarseCharged ? "coarse" : "finer"])
    }
    return w
  }

  /// One row per cost centre, then a TOTAL row.
  ///
  /// The month in context: `previous_cost_usd` (the previous period's cost, empty when the store
  /// has none of it), `change_usd` and `change_pct` against it, `budget_remaining_usd` (budget −
  /// cost, negative when over) and, for a period still open, `forecast_usd` (the run-rate to the
  /// period's end).
  ///
  /// What is owed (SPEC §12): `cost_usd` = `direct_cost_usd` + `allocated_in_usd` −
  /// `allocated_out_usd`; `list_cost_usd` is the cost centre's usage at list prices and
  /// `idle_cost_usd` the idle fees of commitments it owns (direct = list + contract effect + idle).
  ///
  /// Every money column is apportioned like `cost_usd` (largest remainder, ``ReportRounding``), so
  /// its rows add up to its TOTAL exactly; `direct_cost_usd` and `change_usd` are derived from the
  /// printed amounts, so every row cross-foots too (each within a unit of the last decimal of its
  /// exact value).
  static func summary(_ report: ChargebackReport, _ rounding: ReportRounding) -> CSVWriter {
    var w = CSVWriter(header: [
      "cost_centre", "name", "requests", "unpriced_requests", "input_tokens", "cached_input_tokens",
      "cache_write_tokens", "output_tokens", "cost_usd", "avoidable_cost_usd", "budget_usd", "findings",
      "previous_cost_usd", "change_usd", "change_pct", "budget_remaining_usd", "forecast_usd",
      "direct_cost_usd", "allocated_in_usd", "allocated_out_usd", "list_cost_usd", "idle_cost_usd",
    ])
    let ccs = report.costCentres
    let d = rounding.decimals
    func apportioned(_ amount: (CostCentreSummary) -> Money) -> (parts: [Int128], total: Int128) {
      Apportion.rounded(ccs.map(amount), decimals: d)
    }
    // The cost centres' findings' sums as every workbook shows them (``ReportRounding/avoidableByCentre``).
    let avoidableParts = ccs.map { rounding.avoidableByCentre[$0.id] ?? 0 }
    let avoidable = (parts: avoidableParts, total: avoidableParts.reduce(0, +))
    // What the rules' lines of `chargeback.csv` move in and out of each cost centre (their parts
    // add up to what each rule shared, ``ReportRounding/rules``): rounded
    // apart, a cost centre's allocated-in column was a unit off its allocated lines (a trial).
    var (allocatedIn, allocatedOut) = (apportioned(\.allocatedIn), apportioned(\.allocatedOut))
    if !rounding.lines.isEmpty {
      var (inBy, outBy): ([String: Int128], [String: Int128]) = ([:], [:])
      for i in report.lines.indices where report.lines[i].key.source == .allocated {
        let v = rounding.lines[i]
        if v > 0 { inBy[report.lines[i].key.costCentre, default: 0] += v }
        if v < 0 { outBy[report.lines[i].key.costCentre, default: 0] -= v }
      }
      let (ins, outs) = (ccs.map { inBy[$0.id] ?? 0 }, ccs.map { outBy[$0.id] ?? 0 })
      (allocatedIn, allocatedOut) = ((ins, ins.reduce(0, +)), (outs, outs.reduce(0, +)))
    }
    let (list, idle) = (apportioned(\.listCost), apportioned(\.idleCost))
    let context = report.context
    /// The context columns of a row whose printed cost is `owed` and previous cost `previous`.
    func inContext(
      owed: Int128, exact: Money, previous: Int128?, previousExact: Money?, budget: Money?, forecast: Int128?
    )
      -> [String]
    {
      [
        previous.map(rounding.text) ?? "", previous.map { rounding.text(owed - $0) } ?? "",
        previousExact.flatMap { PeriodContext.changePercent(from: $0, to: exact) } ?? "",
        budget.map { rounding.text($0.rounded(toDecimals: d) - owed) } ?? "", forecast.map(rounding.text) ?? "",
      ]
    }
    func row(
      _ id: String, _ name: String, owed: Int128, exact: Money, counts: CostCentreSummary, at i: Int?, budget: Money?,
      findings: Int, previous: Int128?, previousExact: Money?, forecast: Int128?
    ) -> [String] {
      func part(_ a: (parts: [Int128], total: Int128)) -> Int128 { i.map { a.parts[$0] } ?? a.total }
      let (inPart, outPart) = (part(allocatedIn), part(allocatedOut))
      return [
        id, name, String(counts.requests), String(counts.unpricedRequests), String(counts.tokens.input),
        String(counts.tokens.cachedInput), String(counts.tokens.cacheWrite), String(counts.tokens.output),
        rounding.text(owed), rounding.text(part(avoidable)), budget?.formatted(decimals: 2) ?? "", String(findings),
      ]
        + inContext(
          owed: owed, exact: exact, previous: previous, previousExact: previousExact, budget: budget,
          forecast: forecast)
        + [
          rounding.text(owed - inPart + outPart), rounding.text(inPart), rounding.text(outPart),
          rounding.text(part(list)), rounding.text(part(idle)),
        ]
    }
    var total = CostCentreSummary(id: "TOTAL", name: "All cost centres")
    for (i, cc) in ccs.enumerated() {
      w.append(
        row(
          cc.id, cc.name, owed: rounding.costCentres[cc.id] ?? 0, exact: cc.cost, counts: cc, at: i, budget: cc.budget,
          findings: cc.findings, previous: rounding.previous?.parts[cc.id],
          previousExact: context.previous.map { $0.costCentres[cc.id] ?? .zero },
          forecast: rounding.forecast?.parts[cc.id]))
      total.requests += cc.requests
      total.unpricedRequests += cc.unpricedRequests
      total.tokens += cc.tokens
    }
    w.append(
      row(
        "TOTAL", "All cost centres", owed: rounding.total, exact: report.totalCost, counts: total, at: nil,
        budget: nil, findings: report.findings.count, previous: rounding.previous?.total,
        previousExact: context.previous?.total, forecast: rounding.forecast?.total))
    return w
  }

  /// One row per chargeback line, written to `path` as they are made (``CSVWriter/init(streamingTo:header:)``);
  /// returns the SHA-256 of the file's bytes.
  static func chargeback(_ report: ChargebackReport, _ rounding: ReportRounding, to path: String) throws -> String? {
    var w = try CSVWriter(
      streamingTo: path,
      header: [
        "period", "cost_centre", "agent_id", "credential_id", "task_id", "provider", "model", "tier",
        "attribution_status", "price_status", "source", "requests", "failed_requests", "input_tokens",
        "cached_input_tokens",
        "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens", "web_search_requests", "cost_usd",
        "list_cost_usd", "rule_id", "commitment_id", "allocated_from",
      ])
    let period = report.period.description
    // A row per line and task (SPEC §11: the CSV keeps every task), each line's rows rounded
    // within its own amount.
    for i in report.lines.indices {
      try rounding.forEachTaskRow(report, line: i) { line, amount, list in
        let k = line.key
        let allocated = k.source == .allocated
        let usage = !allocated && k.source != .idle
        w.append([
          period, k.costCentre, k.agentID ?? "", k.credentialID ?? "", k.taskID ?? "",
          allocated ? "" : k.provider.rawValue, k.model, usage ? k.tier.rawValue : "", k.status.rawValue,
          k.priced ? "priced" : "unpriced", k.source.rawValue,
          String(line.requests), String(line.failedRequests), String(line.tokens.input),
          String(line.tokens.cachedInput), String(line.tokens.cacheWrite5m),
          String(line.tokens.cacheWrite1h), String(line.tokens.output),
          String(line.tokens.webSearch), k.priced ? rounding.text(amount) : "",
          k.priced ? rounding.text(list) : "", k.ruleID ?? "",
          k.commitmentID ?? "",
          line.allocatedFrom ?? "",
        ])
      }
    }
    try w.finish()
    return w.sha256
  }

  /// One row per finding (`findings.csv`, and `new_findings.csv` with the new ones), written to `path`;
  /// returns the SHA-256 of the file's bytes.
  @discardableResult
  package static func findings(_ findings: [Finding], to path: String) throws -> String? {
    var w = try CSVWriter(
      streamingTo: path,
      header: [
        "finding_id", "kind", "severity", "period", "cost_centre", "agent_id", "credential_id", "owner",
        "task_approver", "first_seen", "last_seen", "calls", "cost_usd", "avoidable_cost_usd", "evidence_count",
        "evidence", "explanation", "label", "label_note",
      ])
    for f in findings {
      w.append([
        f.id, f.kind.rawValue, f.severity.rawValue, f.period, f.costCentre ?? "", f.agentID ?? "",
        f.credentialID ?? "", f.ownerID ?? "", f.taskApprover ?? "", Timestamp.iso(f.firstTime),
        // Calls with no price have no cost: empty, never $0 (SPEC §5).
        Timestamp.iso(f.lastTime), f.callsKnown ? String(f.calls) : "",
        f.costKnown ? f.cost.formatted(decimals: 6) : "",
        f.avoidableShown ? f.avoidableCost.formatted(decimals: 6) : "", String(f.evidenceCount),
        f.evidence.joined(separator: " "),
        f.explanation, f.label ?? "", f.labelNote ?? "",
      ])
    }
    try w.finish()
    return w.sha256
  }
}
