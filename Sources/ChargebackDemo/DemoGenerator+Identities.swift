import ChargebackSupport
import Foundation

// MARK: - Identities

extension DemoGenerator {
  /// Writes the six identity CSVs of SPEC §3.2 and an empty `labels.csv`.
  func writeIdentities(to dir: String) throws {
    let files: [(String, String)] = [
      ("people.csv", peopleCSV()), ("cost_centres.csv", costCentresCSV()), ("agents.csv", agentsCSV()),
      ("credentials.csv", credentialsCSV()), ("tasks.csv", tasksCSV()), ("scopes.csv", scopesCSV()),
      ("labels.csv", "finding_id,label,note,who\n"), ("allocation.csv", allocationCSV()),
      ("commitments.csv", commitmentsCSV()),
    ]
    for (name, text) in files {
      try Data(text.utf8).write(to: URL(fileURLWithPath: DemoText.join(dir, name)))
    }
  }

  private func peopleCSV() -> String {
    DemoText.csv([
      ["person_id", "name", "email", "cost_centre", "offboarded_at"],
      ["p-ana", "Ana Silva", "ana.silva@example.com", "CC-1100", ""],
      ["p-ben", "Ben Okafor", "ben.okafor@example.com", "CC-2200", ""],
      ["p-chen", "Chen Wei", "chen.wei@example.com", "CC-3300", ""],
      ["p-dara", "Dara Murphy", "dara.murphy@example.com", "CC-4400", ""],
      ["p-eli", "Eli Cohen", "eli.cohen@example.com", "CC-5500", ""],
      ["p-fatima", "Fatima Khan", "fatima.khan@example.com", "CC-3300", ""],
      ["p-gus", "Gus Larsen", "gus.larsen@example.com", "CC-2200", ""],
      ["p-hana", "Hana Sato", "hana.sato@example.com", "CC-5500", ""],
      ["p-ivan", "Ivan Petrov", "ivan.petrov@example.com", "CC-1100", date(Self.offboardDay)],
      ["p-jo", "Jo Martin", "jo.martin@example.com", "CC-4400", ""],
    ])
  }

  private func costCentresCSV() -> String {
    DemoText.csv([
      ["cost_centre", "name", "owner", "monthly_budget_usd"],
      ["CC-1100", "Finance Ops", "p-ana", "150.00"],
      ["CC-2200", "Customer Support", "p-ben", "100.00"],
      ["CC-3300", "Platform Engineering", "p-chen", "250.00"],
      ["CC-4400", "Sales", "p-dara", "20.00"],
      ["CC-5500", "Research", "p-eli", "600.00"],
      ["CC-9000", "Shared AI Platform", "p-chen", ""],
    ])
  }

  /// Shared costs (SPEC §12): unattributed spend by cost, the shared AI platform (its shared runner
  /// role and its idle provisioned capacity) by agreed shares, and the LLM gateway's hosting by
  /// requests.
  private func allocationCSV() -> String {
    DemoText.csv([
      ["rule_id", "source", "method", "basis", "targets", "shares", "effective_from", "effective_to"],
      ["R-UNATTRIBUTED", "UNATTRIBUTED", "proportional", "cost", "*", "", "", ""],
      [
        "R-PLATFORM", "cost_centre:CC-9000", "fixed", "", "CC-1100;CC-2200;CC-3300;CC-4400;CC-5500",
        "CC-1100=20;CC-2200=30;CC-3300=30;CC-4400=10;CC-5500=10", "", "",
      ],
      ["R-GATEWAY", "fixed:450.00", "proportional", "requests", "CC-1100;CC-2200;CC-3300;CC-4400;CC-5500", "", "", ""],
    ])
  }

  /// Contract terms: provisioned throughput for Claude Haiku 4.5 from the 10th (in the demo its
  /// on-demand model id stands for the capacity; a real Bedrock provisioned call names its
  /// provisioned-model ARN), and a negotiated 15 % off Nova from the 16th.
  private func commitmentsCSV() -> String {
    DemoText.csv([
      [
        "commitment_id", "provider", "kind", "models", "amount_usd", "discount_percent", "owner_cost_centre",
        "effective_from", "effective_to", "description",
      ],
      [
        "PT-HAIKU45", "bedrock", "provisioned", "*claude-haiku-4-5*", "120.00", "", "CC-9000", date(10), "",
        "Bedrock provisioned throughput, Claude Haiku 4.5",
      ],
      ["D-NOVA", "bedrock", "discount", "*nova-*", "", "15", "", date(16), "", "Negotiated Nova pricing"],
    ])
  }

