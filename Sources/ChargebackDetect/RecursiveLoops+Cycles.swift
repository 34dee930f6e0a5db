import ChargebackModel

/// Where a call tree shows a loop: one call's reason, and the calls whose parent links go round.
extension RecursiveLoops {
  /// Why the call `node` (at the end of `here`, below `path`) shows a loop, and the call where it
  /// shows; nil when it does not.
  func loopReason(at node: Node, path: [Node], here: [Node]) -> (text: String, from: Node)? {
    if let agent = node.agent, let earlier = path.lastIndex(where: { $0.agent == agent }),
      path[earlier...].contains(where: { $0.agent != agent })
    {
      let cycle = here[earlier...].compactMap(\.agent).joined(separator: " → ")
      return ("agent \(agent) is its own ancestor (\(cycle))", node)
    }
    let step = { (n: Node) in "\(n.agent ?? "-")|\(n.model)|\(n.size)" }
    let repeats = here.filter { step($0) == step(node) }
    if repeats.count >= settings.loopRepeats {
      return (
        "the same step (\(node.agent ?? "?"), \(node.model)) repeats \(repeats.count) times along one path", repeats[1]
      )
    }
    if here.count > settings.loopMaxDepth { return ("the call tree is deeper than \(settings.loopMaxDepth)", node) }
    return nil
  }

  /// Judges the calls that no root reaches: their parent links form a cycle (a call that names
  /// itself, or two that name each other), which no tree from a root ever showed (a trial).
  ///
  /// Each cycle is judged from its earliest call, as a tree whose root's parent is not followed:
  /// a loop of its own by the usual reasons, else by the cycle itself.
  mutating func judgeCycles(fees: ProvisionedFees) {
    var reached = Set<String>()
    var queue = nodes.values.filter { $0.parent.map { nodes[$0] == nil } ?? true }.map(\.id)
    while let id = queue.popLast() {
      guard reached.insert(id).inserted else { continue }
      queue.append(contentsOf: children[id] ?? [])
    }
    guard reached.count < nodes.count else { return }
    let left = nodes.values.filter { !reached.contains($0.id) }.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
    for start in left where !reached.contains(start.id) {
      // Up the parent links to the cycle above `start`.
      var path: [Node] = []
      var at: Node? = start
      var onPath: [String: Int] = [:]
      while let n = at, onPath[n.id] == nil {
        onPath[n.id] = path.count
        path.append(n)
        at = n.parent.flatMap { nodes[$0] }
      }
      guard let n = at, let i = onPath[n.id] else { continue }
      let cycle = path[i...]
      guard let root = cycle.min(by: { ($0.time, $0.id) < ($1.time, $1.id) }) else { continue }
      let keys = cycle.reversed().map(\.key)
      judge(
        root, fees: fees,
        cycle: "the calls' parent links form a cycle (\((keys + [keys[0]]).joined(separator: " → ")))")
      var below = [root.id]
      while let id = below.popLast() {
        guard reached.insert(id).inserted else { continue }
        below.append(contentsOf: children[id] ?? [])
      }
    }
  }
}
