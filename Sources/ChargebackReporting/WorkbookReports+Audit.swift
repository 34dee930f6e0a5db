import ChargebackModel
import Foundation

// company.xlsx's money-audit sheets: the reconciliation against the bills, the commitments and the
// bucket-width rule's side of the reconciliation.
extension WorkbookReports {
  /// Sorted days (`YYYY-MM-DD`) as runs of consecutive days: `2026-10-04 to 2026-10-06, 2026-10-09`;
  /// past `most` runs, the first `most − 1` and how many days there are in all (the manifest lists
  /// them all: a Summary cell holds a line).
  static func dayRanges(_ days: [String], most: Int = 4) -> String {
    var runs: [(first: String, last: String, lastMillis: Int64)] = []
    for day in days {
      guard let t = Timestamp.parseMillis(day) else { continue }
      if let run = runs.last, t - run.lastMillis == Timestamp.millisPerDay {
        runs[runs.count - 1] = (run.first, day, t)
      } else {
        runs.append((day, day, t))
      }
    }
    let shown = runs.map { $0.first == $0.last ? $0.first : "\($0.first) to \($0.last)" }
    guard shown.count > most else { return shown.joined(separator: ", ") }
    return shown.prefix(most - 1).joined(separator: ", ") + ", … (\(days.count) days in all)"
  }

  /// Computed against billed per provider, day and model.
  ///
  /// Computed and billed are each apportioned to their rounded totals; the variance is computed
  /// minus billed in cents, so that every row and the TOTAL cross-foot; the percentage is the exact
  /// variance over the exact billed amount.
  static func reconciliationTable(_ rows: [ReconciliationRow]) -> DetailTable {
    let computed = Apportion.rounded(rows.map(\.computed), decimals: 2).parts
    let billed = Apportion.rounded(rows.map(\.billed), decimals: 2).parts
    return DetailTable(
      name: "Reconciliation",
      columns: [
        Column(header: "Provider", width: 10), Column(header: "Date (UTC)", width: 12),
        Column(header: "Model", width: 26, wrap: true), Column(header: "Computed (USD)", width: 13, total: .money),
        Column(header: "Billed (USD)", width: 13, total: .money),
        Column(header: "Variance (USD)", width: 13, total: .money),
        Column(header: "Variance (% of billed)", width: 11, total: .ratioOfPositive(5, over: 4)),
      ],
      rows: rows.indices.map { i in
        let r = rows[i]
        return [
          .text(r.provider.rawValue), Timestamp.parseMillis(r.day).map(Cell.date) ?? .text(r.day),
          // A cell that is no model (``ReconciliationRow/modelIsLabel``) is named by the tool.
          r.modelIsLabel ? .made(r.model) : .text(r.model),
          .cents(computed[i]), .cents(billed[i]), .cents(computed[i] - billed[i]),
          r.billed.pico <= 0 ? .empty : .ratio(r.variance.pico, r.billed.pico),
        ]
      }, noun: "rows",
      rank: { cells in
        let c = cells[3].summand ?? 0
        let b = cells[4].summand ?? 0
        return max(c < 0 ? -c : c, b < 0 ? -b : b)
      })
  }

