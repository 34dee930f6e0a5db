/// One chargeback line: period × cost centre × agent × credential × task × provider × model × tier
/// (SPEC §7), split further by attribution status and whether it could be priced.
package struct ChargebackLine: Sendable, Hashable {
  package struct Key: Hashable, Sendable {
    package var costCentre: String
    package var agentID: String?
    package var credentialID: String?
    package var taskID: String?
    package var provider: Provider
    /// Canonical model id, or the raw name when it did not resolve.
    package var model: String
    package var tier: Tier
    package var status: AttributionStatus
    package var priced: Bool
    /// Where the usage was seen (request logs, the provider's report, report usage beyond the logs),
    /// or what the line is: an allocation or a commitment's idle fee (SPEC §12).
    package var source: LineSource
    /// The `commitment_id` whose terms priced the line's calls (or whose idle fee it is), nil for
    /// list price.
    package var commitmentID: String?
    /// The allocation rule of an `allocated` line.
    package var ruleID: String?

    package init(
      costCentre: String, agentID: String? = nil, credentialID: String? = nil, taskID: String? = nil,
      provider: Provider, model: String, tier: Tier, status: AttributionStatus, priced: Bool, source: LineSource,
      commitmentID: String? = nil, ruleID: String? = nil
    ) {
      self.commitmentID = commitmentID
      self.ruleID = ruleID
      self.costCentre = costCentre
      self.agentID = agentID
      self.credentialID = credentialID
      self.taskID = taskID
      self.provider = provider
      self.model = model
      self.tier = tier
      self.status = status
      self.priced = priced
      self.source = source
    }
  }

  package var key: Key
  /// Token sums; sums over records are `Int128` (see ``Bounds`` for why they cannot overflow).
  package var tokens = TokenTotals()
  /// Requests (calls) the line covers.
  package var requests: Int128 = 0
  /// Of which failed.
  package var failedRequests: Int128 = 0
  /// Exact effective cost (what is owed: list less a discount, or the line's share of a provisioned
  /// fee; an allocation's amount, negative on the source's side); zero for unpriced lines.
  package var cost = Money.zero
  /// Exact cost at list prices; for idle and allocated lines the same as ``cost``.
  package var listCost = Money.zero
  /// The source of an `allocated` line as `allocation.csv` names it (`UNATTRIBUTED`,
  /// `cost_centre:PLATFORM`, `credential:…`, `fixed:…`).
  package var allocatedFrom: String?
  /// The price rows the line's calls used: indices into ``ChargebackReport/priceRowsUsed``, ascending
  /// (a cost centre's workbook shows only the rows of its own lines).
  package var priceRows: [Int] = []
  /// The line's group in ``ChargebackReport/lineTasks`` when its calls are split by task there
  /// (its key then has no task: ``ChargebackReport/forEachTaskLine(of:_:)``); nil when the line is
  /// one row of `chargeback.csv` as it is.
  package var taskGroup: Int32?

  package init(key: Key) { self.key = key }
}

/// Daily totals of one cost centre.
package struct DailyTotal: Sendable, Hashable {
  package var costCentre: String
  /// `YYYY-MM-DD`, UTC.
  package var day: String
  package var requests: Int128 = 0
  package var tokens = TokenTotals()
  package var cost = Money.zero

  package init(
    costCentre: String, day: String, requests: Int128 = 0
  ) {
    self.costCentre = costCentre
    self.day = day
    self.requests = requests
  }
}

