import ChargebackDemo
import ChargebackSupport
import Foundation

// MARK: - Identities

extension EvaluationSet.Generator {
  /// Writes the six identity CSVs of SPEC §3.2 and an empty `labels.csv` under `dir`.
  func writeIdentities(to dir: String) throws {
    let files: [(String, [[String]])] = [
      ("people.csv", people()), ("cost_centres.csv", costCentres()), ("agents.csv", agentRows()),
      ("credentials.csv", credentials()), ("tasks.csv", tasks()), ("scopes.csv", scopes()),
      ("labels.csv", [["finding_id", "label", "note", "who"]]),
    ]
    for (name, rows) in files {
      try Data(DemoText.csv(rows).utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
    }
  }

  private func people() -> [[String]] {
    [
      ["person_id", "name", "email", "cost_centre", "offboarded_at"],
      ["p-ada", "Ada Lindqvist", "ada.lindqvist@example.com", "CC-100", ""],
      ["p-bo", "Bo Tanaka", "bo.tanaka@example.com", "CC-200", ""],
      ["p-cy", "Cy Okonkwo", "cy.okonkwo@example.com", "CC-300", ""],
      ["p-dee", "Dee Romero", "dee.romero@example.com", "CC-400", ""],
      ["p-eve", "Eve Novak", "eve.novak@example.com", "CC-400", date(Self.offboardDay)],
      ["p-fin", "Finn Walsh", "finn.walsh@example.com", "CC-200", ""],
      ["p-gil", "Gil Moreau", "gil.moreau@example.com", "CC-100", ""],
    ]
  }

  private func costCentres() -> [[String]] {
    [
      ["cost_centre", "name", "owner", "monthly_budget_usd"],
      ["CC-100", "Platform Engineering", "p-ada", ""],
      ["CC-200", "Customer Support", "p-bo", ""],
      ["CC-300", "Research", "p-cy", ""],
      ["CC-400", "Finance Ops", "p-dee", ""],
    ]
  }

  private func agentRows() -> [[String]] {
    var rows = [["agent_id", "name", "kind", "owner", "team", "cost_centre", "scope_id", "valid_from", "valid_to"]]
    for a in agents {
      rows.append([
        a.id, a.name, a.kind, a.owner, a.team, a.costCentre, a.scope, a.since.map { date($0) } ?? daysBefore(180), "",
      ])
    }
    return rows
  }

  private func credentials() -> [[String]] {
    var rows = [
      [
        "credential_id", "provider", "agent_id", "cost_centre", "issued_at", "expires_at", "revoked_at",
        "description",
      ]
    ]
    for a in agents where a.role != EvaluationSet.sharedRole {
      rows.append([
        EvaluationSet.credentialID(role: a.role), "bedrock", a.id, "", a.since.map { date($0) } ?? daysBefore(200),
        a.id == "contract-reader" ? date(Self.expiryDay) : "",
        a.id == "refund-assistant" ? date(Self.revokeDay) : "", "IAM role of " + a.name.lowercased(),
      ])
    }
    rows.append([
      EvaluationSet.credentialID(role: EvaluationSet.sharedRole), "bedrock", "", "CC-100", daysBefore(200), "", "",
      "Shared runner role used by several agents",
    ])
    return rows
  }

  private func tasks() -> [[String]] {
    var rows = [
      ["task_id", "agent_id", "requested_by", "approved_by", "scope_id", "opened_at", "closed_at", "ticket"]
    ]
    var seen = Set<String>()
    for a in agents where seen.insert(a.task).inserted {
      rows.append([
        a.task, a.id, a.owner, a.owner == "p-ada" ? "p-gil" : "p-ada", a.scope, daysBefore(90), "",
        "OPS-" + a.task.dropFirst(2),
      ])
    }
    for task in ["T-223", "T-224", "T-225", "T-226"] {
      rows.append([
        task, "batch-summarizer", "p-cy", "p-ada", "S-GEN", daysBefore(90), "", "RES-" + task.dropFirst(2),
      ])
    }
    rows.append(["T-299", "sales-drafter", "p-dee", "", "S-GEN", date(Self.unapprovedFrom - 1), "", "SALES-299"])
    return rows
  }

  private func scopes() -> [[String]] {
    [
      ["scope_id", "description", "allowed_models", "allowed_providers", "monthly_budget_usd"],
      ["S-GEN", "General assistants", "*claude-*;*nova-*", "bedrock", ""],
      ["S-CHEAP", "Customer-facing work on low-cost models only", "*haiku*;*nova-*", "bedrock", ""],
    ]
  }
}
