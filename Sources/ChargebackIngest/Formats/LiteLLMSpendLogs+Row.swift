import ChargebackModel
import Foundation

extension LiteLLMSpendLogs {
  /// The fields of one spend-log row that we keep, filled from JSON (a row, or a CSV cell's JSON).
  struct Row {
    /// Cache detail from `additional_usage_values` or `usage_object` (tokens).
    struct Usage {
      var cacheRead: Int64?
      var cachedDetail: Int64?
      var cacheWrite: Int64?
      var cacheWrite1h: Int64?
    }

    var requestID: String?
    var payloadID: String?
    var callID: String?
    var apiKey: String?
    var keyHash: String?
    var promptTokens: Int64?
    var completionTokens: Int64?
    var start: String?
    var model: String?
    var provider: String?
    var callType: String?
    var status: String?
    var metadataStatus: String?
    var cacheHit = false
    var usage = Usage()
    var retries: Int64?
    var errorCode: String?
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
        } else if key.equals("prompt_tokens") {
          field = "prompt_tokens"
          promptTokens = try JSONLayout.count(&s, in: b)
        } else if key.equals("completion_tokens") {
          field = "completion_tokens"
          completionTokens = try JSONLayout.count(&s, in: b)
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
          field = "metadata"
          if try s.consumeNull() { return }
          try parseMetadata(&s, b, field: &field)
        } else if key.equals("request_tags") {
          field = "request_tags"
          if try s.consumeNull() { return }
          try parseTags(&s)
        }
      }
    }

    /// Reads the `metadata` object (SpendLogsMetadata, or a callback's StandardLoggingMetadata).
    mutating func parseMetadata(_ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String) throws {
      field = "metadata"
      try s.object { s, key in
        if key.equals("user_api_key") || key.equals("user_api_key_hash") {
          field = "metadata.user_api_key"
          keyHash = try s.optionalString() ?? keyHash
        } else if key.equals("spend_logs_metadata") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            // Strings, or numbers (a numeric task id) as written.
            guard let c = s.next(), c == UInt8(ascii: "\"") || c == UInt8(ascii: "-") || (c >= 48 && c <= 57) else {
              return try s.skipValue()
            }
            guard let v = try JSONLayout.scalarText(&s, in: b).nonBlank else { return }
            Self.apply(k, v, to: &metadata, tagNames: false)
          }
        } else if key.equals("additional_usage_values") || key.equals("usage_object") {
          if try s.consumeNull() { return }
          try parseUsage(&s, b, field: &field, usageObject: key.equals("usage_object"))
        } else if key.equals("attempted_retries") {
          field = "metadata.attempted_retries"
          retries = try JSONLayout.count(&s, in: b)
        } else if key.equals("status") {
          field = "metadata.status"
          metadataStatus = try s.optionalString()
        } else if key.equals("error_information") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            if k.equals("error_code") {
              field = "metadata.error_information.error_code"
              errorCode = try JSONLayout.scalarText(&s, in: b).nonBlank
            }
          }
        }
      }
    }

    /// Reads cache counters; the first source to give a counter wins.
    private mutating func parseUsage(
      _ s: inout JSONScanner, _ b: UnsafeBufferPointer<UInt8>, field: inout String, usageObject: Bool
    ) throws {
      func name(_ tail: String) -> String {
        (usageObject ? "metadata.usage_object." : "metadata.additional_usage_values.") + tail
      }
      try s.object { s, key in
        if key.equals("cache_read_input_tokens") {
          field = name("cache_read_input_tokens")
          usage.cacheRead = try usage.cacheRead ?? JSONLayout.count(&s, in: b)
        } else if key.equals("cache_creation_input_tokens") {
          field = name("cache_creation_input_tokens")
          usage.cacheWrite = try usage.cacheWrite ?? JSONLayout.count(&s, in: b)
        } else if key.equals("prompt_tokens_details") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("cached_tokens") else { return }
            field = name("prompt_tokens_details.cached_tokens")
            usage.cachedDetail = try usage.cachedDetail ?? JSONLayout.count(&s, in: b)
          }
        } else if key.equals("cache_creation") {
          guard s.next() == UInt8(ascii: "{") else { return try s.skipValue() }
          try s.object { s, k in
            guard k.equals("ephemeral_1h_input_tokens") else { return }
            field = name("cache_creation.ephemeral_1h_input_tokens")
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
