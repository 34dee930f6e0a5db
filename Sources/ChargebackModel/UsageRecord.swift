/// Provider ids as the price files and `credentials.csv` name them (SPEC §10).
///
/// `other` is an upstream provider the tool ships no prices for (a LiteLLM `custom_llm_provider`
/// such as `groq`). Its calls are kept, with the model written `<provider>/<model>`, and stay
/// unpriced unless a price file has rows for provider `other` and that model.
package enum Provider: String, CaseIterable, Sendable, Codable {
  case openai, anthropic, bedrock, azure, vertex, other
}

/// How a source sees usage (SPEC §3.1).
package enum SourceLevel: String, CaseIterable, Sendable, Codable {
  /// One record per call.
  case request
  /// The provider's time-bucketed usage.
  case report
  /// The provider's own cost report (reconciliation only).
  case cost
}

/// Service tier a call was billed at (SPEC §10).
package enum Tier: String, CaseIterable, Sendable, Codable {
  case standard, batch, priority, flex
}

/// Our metadata carried by a call (Bedrock `requestMetadata`, LiteLLM tags, OTel attributes).
package struct CallMetadata: Hashable, Sendable {
  /// `agent_id` the caller claims.
  package var agentID: String?
  /// `task_id` (or the OTel conversation id).
  package var taskID: String?
  /// `scope_id`.
  package var scopeID: String?
  /// `parent_request_id` / `parent_call_id`.
  package var parentID: String?

  package init(agentID: String? = nil, taskID: String? = nil, scopeID: String? = nil, parentID: String? = nil) {
    self.agentID = agentID
    self.taskID = taskID
    self.scopeID = scopeID
    self.parentID = parentID
  }
}

/// One normalised usage record: a call (request level) or a bucket row (report level).
package struct UsageRecord: Sendable {
  /// The provider the usage was billed by.
  package var provider: Provider
  /// Request or report level.
  package var level: SourceLevel
  /// Id of the export format that read it (`bedrock-invocation-log`).
  package var format: String
  /// Unique across every file: provider + request id, or provider + bucket + group-by values.
  package var naturalKey: String {
    get { keptKey ?? (provider.rawValue + ":" + (requestID ?? "")) }
    set { keptKey = newValue }
  }
  /// ``naturalKey`` as it was given; nil when it is `<provider>:<request id>`, made only when asked
  /// (``deriveNaturalKey()``).
  // Why: the report reads every stored call's key and almost never looks at it; made for each of
  // 10 M calls it was an allocation and a free per call, across the report's two threads.
  package private(set) var keptKey: String?
  /// Provider request id, when the source has one.
  package var requestID: String?
  /// Start of the call or bucket, UTC epoch milliseconds.
  package var time: Int64
  /// End of the bucket (exclusive), UTC epoch milliseconds; nil for calls.
  package var bucketEnd: Int64?
  /// The credential that authenticated the call (API key id, IAM ARN).
  package var credential: String?
  /// Project or workspace id, when the source groups by it.
  package var project: String?
  /// The model as the source names it.
  package var model: String
  /// Service tier.
  package var tier: Tier
  /// Long-context window of a report row (`0-200k`, `200k-1M`), when given.
  package var contextWindow: String?
  /// Token counts by class.
  package var tokens: TokenCounts
  /// Number of calls this record stands for (1 for a request-level record).
  package var requests: Int64
  /// True when the call failed (error code, failure status).
  package var failed: Bool
  /// The provider's error code or HTTP status, when failed.
  package var errorCode: String?
  /// Our metadata carried by the call.
  package var metadata: CallMetadata
  /// Provenance: 1-based line in the (decompressed) file, for line-oriented sources.
  package var line: Int?
  /// Provenance: JSON path inside the file, for document-oriented sources.
  package var jsonPath: String?
  /// Provider id of the credential when it differs from ``provider`` (a LiteLLM virtual key is a
  /// credential of `litellm` whose calls are priced under the provider they went to).
  package var credentialProvider: String?
  /// A second name of the credential the directory may use (LiteLLM's `user_api_key_alias` beside
  /// the hashed key).
  package var credentialAlias: String?
  /// Trace and span ids of the call (OTel), for call trees.
  package var traceID: String?
  package var spanID: String?
  /// The agents invoked from the trace's root down to this call, `>`-separated (OTel
  /// `invoke_agent` ancestors), for loop detection within one trace.
  package var agentPath: String?
  /// A hash of the prompt when the source has one (retry fingerprints).
  package var promptHash: String?
  /// Retries the source says preceded this call (LiteLLM `attempted_retries`); nil when unknown.
  package var retries: Int64?
  /// True when the source says the call ran on provisioned throughput (Vertex `trafficType`
  /// `PROVISIONED_THROUGHPUT`); such calls are covered only by a `provisioned` commitment.
  package var provisioned = false
  /// Cost level: the amount the provider billed, exact (USD).
  package var billed: Money?
  /// Cost level: the provider's line item or meter (`gpt-4o-mini-2024-07-18, input`).
  package var lineItem: String?

  /// The ids of its credential, project, model and agent in the store it was read from, when the
  /// store holds all four as ids (``StoreNameIDs``); nil for a record not read from a store.
  package var storeNames: StoreNameIDs?

  /// Leaves ``naturalKey`` to be made from the provider and request id when asked (a store keeps it
  /// so: ''); the reader calls it instead of setting the whole key.
  package mutating func deriveNaturalKey() { keptKey = nil }

  /// The provider id credentials of this record are registered under.
  package var credentialProviderID: String { credentialProvider ?? provider.rawValue }

  /// The format id of Vertex/Gemini `generateContent` response logs.
  package static let vertexResponseFormat = "vertex-generate-content"

  /// True for a record of a format that never names its caller (Vertex/Gemini response logs: a
  /// response carries no credential, key or project) and that names none: only its metadata's
  /// agent can be charged, and there is no credential to register (``AttributionStatus/agentMetadata``).
  ///
  /// Other formats can name one (an OTel span's `chargeback.credential_id`); a record of theirs
  /// that does not rests on the caller's own claim, which stays an `unregistered_credential` finding.
  package var namesNoCallerByFormat: Bool {
    format == Self.vertexResponseFormat && credential == nil && credentialAlias == nil && project == nil
  }
}

