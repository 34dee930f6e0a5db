import ChargebackModel
import Foundation

extension LiteLLMSpendLogs {
  /// The fields of one spend-log row that we keep, filled from JSON (a row, or a CSV cell's JSON).
  struct Row {
    /// Cache counters from `additional_usage_values`, `usage_object` or `response.usage` (tokens).
    ///
    /// Anthropic's names are at the top (`cache_read_input_tokens`, `cache_creation_input_tokens`,
    /// `cache_creation.ephemeral_1h_…`), and OpenAI's in `prompt_tokens_details` (`cached_tokens`; the writes as
    /// `cache_creation_tokens` or `cache_write_tokens`, split by TTL in
    /// `cache_creation_token_details`), which current releases write for every provider.
    struct Usage {
      var cacheRead: Int64?
      var cachedDetail: Int64?
      var cacheWrite: Int64?
      var cacheWrite1h: Int64?
      /// `prompt_tokens_details.cache_creation_tokens` (or `cache_write_tokens`).
      var writeDetail: Int64?
      /// `prompt_tokens_details.cache_creation_token_details.ephemeral_5m_input_tokens`.
      var write5mDetail: Int64?
      /// `prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens`.
      var write1hDetail: Int64?
      /// `server_tool_use.web_search_requests` (Anthropic's web searches, billed per request).
      var webSearches: Int64?
      /// `completion_tokens_details.reasoning_tokens`.
      var reasoning: Int64?

      /// Each counter from `self`, else from `other`.
      func or(_ other: Usage) -> Usage {
        Usage(
          cacheRead: cacheRead ?? other.cacheRead, cachedDetail: cachedDetail ?? other.cachedDetail,
          cacheWrite: cacheWrite ?? other.cacheWrite, cacheWrite1h: cacheWrite1h ?? other.cacheWrite1h,
          writeDetail: writeDetail ?? other.writeDetail, write5mDetail: write5mDetail ?? other.write5mDetail,
          write1hDetail: write1hDetail ?? other.write1hDetail, webSearches: webSearches ?? other.webSearches,
          reasoning: reasoning ?? other.reasoning)
      }

      /// The cache writes: the top-level count, else the details' count, else the sum of the
      /// details' two TTLs.
      var writes: Int64? {
        if let w = cacheWrite ?? writeDetail { return w }
        guard write5mDetail != nil || write1hDetail != nil else { return nil }
        return (write5mDetail ?? 0) + (write1hDetail ?? 0)  // each at most Bounds.tokens
      }

      /// Of the writes, those kept one hour.
      var writes1h: Int64? { cacheWrite1h ?? write1hDetail }
    }

    var requestID: String?
    var payloadID: String?
    var callID: String?
    var apiKey: String?
    var keyHash: String?
    /// `user_api_key_alias` at the top level of the row.
    var alias: String?
    /// `metadata.user_api_key_alias`.
    var metadataAlias: String?
    var promptTokens: Int64?
    var completionTokens: Int64?
    var totalTokens: Int64?
    var start: String?
    var model: String?
    var provider: String?
    var callType: String?
    var status: String?
    var metadataStatus: String?
    var cacheHit = false
    var usage = Usage()
    var responseUsage = Usage()
    var retries: Int64?
    /// `metadata.error_information.error_code`.
    var errorCode: String?
    /// `error_information.error_code` at the top level (StandardLoggingPayload).
    var topErrorCode: String?
    var metadata = CallMetadata()
    var tags = CallMetadata()

