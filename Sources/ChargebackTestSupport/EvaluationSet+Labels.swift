import ChargebackIdentity
import ChargebackModel
import ChargebackSupport

// MARK: - Labels

extension EvaluationSet.Generator {
  /// The exact cost of a planted call at the planted rates: tokens × micro-USD per million is a
  /// whole number of pico-USD (SPEC §5), summed over its three token classes.
  static func plantedCost(_ c: Call) -> Money {
    guard let r = EvaluationSet.plantedRates[c.model] else { preconditionFailure("no planted rate for \(c.model)") }
    let pico =
      Int128(c.input) * Int128(r.input) + Int128(c.cacheRead) * Int128(r.cachedInput)
      + Int128(c.output) * Int128(r.output)
    return Money(pico: pico)
  }

  /// The labels of the planted cases of the period, with expected costs at the planted rates.
  func cases() -> [EvaluationCase] {
    func cost(_ c: Call) -> Money { Self.plantedCost(c) }
    func sum(_ cs: [Call]) -> Money { cs.reduce(Money.zero) { $0 + cost($1) } }
    let inPeriod = calls.filter { $0.time >= period.startMillis && $0.time < period.endMillis }
      .sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
    func tagged(_ tag: String) -> [Call] { inPeriod.filter { $0.tag == tag } }
    func cred(_ agentID: String) -> String { EvaluationSet.credentialID(role: agent(agentID).role) }
    var out: [EvaluationCase] = []

    for (tag, agentID, day, what) in [
      ("storm-incident", "incident-bot", Self.stormDays.incident, "12 throttled then 2 successful"),
      ("storm-router", "ticket-router", Self.stormDays.router, "15 failed, 5 successful, one 60 s gap"),
      ("storm-extractor", "doc-extractor", Self.stormDays.extractor, "all 12 timed out, input billed"),
      (
        "storm-stream", "support-chat", Self.stormDays.stream,
        "7 throttled with no tokens, 3 streams broken after billing, 2 successful"
      ),
    ] {
      let cs = tagged(tag)
      let total = sum(cs)
      let lastSuccess = cs.last { $0.errorCode == nil }.map(cost) ?? .zero
      out.append(
        EvaluationCase(
          kind: .retryStorm, agentID: agentID, credentialID: cred(agentID), day: date(day),
          expectedAvoidable: total - lastSuccess, plantedCost: total,
          note: "\(cs.count) identical \(cs[0].model) calls (\(what)); avoidable = all but the last successful call"))
    }

    let cycle = tagged("loop-cycle")
    out.append(
      EvaluationCase(
        kind: .recursiveLoop, agentID: "research-planner", credentialID: cred("research-planner"),
        day: date(Self.loopDays.cycle), expectedAvoidable: sum(Array(cycle[2...])), plantedCost: sum(cycle),
        note:
          "\(cycle.count) calls research-planner → research-critic → research-planner … via parent_request_id; avoidable = from the planner's second call on"
      ))
    let repeats = tagged("loop-repeat")
    out.append(
      EvaluationCase(
        kind: .recursiveLoop, agentID: "code-fixer", credentialID: cred("code-fixer"),
        day: date(Self.loopDays.repeats), expectedAvoidable: sum(Array(repeats[2...])),
        plantedCost: sum(repeats),
        note:
          "build-orchestrator → code-fixer × \(repeats.count - 1) along one path (same model, same input size class); avoidable = from the second code-fixer call on"
      ))

    let branch = tagged("loop-branch")  // the orchestrator, then checker ⇄ drafter
    let searches = tagged("loop-branch-search")
    out.append(
      EvaluationCase(
        kind: .recursiveLoop, agentID: "policy-checker", credentialID: cred("policy-checker"),
        day: date(Self.loopDays.branch), expectedAvoidable: sum(Array(branch[3...])),
        plantedCost: sum(branch) + (sum(searches)),
        note:
          "case-orchestrator → policy-checker → answer-drafter → policy-checker … (\(branch.count - 1) calls) beside \(searches.count) concurrent kb-search calls under the same root; avoidable = from the checker's second call on, without the searches"
      ))

    for (tag, agentID, day) in [
      ("spike-eval", "eval-runner", Self.spikeDays.eval), ("spike-report", "report-writer", Self.spikeDays.report),
    ] {
      let extra = sum(tagged(tag))
      let daily = dailyCosts(of: agentID, cost: cost)
      let dayNumber = Timestamp.floorDiv(at(day, 0, 0), Timestamp.millisPerDay)
      let before = daily.filter { $0.key < dayNumber && $0.key >= dayNumber - 28 }.map(\.value.pico).sorted()
      let median = before.isEmpty ? 0 : before[before.count / 2]
      let actual = daily[dayNumber] ?? .zero
      let ratio = median > 0 ? Money.format(units: Money.roundDiv(actual.pico * 10, median), decimals: 1) : "∞"
      out.append(
        EvaluationCase(
          kind: .usageSpike, agentID: agentID, credentialID: cred(agentID), day: date(day), expectedAvoidable: .zero,
          plantedCost: extra,
          note:
            "\(tagged(tag).count) extra calls: \(actual.formatted(decimals: 2)) USD that day against a usual \(Money(pico: median).formatted(decimals: 2)) USD (\(ratio)×)"
        ))
    }

    let newcomer = inPeriod.filter { $0.agent == "pricing-bot" }
    out.append(
      EvaluationCase(
        kind: .newSpender, agentID: "pricing-bot", credentialID: cred("pricing-bot"),
        day: Timestamp.day(newcomer[0].time), expectedAvoidable: .zero, plantedCost: sum(newcomer),
        note: "registered and first used on \(date(Self.newSpenderDay)); no usage last month")
    )

    func lifecycle(_ kind: FindingKind, agent agentID: String?, credential: String, _ cs: [Call], _ note: String) {
      out.append(
        EvaluationCase(
          kind: kind, agentID: agentID, credentialID: credential, day: Timestamp.day(cs[0].time),
          expectedAvoidable: .zero, plantedCost: sum(cs), note: note))
    }
    lifecycle(
      .revokedCredential, agent: "refund-assistant", credential: cred("refund-assistant"),
      inPeriod.filter { $0.agent == "refund-assistant" && $0.time >= at(Self.revokeDay, 0, 0) },
      "role support-refunds revoked on \(date(Self.revokeDay)) and still used every day")
    lifecycle(
      .expiredCredential, agent: "contract-reader", credential: cred("contract-reader"),
      inPeriod.filter { $0.agent == "contract-reader" && $0.time >= at(Self.expiryDay, 0, 0) },
      "role fin-contract-reader expired on \(date(Self.expiryDay)) and still used")
    lifecycle(
      .offboardedOwner, agent: "expense-auditor", credential: cred("expense-auditor"),
      inPeriod.filter { $0.agent == "expense-auditor" && $0.time >= at(Self.offboardDay, 0, 0) },
      "owner p-eve offboarded on \(date(Self.offboardDay)); the agent keeps running")
    lifecycle(
      .sharedCredential, agent: nil, credential: EvaluationSet.credentialID(role: EvaluationSet.sharedRole),
      inPeriod.filter { $0.role == EvaluationSet.sharedRole },
      "role shared-runner has no agent; kb-indexer, release-notes and an unregistered agent use it")
    lifecycle(
      .agentMismatch, agent: "triage-agent", credential: cred("triage-agent"), tagged("mismatch"),
      "calls on triage-agent's role claim agent_id ticket-router")
    lifecycle(
      .unknownAgent, agent: "ghost-agent", credential: EvaluationSet.credentialID(role: EvaluationSet.sharedRole),
      tagged("ghost"), "calls on shared-runner name ghost-agent, which agents.csv does not have")
    lifecycle(
      .outOfScopeModel, agent: "support-chat", credential: cred("support-chat"), tagged("out-of-scope"),
      "scope S-CHEAP allows Haiku and Nova only; support-chat calls Claude Sonnet 4.5")
    lifecycle(
      .unapprovedTask, agent: "sales-drafter", credential: cred("sales-drafter"), tagged("unapproved"),
      "task T-299 has no approver in tasks.csv")
    return out
  }

  /// Priced daily cost of one agent's calls, by UTC day number.
  private func dailyCosts(of agentID: String, cost: (Call) -> Money) -> [Int64: Money] {
    var out: [Int64: Money] = [:]
    for c in calls where c.agent == agentID {
      out[Timestamp.floorDiv(c.time, Timestamp.millisPerDay), default: .zero] += cost(c)
    }
    return out
  }
}
