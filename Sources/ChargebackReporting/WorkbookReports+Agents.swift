import ChargebackModel

extension WorkbookReports {
  /// The company's Agents sheet: every agent's usage across the cost centres, with the cost
  /// centres it was charged to.
  ///
  /// An engineering lead reviewing per-agent spend found it only per cost centre, and an agent that
  /// moved cost centres mid-month split across two workbooks (a trial pivoted `chargeback.csv`).
  /// Usage only: amounts the allocation rules move and idle capacity's fees have no agent (the Cost
  /// centres sheet shows what each cost centre owes). Calls with no agent are one `(none)` row, and
  /// a shared cost's label is its own row, as on a cost centre's Agents sheet. An agent's cents are
  /// the sum of its lines' (as on a cost centre's sheet), so the Lines sheet adds up to each row.
  static func companyAgentsTable(_ report: ChargebackReport, _ cents: ReportRounding) -> (
    table: DetailTable, notes: [String]
  ) {
    // The lines summed (``groupTable``), and each agent's cost centres, in the one pass that picks them.
    var idx: [Int] = []
    var centres: [String: Set<String>] = [:]
    var leftOut = false
    report.lines.forEachLent { i, l in
      // Usage only: allocated amounts and provisioned capacity's idle fees have no agent.
      guard l.pointee.key.source != .allocated && l.pointee.key.source != .idle else {
        leftOut = true
        return
      }
      idx.append(i)
      centres[agentGroup(l.pointee.key), default: []].insert(l.pointee.key.costCentre)
    }
    let byAgent = centres
    // An agent's cents are the sum of its lines' (as on a cost centre's sheet): not regrouped.
    let table = groupTable(
      "Agents", report, idx, cents, noun: "agents",
      keyColumns: [
        Column(header: "Agent", width: 24, wrap: true), Column(header: "Name", width: 22, wrap: true),
        Column(header: "Owner", width: 10), Column(header: "Team", width: 16, wrap: true),
        Column(header: "Cost centres", width: 20, wrap: true),
      ],
      key: { [agentGroup($0.key)] },
      describe: { key in
        let v = GroupKey.id(key[0]).flatMap { report.agents[$0] }
        // At most five named: the `(none)` row of a large directory spans hundreds.
        let all = (byAgent[key[0]] ?? []).sorted()
        let named = all.prefix(5).joined(separator: "; ") + (all.count > 5 ? "; and \(all.count - 5) more" : "")
        return [GroupKey.cell(key[0]), .text(v?.name ?? ""), .text(v?.owner ?? ""), .text(v?.team ?? ""), .text(named)]
      }, regroup: false)
    let notes =
      leftOut
      ? [
        "Usage by agent, across cost centres. Amounts the allocation rules move between cost centres and idle"
          + " provisioned capacity have no agent and are not in this sheet; the Cost centres sheet shows what each"
          + " cost centre owes."
      ] : []
    return (table, notes)
  }
}
