/// How a record's charge was decided (the `attribution_status` of chargeback lines).
package enum AttributionStatus: String, Sendable, CaseIterable {
  /// Credential bound to an agent.
  case agentCredential = "agent_credential"
  /// Shared credential; the call named a registered agent.
  case sharedAgent = "shared_credential_agent"
  /// Shared credential charged to its own cost centre.
  case sharedCostCentre = "shared_credential"
  /// Unknown credential; the call named a registered agent.
  case unregisteredCredential = "unregistered_credential"
  /// The source's format never names a caller and the record names none (a Vertex response log:
  /// ``UsageRecord/namesNoCallerByFormat``); the call named a registered agent, which is charged.
  /// No finding: there is no credential to register, and every call of such a source raised one.
  case agentMetadata = "agent_metadata"
  /// Nobody can be charged: cost centre `UNATTRIBUTED`.
  case unattributed
  /// Not a call: an amount an allocation rule moved (SPEC §12).
  case allocation
  /// Not a call: the idle part of a provisioned commitment's fee, charged to its owner.
  case idleCapacity = "idle_capacity"
}

/// The outcome of attributing one record (SPEC §4).
package struct Attribution: Sendable, Hashable {
  /// The cost centre of records nobody can be charged for (reserved: SPEC §11).
  package static let unattributed = "UNATTRIBUTED"

  /// The cost centre charged (`UNATTRIBUTED` when none).
  package var costCentre: String
  /// The agent charged, if any.
  package var agentID: String?
  /// The agent's owner.
  package var ownerID: String?
  /// The registry credential id matched (possibly a prefix or `project:` id).
  package var credentialID: String?
  /// Task and scope of the call.
  package var taskID: String?
  package var scopeID: String?
  package var status: AttributionStatus
  /// Lifecycle and identity findings this record raises (kind, subject).
  package var signals: [FindingKind] = []

  package init(
    costCentre: String, agentID: String? = nil, ownerID: String? = nil, credentialID: String? = nil,
    taskID: String? = nil, scopeID: String? = nil, status: AttributionStatus, signals: [FindingKind] = []
  ) {
    self.costCentre = costCentre
    self.agentID = agentID
    self.ownerID = ownerID
    self.credentialID = credentialID
    self.taskID = taskID
    self.scopeID = scopeID
    self.status = status
    self.signals = signals
  }
}
