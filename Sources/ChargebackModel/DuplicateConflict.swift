/// A record whose natural key was already stored with different content (SPEC §8).
///
/// The first stored copy is kept and charged; this one is refused and remembered.
///
/// Content is what decides the money of a call: its time, model, tier, context window, the six
/// token classes, requests, the failed flag and the billed amount (``UsageRecord/contentFields``).
package struct DuplicateConflict: Sendable, Hashable {
  /// One field whose values differ.
  package struct Difference: Sendable, Hashable {
    /// The field's name (`output`, `model`, `time`).
    package var field: String
    /// Its value in the stored (kept) copy.
    package var kept: String
    /// Its value in the refused copy.
    package var other: String

    package init(field: String, kept: String, other: String) {
      self.field = field
      self.kept = kept
      self.other = other
    }
  }

  /// Where a copy came from: its file and line (JSON Lines) or JSON path (documents).
  package struct Source: Sendable, Hashable, CustomStringConvertible {
    package var path: String
    package var line: Int?
    package var jsonPath: String?
    /// SHA-256 (hex) of the file's bytes, which tells two versions of one path apart (a report page
    /// fetched again to the same name).
    package var sha256: String?

    package init(path: String, line: Int? = nil, jsonPath: String? = nil, sha256: String? = nil) {
      self.path = path
      self.line = line
      self.jsonPath = jsonPath
      self.sha256 = sha256
    }

    /// ``description`` with the first 12 hex digits of the file's SHA-256, for a source whose path
    /// another version of the file shares.
    package var withVersion: String {
      guard let sha256 else { return description }
      return "\(description) (version sha256 \(sha256.prefix(12)))"
    }

    /// `file:line`, or `file: $.data[0]` for an element of a document.
    package var description: String {
      if let line { return "\(path):\(line)" }
      if let jsonPath { return "\(path): \(jsonPath)" }
      return path
    }
  }

  /// The natural key both copies share (`bedrock:<request id>`).
  package var naturalKey: String
  /// The request id, when the record has one.
  package var requestID: String?
  /// The copy stored first, which is charged.
  package var kept: Source
  /// The copy that was refused.
  package var other: Source
  /// The fields whose values differ, in a fixed order.
  package var differences: [Difference]

  package init(naturalKey: String, requestID: String?, kept: Source, other: Source, differences: [Difference]) {
    self.naturalKey = naturalKey
    self.requestID = requestID
    self.kept = kept
    self.other = other
    self.differences = differences
  }
}

extension UsageRecord {
  /// True when `other` has the same content (``contentFields``), compared without building text.
  package func sameContent(as other: UsageRecord) -> Bool {
    time == other.time && model == other.model && tier == other.tier && contextWindow == other.contextWindow
      && tokens == other.tokens && requests == other.requests && failed == other.failed && billed == other.billed
  }

  /// The fields that define a record's content for conflicting duplicates, with their values as
  /// text: everything that changes what the call costs or when it is charged.
  ///
  /// Left out on purpose: identity and attribution metadata (credential, project, agent, task,
  /// scope, parent, trace ancestry, which OTel ancestry rewrites after the insert), error codes and
  /// retry markers, prompt hashes and line items. They do not change the amount.
  package var contentFields: [(field: String, value: String)] {
    [
      ("time", Timestamp.iso(time)), ("model", model), ("tier", tier.rawValue),
      ("context_window", contextWindow ?? ""), ("input", String(tokens.input)),
      ("cached_input", String(tokens.cachedInput)), ("cache_write_5m", String(tokens.cacheWrite5m)),
      ("cache_write_1h", String(tokens.cacheWrite1h)), ("output", String(tokens.output)),
      ("web_search", String(tokens.webSearch)), ("requests", String(requests)), ("failed", failed ? "yes" : "no"),
      ("billed_usd", billed.map { $0.formatted(decimals: 12) } ?? ""),
    ]
  }
}
