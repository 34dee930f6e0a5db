import ChargebackModel

/// What each model call of a trace inherits from its ancestors (OTel; docs/formats.md, "OTel GenAI
/// spans").
///
/// Agent, task, scope and credential are taken from the call's own span, then from its ancestors
/// nearest first, then from the call's resource; the task falls back to the conversation id the
/// same way. The agent path lists the agents of the `invoke_agent` ancestors from the root down, for
/// loop detection.
///
/// Resolved over the whole trace as stored, so a parent exported after its child (on a later line,
/// in a later file) is found.
package enum TraceAncestry {
  /// The most agents a path keeps (the deepest ones): a path this long is a loop by depth already,
  /// and the cap keeps the work per call bounded.
  package static let maxPathLength = 256

  /// The inheritance of every model call among `spans` (one trace), in span order.
  ///
  /// A parent that is missing ends the chain; a cycle of parent links is cut where it closes.
  /// - Complexity: O(spans × maxPathLength) at worst; each span's context is computed once.
  package static func resolve(_ spans: [TraceSpan]) -> [(spanID: String, context: TraceInheritance)] {
    var index: [String: Int] = [:]
    for (k, s) in spans.enumerated() where index[s.spanID] == nil { index[s.spanID] = k }
    var resolved = [Chain?](repeating: nil, count: spans.count)

    func parent(of k: Int) -> Int? {
      guard let p = spans[k].parentSpanID, !p.isEmpty, let j = index[p], j != k else { return nil }
      return j
    }
    for start in spans.indices where resolved[start] == nil {
      // Up to the nearest resolved ancestor (or the root), then down again.
      var pending = [start]
      var onPath: Set<Int> = [start]
      var k = start
      while let p = parent(of: k), resolved[p] == nil, !onPath.contains(p) {
        pending.append(p)
        onPath.insert(p)
        k = p
      }
      for k in pending.reversed() {
        let above = parent(of: k).flatMap { resolved[$0] }
        resolved[k] = Chain(spans[k], above: above, index: k)
      }
    }

    var out: [(spanID: String, context: TraceInheritance)] = []
    for (k, s) in spans.enumerated() where s.isModelCall {
      guard let c = resolved[k] else { continue }
      var path: [String] = []
      var node = c.lastInvoke
      while let n = node, path.count < maxPathLength {
        if let agent = resolved[n]?.invokedAgent { path.append(agent) }
        node = resolved[n]?.previousInvoke
      }
      let r = s.resource
      out.append(
        (
          s.spanID,
          TraceInheritance(
            agentID: c.context.agentID ?? r.agentID,
            taskID: c.context.taskID ?? r.taskID ?? c.context.conversationID ?? r.conversationID,
            scopeID: c.context.scopeID ?? r.scopeID, credential: c.context.credential ?? r.credential,
            agentPath: path.isEmpty ? nil : path.reversed().joined(separator: ">"))
        ))
    }
    return out
  }

  /// A span's context merged with its ancestors', and its place in the chain of invoked agents.
  private struct Chain {
    var context: TraceSpan.Context
    /// The agent this span invokes, when it is an `invoke_agent` span.
    var invokedAgent: String?
    /// The nearest `invoke_agent` span at or above this one (a span index).
    var lastInvoke: Int?
    /// For an `invoke_agent` span: the next one above it.
    var previousInvoke: Int?

    init(_ s: TraceSpan, above: Chain?, index: Int) {
      let a = above?.context
      context = TraceSpan.Context(
        agentID: s.own.agentID ?? a?.agentID, taskID: s.own.taskID ?? a?.taskID,
        conversationID: s.own.conversationID ?? a?.conversationID, scopeID: s.own.scopeID ?? a?.scopeID,
        credential: s.own.credential ?? a?.credential)
      invokedAgent = s.invokedAgent
      if s.invokedAgent != nil {
        lastInvoke = index
        previousInvoke = above?.lastInvoke
      } else {
        lastInvoke = above?.lastInvoke
      }
    }
  }
}