  private func agentsCSV() -> String {
    let since = daysBefore(120)
    let header = ["agent_id", "name", "kind", "owner", "team", "cost_centre", "scope_id", "valid_from", "valid_to"]
    func row(
      _ id: String, _ name: String, _ kind: String, _ owner: String, _ team: String, _ cc: String, _ scope: String
    )
      -> [String]
    {
      [id, name, kind, owner, team, cc, scope, since, ""]
    }
    return DemoText.csv([
      header,
      row("invoice-reconciler", "Invoice reconciler", "agent", "p-ana", "finance-automation", "CC-1100", "S-FIN"),
      row("expense-auditor", "Expense auditor", "agent", "p-ivan", "finance-automation", "CC-1100", "S-FIN"),
      row("month-end-close", "Month-end close runner", "workload", "p-ana", "finance-platform", "CC-1100", "S-FIN"),
      row("forecast-analyst", "Cash-flow forecast analyst", "agent", "p-ana", "fpa", "CC-1100", "S-FIN"),
      row("support-triage", "Ticket triage agent", "agent", "p-ben", "support-tools", "CC-2200", "S-SUPPORT"),
      row("refund-assistant", "Refund assistant", "agent", "p-gus", "support-ops", "CC-2200", "S-SUPPORT"),
      row("kb-indexer", "Knowledge-base indexer", "workload", "p-gus", "support-tools", "CC-2200", "S-SUPPORT"),
      row("support-chat", "Customer chat assistant", "agent", "p-ben", "support-tools", "CC-2200", "S-SUPPORT"),
      row("pr-reviewer", "Pull-request reviewer", "agent", "p-chen", "devex", "CC-3300", "S-ENG"),
      row("release-notes-writer", "Release-notes writer", "agent", "p-fatima", "devex", "CC-3300", "S-ENG"),
      row("incident-responder", "Incident responder", "agent", "p-chen", "sre", "CC-3300", "S-ENG"),
      row("log-summarizer", "Log summarizer", "workload", "p-fatima", "sre", "CC-3300", "S-ENG"),
      row("dev-copilot", "Developer copilot", "service_account", "p-chen", "devex", "CC-3300", "S-ENG"),
      row("lead-enricher", "Lead enricher", "service_account", "p-dara", "sales-ops", "CC-4400", "S-SUPPORT"),
      row("sales-email-writer", "Sales email writer", "agent", "p-jo", "sales-ops", "CC-4400", "S-SUPPORT"),
      [
        "deal-desk-analyst", "Deal-desk analyst", "agent", "p-jo", "deal-desk", "CC-4400", "S-FIN", daysBefore(200),
        date(Self.moveDay),
      ],
      [
        "deal-desk-analyst", "Deal-desk analyst", "agent", "p-jo", "deal-desk", "CC-1100", "S-FIN", date(Self.moveDay),
        "",
      ],
      row("research-planner", "Research planner", "agent", "p-hana", "research", "CC-5500", "S-RESEARCH"),
      row("paper-summarizer", "Paper summarizer", "agent", "p-eli", "research", "CC-5500", "S-RESEARCH"),
      row("eval-runner", "Evaluation runner", "workload", "p-eli", "research", "CC-5500", "S-RESEARCH"),
      row("research-batch-eval", "Batch evaluation jobs", "workload", "p-hana", "research", "CC-5500", "S-RESEARCH"),
    ])
  }

  /// OpenAI keys and projects of the demo.
  enum Keys {
    static let supportChat = "key_Hq7vN2cRt5mXa9Lp"
    static let salesEmail = "key_Ws4eMn8bYt2kPq6J"
    static let devCopilot = "key_Dc9xL3pQa7rT1vBz"
    static let researchBatch = "key_Rb2kT9wEx4nMz6Hc"
    static let forecast = "key_Fa6yP1sLc8vQe3Nd"
    static let projSupport = "proj_Support3QxR8nWk2"
    static let projSales = "proj_SalesOps7Kd2hVc"
    static let projPlatform = "proj_Platform8Lm4sJe"
    static let projResearch = "proj_Research5Tb1qGy"
    static let projFinance = "proj_Finance2Wn6cXz"
  }

