// The rows of the optional `allocation.csv` and `commitments.csv` (SPEC §12), as values.

/// One rule of `allocation.csv`: moves what a source holds to target cost centres.
package struct AllocationRule: Sendable, Hashable {
  /// Where the amount comes from.
  package enum Source: Sendable, Hashable, CustomStringConvertible {
    /// Spend nobody could be charged for (cost centre `UNATTRIBUTED`).
    case unattributed
    /// All that a (platform) cost centre holds at the rule's turn.
    case costCentre(String)
    /// Spend of a shared credential charged to its own cost centre because no agent was named.
    case credential(String)
    /// An overhead amount for the period (pico-USD), added to what the cost centres owe.
    case fixed(Money)

    /// The source as written in the file (`cost_centre:PLATFORM`, `fixed:1200.00`).
    package var description: String {
      switch self {
      case .unattributed: Attribution.unattributed
      case .costCentre(let id): "cost_centre:" + id
      case .credential(let id): "credential:" + id
      case .fixed(let amount): "fixed:" + amount.formatted(decimals: 2)
      }
    }
  }

  /// How the amount is divided.
  package enum Method: Sendable, Hashable {
    /// Equal parts.
    case even
    /// Percentages per target, in millionths of a percent (100 % = 100,000,000), adding up to 100 %.
    case fixed([String: Int128])
    /// By each target's own direct figure in the period.
    case proportional(Basis)
  }

  /// What `proportional` weighs.
  package enum Basis: String, Sendable, Hashable {
    /// Direct effective cost (idle lines of the cost centre included).
    case cost
    /// All token classes.
    case tokens
    /// Requests.
    case requests
  }

  /// `rule_id`.
  package var id: String
  package var source: Source
  package var method: Method
  /// Explicit targets in file order; nil for `*` (every registered cost centre with direct spend
  /// in the period, except the source).
  package var targets: [String]?
  /// Validity, UTC epoch ms; `to` exclusive.
  package var from: Int64?
  package var to: Int64?
  /// 1-based line in `allocation.csv`.
  package var line: Int

  package init(
    id: String, source: Source, method: Method, targets: [String]?, from: Int64? = nil, to: Int64? = nil,
    line: Int = 0
  ) {
    self.id = id
    self.source = source
    self.method = method
    self.targets = targets
    self.from = from
    self.to = to
    self.line = line
  }

  /// True when the rule's dates overlap `period` (SPEC §12: it then applies to the whole period).
  package func applies(to period: Period) -> Bool {
    (from ?? .min) < period.endMillis && period.startMillis < (to ?? .max)
  }
}

/// One row of `commitments.csv`: a negotiated discount or provisioned capacity.
package struct Commitment: Sendable, Hashable {
  /// `discount` or `provisioned`.
  package enum Kind: String, Sendable, Hashable {
    case discount, provisioned
  }

  /// `commitment_id`.
  package var id: String
  package var provider: Provider
  package var kind: Kind
  /// Globs on the raw model id or deployment, case-insensitive.
  package var models: [Glob]
  /// Fee per calendar month (`provisioned`), exact.
  package var monthlyFee: Money
  /// Discount in millionths of a percent (20 % = 20,000,000), for `discount`.
  package var discount: Int128
  /// Who is charged the idle part of a provisioned fee.
  package var ownerCostCentre: String?
  /// Validity, UTC epoch ms (midnights); `to` exclusive.
  package var from: Int64?
  package var to: Int64?
  package var description: String?
  /// 1-based line in `commitments.csv`.
  package var line: Int

  package init(
    id: String, provider: Provider, kind: Kind, models: [Glob], monthlyFee: Money = .zero, discount: Int128 = 0,
    ownerCostCentre: String? = nil, from: Int64? = nil, to: Int64? = nil, description: String? = nil, line: Int = 0
  ) {
    self.id = id
    self.provider = provider
    self.kind = kind
    self.models = models
    self.monthlyFee = monthlyFee
    self.discount = discount
    self.ownerCostCentre = ownerCostCentre
    self.from = from
    self.to = to
    self.description = description
    self.line = line
  }

  /// Millionths of a percent in 100 %.
  package static let wholePercent: Int128 = 100_000_000

  /// True when the row is in effect at `t` (UTC epoch ms).
  package func covers(_ t: Int64) -> Bool { (from ?? .min) <= t && t < (to ?? .max) }

  /// True when a pattern matches the raw model id.
  package func matches(model: String) -> Bool { models.contains { $0.matches(model) } }

  /// The fee for `period`: the monthly fee × the whole UTC days in effect ÷ the days of the month,
  /// rounded half away from zero to the pico-dollar (10–31 October = 22/31).
  package func fee(in period: Period) -> Money {
    let start = max(from ?? period.startMillis, period.startMillis)
    let end = min(to ?? period.endMillis, period.endMillis)
    guard end > start else { return .zero }
    let days = Int128((end - start + Timestamp.millisPerDay - 1) / Timestamp.millisPerDay)
    let all = Int128(period.dayCount)
    if days >= all { return monthlyFee }
    return Money(pico: Money.roundDiv(monthlyFee.pico * days, all))
  }

  /// `value` in pico-USD less this row's discount, rounded half away from zero to the pico-dollar.
  ///
  /// A call's cost is at most 6 × 10^24 pico-USD (``Bounds``) and the kept share at most 10^8, so the
  /// product stays far below `Int128.max`.
  package func discounted(_ value: Money) -> Money {
    Money(pico: Money.roundDiv(value.pico * (Commitment.wholePercent - discount), Commitment.wholePercent))
  }
}

