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
/// - What is owed (SPEC §12) is what is debited: idle fees are credited to their provider's
///   payable account like usage, and allocated amounts (`fixed:` overheads, and moves between
///   entities) to ``allocationAccount``, a clearing account: within one entity, moves between its
///   cost centres cancel out, so what is credited there is the overheads.
/// - Amounts are dollars with two decimals; the unused side is `0.00`; lines of $0.00 are left out.
package enum JournalCSV {
  /// Expense account of a cost centre without `gl_account`.
  package static let defaultExpenseAccount = "LLM-EXPENSE"
  /// Entity of a cost centre without `entity` (and of `UNATTRIBUTED`), unless every cost centre
  /// names the same one (``fallbackEntity(_:)``).
  package static let defaultEntity = "DEFAULT"

  /// The entity of the cost centres that name none, `UNATTRIBUTED` among them: the one entity of
  /// the others when they all name the same, else ``defaultEntity``.
  ///
  /// A company of one entity (every cost centre `entity` `US`) got postings, and a transfer between
  /// entities, for an entity `DEFAULT` its ledger does not have: the unattributed spend, which no
  /// row can give an entity (a trial).
  package static func fallbackEntity(_ report: ChargebackReport) -> String {
    var named: Set<String> = []
    for cc in report.costCentres where cc.id != Attribution.unattributed {
      guard let e = cc.entity, !e.isEmpty else { return defaultEntity }
      named.insert(e)
    }
    return named.count == 1 ? named.first ?? defaultEntity : defaultEntity
  }
  /// The account credited with allocated amounts (overheads; moves between entities).
  package static let allocationAccount = "LLM-ALLOCATION-CLEARING"

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
    let cents = ReportRounding(report, decimals: 2, lines: false)
    let fallback = fallbackEntity(report)
    var byEntity: [String: [CostCentreSummary]] = [:]
    for cc in report.costCentres { byEntity[cc.entity ?? fallback, default: []].append(cc) }
    var providerCost: [String: [String: Money]] = [:]
    var entityOf: [String: String] = [:]
    for cc in report.costCentres { entityOf[cc.id] = cc.entity ?? fallback }
    report.lines.forEachLent { _, l in
      guard l.pointee.key.priced else { return }
      let e = entityOf[l.pointee.key.costCentre] ?? fallback
      let payee = l.pointee.key.source == .allocated ? "" : l.pointee.key.provider.rawValue  // "" sorts first
      providerCost[e, default: [:]][payee, default: .zero] += l.pointee.cost
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
      let providers = (providerCost[entity] ?? [:]).filter { $0.value.pico != 0 }.sorted { $0.key < $1.key }
      let split = Apportion.apportion(providers.map(\.value.pico), unit: Money.unit(2), target: total)
      for ((provider, _), amount) in zip(providers, split) where amount != 0 {
        let allocation = provider.isEmpty
        out.append(
          Entry(
            entity: entity, account: allocation ? allocationAccount : payableAccount(provider, report), costCentre: "",
            debit: amount < 0 ? -amount : 0, credit: amount > 0 ? amount : 0,
            memo: allocation
              ? "LLM chargeback \(report.period): allocated overheads and transfers"
              : "LLM chargeback \(report.period): payable to \(provider)"))
      }
    }
    return out
  }

  /// Where ``write(_:to:)`` writes in `directory`.
  package static func path(in directory: String) -> String {
    (directory as NSString).appendingPathComponent("journal.csv")
  }

  /// Writes `directory/journal.csv`; returns its path.
  package static func write(_ report: ChargebackReport, to directory: String) throws -> String {
    try written(report, to: directory).path
  }

  /// Writes `directory/journal.csv`; returns its path and the SHA-256 of its bytes.
  package static func written(_ report: ChargebackReport, to directory: String) throws -> (
    path: String, sha256: String
  ) {
    var w = CSVWriter(header: ["entity", "account", "cost_centre", "debit_usd", "credit_usd", "memo"])
    for e in entries(report) {
      w.append([
        e.entity, e.account, e.costCentre, Money.format(units: e.debit, decimals: 2),
        Money.format(units: e.credit, decimals: 2), e.memo,
      ])
    }
    let path = path(in: directory)
    return (path, try w.write(to: path))
  }
}
