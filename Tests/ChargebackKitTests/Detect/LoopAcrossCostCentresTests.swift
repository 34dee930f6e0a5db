import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// A recursive loop whose calls are charged to two cost centres is a finding of each whose calls
/// run inside it, each with its own calls, cost and evidence: one finding filed under the loop's
/// cost centre showed the other's spend and request ids in its workbook (a trial).
@Suite struct LoopAcrossCostCentresTests {
  static let period = Period(year: 2026, month: 10)
  static let t0: Int64 = 1_791_331_200_000  // 2026-10-07

  /// A call `id` of `agent` in `costCentre`, under `parent`, at t0 + `k` seconds, costing 10 cents.
  static func call(_ k: Int, _ id: String, parent: String?, agent: String, costCentre: String) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(id)", requestID: id,
      time: t0 + Int64(k) * 1_000, model: "gpt-4.1", tokens: TokenCounts(input: 10),
      metadata: CallMetadata(agentID: agent, parentID: parent))
    let a = Attribution(costCentre: costCentre, agentID: agent, credentialID: "key-" + agent, status: .agentCredential)
    return ChargedRecord(record: r, attribution: a, model: "gpt-4.1", cost: Money(pico: 100_000_000_000))
  }

  @Test func eachCostCentreGetsItsOwnPartOfTheLoop() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    // c1 (CC-C) → a1 (CC-A) → c2 (CC-C) → a2 (CC-A): ag-c is its own ancestor at c2, so c2 and a2
    // are in the loop (10 cents of each cost centre), c1 and a1 above it.
    // The root names no parent: the pass keeps only calls that do, and looks the root up after it.
    let root = Self.call(0, "c1", parent: nil, agent: "ag-c", costCentre: "CC-C")
    loops.observe(root)
    loops.observe(Self.call(1, "a1", parent: "c1", agent: "ag-a", costCentre: "CC-A"))
    loops.observe(Self.call(2, "c2", parent: "a1", agent: "ag-c", costCentre: "CC-C"))
    loops.observe(Self.call(3, "a2", parent: "c2", agent: "ag-a", costCentre: "CC-A"))
    try loops.finish { $0 == "openai:c1" ? RecursiveLoops.node(root, id: "c1", parent: nil) : nil }
    let found = loops.findings.sorted { ($0.costCentre ?? "") < ($1.costCentre ?? "") }
    #expect(found.map(\.costCentre) == ["CC-A", "CC-C"])
    guard found.count == 2 else { return }
    let (a, c) = (found[0], found[1])
    for f in found {
      #expect(f.calls == 2 && f.evidenceCount == 2)
      #expect(f.cost.pico == 200_000_000_000)
      #expect(f.avoidableCost.pico == 100_000_000_000)
      #expect(f.explanation.contains("2 of its 4 calls are this cost centre's"))
    }
    #expect(c.evidence == ["openai:c1", "openai:c2"] && c.agentID == "ag-c")
    #expect(a.evidence == ["openai:a1", "openai:a2"] && a.agentID == "ag-a")
    // The root call's key only in its own cost centre's finding.
    #expect(c.explanation.hasPrefix("call tree from openai:c1"))
    #expect(!a.explanation.contains("c1") && a.explanation.contains("root call is another cost centre's"))
    // The loop's own cost centre keeps the id a loop of one cost centre has.
    #expect(c.id == FindingID.make(kind: .recursiveLoop, period: Self.period, subject: "openai:c1"))
    // The other cost centre first, with its length: no tree's root id can give the same subject.
    #expect(a.id == FindingID.make(kind: .recursiveLoop, period: Self.period, subject: "4:CC-A|openai:c1"))
  }

  /// A loop whose root call is in the period before is this period's finding with this period's
  /// calls only: the root was charged, and found, in its own month (a trial's October loop counted a
  /// September call's dollar).
  @Test func aRootFromThePeriodBeforeIsNotCounted() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    // c1 on the last second of September; a1, c2 (ag-c again: the loop) and a2 in October.
    let september30 = Self.t0 - 6 * Timestamp.millisPerDay - 2_000
    var root = Self.call(0, "c1", parent: nil, agent: "ag-c", costCentre: "CC-C")
    root.record.time = september30
    loops.observe(Self.call(1, "a1", parent: "c1", agent: "ag-c2", costCentre: "CC-C"))
    loops.observe(Self.call(2, "c2", parent: "a1", agent: "ag-c", costCentre: "CC-C"))
    loops.observe(Self.call(3, "a2", parent: "c2", agent: "ag-c2", costCentre: "CC-C"))
    try loops.finish { $0 == "openai:c1" ? RecursiveLoops.node(root, id: "c1", parent: nil) : nil }
    let f = try #require(loops.findings.first)
    #expect(loops.findings.count == 1)
    // a1, c2 and a2: 30 cents; c2 and a2 in the loop: 20 cents.
    #expect(f.calls == 3 && f.cost.pico == 300_000_000_000 && f.avoidableCost.pico == 200_000_000_000)
    #expect(f.firstTime == Self.t0 + 1_000)
    #expect(!f.evidence.contains("openai:c1"))
    #expect(f.explanation.hasPrefix("call tree from openai:c1"))
  }

  /// A loop that showed the month before is filed under this period's calls in it: the cost centre
  /// of its first call in the loop here, not the one of the call where it showed (a review: a
  /// September call's cost centre was named beside October's cost and evidence of another).
  @Test func aLoopThatShowedTheMonthBeforeIsFiledUnderThisPeriodsCalls() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    let september30 = Self.t0 - 6 * Timestamp.millisPerDay - 10_000
    func earlier(_ c: ChargedRecord, _ k: Int64) -> ChargedRecord {
      var c = c
      c.record.time = september30 + k * 1_000
      return c
    }
    // September: r (ag-a, CC-A) → c1 (ag-b, CC-B) → c2 (ag-a, CC-A): the loop shows at c2.
    let r = earlier(Self.call(0, "r", parent: nil, agent: "ag-a", costCentre: "CC-A"), 0)
    let c1 = earlier(Self.call(0, "c1", parent: "r", agent: "ag-b", costCentre: "CC-B"), 1)
    let c2 = earlier(Self.call(0, "c2", parent: "c1", agent: "ag-a", costCentre: "CC-A"), 2)
    // October: c3 (ag-c, CC-C), c2's child.
    loops.observe(Self.call(0, "c3", parent: "c2", agent: "ag-c", costCentre: "CC-C"))
    let known =
      ["openai:r": (r, nil), "openai:c1": (c1, "r"), "openai:c2": (c2, "c1")] as [String: (ChargedRecord, String?)]
    try loops.finish { id in
      known[id].map { RecursiveLoops.node($0.0, id: String(id.dropFirst("openai:".count)), parent: $0.1) }
    }
    let f = try #require(loops.findings.first)
    #expect(loops.findings.count == 1)
    #expect(f.costCentre == "CC-C" && f.agentID == "ag-c")
    #expect(f.calls == 1 && f.cost.pico == 100_000_000_000 && f.avoidableCost.pico == 100_000_000_000)
    #expect(f.evidence == ["openai:c3"])
  }

  /// A cost centre whose calls in the loop have no price still has its finding (at no cost).
  @Test func unpricedCallsInTheLoopStillMakeAFinding() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    func unpriced(_ c: ChargedRecord) -> ChargedRecord {
      var c = c
      c.cost = nil
      return c
    }
    let root = Self.call(0, "c1", parent: nil, agent: "ag-c", costCentre: "CC-C")
    loops.observe(root)
    loops.observe(unpriced(Self.call(1, "a1", parent: "c1", agent: "ag-a", costCentre: "CC-A")))
    loops.observe(Self.call(2, "c2", parent: "a1", agent: "ag-c", costCentre: "CC-C"))
    loops.observe(unpriced(Self.call(3, "a2", parent: "c2", agent: "ag-a", costCentre: "CC-A")))
    try loops.finish { $0 == "openai:c1" ? RecursiveLoops.node(root, id: "c1", parent: nil) : nil }
    let a = try #require(loops.findings.first { $0.costCentre == "CC-A" })
    #expect(a.calls == 2 && a.cost == .zero && a.avoidableCost == .zero)
    #expect(loops.findings.count == 2)
    // CC-A's calls have no price: its cost is not known (shown empty, never $0), nor its avoidable.
    #expect(!a.costKnown && !a.avoidableShown)
    #expect(a.explanation.contains("calls in the loop have no price"))
    // CC-C's are priced, its avoidable (c2, 10 cents) known.
    let c = try #require(loops.findings.first { $0.costCentre == "CC-C" })
    #expect(c.costKnown && c.avoidableShown && c.avoidableCost.pico == 100_000_000_000)
  }

  /// A cost centre whose calls are all above the loop has no finding; a loop of one cost centre
  /// is one finding of the whole tree, as before.
  @Test func aCostCentreAboveTheLoopHasNoFinding() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    let root = Self.call(0, "r", parent: nil, agent: "ag-root", costCentre: "CC-R")
    loops.observe(Self.call(1, "x1", parent: "r", agent: "ag-x", costCentre: "CC-X"))
    loops.observe(Self.call(2, "y1", parent: "x1", agent: "ag-y", costCentre: "CC-X"))
    loops.observe(Self.call(3, "x2", parent: "y1", agent: "ag-x", costCentre: "CC-X"))
    try loops.finish { $0 == "openai:r" ? RecursiveLoops.node(root, id: "r", parent: nil) : nil }
    #expect(loops.findings.map(\.costCentre) == ["CC-X"])
    let f = try #require(loops.findings.first)
    // CC-X's three calls, one (x2) in the loop.
    #expect(f.calls == 3 && f.avoidableCost.pico == 100_000_000_000)
    #expect(!f.evidence.contains("openai:r"))
  }

  /// The same for an OTel trace, judged by each call's path of invoked agents.
  @Test func aTracesLoopIsSplitTheSameWay() throws {
    var loops = RecursiveLoops(settings: DetectionSettings(), period: Self.period)
    for (k, (path, cc)) in [
      ("ag-c", "CC-C"), ("ag-c>ag-a", "CC-A"), ("ag-c>ag-a>ag-c", "CC-C"), ("ag-c>ag-a>ag-c>ag-a", "CC-A"),
    ]
    .enumerated() {
      var c = Self.call(k, "s\(k)", parent: nil, agent: String(path.split(separator: ">").last!), costCentre: cc)
      c.record.traceID = "t1"
      c.record.agentPath = path
      loops.observe(c)
    }
    try loops.finish { _ in nil }
    let found = loops.findings.sorted { ($0.costCentre ?? "") < ($1.costCentre ?? "") }
    #expect(found.map(\.costCentre) == ["CC-A", "CC-C"])
    guard found.count == 2 else { return }
    #expect(found[0].evidence == ["openai:s1", "openai:s3"] && found[1].evidence == ["openai:s0", "openai:s2"])
    for f in found {
      #expect(f.calls == 2 && f.cost.pico == 200_000_000_000 && f.avoidableCost.pico == 100_000_000_000)
    }
    #expect(found[1].id == FindingID.make(kind: .recursiveLoop, period: Self.period, subject: "trace:t1"))
  }
}
