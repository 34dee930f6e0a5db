import ChargebackModel
import ChargebackReporting
import ChargebackStore
import Foundation

// A closed month's figures, kept in the store for the next month's comparison (`previous_cost_usd`)
// and for the check that a closed month did not change after its outputs were handed out.

extension ChargebackJob {
  /// Followed by the month: the absolute `--out` its closed figures were published to.
  static let closedOutSetting = "closed_out:"

  /// The folder `period`'s closed figures were published to (``closedOutSetting``); empty when the
  /// store names none.
  static func closedOut(_ period: Period, store: any ChargebackStore) throws -> String {
    try store.setting(closedOutSetting + period.description) ?? ""
  }

  /// Keeps the totals of `report`, a closed month published into `out`, as the month's figures, and
  /// returns the warnings that go with them.
  ///
  /// The month's figures are those of the folder it was first published to closed, for as long as
  /// that folder holds them. A report of the month into another folder (a what-if with other
  /// allocation rules, a copy for an auditor) with other amounts is not kept: it replaced them, and
  /// the next month's `previous_cost_usd` compared itself with the what-if, without a word (a
  /// trial). Reported again into its own folder, the month's figures are replaced, with the
  /// warning that the outputs handed out no longer match; its folder gone, the next folder it is
  /// published to is its own (a what-if's folder removed, the month's figures are those of the
  /// next report that closes it).
  static func keepClosedTotals(_ report: ChargebackReport, out: String, store: any ChargebackStore) throws -> [String] {
    let period = report.period
    var totals = PeriodContext.Totals(lines: report.lines)
    totals.printedCostCentres = ReportRounding(report, decimals: 2, lines: false).costCentres
    let here = absolute(out)
    let setting = closedOutSetting + period.description
    guard let before = try store.reportedTotals(period) else {
      try store.setReportedTotals(period, totals)
      try store.setSetting(setting, here)
      return []
    }
    let kept = try closedOut(period, store: store)
    // The month's own folder, while it holds the month's outputs.
    let own = kept.isEmpty || kept == here || !holdsPublication(kept, of: period) ? nil : kept
    guard let changes = changedCostCentres(before: before, now: totals) else {
      // The same figures: the month keeps its folder, or takes this one when it has none left (a
      // store of an earlier version, a folder deleted since).
      if own == nil && kept != here { try store.setSetting(setting, here) }
      return []
    }
    if let own {
      return [
        "warning: \(period) is closed, and its figures are those published in \(own); this report into \(out)"
          + " differs from them (USD, priced usage: \(changes)) and is not kept as the month's: \(period.next)"
          + " still compares itself with those of \(own). To make these the month's figures, report \(period)"
          + " into \(own) again"
      ]
    }
    try store.setReportedTotals(period, totals)
    try store.setSetting(setting, here)
    return [
      "warning: \(period) was reported closed before with other amounts (USD, priced usage): " + changes
        + "; the store, identity files or price tables changed since (to change a rate, end its row with"
        + " effective_to and add a new one, never edit a row that was used); outputs handed out before no longer"
        + " match"
    ]
  }

  /// Whether the folder `out` holds chargeback's outputs of `period` (its `manifest.json` says so).
  static func holdsPublication(_ out: String, of period: Period) -> Bool {
    ReportWriter.manifest(out + "/manifest.json")?.object["period"] as? String == period.description
  }

  /// The cost centres whose closed amounts differ from `before`'s, exact or as printed (in cents),
  /// as the warnings name them; nil when none does.
  ///
  /// An edited price row re-priced a closed month without a word; a fixed identity file moves
  /// money on purpose, and is named too; and a cost centre whose exact amount is the same can be
  /// printed a cent apart once another's changed (largest remainder over the cost centres), which
  /// changes its invoice too.
  static func changedCostCentres(before: PeriodContext.Totals, now: PeriodContext.Totals) -> String? {
    let (was, isNow) = (before.costCentres, now.costCentres)
    // Cents compared only where both reports kept them (a store of an earlier version has none).
    let printedBefore = before.printedCostCentres.isEmpty ? nil : before.printedCostCentres
    func cents(_ cc: String) -> (Int128, Int128)? {
      guard let printedBefore, !now.printedCostCentres.isEmpty else { return nil }
      let (a, b) = (printedBefore[cc] ?? 0, now.printedCostCentres[cc] ?? 0)
      return a == b ? nil : (a, b)
    }
    let changed = Set(was.keys).union(isNow.keys).sorted().filter {
      (was[$0] ?? .zero) != (isNow[$0] ?? .zero) || cents($0) != nil
    }
    guard !changed.isEmpty else { return nil }
    let shown = changed.prefix(5).map { cc in
      let (a, b) = (was[cc] ?? .zero, isNow[cc] ?? .zero)
      let exact = a == b ? a.formatted(decimals: 6) : "\(a.formatted(decimals: 6)) → \(b.formatted(decimals: 6))"
      guard let (x, y) = cents(cc) else { return "\(cc) \(exact)" }
      return "\(cc) \(exact) (printed \(Money.format(units: x, decimals: 2)) → \(Money.format(units: y, decimals: 2)))"
    }
    return shown.joined(separator: ", ") + (changed.count > 5 ? " and \(changed.count - 5) more" : "")
  }
}
