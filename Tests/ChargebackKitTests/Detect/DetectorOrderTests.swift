import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// Findings that followed the order records were loaded in, or missed a loop, in a helper's trial
/// of security findings: each is checked on its records in one order and in the reverse order.
@Suite struct DetectorOrderTests {
  static let period = Period(year: 2026, month: 10)
  static let t0: Int64 = 1_791_331_200_000  // 2026-10-07

  static func call(
    _ id: String, at ms: Int64, agent: String, costCentre: String, credential: String = "key-1", micros: Int64,
    failed: Bool = false, parent: String? = nil, signals: [FindingKind] = []
  ) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(id)", requestID: id, time: t0 + ms,
      credential: credential, model: "gpt-4.1", tokens: TokenCounts(input: 10), failed: failed,
      errorCode: failed ? "429" : nil, metadata: CallMetadata(agentID: agent, parentID: parent))
    let a = Attribution(
      costCentre: costCentre, agentID: agent, credentialID: credential, status: .agentCredential, signals: signals)
    return ChargedRecord(record: r, attribution: a, model: "gpt-4.1", cost: Money(pico: Int128(micros) * 1_000_000))
  }

  /// A storm whose two last successes share a millisecond: the dearer is the one not avoidable, whichever was loaded
  /// last.
  ///
  /// Ten calls: 8 throttled at 0 cost, then successes of 4 and 78 µUSD at the same instant: avoidable 4 µUSD, in either
  /// order.
  @Test(arguments: [false, true])
  func aStormsAvoidableCostDoesNotDependOnTheOrderOfTiedSuccesses(reversed: Bool) {
    var storms = RetryStorms(settings: DetectionSettings(), period: Self.period)
    for i in 0..<8 {
      storms.observe(
        Self.call("s\(i)", at: Int64(i) * 1_000, agent: "ag", costCentre: "CC-A", micros: 0, failed: true),
        row: Int64(i))
    }
    var last = [
      Self.call("cheap", at: 8_000, agent: "ag", costCentre: "CC-A", micros: 4),
      Self.call("dear", at: 8_000, agent: "ag", costCentre: "CC-A", micros: 78),
    ]
    if reversed { last.reverse() }
    for (k, c) in last.enumerated() { storms.observe(c, row: Int64(8 + k)) }
    storms.finish { "row-\($0)" }
    #expect(storms.findings.count == 1)
    #expect(storms.findings.first?.cost == Money(pico: 82_000_000))
    #expect(storms.findings.first?.avoidableCost == Money(pico: 4_000_000))
  }

  /// A storm across the month's first midnight is found whole, and October's finding has October's calls only.
  ///
  /// 5 calls of September's last minute (the first throttled), fed as the minutes before the period, and 7 of October's,
  /// 10 s apart, all of 1 µUSD: one storm of 12 calls (neither month alone had 10), whose October part is 7 calls,
  /// 7 µUSD, of which 6 µUSD avoidable (all but the last success). A run that was a storm in September already (10
  /// calls there, a trigger) has its October part found when one of its calls there could have been avoided: 2 calls
  /// (1 µUSD avoidable), but not 1 call, its last success.
  @Test func aStormAcrossTheMonthsStartIsFoundWhole() throws {
    let start = Self.period.startMillis - Self.t0  // the calls' times are offsets from t0
    func run(before: Int, after: Int) -> [Finding] {
      var storms = RetryStorms(settings: DetectionSettings(), period: Self.period)
      storms.lookingBack = true
      for i in 0..<before {
        let at = start - Int64(before - i) * 10_000
        storms.observe(
          Self.call("b\(i)", at: at, agent: "ag", costCentre: "CC-A", micros: 1, failed: i == 0), row: Int64(i))
      }
      storms.lookingBack = false
      for i in 0..<after {
        storms.observe(
          Self.call("a\(i)", at: start + Int64(i) * 10_000, agent: "ag", costCentre: "CC-A", micros: 1),
          row: Int64(100 + i))
      }
      storms.finish { "row-\($0)" }
      return storms.findings
    }
    let across = run(before: 5, after: 7)
    #expect(across.count == 1)
    #expect(across.first?.calls == 7)
    #expect(across.first?.cost == Money(pico: 7_000_000))
    #expect(across.first?.avoidableCost == Money(pico: 6_000_000))
    #expect(across.first?.evidence == (100..<107).map { "row-\($0)" })
    #expect(across.first?.firstTime == Self.t0 + start)
    #expect(across.first?.explanation.contains("12 times") == true)
    #expect(across.first?.explanation.contains("5 of them were in the month before") == true)
    let goingOn = run(before: 10, after: 2)
    #expect(goingOn.count == 1)
    #expect(goingOn.first?.calls == 2 && goingOn.first?.avoidableCost == Money(pico: 1_000_000))
    #expect(run(before: 10, after: 1).isEmpty)
    // 9 calls of September (no storm there) and October's one success: a storm of 10 whose October part wasted
    // nothing, so no finding in either month.
    #expect(run(before: 9, after: 1).isEmpty)
    #expect(run(before: 5, after: 0).isEmpty)
  }

  /// A revoked key's calls charged to two cost centres: a finding in each, its own calls only, the one of the key's own
  /// cost centre (its agent's, in agents.csv's latest row) under the key's subject.
  ///
  /// Either order gives the same findings.
  @Test(arguments: [false, true])
  func aRevokedKeysFindingIsEachCostCentres(reversed: Bool) throws {
    let agents = ["ag-1": [AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-A")]]
    let credentials = [Credential(id: "key-1", provider: "openai", agentID: "ag-1")]
    var calls = [
      Self.call("x1", at: 0, agent: "ag-1", costCentre: "CC-A", micros: 18, signals: [.revokedCredential]),
      Self.call("x2", at: 0, agent: "ag-2", costCentre: "CC-B", micros: 3, signals: [.revokedCredential]),
      Self.call("x3", at: 1_000, agent: "ag-1", costCentre: "CC-A", micros: 5, signals: [.revokedCredential]),
    ]
    if reversed { calls.reverse() }
    var policy = PolicyFindings(credentials: credentials, agents: agents)
    for c in calls { policy.observe(c) }
    let found = policy.findings(period: Self.period).filter { $0.kind == .revokedCredential }
      .sorted { ($0.costCentre ?? "") < ($1.costCentre ?? "") }
    #expect(found.map(\.costCentre) == ["CC-A", "CC-B"])
    #expect(found.map(\.cost) == [Money(pico: 23_000_000), Money(pico: 3_000_000)])
    #expect(found.map(\.agentID) == ["ag-1", "ag-2"])
    #expect(found.first?.id == FindingID.make(kind: .revokedCredential, period: Self.period, subject: "key-1"))
    #expect(found.last?.id == FindingID.make(kind: .revokedCredential, period: Self.period, subject: "4:CC-B|key-1"))
  }

  /// A bound credential's home is its agent's cost centre in the period, whatever credentials.csv's
  /// `cost_centre` says (only a shared credential's counts) and wherever the agent moves after the
  /// period: its finding keeps the credential's own id.
  @Test func aBoundKeysHomeIsItsAgentsInThePeriod() throws {
    let november5 = Self.period.endMillis + 4 * Timestamp.millisPerDay
    let agents = [
      "ag-1": [
        AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-A", validTo: november5),
        AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-B", validFrom: november5),
      ]
    ]
    let credentials = [Credential(id: "key-1", provider: "openai", agentID: "ag-1", costCentre: "CC-X")]
    var policy = PolicyFindings(credentials: credentials, agents: agents, end: Self.period.endMillis)
    policy.observe(Self.call("x1", at: 0, agent: "ag-1", costCentre: "CC-A", micros: 18, signals: [.revokedCredential]))
    let found = policy.findings(period: Self.period).filter { $0.kind == .revokedCredential }
    #expect(found.map(\.id) == [FindingID.make(kind: .revokedCredential, period: Self.period, subject: "key-1")])
  }

  /// A move recorded ahead of time within the period changes no lifecycle finding's id.
  ///
  /// A trial: key-1 (bound to ag-1, CC-A) expired on the 5th and was revoked on the 10th, ag-1's
  /// owner left on the 1st, and ag-1 called on the 11th, charged to CC-A. A row moving ag-1 to CC-B
  /// from the 20th, added after the first daily run, gave all three findings new ids (their home was
  /// the agent's last row), and the next run alerted them again. Their home is now the agent's cost
  /// centre when the key expired or was revoked and when the owner left: CC-A either way. The move
  /// dated between them (the 4th) is a change of fact: the key's home is then CC-B, and its findings
  /// of the calls charged to CC-A are filed as another cost centre's; the owner left before it.
  @Test(arguments: [nil, 20, 4] as [Int64?])
  func aMoveAfterTheEventsKeepsTheLifecycleIDs(moveOn day: Int64?) throws {
    let start = Self.period.startMillis
    func on(_ d: Int64) -> Int64 { start + (d - 1) * Timestamp.millisPerDay }
    let agents = [
      "ag-1": day.map { d in
        [
          AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-A", validTo: on(d)),
          AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-B", validFrom: on(d)),
        ]
      } ?? [AgentVersion(id: "ag-1", owner: "p", costCentre: "CC-A")]
    ]
    let credentials = [
      Credential(id: "key-1", provider: "openai", agentID: "ag-1", expiresAt: on(5), revokedAt: on(10))
    ]
    var policy = PolicyFindings(
      credentials: credentials, agents: agents, offboarded: ["p": on(1)], end: Self.period.endMillis)
    var call = Self.call(
      "x1", at: on(11) - Self.t0, agent: "ag-1", costCentre: "CC-A", micros: 18,
      signals: [.expiredCredential, .revokedCredential, .offboardedOwner])
    call.attribution.ownerID = "p"
    policy.observe(call)
    let found = Dictionary(uniqueKeysWithValues: policy.findings(period: Self.period).map { ($0.kind, $0.id) })
    let home = day == 4 ? "4:CC-A|" : ""
    #expect(
      found[.expiredCredential]
        == FindingID.make(kind: .expiredCredential, period: Self.period, subject: home + "key-1"))
    #expect(
      found[.revokedCredential]
        == FindingID.make(kind: .revokedCredential, period: Self.period, subject: home + "key-1"))
    #expect(
      found[.offboardedOwner] == FindingID.make(kind: .offboardedOwner, period: Self.period, subject: "ag-1"))
  }

  /// A tree with a loop on each of two branches: R (a1) → X1 (a2) → X2 (a1, 18 µUSD), and R → Y1 (a3) → Y2 (a1, 33) →
  /// Y3 (a3, 48).
  ///
  /// Both loops are avoidable: 18 + 33 + 48 = 99 µUSD.
  @Test func everyLoopOfATreeIsAvoidable() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    let root = Self.call("r", at: 0, agent: "a1", costCentre: "CC", micros: 1)
    for c in [
      Self.call("x1", at: 1_000, agent: "a2", costCentre: "CC", micros: 2, parent: "r"),
      Self.call("x2", at: 2_000, agent: "a1", costCentre: "CC", micros: 18, parent: "x1"),
      Self.call("y1", at: 3_000, agent: "a3", costCentre: "CC", micros: 5, parent: "r"),
      Self.call("y2", at: 4_000, agent: "a1", costCentre: "CC", micros: 33, parent: "y1"),
      Self.call("y3", at: 5_000, agent: "a3", costCentre: "CC", micros: 48, parent: "y2"),
    ] {
      loops.observe(c)
    }
    try loops.finish { $0 == "openai:r" ? RecursiveLoops.node(root, id: "r", parent: nil) : nil }
    let f = try #require(loops.findings.first)
    #expect(loops.findings.count == 1)
    #expect(f.calls == 6)
    #expect(f.cost == Money(pico: 107_000_000))
    #expect(f.avoidableCost == Money(pico: 99_000_000))
    #expect(f.explanation.contains("and 1 more loops in the tree"), "\(f.explanation)")
  }

  /// Parent links that go round: L1 → L2 → L3 → L1 (agents a1, a2, a1: a1 is its own ancestor), and a call that names
  /// itself.
  ///
  /// No tree from a root reaches them; each is a loop.
  @Test func parentLinksThatGoRoundAreLoops() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    for c in [
      Self.call("l1", at: 0, agent: "a1", costCentre: "CC", micros: 1, parent: "l3"),
      Self.call("l2", at: 1_000, agent: "a2", costCentre: "CC", micros: 2, parent: "l1"),
      Self.call("l3", at: 2_000, agent: "a1", costCentre: "CC", micros: 4, parent: "l2"),
      Self.call("self", at: 3_000, agent: "a9", costCentre: "CC", micros: 8, parent: "self"),
    ] {
      loops.observe(c)
    }
    try loops.finish { _ in nil }
    let found = loops.findings.sorted { $0.firstTime < $1.firstTime }
    #expect(found.count == 2)
    guard found.count == 2 else { return }
    // From l1, the earliest: l3 is a1 again below a2, so l3 is in the loop, and below it, round
    // the cycle, l1 and l2: every call of a cycle is in it.
    #expect(found[0].calls == 3 && found[0].cost == Money(pico: 7_000_000))
    #expect(found[0].avoidableCost == Money(pico: 7_000_000))
    #expect(found[0].explanation.contains("agent a1 is its own ancestor"), "\(found[0].explanation)")
    #expect(found[1].calls == 1 && found[1].avoidableCost == Money(pico: 8_000_000))
    #expect(found[1].explanation.contains("parent links form a cycle"), "\(found[1].explanation)")
  }

  /// A shared credential's spike is filed under the agent and cost centre that spent most of it
  /// that day, not the first by name: ag-1 (CC-A) spends 1 USD a day for 8 days through it, then
  /// ag-2 (CC-B) adds 40 on the 9th.
  @Test func aSharedCredentialsSpikeIsFiledWhereTheMostWasSpent() throws {
    var spikes = UsageSpikes(settings: DetectionSettings(), period: Self.period)
    let day = Timestamp.millisPerDay
    for d in Int64(0)..<9 {
      spikes.observe(Self.call("a\(d)", at: d * day, agent: "ag-1", costCentre: "CC-A", micros: 1_000_000))
    }
    spikes.observe(Self.call("b8", at: 8 * day + 1, agent: "ag-2", costCentre: "CC-B", micros: 40_000_000))
    let found = try spikes.spikes().filter { $0.credentialID == "key-1" }
    let f = try #require(found.first)
    #expect(found.count == 1)
    #expect(f.costCentre == "CC-B" && f.agentID == "ag-2")
    #expect(f.cost == Money(pico: 41 * Money.picoPerUSD))
  }
}
