import ChargebackModel

extension FocusCSV {
  typealias Account = (id: String, name: String, type: String, subID: String?, subType: String)

  /// What a row's billing account is a function of (``billingAccount(_:_:)``).
  struct AccountKey: Hashable {
    var provider: Provider
    var account: String?
  }

  /// The billing accounts of the class charges, for the idle fees' rows: an idle fee goes to the
  /// account of its commitment's calls, else to its provider's one account.
  struct ChargeAccounts {
    /// The account of each commitment's first charge.
    var byCommitment: [String: Account] = [:]
    /// Each provider's first charge's account, and the ids of all its charges' accounts.
    var firstByProvider: [Provider: Account] = [:]
    var idsByProvider: [Provider: Set<String>] = [:]

    /// The provider's account when all its charges have the same.
    func only(_ p: Provider) -> Account? { idsByProvider[p]?.count == 1 ? firstByProvider[p] : nil }
  }

  /// Billed amounts in millionths of a dollar, per class charge, then per idle fee and allocated
  /// amount (`extra` lines): each cost centre's rows apportioned by largest remainder to the cost
  /// centre's rounded amount in `summary.csv`, so `BilledCost` adds up to its TOTAL.
  ///
  /// A shared-cost rule's rows are its parts in `chargeback.csv` (``ReportRounding/rules``), so
  /// they add up to what it shared, and the cost centre's other rows (those that cost something)
  /// take the rest of its amount; when the rest cannot be put on any row, every row is apportioned.
  ///
  /// Made by reading the charges once (``init(_:extra:)``); then ``next(_:)`` gives each charge's
  /// amount, read again in the same order, and ``extra(_:)`` each extra line's, after them.
  struct Billing {
    private let report: ChargebackReport
    private let extra: [Int]
    private let rules: [Int: Int128]
    private var plan = LargestRemainder(unit: Money.unit(6))
    /// Each cost centre's group, in the order first read.
    private var centres = Memo<String, Int>()
    /// Per cost centre: whether only the rows that cost something and follow no rule are
    /// apportioned (the rest as they are), or all of its rows.
    private var onlyFree: [Bool] = []
    private(set) var accounts = ChargeAccounts()

    init(_ report: ChargebackReport, extra: [Int]) throws {
      let rounding = ReportRounding(report, decimals: 6, lines: false)
      (self.report, self.extra, rules) = (report, extra, rounding.rules)
      // Per cost centre: its rows, those that cost nothing (class charges), and those that cost
      // something and follow no rule.
      var rows: [Int] = []
      var zeros: [Int] = []
      var free: [Int] = []
      var accounts = ChargeAccounts()
      var made = Memo<AccountKey, Account>()
      var lastAccount: AccountKey?
      var lastCommitment: String?
      var plan = plan
      var centres = Memo<String, Int>()
      func group(_ cc: String) -> Int {
        centres.value(cc) {
          rows.append(0)
          zeros.append(0)
          free.append(0)
          return zeros.count - 1
        }
      }
      try report.classCharges.forEachChargeAmount { c in
        let g = group(c.costCentre)
        rows[g] += 1
        if c.cost.pico == 0 {
          zeros[g] += 1
        } else {
          free[g] += 1
          plan.note(c.cost.pico, group: g)
        }
        // An account is a function of the provider and the export's account: made once a pair.
        // Looked at only when the pair, or the commitment, is not the charge before's (most are):
        // an account handed back per charge was a copy of its five texts each time. A
        // commitment's account is its first charge's, which always differs from the one before.
        let key = AccountKey(provider: c.provider, account: c.account)
        if key != lastAccount {
          lastAccount = key
          _ = made.value(key) {
            let a = billingAccount(c.provider, account: c.account, report)
            if accounts.firstByProvider[c.provider] == nil { accounts.firstByProvider[c.provider] = a }
            accounts.idsByProvider[c.provider, default: []].insert(a.id)
            return a
          }
        }
        if let id = c.commitmentID, id != lastCommitment {
          lastCommitment = id
          if accounts.byCommitment[id] == nil { accounts.byCommitment[id] = made.known(key) }
        }
      }
      var fixedSum: [Int: Int128] = [:]
      var extrasOf: [Int: [Int]] = [:]
      for i in extra {
        let g = group(report.lines[i].key.costCentre)
        rows[g] += 1
        extrasOf[g, default: []].append(i)
        if let v = rounding.rules[i] {
          fixedSum[g, default: 0] += v
        } else if report.lines[i].cost.pico != 0 {
          free[g] += 1
        }
      }
      var onlyFree = Array(repeating: false, count: zeros.count)
      var targets = Array(repeating: Int128(0), count: zeros.count)
      for (cc, g) in centres.all {
        let target = rounding.costCentres[cc] ?? 0
        let fixed = fixedSum[g] ?? 0
        onlyFree[g] = free[g] < rows[g] && (free[g] > 0 || fixed == target)
        targets[g] = onlyFree[g] ? target - fixed : target
        // The parts not noted while reading: with every row apportioned, those that cost nothing
        // and those of the rules; else the free extra lines.
        if !onlyFree[g] { for _ in 0..<zeros[g] { plan.note(0, group: g) } }
        for i in extrasOf[g] ?? [] where !onlyFree[g] || (rounding.rules[i] == nil && report.lines[i].cost.pico != 0) {
          plan.note(report.lines[i].cost.pico, group: g)
        }
      }
      plan.settle { $0 < targets.count ? targets[$0] : 0 }
      (self.plan, self.centres, self.onlyFree, self.accounts) = (plan, centres, onlyFree, accounts)
    }

    /// The billed amount of the next class charge, read in the same order as by ``init(_:extra:)``.
    mutating func next(_ c: ClassCharge) -> Int128 {
      guard let g = centres.known(c.costCentre) else { return 0 }
      if onlyFree[g] && c.cost.pico == 0 { return 0 }
      return plan.next(c.cost.pico, group: g)
    }

    /// The billed amount of the `j`th extra line, after every class charge, in order.
    mutating func extra(_ j: Int) -> Int128 {
      let i = extra[j]
      let l = report.lines[i]
      guard let g = centres.known(l.key.costCentre) else { return 0 }
      if onlyFree[g] {
        if let v = rules[i] { return v }
        if l.cost.pico == 0 { return 0 }
      }
      return plan.next(l.cost.pico, group: g)
    }
  }
}
