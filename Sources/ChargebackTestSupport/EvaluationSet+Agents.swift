import ChargebackDemo
import ChargebackModel
import ChargebackStore

// MARK: - Agents

extension EvaluationSet {
  static let accountID = "123456789012"
  static let arnPrefix = "arn:aws:sts::123456789012:assumed-role/"
  /// The IAM role with no agent of its own (the shared_credential case).
  static let sharedRole = "shared-runner"

  /// The registry id (`credentials.csv`) of an IAM role: the role and all its sessions.
  static func credentialID(role: String) -> String { arnPrefix + role + "/*" }
}

extension EvaluationSet.Generator {
  /// Bedrock model ids of the evaluation traffic.
  package enum Models {
    static let sonnet4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    static let sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let haiku45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
    static let opus45 = "anthropic.claude-opus-4-5-20251101-v1:0"
    static let novaPro = "amazon.nova-pro-v1:0"
    static let novaLite = "amazon.nova-lite-v1:0"
  }

  /// One registered agent and its ordinary daily traffic.
  struct Agent {
    var id: String
    var name: String
    var kind = "agent"
    var owner: String
    var team: String
    var costCentre: String
    var scope: String
    /// IAM role its calls use (``EvaluationSet/sharedRole`` for the shared runner).
    var role: String
    var model: String
    var task: String
    /// Background calls per weekday and per weekend day (±15 %).
    var weekday: Int
    var weekend: Int
    var input: ClosedRange<Int64>
    var output: ClosedRange<Int64>
    var cacheReadPct = 0
    var hours = DemoCalendar.Hours.business
    /// Days with background traffic in the previous month and in the period (nil = none).
    var previousDays: ClosedRange<Int>? = 1...31
    var periodDays: ClosedRange<Int>? = 1...31
    /// Period volume in percent of the previous month's.
    var periodScale = 100
    /// `valid_from` (and the role's `issued_at`) when the agent is new.
    var since: Int?
    /// Runs only on these weekdays (0 = Monday), `weekday` calls each; nil = every day.
    var runsOn: [Int]?
  }

