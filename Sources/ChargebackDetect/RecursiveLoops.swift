import ChargebackModel

/// Recursive loops (SPEC §6) in call trees linked by `parent_request_id` / `parent_call_id` (or OTel parent
/// spans): an agent that is its own ancestor (A → B → A), a tree deeper than `loopMaxDepth`, or one (agent,
/// model, input size class) step repeated `loopRepeats` times along one path.
///
/// Avoidable cost: the call where the loop shows (the second occurrence of the first repeating agent, the
/// second repeat of the step, or the first call below the depth limit) and every call below it. Calls on
/// other branches of the tree are not part of the loop even when they run at the same time.
///
/// Only calls that name a parent are kept during the pass; their ancestors are looked up in the
/// store afterwards, so memory follows the linked calls, not all calls.
package struct RecursiveLoops {
  /// One call in a tree.
  package struct Node {
    var key: String
    var id: String
    var parent: String?
    var agent: String?
    var model: String
    var size: Int
    var time: Int64
    /// Nil for a call without a price.
    var cost: Money?
    /// The provisioned commitment whose fee the call's cost (at list) awaits (``ProvisionedFees``).
    var fee: Int?
    var costCentre: String
    var credential: String?
    var owner: String?
    var task: String?
  }

  let settings: DetectionSettings
  private let period: Period
  var nodes: [String: Node] = [:]
  /// OTel traces: calls carry the path of invoked agents, so each trace is judged as it streams.
  private var traces: [String: TraceRun] = [:]
  private var traceCalls: Int64 = 0

  /// A trace's calls so far: its parts by cost centre, and why it is a loop once a call shows it.
  ///
  /// Its calls, cost and span are its parts' (one part, for a trace of one cost centre).
  private struct TraceRun {
    var reason: String?
    /// The cost centre of the first call inside the loop (before one, of the trace's first call).
    var costCentre: String
    var task: String?
    /// The trace's calls by the cost centre charged, in the order they first come (a trace has
    /// one or two: searched in order).
    var parts: [Part] = []

    var calls: Int128 { parts.reduce(0) { $0 + $1.calls } }
    var last: Int64 { parts.map(\.last).max() ?? 0 }
  }

  /// One cost centre's calls of a loop's tree or trace: a loop across cost centres is a finding of
  /// each whose calls run inside it, with its own calls, cost and evidence (one finding filed under
  /// the loop's cost centre showed another's spend and request ids in its workbook, a trial).
  private struct Part {
    var costCentre: String
    var first: Int64
    var last: Int64
    var calls: Int128 = 0
    var cost = Money.zero
    var avoidable = Money.zero
    /// The parts of ``cost`` and ``avoidable`` at list under provisioned commitments.
    var costAtList = AtListUnderFee()
    var avoidableAtList = AtListUnderFee()
    /// Whether any of its calls has a price, and whether a call inside the loop has none (its
    /// avoidable amount is then not known).
    var anyPriced = false
    var unpricedInLoop = false
    /// Of its first call inside the loop, else of its first call.
    var agent: String?
    var credential: String?
    var owner: String?
    var namedInLoop = false
    var evidence: [String] = []

    init(costCentre: String, time: Int64, agent: String?, credential: String?, owner: String?) {
      self.costCentre = costCentre
      (first, last) = (time, time)
      (self.agent, self.credential, self.owner) = (agent, credential, owner)
    }

    mutating func add(
      key: String, time: Int64, cost: Money?, fee: Int?, inLoop: Bool, agent: String?, credential: String?,
      owner: String?
    ) {
      calls += 1
      self.cost += cost ?? .zero
      costAtList.add(cost, commitment: fee)
      if cost != nil { anyPriced = true } else if inLoop { unpricedInLoop = true }
      first = min(first, time)
      last = max(last, time)
      if evidence.count < PolicyFindings.evidenceLimit { evidence.append(key) }
      guard inLoop else { return }
      avoidable += cost ?? .zero
      avoidableAtList.add(cost, commitment: fee)
      if !namedInLoop { (self.agent, self.credential, self.owner, namedInLoop) = (agent, credential, owner, true) }
    }
  }

  /// The finding of each cost centre whose calls run inside a loop, each with its own calls.
  ///
  /// Those are the `parts` with a call in the loop, priced or not, and always the loop's own
  /// (`owner`; a loop of one cost centre has that one finding). The loop's own keeps the id of a
  /// loop of one cost centre (`subject`); the others put their cost centre, with its length, before
  /// it (as ``PolicyFindings``' per-cost-centre subjects: no two collide).
  private func partFindings(
    _ parts: [Part], owner: String, subject: String, total: Int128, fees: ProvisionedFees,
    explanation: (Part) -> String
  ) -> [Finding] {
    parts.filter { $0.costCentre == owner || $0.namedInLoop }.map { p in
      var p = p
      // At the provisioned commitments' effective price, the text's figure included.
      (p.cost, p.avoidable) = (
        fees.effective(p.cost, atList: p.costAtList), fees.effective(p.avoidable, atList: p.avoidableAtList)
      )
      let cc = p.costCentre
      var f = Finding(
        id: FindingID.make(
          kind: .recursiveLoop, period: period, subject: cc == owner ? subject : "\(cc.utf8.count):\(cc)|\(subject)"),
        kind: .recursiveLoop, severity: .medium, period: period.description, costCentre: cc, agentID: p.agent,
        credentialID: p.credential, ownerID: p.owner, taskApprover: nil, firstTime: p.first, lastTime: p.last,
        calls: p.calls, cost: p.cost, avoidableCost: p.avoidable, evidence: p.evidence, evidenceCount: p.calls,
        explanation: explanation(p)
          + (parts.count > 1 ? "; \(p.calls) of its \(total) calls are this cost centre's" : ""))
      Self.notePrices(&f, anyPriced: p.anyPriced, unpricedInLoop: p.unpricedInLoop)
      return f
    }
  }

  /// Marks a loop's finding whose calls have no price (SPEC §5: its cost shown empty, never $0),
  /// or whose calls inside the loop include one without (its avoidable amount not known).
  private static func notePrices(_ f: inout Finding, anyPriced: Bool, unpricedInLoop: Bool) {
    f.hasPricedRecords = anyPriced
    if unpricedInLoop {
      f.avoidableCost = .zero
      f.avoidableKnown = false
      f.explanation += "; calls in the loop have no price: its USD figure counts only the priced ones"
    }
  }

  var children: [String: [String]] = [:]
  package private(set) var findings: [Finding] = []

  package init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// The id a record is known by as a parent: its span id or request id, scoped by provider.
  static func nodeID(provider: Provider, id: String) -> String { provider.rawValue + ":" + id }

  /// Adds a charged request-level record: an OTel call to its trace, a call that names a parent to
  /// the parent-linked trees.
  package mutating func observe(_ c: ChargedRecord) {
    // Through `c`: `let r = c.record` copied the record for every call, most of which have
    // neither a trace nor a parent.
    guard c.record.level == .request else { return }
    if let trace = c.record.traceID {
      observeTrace(trace, c.record, c.attribution, cost: c.cost, fee: c.feeCommitment)
      return
    }
    guard let parent = c.record.metadata.parentID, let own = c.record.spanID ?? c.record.requestID else { return }
    let node = Self.node(c, id: own, parent: parent)
    nodes[node.id] = node
  }

  /// Builds the node of a record.
  package static func node(_ c: ChargedRecord, id: String, parent: String?) -> Node {
    Node(
      key: c.record.naturalKey, id: nodeID(provider: c.record.provider, id: id),
      parent: parent.map { nodeID(provider: c.record.provider, id: $0) },
      agent: c.attribution.agentID, model: c.model, size: SizeClass.of(c.record.tokens), time: c.record.time,
      cost: c.cost, fee: c.feeCommitment, costCentre: c.attribution.costCentre, credential: c.attribution.credentialID,
      owner: c.attribution.ownerID, task: c.attribution.taskID)
  }

  /// Why an agent path (root first) is a loop, or nil: an agent invoked again below another agent
  /// (A > B > A), one agent nested `loopRepeats` times, or more than `loopMaxDepth` levels.
  func loopReason(_ path: [Substring]) -> String? {
    for j in path.indices {
      if let i = path[..<j].lastIndex(of: path[j]), path[i..<j].contains(where: { $0 != path[j] }) {
        return "agent \(path[j]) is its own ancestor (\(path[i...j].joined(separator: " → ")))"
      }
      if j + 1 >= settings.loopRepeats, path[(j + 1 - settings.loopRepeats)...j].allSatisfy({ $0 == path[j] }) {
        return "agent \(path[j]) invokes itself \(settings.loopRepeats) times in a row"
      }
    }
    return path.count > settings.loopMaxDepth ? "agents nest \(path.count) deep (limit \(settings.loopMaxDepth))" : nil
  }

  private mutating func observeTrace(_ trace: String, _ r: UsageRecord, _ a: Attribution, cost: Money?, fee: Int?) {
    var run = traces[trace] ?? TraceRun(costCentre: a.costCentre, task: a.taskID)
    let reason = loopReason(r.agentPath?.split(separator: ">") ?? [])
    // This call runs inside the loop when its path shows one: everything it cost was avoidable.
    if let reason, run.reason == nil { (run.reason, run.costCentre) = (reason, a.costCentre) }
    let k =
      run.parts.firstIndex { $0.costCentre == a.costCentre }
      ?? {
        run.parts.append(
          Part(costCentre: a.costCentre, time: r.time, agent: a.agentID, credential: a.credentialID, owner: a.ownerID))
        return run.parts.count - 1
      }()
    run.parts[k].add(
      key: r.naturalKey, time: r.time, cost: cost, fee: fee, inLoop: reason != nil, agent: a.agentID,
      credential: a.credentialID,
      owner: a.ownerID)
    traces[trace] = run
    traceCalls += 1
    if traceCalls % 100_000 == 0 {
      // Finished traces with no loop need not be kept.
      let cutoff = r.time - 3_600_000
      traces = traces.filter { $0.value.reason != nil || $0.value.last >= cutoff }
    }
  }

  /// Resolves missing ancestors with `lookup` (node id → node, from the store), then judges every
  /// tree once, its amounts at the provisioned commitments' effective price (`fees`).
  ///
  /// Call once after the pass.
  /// - Complexity: O(n × depth) over the linked calls.
  package mutating func finish(fees: ProvisionedFees = ProvisionedFees(), lookup: (String) throws -> Node?) throws {
    var pending = nodes.values.compactMap(\.parent).filter { nodes[$0] == nil }
    var fetched = 0
    while let id = pending.popLast(), fetched < 100_000 {
      guard nodes[id] == nil, let n = try lookup(id) else { continue }
      nodes[id] = n
      fetched += 1
      if let p = n.parent, nodes[p] == nil { pending.append(p) }
    }
    for n in nodes.values {
      if let p = n.parent, nodes[p] != nil { children[p, default: []].append(n.id) }
    }
    // Children in time order: the depth-first search reports the first reason it meets, which must
    // not depend on dictionary order (same inputs, same findings).
    for (p, ids) in children {
      children[p] = ids.sorted { (nodes[$0]?.time ?? 0, $0) < (nodes[$1]?.time ?? 0, $1) }
    }
    // Roots: nodes whose parent is unknown. Judge each tree from its root.
    let roots = nodes.values.filter { $0.parent.map { nodes[$0] == nil } ?? true }.sorted {
      ($0.time, $0.id) < ($1.time, $1.id)
    }
    for root in roots { judge(root, fees: fees) }
    judgeCycles(fees: fees)
    for (trace, run) in traces.sorted(by: { $0.key < $1.key }) {
      guard let reason = run.reason else { continue }
      let task = run.task.map { " (task \($0))" } ?? ""
      findings += partFindings(
        run.parts, owner: run.costCentre, subject: "trace:" + trace, total: run.calls, fees: fees
      ) { p in
        run.parts.count == 1
          ? "trace \(trace)\(task): \(reason); \(p.calls) calls, \(p.avoidable.inText) USD inside the loop"
          : "trace \(trace)\(task): \(reason); \(p.avoidable.inText) USD of this cost centre's calls inside the loop"
      }
    }
  }

  /// Judges the tree under `root`; `cycle` is the reason when its calls' parent links go round
  /// and no other reason shows.
  mutating func judge(_ root: Node, fees: ProvisionedFees, cycle: String? = nil) {
    // Depth-first over paths. Every branch is judged: a tree can hold a loop on each of two
    // branches, and the avoidable cost is both (one counted alone, a trial's 0.018 of 0.099 USD).
    // Below a call where a loop shows, the tree is in the loop already: not searched further.
    var reasons: [(text: String, from: Node)] = []
    var stack: [(Node, [Node])] = [(root, [])]
    var visited = Set<String>()
    while let (node, path) = stack.popLast() {
      guard visited.insert(node.id).inserted else { continue }
      let here = path + [node]
      if let found = loopReason(at: node, path: path, here: here) {
        reasons.append(found)
        continue
      }
      for c in (children[node.id] ?? []).reversed() { if let n = nodes[c] { stack.append((n, here)) } }
    }
    if reasons.isEmpty, let cycle { reasons = [(cycle, root)] }
    guard var reason = reasons.first else { return }
    if reasons.count > 1 { reason.text += " (and \(reasons.count - 1) more loops in the tree)" }
    // The whole tree, and the calls from the offending one on.
    var tree: [Node] = []
    var queue = [root.id]
    var seen = Set<String>()
    while let id = queue.popLast() {
      guard seen.insert(id).inserted, let n = nodes[id] else { continue }
      tree.append(n)
      queue.append(contentsOf: children[id] ?? [])
    }
    tree.sort { ($0.time, $0.id) < ($1.time, $1.id) }
    // Ancestors looked up from before the period (a tree started on the last evening of the month
    // before) belong to its structure, not to this period's cost: that month charged them, and its
    // own finding counted them (a trial's October loop showed a September call's dollar).
    let (start, end) = (period.startMillis, period.endMillis)
    let inPeriod = { (n: Node) in n.time >= start && n.time < end }
    // Avoidable (SPEC §10: the calls from the second occurrence of the repeating agent on): the
    // offending call and its descendants. Counting every later call of the tree instead would charge
    // the loop for sibling branches that merely ran at the same time (a fan-out beside the loop).
    var avoidable = Money.zero
    var avoidableAtList = AtListUnderFee()
    var unpricedInLoop = false
    var below = reasons.map(\.from.id)
    var inLoop = Set<String>()
    while let id = below.popLast() {
      guard inLoop.insert(id).inserted, let n = nodes[id] else { continue }
      if inPeriod(n) {
        avoidable += n.cost ?? .zero
        avoidableAtList.add(n.cost, commitment: n.fee)
        if n.cost == nil { unpricedInLoop = true }
      }
      below.append(contentsOf: children[id] ?? [])
    }
    tree.removeAll { !inPeriod($0) }
    // A loop none of whose calls in the loop are this period's is the month before's finding.
    guard tree.contains(where: { inLoop.contains($0.id) }) else { return }
    var costAtList = AtListUnderFee()
    for n in tree { costAtList.add(n.cost, commitment: n.fee) }
    // At the provisioned commitments' effective price, the text's figure included.
    let cost = fees.effective(tree.reduce(Money.zero) { $0 + ($1.cost ?? .zero) }, atList: costAtList)
    avoidable = fees.effective(avoidable, atList: avoidableAtList)

    let agent = reason.from.agent ?? root.agent
    var parts: [Part] = []
    for n in tree {
      let k =
        parts.firstIndex { $0.costCentre == n.costCentre }
        ?? {
          parts.append(
            Part(costCentre: n.costCentre, time: n.time, agent: n.agent, credential: n.credential, owner: n.owner))
          return parts.count - 1
        }()
      parts[k].add(
        key: n.key, time: n.time, cost: n.cost, fee: n.fee, inLoop: inLoop.contains(n.id), agent: n.agent,
        credential: n.credential,
        owner: n.owner)
    }
    // Where the loop showed: its call, or, when that call was the month before's, the period's
    // first call in the loop (its cost centre, agent and owner are this finding's).
    let shown = inPeriod(reason.from) ? reason.from : tree.first { inLoop.contains($0.id) } ?? reason.from
    if parts.count > 1 {
      let task = root.task.map { " (task \($0))" } ?? ""
      // The root's key only in the finding of the root's own cost centre.
      findings += partFindings(
        parts, owner: shown.costCentre, subject: root.id, total: Int128(tree.count), fees: fees
      ) { p in
        (p.costCentre == root.costCentre
          ? "call tree from \(root.key)\(task)" : "a call tree\(task) whose root call is another cost centre's")
          + ": \(reason.text); \(p.avoidable.inText) USD of this cost centre's calls in the loop"
      }
      return
    }
    var f =
      Finding(
        id: FindingID.make(kind: .recursiveLoop, period: period, subject: root.id), kind: .recursiveLoop,
        severity: .medium, period: period.description, costCentre: shown.costCentre,
        agentID: inPeriod(reason.from) ? agent : shown.agent ?? agent,
        credentialID: shown.credential, ownerID: shown.owner, taskApprover: nil,
        firstTime: tree.first?.time ?? root.time, lastTime: tree.last?.time ?? root.time, calls: Int128(tree.count),
        cost: cost, avoidableCost: avoidable, evidence: tree.prefix(PolicyFindings.evidenceLimit).map(\.key),
        evidenceCount: Int128(tree.count),
        explanation:
          "call tree from \(root.key)\(root.task.map { " (task \($0))" } ?? ""): \(reason.text); \(tree.count) calls, \(avoidable.inText) USD in the loop"
      )
    Self.notePrices(&f, anyPriced: tree.contains { $0.cost != nil }, unpricedInLoop: unpricedInLoop)
    findings.append(f)
  }
}
