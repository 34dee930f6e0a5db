import ChargebackModel
import ChargebackSupport
import Foundation

/// `journal.csv` (SPEC §7): the period's chargeback as balanced general-ledger entries, ready to
/// import instead of re-keying totals.
///
/// - One debit per cost centre with spend, to its `gl_account` (cost_centres.csv; default
///   ``defaultExpenseAccount``), of its cent-rounded amount in `summary.csv`.
/// - Per entity (`entity` of cost_centres.csv; default ``defaultEntity``), one credit per provider
///   to its payable account (`accounts.csv`; default `LLM-PAYABLE-<PROVIDER>`): the entity's debits
///   split by each provider's exact cost within the entity, by largest remainder, so that Σ debits =
///   Σ credits per entity to the cent.
/// - Amounts are dollars with two decimals; the unused side is `0.00`; lines of $0.00 are left out.
package enum JournalCSV {
  /// Expense account of a cost centre without `gl_account`.
  package static let defaultExpenseAccount = "LLM-EXPENSE"
  /// Entity of a cost centre without `entity` (and of `UNATTRIBUTED`).
  package static let defaultEntity = "DEFAULT"

  /// One journal line.
  package struct Entry: Sendable, Hashable {
    package var entity: String
    package var account: String
    package var costCentre: String
    /// Debit and credit in cents.
    package var debit: Int128
    package var credit: Int128
    package var memo: String
  }

  /// The payable account of a provider.
  package static func payableAccount(_ provider: String, _ report: ChargebackReport) -> String {
    report.providerAccounts[provider]?.account ?? "LLM-PAYABLE-" + provider.uppercased()
  }

  /// The entries: per entity (sorted), its debits by cost centre, then its credits by provider.
  package static func entries(_ report: ChargebackReport) -> [Entry] {
    let cents = ReportRounding(report, decimals: 2)
    var byEntity: [String: [CostCentreSummary]] = [:]
    for cc in report.costCentres { byEntity[cc.entity ?? defaultEntity, default: []].append(cc) }
    var providerCost: [String: [Provider: Money]] = [:]
    var entityOf: [String: String] = [:]
    for cc in report.costCentres { entityOf[cc.id] = cc.entity ?? defaultEntity }
    for l in report.lines where l.key.priced {
      let e = entityOf[l.key.costCentre] ?? defaultEntity
      providerCost[e, default: [:]][l.key.provider, default: .zero] += l.cost
    }
    var out: [Entry] = []
    for entity in byEntity.keys.sorted() {
      let centres = (byEntity[entity] ?? []).sorted { $0.id < $1.id }
      var total: Int128 = 0
      for cc in centres {
        let amount = cents.costCentres[cc.id] ?? 0
        total += amount
        guard amount != 0 else { continue }
        out.append(
          Entry(
            entity: entity, account: cc.glAccount ?? defaultExpenseAccount, costCentre: cc.id, debit: amount,
            credit: 0, memo: "LLM chargeback \(report.period): \(cc.name)"))
      }
      let providers = (providerCost[entity] ?? [:]).sorted { $0.key.rawValue < $1.key.rawValue }
      let split = Apportion.apportion(providers.map(\.value.pico), unit: Money.unit(2), target: total)
      for ((provider, _), amount) in zip(providers, split) where amount != 0 {
        out.append(
          Entry(
            entity: entity, account: payableAccount(provider.rawValue, report), costCentre: "", debit: 0,
            credit: amount, memo: "LLM chargeback \(report.period): payable to \(provider.rawValue)"))
      }
    }
    return out
  }

  /// Writes `directory/journal.csv`; returns its path.
  package static func write(_ report: ChargebackReport, to directory: String) throws -> String {
    var w = CSVWriter(header: ["entity", "account", "cost_centre", "debit_usd", "credit_usd", "memo"])
    for e in entries(report) {
      w.append([
        e.entity, e.account, e.costCentre, Money.format(units: e.debit, decimals: 2),
        Money.format(units: e.credit, decimals: 2), e.memo,
      ])
    }
    let path = (directory as NSString).appendingPathComponent("journal.csv")
    try w.write(to: path)
    return path
  }
}