    /// Reads a whole row object; `field` names the member being read, for errors.
    mutating func parseRow(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
      try s.object { s, key in
        if key.equals("request_id") {
          field = "request_id"
          requestID = try s.optionalString()
        } else if key.equals("id") {
          field = "id"
          payloadID = try s.optionalString()
        } else if key.equals("litellm_call_id") {
          field = "litellm_call_id"
          callID = try s.optionalString()
        } else if key.equals("api_key") {
          field = "api_key"
          apiKey = try s.optionalString()
        } else if key.equals("user_api_key_alias") {
          field = "user_api_key_alias"
          alias = try s.optionalString()
        } else if key.equals("prompt_tokens") {
          field = "prompt_tokens"
          promptTokens = try JSONLayout.count(&s, in: b)
        } else if key.equals("completion_tokens") {
          field = "completion_tokens"
          completionTokens = try JSONLayout.count(&s, in: b)
        } else if key.equals("total_tokens") {
          field = "total_tokens"
          totalTokens = try JSONLayout.count(&s, in: b)
        } else if key.equals("startTime") {
          field = "startTime"
          start = try JSONLayout.scalarText(&s, in: b)
        } else if key.equals("model") {
          field = "model"
          model = try s.optionalString()
        } else if key.equals("custom_llm_provider") {
          field = "custom_llm_provider"
          provider = try s.optionalString()
        } else if key.equals("call_type") {
          field = "call_type"
          callType = try s.optionalString()
        } else if key.equals("status") {
          field = "status"
          status = try s.optionalString()
        } else if key.equals("cache_hit") {
          let c = s.next()
          if c == UInt8(ascii: "\"") {
            cacheHit = try s.string().lowercased() == "true"
          } else {
            cacheHit = c == UInt8(ascii: "t")
            try s.skipValue()
          }
        } else if key.equals("metadata") {
          try readMetadata(&s, b, field: &field)
        } else if key.equals("request_tags") {
          try readTags(&s, b, field: &field)
        } else if key.equals("error_information") {
          // StandardLoggingPayload keeps it at the top level; SpendLogsMetadata inside `metadata`.
          field = "error_information"
          try Self.decoded(&s, b, name: "error_information") { s, b in
            try Self.parseErrorInformation(&s, b, into: &topErrorCode, field: &field, name: "error_information")
          }
        } else if key.equals("response") {
          field = "response"
          try parseResponse(&s, b, field: &field)
        }
      }
    }

    /// Reads `metadata`: an object, or the JSON text of one (SpendLogsPayload's `metadata` is a
    /// JSON-encoded string); `null` or a blank string give nothing.
    mutating func readMetadata(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
      field = "metadata"
      try Self.decoded(&s, b, name: "metadata") { s, b in try parseMetadata(&s, b, field: &field) }
    }

    /// Reads `request_tags`: an array, or the JSON text of one.
    mutating func readTags(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
      field = "request_tags"
      try Self.decoded(&s, b, name: "request_tags") { s, _ in try parseTags(&s) }
    }

    /// Hands `body` the next value, or the JSON value that a string value holds.
    ///
    /// LiteLLM's logging payloads write nested objects with `json.dumps`. `null`, a blank string and
    /// a string holding `null` give nothing; a string that is not JSON is an error naming `name`.
    static func decoded(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, name: String,
      _ body: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
      if try s.consumeNull() { return }
      guard s.next() == UInt8(ascii: "\"") else { return try body(&s, b) }
      let offset = s.i
      var text = try s.string()
      try text.withUTF8 { inner in
        var t = JSONScanner(inner)
        func notJSON(_ detail: String) -> JSONScanner.Failure {
          JSONScanner.Failure(
            kind: .invalid("is a string that does not hold valid JSON (\(detail))"), offset: offset, message: "",
            field: name)
        }
        guard let first = t.next() else { return }
        // Text such as `None` or `agent:a`: not a JSON value at all.
        guard Self.startsJSONValue(first) else { throw notJSON("it starts with '\(Character(Unicode.Scalar(first)))'") }
        do {
          if try t.consumeNull() { return try t.end() }
          try body(&t, inner)
          try t.end()
        } catch let f as JSONScanner.Failure {
          // The inner text's offsets are not the record's, so structural failures name `name`.
          switch f.kind {
          case .malformed: throw notJSON(f.message)
          case .text(let message):
            throw JSONScanner.Failure(kind: .invalid(message), offset: offset, message: "", field: f.field ?? name)
          default: throw f
          }
        }
      }
    }

    /// True when `c` can start a JSON value.
    static func startsJSONValue(_ c: UInt8) -> Bool {
      switch c {
      case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), 48...57, UInt8(ascii: "t"),
        UInt8(ascii: "f"), UInt8(ascii: "n"):
        true
      default: false
      }
    }

