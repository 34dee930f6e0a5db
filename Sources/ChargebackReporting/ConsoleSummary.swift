import ChargebackModel
import ChargebackSupport

/// The short table of cost centres `run`, `report` and `demo` print on stdout.
package enum ConsoleSummary {
  /// The warnings among ``lines(_:)``, each a line that starts with `warning: `.
  package static func warnings(_ report: ChargebackReport) -> [String] {
    lines(report).filter { $0.hasPrefix("warning: ") }
  }

  /// The table's lines: one per cost centre, then `TOTAL`, in cents apportioned like the workbooks;
  /// ready for the terminal (``SafeText/terminal(_:)`` applied to every value from an input).
  package static func lines(_ report: ChargebackReport) -> [String] {
    let rounding = ReportRounding(report, decimals: 2, lines: false)
    func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
      guard s.count < n else { return s }
      let fill = String(repeating: " ", count: n - s.count)
      return right ? fill + s : s + fill
    }
    // Ids and names as the terminal shows them (control characters escaped, which makes them
    // longer), so that the columns line up. The id column is as wide as the longest id, from 16 to
    // 40 characters; a longer id is cut with `…` (the CSVs and workbooks have it whole), as names
    // are at 24: a 40,000-character id filled the terminal.
    func shown(_ s: String, _ n: Int) -> String {
      let t = SafeText.terminal(s)
      return t.count <= n ? t : String(t.prefix(n - 1)) + "…"
    }
    let idWidth = min(40, max(16, report.costCentres.map { SafeText.terminal($0.id).count }.max() ?? 0))
    func row(_ id: String, _ name: String, _ requests: Int128, _ cents: Int128, _ findings: Int) -> String {
      [
        pad(shown(id, idWidth), idWidth), pad(shown(name, 24), 24), pad(String(requests), 10, right: true),
        pad(rounding.text(cents), 14, right: true), pad(String(findings), 9, right: true),
      ].joined(separator: " ")
    }
    var out = [
      [
        pad("cost centre", idWidth), pad("name", 24), pad("requests", 10, right: true),
        pad("cost USD", 14, right: true),
        pad("findings", 9, right: true),
      ].joined(separator: " ")
    ]
    for cc in report.costCentres {
      out.append(row(cc.id, cc.name, cc.requests, rounding.costCentres[cc.id] ?? 0, cc.findings))
    }
    out.append(
      row("TOTAL", "", report.costCentres.reduce(0) { $0 + $1.requests }, rounding.total, report.findings.count))
    // The unattributed spend the allocation rules shared out: its row reads 0.00 (what it still
    // owes), and a trial's console never said that anything went unattributed.
    if let u = report.costCentres.first(where: { $0.id == Attribution.unattributed }), u.allocatedOut > .zero {
      out.append(
        "UNATTRIBUTED: \(u.directCost.formatted(decimals: 2)) USD of usage nobody could be charged for; the"
          + " allocation rules shared \(u.allocatedOut.formatted(decimals: 2)) USD of it among the cost centres"
          + " (company.xlsx, Summary and Unattributed)")
    }
    if report.recordCount == 0 {
      out.append(
        "warning: the store holds no usage in \(report.period): this chargeback is fixed fees and allocations"
          + " only; check --period and --usage (an export not synced yet?)")
    }
    if report.unpricedRecords > 0 {
      // The records, and what summary.csv and the workbooks count of them: a usage report's row is
      // one record of many calls, or of none counted.
      let requests = report.costCentres.reduce(Int128(0)) { $0 + $1.unpricedRequests }
      let tokens = report.costCentres.reduce(Int128(0)) { $0 + $1.unpricedTokens }
      out.append(
        "\(report.unpricedRecords) records (\(requests) requests, \(tokens) tokens) could not be priced"
          + " (see findings: unpriced_model)")
    }
    if report.context.isOpen, let asOf = report.context.asOf {
      // Finance closing a month from a store that holds nothing later: the latest call is taken as
      // "now" (the wall clock is never read), so the month stays open until told otherwise.
      // No forecast before any time of the month has elapsed (usage ending at its first instant).
      let forecast =
        rounding.forecast != nil
        ? ", so forecast_usd extrapolates to the month's end"
        : report.context.forecastWithheldFrom.map {
          " (no forecast: usage from \(Timestamp.iso($0)) on is missing, while other usage runs later; see the"
            + " warnings, on stderr)"
        } ?? " (too early for a forecast)"
      // Usage report buckets that end at the month's end, and nothing later: the last may be the
      // last day's, fetched that day.
      let runs =
        asOf >= report.period.endMillis
        ? "its usage reports run to its end, but nothing of the next month is loaded (their last bucket may have"
          + " been fetched before the day ended), so forecast_usd is what it owes"
        : "its usage runs to \(Timestamp.iso(asOf))\(forecast)"
      out.append(
        "\(report.period) is reported as open: \(runs); it is reported closed once the store holds a later"
          + " record (the next month's first usage), or run again with --as-of"
          + " \(Timestamp.day(report.period.endMillis)) when nothing later will come")
    }
    if let early = report.context.closedEarly {
      let days = (report.period.endMillis - early.lastOwn) / Timestamp.millisPerDay
      out.append(
        "warning: \(report.period) is reported closed by usage dated after it (the latest at"
          + " \(Timestamp.iso(early.laterStart))), but its own usage ends at \(Timestamp.iso(early.lastOwn)), \(days)"
          + " day\(days == 1 ? "" : "s") before its end: if a wrong clock dated that usage, the month is not over; run"
          + " with --as-of (the day its usage runs to) to report it open")
    }
    // The month fetched with the APIs' defaults and saved from the first response: a week of it,
    // charged as if it were all (a trial).
    // The path and cursor escaped: these lines are printed as they are.
    for gap in report.missingPages.prefix(5) { out.append("warning: " + SafeText.terminal(gap.message)) }
    if report.missingPages.count > 5 {
      out.append(
        "warning: and \(report.missingPages.count - 5) more pages say more follow (manifest.json: missing_pages)")
    }
    if report.unmatchableReportRows > 0 {
      out.append(
        "warning: \(report.unmatchableReportRows) usage report rows name no API key (grouped by project or workspace"
          + " only) on days with request logs of their provider: they are charged, and may be calls the logs"
          + " charge too; export the report grouped by api_key_id (docs/formats.md)")
    }
    for u in report.commitments where u.unpricedRequests > 0 && u.commitment.kind == .provisioned {
      out.append(
        "warning: "
          + SafeText.terminal(
            "commitment \(u.commitment.id): \(u.unpricedRequests) of its calls have no price, so what they used of it"
              + " is not known and its fee (USD \(u.fee.formatted(decimals: 2))) beyond its priced calls' list is"
              + " charged as idle capacity" + (u.commitment.ownerCostCentre.map { " to \($0)" } ?? "")
              + "; price them (a row in pricing/aliases.csv for the model as logged; see findings: unpriced_model)"))
    }
    if report.gatewayEchoes > 0 {
      out.append(
        "warning: \(report.gatewayEchoes) call\(report.gatewayEchoes == 1 ? "" : "s") of a gateway's log (LiteLLM,"
          + " Azure APIM) \(report.gatewayEchoes == 1 ? "has" : "have") a call of the same provider, day and token counts in the provider's own log"
          + " (Bedrock's, Vertex's) under another request id: if the gateway calls the provider with credentials"
          + " whose calls it logs, each is logged, and charged, twice (matched by provider, day and tokens only:"
          + " calls alike by chance match too); then keep one of the two logs in --usage (docs/formats.md)")
    }
    for w in report.upstreamKeyWarnings { out.append("warning: " + SafeText.terminal(w)) }
    // Paths as given: these lines are printed as they are.
    for w in report.reportBucketWarnings { out.append("warning: " + SafeText.terminal(w)) }
    if report.longContextReportRows > 0 {
      out.append(
        "warning: \(report.longContextReportRows) usage report rows (USD "
          + report.longContextReportCost.formatted(decimals: 2)
          + " at the base rate) hold more input per request than their model's long-context threshold: some of"
          + " their calls were billed at the long-context rate, which a row without context_window does not show,"
          + " so the bill is higher than charged; request logs of those keys price each call (docs/formats.md)")
    }
    if report.conflictingDuplicates > 0 {
      out.append(
        "\(report.conflictingDuplicates) record\(report.conflictingDuplicates == 1 ? " was" : "s were") stored with"
          + " other content in another source or version of a file; the first stored copy is charged (see"
          + " findings: conflicting_duplicate)")
    }
    return out
  }
}