/// Priced usage of one token class on one UTC day: a row of `focus.csv` (SPEC §7).
///
/// Summed per credential, provider, model, tier, price row, cost centre and agent: the task is not
/// in this grain (SPEC §11), so the rows grow with the directory and the days, never with the
/// number of tasks or calls. Unpriced records are not in it.
package struct ClassCharge: Sendable, Hashable {
  /// `YYYY-MM-DD`, UTC.
  package var day: String
  package var credentialID: String?
  /// The credential's `description` in credentials.csv, when it has one.
  package var credentialName: String?
  package var provider: Provider
  /// Canonical model id.
  package var model: String
  package var tier: Tier
  package var tokenClass: TokenClass
  /// What of the price row whose rate applied (one per class, day and call size) a FOCUS row says.
  package var price: AppliedPrice
  package var costCentre: String
  package var agentID: String?
  /// The account or project the export names (Bedrock account id, OpenAI project, Anthropic
  /// workspace, Azure subscription), nil when it names none.
  package var account: String?
  /// Units of the class (tokens, or web-search requests), summed over records.
  package var units: Int128 = 0
  /// Effective cost, exactly: units × the row's rate, less a discount or scaled to a provisioned fee.
  package var cost = Money.zero
  /// units × the row's rate, exactly.
  package var listCost = Money.zero
  /// The commitment whose terms apply (SPEC §12), nil for list price.
  package var commitmentID: String?

  package init(
    day: String, credentialID: String? = nil, credentialName: String? = nil, provider: Provider, model: String,
    tier: Tier, tokenClass: TokenClass, price: AppliedPrice, costCentre: String, agentID: String? = nil,
    units: Int128 = 0, cost: Money = .zero, account: String? = nil, listCost: Money? = nil, commitmentID: String? = nil
  ) {
    self.listCost = listCost ?? cost
    self.commitmentID = commitmentID
    self.day = day
    self.credentialID = credentialID
    self.credentialName = credentialName
    self.provider = provider
    self.model = model
    self.tier = tier
    self.tokenClass = tokenClass
    self.price = price
    self.costCentre = costCentre
    self.agentID = agentID
    self.units = units
    self.cost = cost
    self.account = account
  }
}

/// The parts of a ``PriceRow`` a charge keeps: its rate, the day it took effect and the call size
/// it starts at (FOCUS's `ListUnitPrice`, `SkuPriceId`, the charge's description).
///
/// Why not the row: a directory of 20,000 credentials gave a million charges (a trial), and the
/// whole row (its model, source and location, its end) was about a third of each one's 300 bytes.
package struct AppliedPrice: Sendable, Hashable {
  package var rate: Rate
  /// Effective from, UTC epoch ms.
  package var from: Int64
  /// Long-context threshold: the row applies to calls whose total input is at least this.
  package var minInputTokens: Int64

  package init(_ row: PriceRow) {
    (rate, from, minInputTokens) = (row.rate, row.from, row.minInputTokens)
  }

  package init(rate: Rate, from: Int64, minInputTokens: Int64) {
    (self.rate, self.from, self.minInputTokens) = (rate, from, minInputTokens)
  }
}

/// Totals of one cost centre (a `summary.csv` row).
package struct CostCentreSummary: Sendable, Hashable {
  package var id: String
  package var name: String
  package var budget: Money?
  package var requests: Int128 = 0
  package var unpricedRequests: Int128 = 0
  /// Tokens of the calls that could not be priced (every class but web-search requests): a usage
  /// report's row counts no requests, so its unpriced tokens show only here.
  package var unpricedTokens: Int128 = 0
  package var tokens = TokenTotals()
  /// What the cost centre owes: direct + allocated in − allocated out (SPEC §12).
  package var cost = Money.zero
  /// Its own usage at effective cost, idle fees of commitments it owns included.
  package var directCost = Money.zero
  /// Its own usage at list prices (idle fees not included).
  package var listCost = Money.zero
  /// Idle fees of the provisioned commitments it owns (part of its direct cost).
  package var idleCost = Money.zero
  /// Received from allocation rules, and given away by them (both ≥ 0 in the usual case).
  package var allocatedIn = Money.zero
  package var allocatedOut = Money.zero
  /// The part of what it owes that grows with its calls.
  ///
  /// The amount less idle capacity, `fixed:` overheads and calls under provisioned capacity
  /// (`RunRate`, ChargebackKit). An open month's forecast extrapolates this part only; the fixed
  /// amounts are in it once.
  package var runRateCost = Money.zero
  package var avoidableCost = Money.zero
  package var findings = 0
  /// General-ledger expense account (`gl_account` of cost_centres.csv), nil for the default.
  package var glAccount: String?
  /// Legal entity (`entity` of cost_centres.csv), nil for the default.
  package var entity: String?

  package init(
    id: String, name: String, budget: Money? = nil, requests: Int128 = 0, unpricedRequests: Int128 = 0,
    glAccount: String? = nil, entity: String? = nil
  ) {
    self.id = id
    self.name = name
    self.budget = budget
    self.requests = requests
    self.unpricedRequests = unpricedRequests
    self.glAccount = glAccount
    self.entity = entity
  }
}