/// How a commitment was used in a period (a row of `company.xlsx`'s Commitments sheet).
package struct CommitmentUse: Sendable, Hashable {
  package var commitment: Commitment
  /// The fee for the period (prorated by whole UTC days); zero for a discount.
  package var fee: Money
  /// Σ list cost of the calls it covered.
  package var list: Money
  /// Σ effective cost of those calls (for provisioned: min(list, fee)).
  package var effective: Money
  /// fee − effective, never below zero (provisioned only).
  package var idle: Money
  /// Calls (requests) covered, with a price.
  package var requests: Int128
  /// Calls (requests) under it without a price: its list, so its utilisation, is not known, and
  /// its fee beyond the priced calls' list is charged idle (a trial: a provisioned model without an
  /// alias row, all 500 calls unpriced, the whole fee idle at 0 % utilisation).
  package var unpricedRequests: Int128 = 0

  package init(commitment: Commitment, fee: Money, list: Money, effective: Money, idle: Money, requests: Int128) {
    self.commitment = commitment
    self.fee = fee
    self.list = list
    self.effective = effective
    self.idle = idle
    self.requests = requests
  }

  /// What the company pays for the covered calls and the capacity, against list: list − (effective + idle);
  /// negative when an under-used commitment costs more than list would have.
  package var savings: Money { list - effective - idle }

  /// Utilisation in percent with one decimal (`list ÷ fee`, capped at 100); nil for a discount, no
  /// fee, or calls without a price.
  package var utilisationPercentText: String? {
    guard commitment.kind == .provisioned, fee.pico > 0, unpricedRequests == 0 else { return nil }
    let used = min(list.pico, fee.pico)
    return Money.format(units: Money.roundDiv(used * 1000, fee.pico), decimals: 1)
  }
}

/// What one allocation rule moved in a period.
package struct AllocationResult: Sendable, Hashable {
  /// An amount of one cost centre.
  package struct Part: Sendable, Hashable {
    package var costCentre: String
    package var amount: Money

    package init(costCentre: String, amount: Money) {
      self.costCentre = costCentre
      self.amount = amount
    }
  }

  package var rule: AllocationRule
  /// What the source gave away, by source cost centre (several only for a `credential:` source
  /// whose spend sits in several cost centres; none for `fixed:`).
  package var from: [Part]
  /// The parts each target received, in target order.
  package var to: [Part]

  package init(rule: AllocationRule, from: [Part], to: [Part]) {
    self.rule = rule
    self.from = from
    self.to = to
  }

  /// The whole amount moved.
  package var amount: Money { to.reduce(Money.zero) { $0 + $1.amount } }
}
