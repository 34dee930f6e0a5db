// MARK: - Bedrock demo streams

extension DemoGenerator {
  /// Bedrock model ids of the demo traffic.
  enum Models {
    static let sonnet4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    static let sonnet45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let haiku35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
    static let haiku45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    static let novaPro = "amazon.nova-pro-v1:0"
    static let novaLite = "amazon.nova-lite-v1:0"
  }

  /// Token sizes of one kind of call.
  struct TokenProfile {
    var input: ClosedRange<Int64>
    var cacheRead: ClosedRange<Int64> = 0...0
    var cacheReadPct = 0
    var cacheWrite: ClosedRange<Int64> = 0...0
    var cacheWritePct = 0
    var oneHourPct = 0
    var output: ClosedRange<Int64>
  }

  /// One source of ordinary Bedrock traffic.
  struct BedrockStream {
    var agent: String?
    var task: String?
    var role: String
    var sessions: [String]
    var models: [String]
    var weights: [Int]
    var weekday: Int
    var weekend: Int
    var hours: DemoCalendar.Hours
    var tokens: TokenProfile
    var days: ClosedRange<Int>
    var region = "us-east-1"
    var prompts: [String]
  }

  /// The ordinary Bedrock traffic of the demo month, one stream per caller and role.
  static func bedrockStreams(dayCount: Int) -> [BedrockStream] {
    let all = 1...dayCount
    return [
      BedrockStream(
        agent: "invoice-reconciler", task: "T-1001", role: "fin-invoice-reconciler",
        sessions: ["inv-rec-01", "inv-rec-02"],
        models: [Models.sonnet4, Models.haiku35], weights: [3, 2], weekday: 30, weekend: 6, hours: .business,
        tokens: TokenProfile(
          input: 1_500...12_000, cacheRead: 20_000...90_000, cacheReadPct: 70, cacheWrite: 8_000...30_000,
          cacheWritePct: 10,
          output: 300...2_500), days: all,
        prompts: [
          "Reconcile invoice INV-%n against the purchase order", "Match the remittance advice to open invoices",
        ]),
      BedrockStream(
        agent: "expense-auditor", task: "T-1002", role: "fin-expense-auditor", sessions: ["exp-audit-7c1e"],
        models: [Models.novaPro, Models.haiku45], weights: [3, 2], weekday: 20, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 3_000...18_000, cacheRead: 5_000...30_000, cacheReadPct: 50, output: 200...1_500), days: all,
        prompts: ["Check expense report EXP-%n against the travel policy"]),
      BedrockStream(
        agent: "month-end-close", task: "T-1003", role: "fin-close-batch", sessions: ["close-runner"],
        models: [Models.sonnet45], weights: [1], weekday: 10, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 4_000...20_000, cacheRead: 30_000...120_000, cacheReadPct: 80, cacheWrite: 10_000...40_000,
          cacheWritePct: 15, oneHourPct: 60, output: 800...4_000), days: all,
        prompts: ["Draft the accrual journal for ledger %n"]),
      BedrockStream(
        agent: "support-triage", task: "T-1004", role: "support-triage",
        sessions: ["triage-a", "triage-b", "triage-c"],
        models: [Models.haiku45, Models.novaLite], weights: [3, 2], weekday: 70, weekend: 30, hours: .business,
        tokens: TokenProfile(
          input: 800...4_000, cacheRead: 2_000...12_000, cacheReadPct: 60, cacheWrite: 2_000...6_000, cacheWritePct: 5,
          output: 80...600), days: all,
        prompts: ["Classify ticket SUP-%n and suggest a queue", "Summarise the customer's last three messages"]),
      BedrockStream(
        agent: "refund-assistant", task: "T-1005", role: "support-refunds", sessions: ["refunds-01"],
        models: [Models.haiku35], weights: [1], weekday: 15, weekend: 5, hours: .business,
        tokens: TokenProfile(
          input: 1_000...5_000, cacheRead: 3_000...15_000, cacheReadPct: 50, output: 150...900), days: all,
        prompts: ["Decide whether order %n qualifies for a refund"]),
      BedrockStream(
        agent: "kb-indexer", task: "T-1006", role: "shared-agent-runner", sessions: ["kb-indexer-1", "kb-indexer-2"],
        models: [Models.novaPro, Models.haiku45], weights: [1, 1], weekday: 12, weekend: 12, hours: .flat,
        tokens: TokenProfile(input: 5_000...25_000, output: 200...1_200), days: all,
        prompts: ["Extract FAQ entries from article KB-%n"]),
      BedrockStream(
        agent: "pr-reviewer", task: "T-1007", role: "shared-agent-runner", sessions: ["pr-reviewer"],
        models: [Models.sonnet45], weights: [1], weekday: 25, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 3_000...20_000, cacheRead: 10_000...60_000, cacheReadPct: 60, cacheWrite: 5_000...20_000,
          cacheWritePct: 10, output: 400...3_000), days: all,
        prompts: ["Review pull request #%n for correctness and style"]),
      BedrockStream(
        agent: "release-notes-writer", task: "T-1008", role: "shared-agent-runner", sessions: ["release-notes"],
        models: [Models.haiku45], weights: [1], weekday: 6, weekend: 0, hours: .business,
        tokens: TokenProfile(input: 2_000...12_000, output: 300...2_000), days: all,
        prompts: ["Write release notes for build %n"]),
      BedrockStream(
        agent: nil, task: nil, role: "shared-agent-runner", sessions: ["adhoc-cli"],
        models: [Models.haiku45, Models.novaLite], weights: [1, 1], weekday: 4, weekend: 1, hours: .business,
        tokens: TokenProfile(input: 500...6_000, output: 100...800), days: all,
        prompts: ["Explain this stack trace"]),
      BedrockStream(
        agent: "incident-responder", task: "T-1009", role: "sre-incident-responder", sessions: ["ir-pager"],
        models: [Models.sonnet4], weights: [1], weekday: 8, weekend: 4, hours: .flat,
        tokens: TokenProfile(
          input: 4_000...25_000, cacheRead: 5_000...40_000, cacheReadPct: 40, output: 500...3_000), days: all,
        prompts: ["Summarise the alerts for incident INC-%n"]),
      BedrockStream(
        agent: "log-summarizer", task: "T-1010", role: "sre-log-summarizer",
        sessions: ["logsum-worker-1", "logsum-worker-2"],
        models: [Models.novaLite], weights: [1], weekday: 60, weekend: 60, hours: .flat,
        tokens: TokenProfile(input: 6_000...30_000, output: 150...800), days: all,
        prompts: ["Summarise the error log window %n"]),
      BedrockStream(
        agent: "lead-enricher", task: "T-1011", role: "sales-lead-enricher", sessions: ["enrich-batch"],
        models: [Models.haiku35], weights: [1], weekday: 40, weekend: 2, hours: .business,
        tokens: TokenProfile(input: 1_500...8_000, output: 200...900), days: all,
        prompts: ["Enrich lead %n with firmographic data"]),
      BedrockStream(
        agent: "deal-desk-analyst", task: "T-1012", role: "deal-desk-analyst", sessions: ["deal-desk"],
        models: [Models.sonnet4, Models.novaLite], weights: [2, 1], weekday: 10, weekend: 1, hours: .business,
        tokens: TokenProfile(
          input: 3_000...15_000, cacheRead: 10_000...50_000, cacheReadPct: 50, output: 500...2_500), days: all,
        prompts: ["Price the discount request on opportunity OPP-%n"]),
      BedrockStream(
        agent: "research-planner", task: "T-1013", role: "research-planner", sessions: ["planner-main"],
        models: [Models.sonnet45], weights: [1], weekday: 10, weekend: 2, hours: .business,
        tokens: TokenProfile(
          input: 2_000...10_000, cacheRead: 10_000...40_000, cacheReadPct: 60, cacheWrite: 5_000...15_000,
          cacheWritePct: 15, oneHourPct: 50, output: 500...2_500), days: all, region: "us-west-2",
        prompts: ["Plan the literature review for question RQ-%n"]),
      BedrockStream(
        agent: "paper-summarizer", task: "T-1014", role: "research-paper-summarizer", sessions: ["summ-1", "summ-2"],
        models: [Models.sonnet45], weights: [1], weekday: 12, weekend: 3, hours: .business,
        tokens: TokenProfile(
          input: 5_000...40_000, cacheRead: 10_000...80_000, cacheReadPct: 50, cacheWrite: 10_000...30_000,
          cacheWritePct: 10, oneHourPct: 50, output: 800...4_000), days: all, region: "us-west-2",
        prompts: ["Summarise paper arXiv:2510.%n"]),
      BedrockStream(
        agent: "eval-runner", task: "T-1015", role: "research-eval-runner", sessions: ["eval-shard-1", "eval-shard-2"],
        models: [Models.haiku45, Models.sonnet45], weights: [2, 1], weekday: 24, weekend: 24, hours: .flat,
        tokens: TokenProfile(input: 40_000...160_000, output: 1_000...6_000), days: all, region: "us-west-2",
        prompts: ["Grade answer %n against the rubric"]),
      BedrockStream(
        agent: "kb-indexer", task: "T-1006", role: "legacy-etl-runner", sessions: ["etl-nightly"],
        models: [Models.novaLite, Models.novaPro], weights: [2, 1], weekday: 6, weekend: 6, hours: .night,
        tokens: TokenProfile(input: 4_000...20_000, output: 200...1_000),
        days: min(legacyFirstDay, dayCount)...dayCount,
        prompts: ["Normalise export batch %n"]),
      BedrockStream(
        agent: "hackathon-bot", task: nil, role: "shared-agent-runner", sessions: ["hackathon"],
        models: [Models.haiku45], weights: [1], weekday: 6, weekend: 6, hours: .business,
        tokens: TokenProfile(input: 1_000...8_000, output: 200...1_500), days: hackathonDays,
        prompts: ["Generate a demo script for idea %n"]),
    ]
  }
}