  /// Every registered agent: the planted cases, the decoys and the workflow steps.
  static func roster() -> [Agent] {
    typealias M = Models
    var a: [Agent] = [
      // Retry-storm agents.
      Agent(
        id: "incident-bot", name: "Incident responder", owner: "p-ada", team: "sre", costCentre: "CC-100",
        scope: "S-GEN", role: "ops-incident-bot", model: M.sonnet4, task: "T-201", weekday: 10, weekend: 6,
        input: 4_000...30_000, output: 300...1_500, cacheReadPct: 30),
      Agent(
        id: "ticket-router", name: "Ticket router", owner: "p-bo", team: "support-tools", costCentre: "CC-200",
        scope: "S-CHEAP", role: "support-ticket-router", model: M.haiku45, task: "T-202", weekday: 10, weekend: 6,
        input: 1_000...6_000, output: 50...300),
      Agent(
        id: "doc-extractor", name: "Document extractor", owner: "p-dee", team: "finance-automation",
        costCentre: "CC-400", scope: "S-GEN", role: "fin-doc-extractor", model: M.novaPro, task: "T-203",
        weekday: 8, weekend: 2, input: 8_000...60_000, output: 500...2_000),
      // Loop agents.
      Agent(
        id: "research-planner", name: "Research planner", owner: "p-cy", team: "research", costCentre: "CC-300",
        scope: "S-GEN", role: "research-planner", model: M.sonnet45, task: "T-204", weekday: 6, weekend: 2,
        input: 5_000...20_000, output: 500...2_000, cacheReadPct: 40),
      Agent(
        id: "research-critic", name: "Research critic", owner: "p-cy", team: "research", costCentre: "CC-300",
        scope: "S-GEN", role: "research-critic", model: M.sonnet45, task: "T-204", weekday: 2, weekend: 1,
        input: 5_000...20_000, output: 300...1_200, cacheReadPct: 40),
      Agent(
        id: "build-orchestrator", name: "Build orchestrator", kind: "workload", owner: "p-gil", team: "devex",
        costCentre: "CC-100", scope: "S-GEN", role: "dev-build-orchestrator", model: M.haiku45, task: "T-205",
        weekday: 6, weekend: 2, input: 2_000...8_000, output: 100...600),
      Agent(
        id: "code-fixer", name: "Code fixer", owner: "p-gil", team: "devex", costCentre: "CC-100", scope: "S-GEN",
        role: "dev-code-fixer", model: M.sonnet4, task: "T-205", weekday: 4, weekend: 1, input: 6_000...24_000,
        output: 800...3_000, cacheReadPct: 30),
      // Spike agents: flat daily cost.
      Agent(
        id: "eval-runner", name: "Evaluation runner", kind: "workload", owner: "p-cy", team: "research",
        costCentre: "CC-300", scope: "S-GEN", role: "research-eval-runner", model: M.opus45, task: "T-206",
        weekday: 10, weekend: 10, input: 20_000...30_000, output: 1_000...2_000, hours: .flat),
      Agent(
        id: "report-writer", name: "Report writer", kind: "workload", owner: "p-dee", team: "finance-reporting",
        costCentre: "CC-400", scope: "S-GEN", role: "fin-report-writer", model: M.sonnet4, task: "T-207",
        weekday: 12, weekend: 12, input: 20_000...30_000, output: 4_000...6_000, hours: .flat),
      // New spender.
      Agent(
        id: "pricing-bot", name: "Pricing assistant", owner: "p-dee", team: "fpa", costCentre: "CC-400",
        scope: "S-GEN", role: "fin-pricing-bot", model: M.sonnet4, task: "T-208", weekday: 14, weekend: 6,
        input: 30_000...50_000, output: 1_000...2_000, previousDays: nil, periodDays: newSpenderDay...31,
        since: newSpenderDay),
      // Lifecycle and policy cases.
      Agent(
        id: "refund-assistant", name: "Refund assistant", owner: "p-fin", team: "support-ops",
        costCentre: "CC-200", scope: "S-CHEAP", role: "support-refunds", model: M.haiku45, task: "T-209",
        weekday: 6, weekend: 4, input: 2_000...8_000, output: 100...600),
      Agent(
        id: "contract-reader", name: "Contract reader", owner: "p-dee", team: "legal-ops", costCentre: "CC-400",
        scope: "S-GEN", role: "fin-contract-reader", model: M.novaPro, task: "T-210", weekday: 5, weekend: 2,
        input: 10_000...50_000, output: 300...1_500),
      Agent(
        id: "expense-auditor", name: "Expense auditor", owner: "p-eve", team: "finance-automation",
        costCentre: "CC-400", scope: "S-GEN", role: "fin-expense-auditor", model: M.haiku45, task: "T-211",
        weekday: 5, weekend: 2, input: 3_000...12_000, output: 200...800),
      Agent(
        id: "kb-indexer", name: "Knowledge-base indexer", kind: "workload", owner: "p-bo", team: "support-tools",
        costCentre: "CC-200", scope: "S-CHEAP", role: EvaluationSet.sharedRole, model: M.novaLite, task: "T-212",
        weekday: 6, weekend: 6, input: 5_000...30_000, output: 100...500, hours: .flat),
      Agent(
        id: "release-notes", name: "Release-notes writer", owner: "p-gil", team: "devex", costCentre: "CC-100",
        scope: "S-GEN", role: EvaluationSet.sharedRole, model: M.sonnet4, task: "T-213", weekday: 3, weekend: 1,
        input: 4_000...16_000, output: 500...2_000),
      Agent(
        id: "triage-agent", name: "Ticket triage", owner: "p-bo", team: "support-tools", costCentre: "CC-200",
        scope: "S-CHEAP", role: "support-triage", model: M.haiku45, task: "T-214", weekday: 6, weekend: 4,
        input: 1_500...6_000, output: 100...400),
      Agent(
        id: "support-chat", name: "Customer chat", owner: "p-fin", team: "support-tools", costCentre: "CC-200",
        scope: "S-CHEAP", role: "support-chat", model: M.haiku45, task: "T-215", weekday: 8, weekend: 5,
        input: 1_000...5_000, output: 100...500),
      Agent(
        id: "sales-drafter", name: "Sales email drafter", owner: "p-dee", team: "sales-ops", costCentre: "CC-400",
        scope: "S-GEN", role: "sales-drafter", model: M.haiku45, task: "T-216", weekday: 4, weekend: 0,
        input: 2_000...6_000, output: 300...900),
      // Decoys.
      Agent(
        id: "heavy-batch", name: "Nightly batch summaries", kind: "workload", owner: "p-ada", team: "data-platform",
        costCentre: "CC-100", scope: "S-GEN", role: "data-heavy-batch", model: M.opus45, task: "T-217",
        weekday: 20, weekend: 20, input: 150_000...190_000, output: 16_000...24_000, hours: .flat),
      Agent(
        id: "weekday-analyst", name: "Business analyst", owner: "p-cy", team: "analytics", costCentre: "CC-300",
        scope: "S-GEN", role: "analytics-weekday", model: M.opus45, task: "T-218", weekday: 20, weekend: 4,
        input: 150_000...190_000, output: 16_000...24_000),
      Agent(
        id: "migration-runner", name: "Schema migration assistant", kind: "workload", owner: "p-gil",
        team: "data-platform", costCentre: "CC-100", scope: "S-GEN", role: "data-migration", model: M.opus45,
        task: "T-219", weekday: 22, weekend: 22, input: 150_000...190_000, output: 16_000...24_000, hours: .flat,
        periodScale: 85),
      Agent(
        id: "notify-worker", name: "Notification writer", kind: "workload", owner: "p-bo", team: "support-tools",
        costCentre: "CC-200", scope: "S-CHEAP", role: "support-notify", model: M.novaLite, task: "T-220",
        weekday: 6, weekend: 6, input: 500...3_000, output: 50...200, hours: .flat),
      Agent(
        id: "sync-worker", name: "CRM sync worker", kind: "workload", owner: "p-ada", team: "data-platform",
        costCentre: "CC-100", scope: "S-GEN", role: "data-sync", model: M.haiku45, task: "T-221", weekday: 5,
        weekend: 5, input: 1_000...5_000, output: 100...400, hours: .flat),
      Agent(
        id: "batch-summarizer", name: "Batch summarizer", owner: "p-cy", team: "research", costCentre: "CC-300",
        scope: "S-GEN", role: "research-batch-summarizer", model: M.haiku45, task: "T-222", weekday: 3,
        weekend: 0, input: 1_000...8_000, output: 200...800),
      Agent(
        id: "quarterly-close", name: "Quarter-close assistant", owner: "p-dee", team: "finance-close",
        costCentre: "CC-400", scope: "S-GEN", role: "fin-quarterly-close", model: M.opus45, task: "T-231",
        weekday: 30, weekend: 30, input: 150_000...190_000, output: 8_000...12_000, previousDays: 1...2,
        periodDays: returningDays, periodScale: 50),
      Agent(
        id: "intern-bot", name: "Intern project bot", owner: "p-ada", team: "devex", costCentre: "CC-100",
        scope: "S-GEN", role: "dev-intern-bot", model: M.haiku45, task: "T-232", weekday: 5, weekend: 5,
        input: 1_000...3_000, output: 100...300, previousDays: nil, periodDays: internDays,
        since: internDays.lowerBound - 1),
    ]
    a += [
      // A periodic heavy job: Mondays and Thursdays only, the same cost each run.
      Agent(
        id: "weekly-reporter", name: "Twice-weekly KPI pack", kind: "workload", owner: "p-dee",
        team: "finance-reporting", costCentre: "CC-400", scope: "S-GEN", role: "fin-weekly-reporter",
        model: M.opus45, task: "T-233", weekday: 22, weekend: 0, input: 150_000...190_000,
        output: 16_000...24_000, runsOn: [0, 3]),
      // The third loop's tree: an orchestrator with a retrieval fan-out and a checker/drafter loop.
      Agent(
        id: "case-orchestrator", name: "Support case orchestrator", owner: "p-fin", team: "support-ops",
        costCentre: "CC-200", scope: "S-GEN", role: "support-case-orchestrator", model: M.haiku45, task: "T-234",
        weekday: 3, weekend: 1, input: 2_000...8_000, output: 100...600),
      Agent(
        id: "policy-checker", name: "Refund policy checker", owner: "p-fin", team: "support-ops",
        costCentre: "CC-200", scope: "S-GEN", role: "support-policy-checker", model: M.haiku45, task: "T-234",
        weekday: 3, weekend: 1, input: 3_000...9_000, output: 100...500),
      Agent(
        id: "answer-drafter", name: "Answer drafter", owner: "p-fin", team: "support-ops", costCentre: "CC-200",
        scope: "S-GEN", role: "support-answer-drafter", model: M.sonnet4, task: "T-234", weekday: 3, weekend: 1,
        input: 6_000...16_000, output: 500...1_500),
      Agent(
        id: "kb-search", name: "Knowledge-base search", kind: "workload", owner: "p-fin", team: "support-ops",
        costCentre: "CC-200", scope: "S-GEN", role: "support-kb-search", model: M.sonnet4, task: "T-234",
        weekday: 3, weekend: 1, input: 10_000...30_000, output: 300...1_000),
    ]
    // The workflow of the deep acyclic tree: only called inside its trees.
    for (id, model) in Self.workflow {
      a.append(
        Agent(
          id: id, name: "Workflow step " + id.dropFirst(3), kind: "workload", owner: "p-ada", team: "workflow",
          costCentre: "CC-100", scope: "S-GEN", role: id, model: model, task: "T-230", weekday: 0, weekend: 0,
          input: 2_000...6_000, output: 200...800))
    }
    return a
  }

  /// The steps of the deep acyclic workflow tree, in order, with their models.
  static let workflow: [(String, String)] = [
    ("wf-intake", Models.novaLite), ("wf-classify", Models.haiku45), ("wf-retrieve", Models.novaPro),
    ("wf-rank", Models.haiku45), ("wf-draft", Models.sonnet4), ("wf-review", Models.sonnet4),
    ("wf-format", Models.novaLite), ("wf-publish", Models.novaLite),
  ]
}
