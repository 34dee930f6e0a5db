import ChargebackModel

/// Presentation rounding of a report (SPEC §5): cost centres are apportioned to the rounded grand
/// total, and each cost centre's lines to its rounded amount, by largest remainder, so that every
/// printed column adds up exactly.
package struct ReportRounding: Sendable {
  /// Decimal places (6 for CSV, 2 for workbooks).
  package let decimals: Int
  /// Rounded grand total, in units of `decimals` places.
  package let total: Int128
  /// Rounded amount per cost centre id.
  package let costCentres: [String: Int128]
  /// Rounded amount per line, in `report.lines` order.
  package let lines: [Int128]

  package init(_ report: ChargebackReport, decimals: Int) {
    self.decimals = decimals
    let unit = Money.unit(decimals)
    let (ccParts, total) = Apportion.rounded(report.costCentres.map(\.cost), decimals: decimals)
    self.total = total
    var byCC: [String: Int128] = [:]
    for (cc, v) in zip(report.costCentres, ccParts) { byCC[cc.id] = v }
    costCentres = byCC
    var lineAmounts = Array(repeating: Int128(0), count: report.lines.count)
    var indicesByCC: [String: [Int]] = [:]
    // By index: `for l in lines` copies each line (a dozen strings retained and released).
    for i in report.lines.indices { indicesByCC[report.lines[i].key.costCentre, default: []].append(i) }
    for (cc, idx) in indicesByCC {
      let parts = Apportion.apportion(idx.map { report.lines[$0].cost.pico }, unit: unit, target: byCC[cc] ?? 0)
      for (i, v) in zip(idx, parts) { lineAmounts[i] = v }
    }
    lines = lineAmounts
  }

  /// A rounded amount as text.
  package func text(_ units: Int128) -> String { Money.format(units: units, decimals: decimals) }
}
