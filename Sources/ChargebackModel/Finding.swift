/// Kinds of findings (SPEC §4, §6, §10).
package enum FindingKind: String, CaseIterable, Sendable, Codable {
  case unattributed
  case unregisteredCredential = "unregistered_credential"
  case sharedCredential = "shared_credential"
  case agentMismatch = "agent_mismatch"
  case unknownAgent = "unknown_agent"
  case revokedCredential = "revoked_credential"
  case expiredCredential = "expired_credential"
  case offboardedOwner = "offboarded_owner"
  case outOfScopeModel = "out_of_scope_model"
  case unapprovedTask = "unapproved_task"
  case scopeBudgetExceeded = "scope_budget_exceeded"
  case costCentreBudgetExceeded = "cost_centre_budget_exceeded"
  case unpricedModel = "unpriced_model"
  case retryStorm = "retry_storm"
  case recursiveLoop = "recursive_loop"
  case usageSpike = "usage_spike"
  case newSpender = "new_spender"
  case unloggedUsage = "unlogged_usage"
  /// A natural key stored with different token counts or amounts in another source: the first
  /// stored copy is charged, the other is not.
  case conflictingDuplicate = "conflicting_duplicate"

  /// Default severity of the kind.
  package var severity: Severity {
    switch self {
    case .revokedCredential, .unattributed: .critical
    case .expiredCredential, .offboardedOwner, .unregisteredCredential, .outOfScopeModel, .unloggedUsage,
      .conflictingDuplicate:
      .high
    case .agentMismatch, .unknownAgent, .unapprovedTask, .scopeBudgetExceeded, .costCentreBudgetExceeded,
      .retryStorm, .recursiveLoop, .usageSpike, .unpricedModel:
      .medium
    case .sharedCredential, .newSpender: .low
    }
  }
}

/// How urgent a finding is.
package enum Severity: String, CaseIterable, Sendable, Codable, Comparable {
  case low, medium, high, critical

  private var rank: Int {
    switch self {
    case .low: 0
    case .medium: 1
    case .high: 2
    case .critical: 3
    }
  }

  package static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One finding (SPEC §6): something a finance, engineering or security reader should act on.
package struct Finding: Sendable, Hashable {
  /// Stable across re-runs: derived from kind, period and subject.
  package var id: String
  package var kind: FindingKind
  package var severity: Severity
  /// `YYYY-MM`.
  package var period: String
  package var costCentre: String?
  package var agentID: String?
  package var credentialID: String?
  package var ownerID: String?
  package var taskApprover: String?
  /// First and last record time, UTC epoch ms.
  package var firstTime: Int64
  package var lastTime: Int64
  /// Calls (requests) the finding covers.
  package var calls: Int128
  /// False when none of its records counts its calls (Anthropic's usage report rows give no
  /// request count): ``calls`` is then not known, and is shown empty, never 0 (a trial read a
  /// revoked key's "0 calls" beside its $3.20).
  package var callsKnown = true
  /// Priced cost of those calls.
  package var cost: Money
  /// The part of ``cost`` that need not have been spent.
  package var avoidableCost: Money
  /// False when none of the usage records the finding rests on has a price (counted by records: a
  /// usage report's row counts no requests).
  package var hasPricedRecords = true
  /// False when a call counted as avoidable has no price: the avoidable amount is not known.
  package var avoidableKnown = true

  /// False for an `unpriced_model` finding and one whose records all went to models without
  /// prices: its cost is unknown and is shown empty, never $0 (SPEC §5).
  package var costKnown: Bool { kind != .unpricedModel && hasPricedRecords }
  /// Whether the avoidable amount is shown.
  package var avoidableShown: Bool { costKnown && avoidableKnown }
  /// The credentials of a finding whose calls came on several, most calls first (at most 100; its
  /// ``credentialID`` is then nil); empty otherwise.
  package var credentialIDs: [String] = []
  /// Natural keys of the records it rests on (the first few).
  package var evidence: [String]
  /// How many records it rests on in all.
  package var evidenceCount: Int128
  /// One line a security analyst can act on.
  package var explanation: String
  /// Label from `labels.csv` (`expected`, `false_positive`, `confirmed`), if any.
  package var label: String?
  /// Note and author of the label.
  package var labelNote: String?

  package init(
    id: String, kind: FindingKind, severity: Severity, period: String, costCentre: String? = nil,
    agentID: String? = nil, credentialID: String? = nil, ownerID: String? = nil, taskApprover: String? = nil,
    firstTime: Int64, lastTime: Int64, calls: Int128, cost: Money, avoidableCost: Money, evidence: [String],
    evidenceCount: Int128, explanation: String, label: String? = nil, labelNote: String? = nil
  ) {
    self.id = id
    self.kind = kind
    self.severity = severity
    self.period = period
    self.costCentre = costCentre
    self.agentID = agentID
    self.credentialID = credentialID
    self.ownerID = ownerID
    self.taskApprover = taskApprover
    self.firstTime = firstTime
    self.lastTime = lastTime
    self.calls = calls
    self.cost = cost
    self.avoidableCost = avoidableCost
    self.evidence = evidence
    self.evidenceCount = evidenceCount
    self.explanation = explanation
    self.label = label
    self.labelNote = labelNote
  }
}