  private func credentialsCSV() -> String {
    let issued = daysBefore(150)
    func role(_ name: String, _ agent: String, _ description: String, issuedAt: String? = nil, revokedAt: String = "")
      -> [String]
    {
      [Self.arnPrefix + name + "/*", "bedrock", agent, "", issuedAt ?? issued, "", revokedAt, description]
    }
    func key(_ id: String, _ agent: String, _ description: String) -> [String] {
      [id, "openai", agent, "", issued, "", "", description]
    }
    return DemoText.csv([
      ["credential_id", "provider", "agent_id", "cost_centre", "issued_at", "expires_at", "revoked_at", "description"],
      role("fin-invoice-reconciler", "invoice-reconciler", "IAM role of the invoice reconciler"),
      role("fin-expense-auditor", "expense-auditor", "IAM role of the expense auditor"),
      role("fin-close-batch", "month-end-close", "IAM role of the month-end close batch"),
      role("support-triage", "support-triage", "IAM role of the triage agent"),
      role(
        "support-refunds", "refund-assistant", "IAM role of the refund assistant (rotated after a session-token leak)",
        revokedAt: date(Self.revokeDay)),
      role(
        "support-refunds-v2", "refund-assistant", "IAM role of the refund assistant (replacement)",
        issuedAt: date(Self.revokeDay)),
      [
        Self.arnPrefix + "shared-agent-runner/*", "bedrock", "", "CC-9000", issued, "", "",
        "Shared runner role used by several platform and support agents",
      ],
      role("sre-incident-responder", "incident-responder", "IAM role of the incident responder"),
      role("sre-log-summarizer", "log-summarizer", "IAM role of the log summarizer"),
      role("sales-lead-enricher", "lead-enricher", "IAM role of the lead enricher"),
      role("deal-desk-analyst", "deal-desk-analyst", "IAM role of the deal-desk analyst"),
      role("research-planner", "research-planner", "IAM role of the research planner"),
      role("research-paper-summarizer", "paper-summarizer", "IAM role of the paper summarizer"),
      role("research-eval-runner", "eval-runner", "IAM role of the evaluation runner"),
      key(Keys.supportChat, "support-chat", "OpenAI key of the customer chat assistant"),
      key(Keys.salesEmail, "sales-email-writer", "OpenAI key of the sales email writer"),
      key(Keys.devCopilot, "dev-copilot", "OpenAI key of the developer copilot"),
      key(Keys.researchBatch, "research-batch-eval", "OpenAI key of the batch evaluation jobs"),
      key(Keys.forecast, "forecast-analyst", "OpenAI key of the forecast analyst"),
      [
        "project:" + Keys.projResearch, "openai", "", "CC-5500", issued, "", "",
        "Research project usage reported without an API key (playground)",
      ],
    ])
  }

  private func tasksCSV() -> String {
    DemoText.csv([
      ["task_id", "agent_id", "requested_by", "approved_by", "scope_id", "opened_at", "closed_at", "ticket"],
      ["T-1001", "invoice-reconciler", "p-ana", "p-ivan", "S-FIN", daysBefore(45), "", "FIN-2041"],
      ["T-1002", "expense-auditor", "p-ivan", "p-ana", "S-FIN", daysBefore(60), "", "FIN-2057"],
      ["T-1003", "month-end-close", "p-ana", "p-ana", "S-FIN", daysBefore(90), "", "FIN-1988"],
      ["T-1004", "support-triage", "p-ben", "p-gus", "S-SUPPORT", daysBefore(30), "", "SUP-318"],
      ["T-1005", "refund-assistant", "p-gus", "p-ben", "S-SUPPORT", daysBefore(30), "", "SUP-322"],
      ["T-1006", "kb-indexer", "p-gus", "p-ben", "S-SUPPORT", daysBefore(75), "", "SUP-290"],
      ["T-1007", "pr-reviewer", "p-chen", "p-fatima", "S-ENG", daysBefore(20), "", "PLAT-1177"],
      ["T-1008", "release-notes-writer", "p-fatima", "p-chen", "S-ENG", daysBefore(20), "", "PLAT-1180"],
      ["T-1009", "incident-responder", "p-chen", "p-fatima", "S-ENG", daysBefore(10), "", "PLAT-1203"],
      ["T-1010", "log-summarizer", "p-fatima", "p-chen", "S-ENG", daysBefore(100), "", "PLAT-1011"],
      ["T-1011", "lead-enricher", "p-dara", "p-jo", "S-SUPPORT", daysBefore(40), "", "SALES-88"],
      ["T-1012", "deal-desk-analyst", "p-jo", "", "S-FIN", daysBefore(15), "", "SALES-92"],
      ["T-1013", "research-planner", "p-hana", "p-eli", "S-RESEARCH", daysBefore(25), "", "RES-455"],
      ["T-1014", "paper-summarizer", "p-eli", "p-hana", "S-RESEARCH", daysBefore(25), "", "RES-456"],
      ["T-1015", "eval-runner", "p-eli", "p-hana", "S-RESEARCH", daysBefore(50), "", "RES-431"],
    ])
  }

  /// Model globs match the canonical id or the raw model name, so both forms are covered.
  private func scopesCSV() -> String {
    DemoText.csv([
      ["scope_id", "description", "allowed_models", "allowed_providers", "monthly_budget_usd"],
      ["S-FIN", "Finance document processing", "*claude-*;*nova-*;gpt-4o*", "bedrock;openai", "250.00"],
      [
        "S-SUPPORT", "Customer-facing work on low-cost models only",
        "*claude-*haiku*;*nova-*;gpt-4.1-mini*;gpt-4o-mini*", "bedrock;openai", "150.00",
      ],
      ["S-ENG", "Engineering assistants", "*claude-*;*nova-*;gpt-*;o4-*", "bedrock;openai", "400.00"],
      ["S-RESEARCH", "Research and evaluation", "*claude-*;*nova-*;gpt-*;o4-*", "bedrock;openai", "1000.00"],
    ])
  }
}
