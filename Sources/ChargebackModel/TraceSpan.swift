/// One span of a trace as the store keeps it for ancestry (OTel): its links and the attributes it
/// lends to the model calls beneath it.
///
/// The Collector's file exporter writes a child span before its parent, often in an earlier file,
/// so the agent, task, scope and credential of a model call are resolved over the whole trace once
/// its spans are in the store, not within one exported line.
package struct TraceSpan: Sendable, Hashable {
  package var traceID: String
  package var spanID: String
  package var parentSpanID: String?
  /// True when the span is a charged model call (its usage record is `otel:<trace>:<span>`).
  package var isModelCall: Bool
  /// For an `invoke_agent` span: the agent it invokes (`gen_ai.agent.id`, else `agent_id`).
  package var invokedAgent: String?
  /// The span's own attributes (`agent_id`, else `gen_ai.agent.id`; `task_id`;
  /// `gen_ai.conversation.id`; `scope_id`; `chargeback.credential_id`).
  package var own: Context
  /// The same attributes on the span's resource: the last fallback of a model call.
  package var resource: Context

  /// The attributes a span can lend.
  package struct Context: Sendable, Hashable {
    package var agentID: String?
    package var taskID: String?
    package var conversationID: String?
    package var scopeID: String?
    package var credential: String?

    package init(
      agentID: String? = nil, taskID: String? = nil, conversationID: String? = nil, scopeID: String? = nil,
      credential: String? = nil
    ) {
      self.agentID = agentID
      self.taskID = taskID
      self.conversationID = conversationID
      self.scopeID = scopeID
      self.credential = credential
    }
  }

  package init(
    traceID: String, spanID: String, parentSpanID: String?, isModelCall: Bool, invokedAgent: String?,
    own: Context, resource: Context
  ) {
    self.traceID = traceID
    self.spanID = spanID
    self.parentSpanID = parentSpanID
    self.isModelCall = isModelCall
    self.invokedAgent = invokedAgent
    self.own = own
    self.resource = resource
  }
}

/// What a model call inherits from its trace: the values a record's attribution reads.
package struct TraceInheritance: Sendable, Hashable {
  package var agentID: String?
  package var taskID: String?
  package var scopeID: String?
  package var credential: String?
  /// The agents invoked from the root down (`>`-separated).
  package var agentPath: String?

  package init(
    agentID: String? = nil, taskID: String? = nil, scopeID: String? = nil, credential: String? = nil,
    agentPath: String? = nil
  ) {
    self.agentID = agentID
    self.taskID = taskID
    self.scopeID = scopeID
    self.credential = credential
    self.agentPath = agentPath
  }
}

/// What an ingested file hands the store: a usage record, or a span lent to ancestry.
package enum IngestItem: Sendable {
  case record(UsageRecord)
  case span(TraceSpan)
}