extension UsageRecord {
  /// A record with the fields every source can give; the others are set after.
  // Declared in an extension so that the memberwise initialiser exists, and handing over to it: an
  // initialiser that assigns each property itself built the record in a local and returned a copy
  // of it (a retain and a release of each of its strings, once per record read or parsed).
  // `credentialProvider: nil` is passed so that the call cannot mean this initialiser.
  package init(
    provider: Provider, level: SourceLevel, format: String, naturalKey: String,
    requestID: String? = nil, time: Int64, bucketEnd: Int64? = nil, credential: String? = nil,
    project: String? = nil, model: String, tier: Tier = .standard, contextWindow: String? = nil,
    tokens: TokenCounts, requests: Int64 = 1, failed: Bool = false, errorCode: String? = nil,
    metadata: CallMetadata = CallMetadata(), line: Int? = nil, jsonPath: String? = nil, promptHash: String? = nil,
    billed: Money? = nil, lineItem: String? = nil
  ) {
    self.init(
      provider: provider, level: level, format: format, keptKey: naturalKey, requestID: requestID, time: time,
      bucketEnd: bucketEnd, credential: credential, project: project, model: model, tier: tier,
      contextWindow: contextWindow, tokens: tokens, requests: requests, failed: failed, errorCode: errorCode,
      metadata: metadata, line: line, jsonPath: jsonPath, credentialProvider: nil, promptHash: promptHash,
      billed: billed, lineItem: lineItem)
  }
}

/// A stored record's four name fields as the store's ids (its `names` table).
///
/// One id names one text for the life of a store (ids are never reused), so the charge of a record can be
/// remembered by these integers instead of hashing the texts (``Charger``). Valid only among
/// records read from one store.
package struct StoreNameIDs: Hashable, Sendable {
  /// Id of `credential`, `project`, `model` and `agent_id`; ``none`` where the field is nil (or,
  /// for the model, empty).
  package var credential: Int32
  package var project: Int32
  package var model: Int32
  package var agent: Int32

  /// The id of a field that is nil.
  package static let none: Int32 = -1

  package init(credential: Int32, project: Int32, model: Int32, agent: Int32) {
    self.credential = credential
    self.project = project
    self.model = model
    self.agent = agent
  }
}
