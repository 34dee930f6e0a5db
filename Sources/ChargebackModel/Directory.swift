// The rows of the identity directory (SPEC §3.2), as values every stage can read.

/// A human who owns agents or approves tasks (`people.csv`).
package struct Person: Sendable, Hashable {
  package var id: String
  package var name: String?
  package var email: String?
  package var costCentre: String?
  /// Offboarding instant, UTC epoch milliseconds.
  package var offboardedAt: Int64?

  package init(
    id: String, name: String? = nil, email: String? = nil, costCentre: String? = nil, offboardedAt: Int64? = nil
  ) {
    self.id = id
    self.name = name
    self.email = email
    self.costCentre = costCentre
    self.offboardedAt = offboardedAt
  }
}

/// A chargeback target (`cost_centres.csv`).
package struct CostCentre: Sendable, Hashable {
  package var id: String
  package var name: String?
  package var owner: String?
  /// Monthly budget in USD, exact.
  package var monthlyBudget: Money?
  /// General-ledger expense account its chargeback is debited to (`gl_account`); nil = the default.
  package var glAccount: String?
  /// Legal entity whose ledger it belongs to (`entity`); nil = the default.
  package var entity: String?

  package init(
    id: String, name: String? = nil, owner: String? = nil, monthlyBudget: Money? = nil, glAccount: String? = nil,
    entity: String? = nil
  ) {
    self.id = id
    self.name = name
    self.owner = owner
    self.monthlyBudget = monthlyBudget
    self.glAccount = glAccount
    self.entity = entity
  }
}

/// A provider's accounts (`accounts.csv`, optional): the payable account the journal credits and
/// the billing account id FOCUS names.
package struct ProviderAccount: Sendable, Hashable {
  package var provider: String
  /// General-ledger payable account (`account`); nil = the default `LLM-PAYABLE-<PROVIDER>`.
  package var account: String?
  /// The provider's billing account (an OpenAI organisation, an Anthropic organisation, an Azure
  /// billing account) for FOCUS `BillingAccountId`, when the exports do not carry one.
  package var billingAccountID: String?

  package init(provider: String, account: String? = nil, billingAccountID: String? = nil) {
    self.provider = provider
    self.account = account
    self.billingAccountID = billingAccountID
  }
}

/// One effective-dated row of a non-human identity (`agents.csv`).
package struct AgentVersion: Sendable, Hashable {
  package var id: String
  package var name: String?
  /// `agent`, `service_account` or `workload`.
  package var kind: String?
  package var owner: String
  package var team: String?
  package var costCentre: String
  package var scopeID: String?
  /// Start of validity, UTC epoch ms (inclusive); nil = always.
  package var validFrom: Int64?
  /// End of validity, UTC epoch ms (exclusive); nil = open.
  package var validTo: Int64?

  /// True when the row is in effect at `t`.
  package func covers(_ t: Int64) -> Bool {
    (validFrom.map { $0 <= t } ?? true) && (validTo.map { t < $0 } ?? true)
  }

  package init(
    id: String, name: String? = nil, kind: String? = nil, owner: String, team: String? = nil, costCentre: String,
    scopeID: String? = nil, validFrom: Int64? = nil, validTo: Int64? = nil
  ) {
    self.id = id
    self.name = name
    self.kind = kind
    self.owner = owner
    self.team = team
    self.costCentre = costCentre
    self.scopeID = scopeID
    self.validFrom = validFrom
    self.validTo = validTo
  }
}

/// An API key or workload identity (`credentials.csv`).
package struct Credential: Sendable, Hashable {
  /// Id as written: exact, a prefix ending in `*`, or `project:<id>` / `workspace:<id>`.
  package var id: String
  package var provider: String
  /// Bound agent; nil for a shared credential.
  package var agentID: String?
  package var costCentre: String?
  package var issuedAt: Int64?
  /// Exclusive expiry, UTC epoch ms.
  package var expiresAt: Int64?
  /// Unusable from this instant on, UTC epoch ms.
  package var revokedAt: Int64?
  package var description: String?

  package init(
    id: String, provider: String, agentID: String? = nil, costCentre: String? = nil, issuedAt: Int64? = nil,
    expiresAt: Int64? = nil, revokedAt: Int64? = nil, description: String? = nil
  ) {
    self.id = id
    self.provider = provider
    self.agentID = agentID
    self.costCentre = costCentre
    self.issuedAt = issuedAt
    self.expiresAt = expiresAt
    self.revokedAt = revokedAt
    self.description = description
  }
}

/// What a call was done for, and under whose consent (`tasks.csv`).
package struct TaskEntry: Sendable, Hashable {
  package var id: String
  package var agentID: String?
  package var requestedBy: String?
  package var approvedBy: String?
  package var scopeID: String?
  package var openedAt: Int64?
  package var closedAt: Int64?
  package var ticket: String?

  package init(
    id: String, agentID: String? = nil, requestedBy: String? = nil, approvedBy: String? = nil, scopeID: String? = nil,
    openedAt: Int64? = nil, closedAt: Int64? = nil, ticket: String? = nil
  ) {
    self.id = id
    self.agentID = agentID
    self.requestedBy = requestedBy
    self.approvedBy = approvedBy
    self.scopeID = scopeID
    self.openedAt = openedAt
    self.closedAt = closedAt
    self.ticket = ticket
  }
}

/// A permission scope (`scopes.csv`).
package struct Scope: Sendable, Hashable {
  package var id: String
  package var description: String?
  /// Model globs allowed; empty = any.
  package var allowedModels: [String]
  /// Providers allowed; empty = any.
  package var allowedProviders: [String]
  package var monthlyBudget: Money?

  package init(
    id: String, description: String? = nil, allowedModels: [String], allowedProviders: [String],
    monthlyBudget: Money? = nil
  ) {
    self.id = id
    self.description = description
    self.allowedModels = allowedModels
    self.allowedProviders = allowedProviders
    self.monthlyBudget = monthlyBudget
  }
}
