import ChargebackModel

extension UsageStore {
  /// Every stored span of one trace, in span-id order.
  ///
  /// - Complexity: O(spans of the trace), through the primary key.
  package func spans(ofTrace traceID: String) throws -> [TraceSpan] {
    let st = try db.prepare(
      """
      SELECT span_id, parent_span_id, model_call, invoked_agent, agent_id, task_id, conversation_id, scope_id,
        credential, res_agent_id, res_task_id, res_conversation_id, res_scope_id, res_credential
      FROM trace_spans WHERE trace_id = ? ORDER BY span_id
      """)
    try st.bind(1, traceID)
    var out: [TraceSpan] = []
    while try st.step() {
      func context(_ base: Int32) -> TraceSpan.Context {
        TraceSpan.Context(
          agentID: st.text(base), taskID: st.text(base + 1), conversationID: st.text(base + 2),
          scopeID: st.text(base + 3), credential: st.text(base + 4))
      }
      out.append(
        TraceSpan(
          traceID: traceID, spanID: st.text(0) ?? "", parentSpanID: st.text(1), isModelCall: st.int64(2) != 0,
          invokedAgent: st.text(3), own: context(4), resource: context(9)))
    }
    return out
  }

  /// Sets the inherited values of the OTel calls `otel:<trace>:<span id>` of one trace (inside the
  /// caller's transaction); calls not stored are ignored.
  ///
  /// The key is compared made whole (``UsageStore/naturalKey(stored:provider:requestID:)``), though
  /// an OTel call's is stored whole today (its provider is never `otel`).
  ///
  /// While a first load's key index is dropped, the rows are found by the ids its keys in memory
  /// give (``DeferredKeys``), not by a scan of the table for each call.
  package func setInherited(traceID: String, _ calls: [(spanID: String, context: TraceInheritance)]) throws {
    guard !calls.isEmpty else { return }
    let deferred = db.deferredKeys
    let st = try db.prepare(
      """
      UPDATE usage SET agent_id = ?, task_id = ?, scope_id = ?, credential = ?, agent_path = ?, agent_n = NULL,
        credential_n = NULL
      WHERE \(deferred == nil ? "key_hash" : "id") IN (\(Array(repeating: "?", count: Int(KeyHash.probes)).joined(separator: ",")))
        AND (CASE WHEN natural_key = '' THEN provider || ':' || request_id ELSE natural_key END) = ?
      """)
    for (spanID, c) in calls {
      let key = "otel:\(traceID):\(spanID)"
      try st.bind(1, c.agentID)
      try st.bind(2, c.taskID)
      try st.bind(3, c.scopeID)
      try st.bind(4, c.credential)
      try st.bind(5, c.agentPath)
      for (i, slot) in KeyHash.slots(of: key).enumerated() {
        if let deferred {
          try st.bind(Int32(6 + i), deferred.row(of: slot))
        } else {
          try st.bind(Int32(6 + i), slot)
        }
      }
      try st.bind(Int32(6 + KeyHash.probes), key)
      try st.run()
    }
  }
}

extension UsageStore {
  /// Files that lent spans to the traces of the records in `[from, to)` (UTC epoch ms): a file of
  /// `invoke_agent` spans holds no record of its own, yet decides who pays for calls stored from
  /// other files, so it is an input of the period.
  package func spanFiles(from: Int64, to: Int64) throws -> Set<Int64> {
    // Without spans there is nothing to find, and the query below reads every record of the period.
    guard try db.scalarInt("SELECT EXISTS (SELECT 1 FROM trace_spans)") == 1 else { return [] }
    let st = try db.prepare(
      """
      SELECT DISTINCT s.file_id FROM trace_spans s
      WHERE s.trace_id IN (SELECT DISTINCT trace_id FROM usage WHERE ts >= ? AND ts < ? AND trace_id IS NOT NULL)
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    var out = Set<Int64>()
    while try st.step() { out.insert(st.int64(0)) }
    return out
  }
}