    /// Reads the `metadata` object (SpendLogsMetadata, or a callback's StandardLoggingMetadata).
    mutating func parseMetadata(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
      field = "metadata"
      try s.object { s, key in
        if key.equals("user_api_key") || key.equals("user_api_key_hash") {
          field = key.equals("user_api_key") ? "metadata.user_api_key" : "metadata.user_api_key_hash"
          keyHash = try s.optionalString() ?? keyHash
        } else if key.equals("user_api_key_alias") {
          field = "metadata.user_api_key_alias"
          metadataAlias = try s.optionalString() ?? metadataAlias
        } else if key.equals("spend_logs_metadata") {
          field = "metadata.spend_logs_metadata"
          try Self.decoded(&s, b, name: "metadata.spend_logs_metadata") { s, b in
            guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
            try s.object { s, k in
              // Strings, or numbers (a numeric task id) as written.
              guard let c = s.next(), c == UInt8(ascii: "\"") || c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else {
                return try s.skipValue()
              }
              guard let v = try JSONLayout.scalarText(&s, in: b).nonBlank else { return }
              Self.apply(k, v, to: &metadata, tagNames: false)
            }
          }
        } else if key.equals("additional_usage_values") || key.equals("usage_object") {
          let name = key.equals("usage_object") ? "metadata.usage_object" : "metadata.additional_usage_values"
          field = name
          try Self.decoded(&s, b, name: name) { s, b in
            try Self.parseUsage(&s, b, into: &usage, field: &field, name: name)
          }
        } else if key.equals("attempted_retries") {
          field = "metadata.attempted_retries"
          retries = try JSONLayout.count(&s, in: b, max: Bounds.retries, unit: "retries")
        } else if key.equals("status") {
          field = "metadata.status"
          metadataStatus = try s.optionalString()
        } else if key.equals("error_information") {
          field = "metadata.error_information"
          try Self.decoded(&s, b, name: "metadata.error_information") { s, b in
            try Self.parseErrorInformation(&s, b, into: &errorCode, field: &field, name: "metadata.error_information")
          }
        }
      }
    }

    /// Reads `error_code` of an `error_information` object into `code`; any other value is skipped.
    private static func parseErrorInformation(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, into code: inout String?, field: inout String,
      name: String
    ) throws {
      guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
      try s.object { s, k in
        guard k.equals("error_code") else { return }
        field = name + ".error_code"
        code = try code ?? JSONLayout.scalarText(&s, in: b).nonBlank
      }
    }

    /// Reads the cache counters of `response.usage`, the provider's response as the callback logged it.
    ///
    /// A `response` that is text rather than JSON (a completion's text, a redaction) has none.
    private mutating func parseResponse(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String
    ) throws {
      if s.next() == UInt8(ascii: "{") { return try parseResponseObject(&s, b, field: &field) }
      guard s.next() == UInt8(ascii: "\"") else { return try s.skipValue() }
      var text = try s.string()
      try text.withUTF8 { inner in
        var probe = JSONScanner(inner)
        guard probe.next() == UInt8(ascii: "{"), (try? probe.skipValue()) != nil, (try? probe.end()) != nil else {
          return
        }
        var t = JSONScanner(inner)
        try parseResponseObject(&t, inner, field: &field)
      }
    }

    /// Reads `usage` of a response object.
    private mutating func parseResponseObject(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String
    ) throws {
      try s.object { s, key in
        guard key.equals("usage") else { return }
        field = "response.usage"
        try Self.decoded(&s, b, name: "response.usage") { s, b in
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try Self.parseUsage(&s, b, into: &responseUsage, field: &field, name: "response.usage")
        }
      }
    }