  /// One row per commitment with calls or a fee in the period.
  ///
  /// Fee, used, idle, utilisation and
  /// savings against list (SPEC §12). Each money column is rounded to cents by largest remainder
  /// over its rows, so its TOTAL is the column's exact sum rounded (each rounded on its own, the
  /// idle column totalled 8.96 + 37.55 = 46.51 against an exact 46.504705, which `summary.csv`
  /// shows as 46.50); savings is the row's list less used less idle as printed, so every row and
  /// the TOTAL cross-foot (rounded on its own too, a row showed 339.83 − 288.85 = 50.97).
  static func commitmentsTable(_ uses: [CommitmentUse]) -> DetailTable {
    let cents = { (amount: (CommitmentUse) -> Money) in Apportion.rounded(uses.map(amount), decimals: 2).parts }
    let (fees, lists, useds, idles) = (cents(\.fee), cents(\.list), cents(\.effective), cents(\.idle))
    return DetailTable(
      name: "Commitments",
      columns: [
        Column(header: "Commitment", width: 16, wrap: true), Column(header: "Provider", width: 10),
        Column(header: "Kind", width: 12), Column(header: "Models", width: 26, wrap: true),
        Column(header: "Owner", width: 10), Column(header: "Requests", width: 11, total: .count),
        Column(header: "Fee (USD)", width: 12, total: .money), Column(header: "List (USD)", width: 12, total: .money),
        Column(header: "Used (USD)", width: 12, total: .money), Column(header: "Idle (USD)", width: 12, total: .money),
        Column(header: "Utilisation", width: 11),
        Column(header: "Savings vs list (USD)", width: 13, total: .money),
      ],
      rows: uses.enumerated().map { k, u in
        let c = u.commitment
        let (list, used, idle) = (lists[k], useds[k], idles[k])
        return [
          .text(c.id), .text(c.provider.rawValue), .text(c.kind.rawValue),
          .text(c.models.map(\.pattern).joined(separator: "; ")), .text(c.ownerCostCentre ?? ""),
          .int(u.requests + u.unpricedRequests), .cents(fees[k]), .cents(list), .cents(used), .cents(idle),
          // Calls without a price have no list: how much of the capacity they used is not known.
          c.kind == .provisioned && u.unpricedRequests > 0
            ? .text("unknown: \(u.unpricedRequests) calls unpriced")
            : c.kind == .provisioned && u.fee.pico > 0 ? .ratio(min(u.list.pico, u.fee.pico), u.fee.pico) : .empty,
          .cents(list - used - idle),
        ]
      }, noun: "commitments", rank: { $0[6].rankValue ?? 0 })
  }

  /// The bucket-width rule's side of the reconciliation (the `granularity` rows of
  /// `reconciliation.csv`): each coarse report bucket with finer rows within it, against them, and
  /// which side was charged.
  static func granularityTable(_ rows: [GranularityRow]) -> DetailTable {
    let money: (Money?) -> Cell = { $0.map { .cents($0.rounded(toDecimals: 2)) } ?? .empty }
    return DetailTable(
      name: "Granularity",
      columns: [
        Column(header: "Provider", width: 10), Column(header: "Day", width: 11),
        Column(header: "Model", width: 24, wrap: true), Column(header: "Credential", width: 24, wrap: true),
        Column(header: "Tier", width: 9), Column(header: "Context window", width: 10),
        Column(header: "Bucket start", width: 19), Column(header: "Bucket end", width: 19),
        Column(header: "Coarse rows", width: 9, total: .count), Column(header: "Finer rows", width: 9, total: .count),
        Column(header: "Coarse (USD)", width: 12, total: .money),
        Column(header: "Finer (USD)", width: 12, total: .money),
        Column(header: "Difference (USD)", width: 12, total: .money),
      ]
        + TokenClass.allCases.map {
          Column(header: "Δ " + $0.rawValue.replacingOccurrences(of: "_", with: " "), width: 12, total: .count)
        } + [Column(header: "Charged", width: 8)],
      rows: rows.map { g in
        let d = g.tokenDifference
        return [
          .text(g.provider.rawValue), .date(Timestamp.parseMillis(g.day) ?? g.bucketStart), .text(g.model),
          .text(g.credential), .text(g.tier.rawValue), .text(g.contextWindow ?? ""), .dateTime(g.bucketStart),
          .dateTime(g.bucketEnd), .int(Int128(g.coarseRows)), .int(Int128(g.finerRows)), money(g.coarseCost),
          money(g.finerCost),
          money(g.costDifference),
        ] + TokenClass.allCases.map { .int(Int128(d[$0])) } + [.text(g.coarseCharged ? "coarse" : "finer")]
      }, noun: "buckets", rank: { _ in 0 })
  }
}
