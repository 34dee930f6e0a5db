/// The queries that find one call logged twice at the request level, shared by both stores (they
/// differ only in how parameters are spelled: `?1` in SQLite, `$1` in PostgreSQL).
///
/// Of each group of records of one call, one is kept: a record with tokens before one without, a
/// provider's own log before a gateway's (LiteLLM, Azure APIM), a gateway's before a trace's (OTel
/// spans), a record with cache tokens before one without, then the first stored. The others are
/// returned, to be skipped.
package enum DuplicateCalls {
  /// The formats whose provider is the logger's reading of the call, not the bill's: a gateway's
  /// (the provider it routed to) and a trace's (what the instrumentation library says).
  package static let relayFormats = GatewayEcho.gateways + ["otel-genai-spans"]

  /// ``relayFormats`` as an SQL list.
  private static let relays = relayFormats.map { "'\($0)'" }.joined(separator: ", ")

  /// How many of ``relayFormats`` the store holds files of.
  package static let relayPresence =
    "SELECT count(DISTINCT format) FROM files WHERE format IN (\(relays))"

  /// How many providers the rows of ``relayFormats`` in `[from, to)` name: below 2, no call can be
  /// in them under two providers, and ``acrossProviders(from:to:)`` (a grouping of the period's
  /// relay rows by request id) is not run (a review: a month of spans of one provider paid for it).
  package static func relayProviders(from: String, to: String) -> String {
    return """
      SELECT count(DISTINCT u.provider) FROM usage u JOIN files f ON f.id = u.file_id
      WHERE f.format IN (\(relays)) AND u.ts >= \(from) AND u.ts < \(to)
      """
  }

  /// The id of the record kept of a group, over the group's rows `u2` joined with their files `f2`.
  private static let keep = """
    coalesce(min(CASE WHEN u2.input + u2.cached_input + u2.cache_write_5m + u2.cache_write_1h + u2.output
                           + u2.web_search > 0
                      THEN ((CASE f2.format WHEN 'otel-genai-spans' THEN 2 WHEN 'litellm-spend-logs' THEN 1 WHEN 'azure-apim-llm-log' THEN 1
                            ELSE 0 END) * 2
                            + (CASE WHEN u2.cached_input + u2.cache_write_5m + u2.cache_write_1h > 0 THEN 0 ELSE 1 END))
                           * 1099511627776 + u2.id END) % 1099511627776,
             min(u2.id))
    """

  /// Records of one provider and request id in `[from, to)`, but the one kept.
  package static func sameProvider(from: String, to: String) -> String {
    """
    SELECT u.id FROM usage u JOIN files f ON f.id = u.file_id
    JOIN (SELECT u2.provider, u2.request_id, \(keep) AS keep
          FROM usage u2 JOIN files f2 ON f2.id = u2.file_id
          WHERE f2.level = 'request' AND u2.request_id IS NOT NULL AND u2.ts >= \(from) AND u2.ts < \(to)
          GROUP BY u2.provider, u2.request_id HAVING count(*) > 1) d
      ON d.provider = u.provider AND d.request_id = u.request_id
    WHERE f.level = 'request' AND u.id <> d.keep AND u.ts >= \(from) AND u.ts < \(to)
    """
  }

  /// Records of a gateway's log or a trace in `[from, to)` that share a request id with another
  /// such record under another provider, but the one kept.
  ///
  /// The OpenAI SDK pointed at a LiteLLM proxy writes `gen_ai.provider.name=openai` on its span
  /// whatever the proxy routed the call to, and LiteLLM logs the provider it routed to (`azure`,
  /// `anthropic`): one response id, two providers, and a trial's call was charged twice (and its
  /// span's copy of a Claude call asked for an OpenAI price). A provider's own log is not among
  /// them: its provider is the bill's, and a request id of another provider's bill is no copy.
  package static func acrossProviders(from: String, to: String) -> String {
    return """
      SELECT u.id FROM usage u JOIN files f ON f.id = u.file_id
      JOIN (SELECT u2.request_id, \(keep) AS keep
            FROM usage u2 JOIN files f2 ON f2.id = u2.file_id
            WHERE f2.level = 'request' AND f2.format IN (\(relays)) AND u2.request_id IS NOT NULL
              AND u2.ts >= \(from) AND u2.ts < \(to)
            GROUP BY u2.request_id HAVING count(DISTINCT u2.provider) > 1) d
        ON d.request_id = u.request_id
      WHERE f.level = 'request' AND f.format IN (\(relays)) AND u.id <> d.keep AND u.ts >= \(from) AND u.ts < \(to)
      """
  }
}