    /// Reads cache counters into `usage`; the first source to give a counter wins.
    private static func parseUsage(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, into usage: inout Usage, field: inout String,
      name: String
    ) throws {
      try s.object { s, key in
        if key.equals("cache_read_input_tokens") {
          field = name + ".cache_read_input_tokens"
          usage.cacheRead = try usage.cacheRead ?? JSONLayout.count(&s, in: b)
        } else if key.equals("cache_creation_input_tokens") {
          field = name + ".cache_creation_input_tokens"
          usage.cacheWrite = try usage.cacheWrite ?? JSONLayout.count(&s, in: b)
        } else if key.equals("prompt_tokens_details") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            let details = name + ".prompt_tokens_details"
            if k.equals("cached_tokens") {
              field = details + ".cached_tokens"
              usage.cachedDetail = try usage.cachedDetail ?? JSONLayout.count(&s, in: b)
            } else if k.equals("cache_creation_tokens") || k.equals("cache_write_tokens") {
              field = details + "." + String(decoding: k, as: UTF8.self)
              usage.writeDetail = try usage.writeDetail ?? JSONLayout.count(&s, in: b)
            } else if k.equals("cache_creation_token_details") {
              guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
              try s.object { s, t in
                if t.equals("ephemeral_5m_input_tokens") {
                  field = details + ".cache_creation_token_details.ephemeral_5m_input_tokens"
                  usage.write5mDetail = try usage.write5mDetail ?? JSONLayout.count(&s, in: b)
                } else if t.equals("ephemeral_1h_input_tokens") {
                  field = details + ".cache_creation_token_details.ephemeral_1h_input_tokens"
                  usage.write1hDetail = try usage.write1hDetail ?? JSONLayout.count(&s, in: b)
                }
              }
            }
          }
        } else if key.equals("server_tool_use") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("web_search_requests") else { return }
            field = name + ".server_tool_use.web_search_requests"
            usage.webSearches =
              try usage.webSearches ?? JSONLayout.count(&s, in: b, max: Bounds.requests, unit: "requests")
          }
        } else if key.equals("completion_tokens_details") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("reasoning_tokens") else { return }
            field = name + ".completion_tokens_details.reasoning_tokens"
            usage.reasoning = try usage.reasoning ?? JSONLayout.count(&s, in: b)
          }
        } else if key.equals("cache_creation") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("ephemeral_1h_input_tokens") else { return }
            field = name + ".cache_creation.ephemeral_1h_input_tokens"
            usage.cacheWrite1h = try usage.cacheWrite1h ?? JSONLayout.count(&s, in: b)
          }
        }
      }
    }

    /// Reads `request_tags`: `key:value` strings; other elements are ignored.
    mutating func parseTags(_ s: inout JSONScanner) throws {
      try s.array { s in
        guard s.next() == UInt8(ascii: "\"") else { return try s.skipValue() }
        let tag = try s.string()
        guard let colon = tag.utf8.firstIndex(of: UInt8(ascii: ":")),
          let value = Optional(String(tag[tag.index(after: colon)...])).nonBlank
        else { return }
        var key = Array(tag.utf8[..<colon])
        while key.last == 32 { key.removeLast() }
        while key.first == 32 { key.removeFirst() }
        key.withUnsafeBufferPointer { Self.apply($0, value, to: &tags, tagNames: true) }
      }
    }

    /// Sets our metadata key `key` (SPEC §3.1); tags also accept the short names the LiteLLM docs
    /// use (`agent:…`, `task:…`, `scope:…`, `parent:…`).
    private static func apply(
      _ key: UnsafeBufferPointer<UInt8>, _ value: String, to m: inout CallMetadata, tagNames: Bool
    ) {
      if key.equals("agent_id") {
        m.agentID = value
      } else if key.equals("task_id") {
        m.taskID = value
      } else if key.equals("scope_id") {
        m.scopeID = value
      } else if key.equals("parent_request_id") {
        m.parentID = value
      } else if key.equals("parent_call_id") {
        m.parentID = m.parentID ?? value
      } else if tagNames, key.equals("agent") {
        m.agentID = m.agentID ?? value
      } else if tagNames, key.equals("task") {
        m.taskID = m.taskID ?? value
      } else if tagNames, key.equals("scope") {
        m.scopeID = m.scopeID ?? value
      } else if tagNames, key.equals("parent") {
        m.parentID = m.parentID ?? value
      }
    }
  }
}