/// An input file of the run, for the manifest and the Method sheet.
package struct InputFileSummary: Sendable, Hashable {
  package var path: String
  package var sha256: String
  package var format: String
  package var level: String
  /// Records of the file in the store (whole file, all periods).
  package var records: Int64

  package init(
    path: String, sha256: String, format: String, level: String, records: Int64
  ) {
    self.path = path
    self.sha256 = sha256
    self.format = format
    self.level = level
    self.records = records
  }
}

/// A delivery artifact ingest skipped because it holds no usage (Bedrock's permission check
/// object, a body in a Bedrock `data/` folder, an empty file), for the manifest.
package struct SkippedInput: Sendable, Hashable {
  /// The path as it was given (walked).
  package var path: String
  package var sha256: String
  package var bytes: Int64
  /// Why it holds no usage.
  package var reason: String

  package init(path: String, sha256: String, bytes: Int64, reason: String) {
    self.path = path
    self.sha256 = sha256
    self.bytes = bytes
    self.reason = reason
  }
}

/// Everything the writers need: the period's lines, totals, findings and provenance.
package struct ChargebackReport: Sendable {
  package var period: Period
  /// Sorted by cost centre, agent, credential, task, provider, model, tier, status.
  ///
  /// The report pass keys them without the task (which then sorts as empty) and keeps their tasks
  /// in ``lineTasks`` (SPEC §11).
  package var lines: [ChargebackLine]
  /// The task level of the lines whose ``ChargebackLine/taskGroup`` is set; nil when none is.
  package var lineTasks: (any TaskPartSource)?
  /// Sorted by id; `UNATTRIBUTED` included when it has usage.
  package var costCentres: [CostCentreSummary]
  /// Sorted by cost centre then day.
  package var daily: [DailyTotal]
  /// Sorted by severity (highest first), then kind, then id.
  package var findings: [Finding]
  /// Price rows used by at least one record, in table order.
  package var priceRowsUsed: [PriceRow]
  /// Files in the store that hold records of the period.
  package var inputs: [InputFileSummary]
  /// Delivery artifacts the store has skipped (they hold no usage, so no period), sorted by path.
  package var skippedInputs: [SkippedInput] = []
  package var identityHash: String
  /// The directory rows of the agents in the lines (their latest row), for names, owners and teams.
  package var agents: [String: AgentVersion] = [:]
  /// The directory rows of the tasks in the lines, for tickets and approvers.
  package var tasks: [String: TaskEntry] = [:]
  /// Provider accounts of `accounts.csv`, by provider id (journal credits, FOCUS billing accounts).
  package var providerAccounts: [String: ProviderAccount] = [:]
  /// Last month's figures and, for an open month, the data's end and the forecast.
  package var context = PeriodContext()
  package var pricingHash: String
  /// Records of the period (request- and report-level rows).
  package var recordCount: Int64
  /// Records that could not be priced.
  package var unpricedRecords: Int64
  /// Request-level records skipped because another log already holds the same call.
  package var duplicateRecords: Int64 = 0
  /// Natural keys of the period stored with conflicting content in another source (one
  /// `conflicting_duplicate` finding each); the first stored copy is the one charged.
  package var conflictingDuplicates: Int64 = 0
  /// Computed vs billed per provider, day and model; empty when no cost report was given.
  package var reconciliation: [ReconciliationRow] = []
  /// Per provider with a cost report, the days (`YYYY-MM-DD`, sorted) with computed cost that its
  /// cost pages do not cover: no bill loaded for them, so not in ``reconciliation``.
  package var unbilledDays: [Provider: [String]] = [:]
  /// Report rows not charged because finer rows of the same group cover their time (the
  /// bucket-width rule), each against the finer rows charged in its place; sorted by provider,
  /// bucket start, model, credential, tier, context window and bucket end.
  package var granularity: [GranularityRow] = []
  /// Report rows of the period left uncharged by the bucket-width rule (counted in `recordCount`).
  package var supersededReportRows: Int64 = 0
  /// Report rows with no credential beside request logs of their provider: maybe charged twice.
  package var unmatchableReportRows: Int64 = 0
  /// Usage report buckets loaded from files grouped differently, and buckets that overlap another
  /// without either holding it: maybe charged twice; with the console's warnings on them.
  package var reportBucketsGroupedTwice: Int64 = 0
  package var reportBucketsMisaligned: Int64 = 0
  package var reportBucketWarnings: [String] = []
  /// Gateway calls (LiteLLM, APIM) with a call of the same provider, day and tokens in the
  /// provider's own log under another request id: likely each call logged, and charged, twice.
  package var gatewayEchoes: Int64 = 0
  /// Usage report keys whose rows equal a gateway's calls of their provider on some day and model
  /// to the token (a proxy's upstream key: each call charged twice), with the gateway's calls on
  /// them; the console's warnings on them.
  package var gatewayCallsInUsageReports: Int64 = 0
  package var upstreamKeyWarnings: [String] = []
  /// Priced report rows without a `context_window` whose input per request is past their model's
  /// long-context threshold: charged at the base rate (SPEC §5.3), though some of their calls paid
  /// more; and what they were charged.
  package var longContextReportRows: Int64 = 0
  package var longContextReportCost = Money.zero
  /// API pages of the period that say more pages follow, none of which the store holds: the usage
  /// after each is missing from this chargeback (``ExportPage/gaps(_:period:)``).
  package var missingPages: [MissingPages] = []
  /// Priced usage per day × credential × model × tier × token class × price row × cost centre × agent
  /// (not task: SPEC §11), in order of day, provider, credential, model, tier, class, then the rest;
  /// read as a stream (``ClassChargeSource``: they can outnumber the calls).
  package var classCharges: any ClassChargeSource = [ClassCharge]()

  /// Provisioned commitments of the period: fee, use and idle (the Commitments sheet).
  package var commitments: [CommitmentUse] = []
  /// What each allocation rule moved, in file order (the sentences of the workbooks' Summary).
  package var allocations: [AllocationResult] = []

  /// Exact total owed: priced records at effective cost, idle fees and `fixed:` overheads.
  package var totalCost: Money { costCentres.reduce(Money.zero) { $0 + $1.cost } }

  package init(
    period: Period, lines: [ChargebackLine], costCentres: [CostCentreSummary], daily: [DailyTotal], findings: [Finding],
    priceRowsUsed: [PriceRow], inputs: [InputFileSummary], identityHash: String, agents: [String: AgentVersion] = [:],
    tasks: [String: TaskEntry] = [:], pricingHash: String, recordCount: Int64, unpricedRecords: Int64,
    duplicateRecords: Int64 = 0, reconciliation: [ReconciliationRow] = [],
    classCharges: any ClassChargeSource = [ClassCharge](),
    skippedInputs: [SkippedInput] = []
  ) {
    self.period = period
    self.lines = lines
    self.costCentres = costCentres
    self.daily = daily
    self.findings = findings
    self.priceRowsUsed = priceRowsUsed
    self.inputs = inputs
    self.identityHash = identityHash
    self.agents = agents
    self.tasks = tasks
    self.pricingHash = pricingHash
    self.recordCount = recordCount
    self.unpricedRecords = unpricedRecords
    self.duplicateRecords = duplicateRecords
    self.reconciliation = reconciliation
    self.classCharges = classCharges
    self.skippedInputs = skippedInputs
  }
}

extension ChargebackLine.Key {
  /// What an allocated or idle line shares, as the Agents and Models sheets name its row
  /// (`(allocated: <rule>)`, `(idle capacity: <commitment>)`); nil for usage.
  package var sharingLabel: String? {
    switch source {
    case .allocated: "(allocated: \(ruleID ?? ""))"
    case .idle: "(idle capacity: \(commitmentID ?? ""))"
    default: nil
    }
  }
}
