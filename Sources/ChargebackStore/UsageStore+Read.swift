import ChargebackModel
import ChargebackSupport

/// A record as stored, with its row id and provenance.
package struct StoredRecord: Sendable {
  package init(id: Int64, fileID: Int64, record: UsageRecord) {
    self.id = id
    self.fileID = fileID
    self.record = record
  }

  /// Row id in this store (not stable across stores; the natural key is).
  package var id: Int64
  /// Row id of the file it came from (see ``UsageStore/files()``).
  package var fileID: Int64
  /// The record.
  package var record: UsageRecord
}

extension UsageStore {
  /// Calls `body` with each record whose time is in `[from, to)` (UTC epoch ms), in time order, then by row id.
  ///
  /// Streams: one row in memory at a time.
  /// - Complexity: O(n) over the records in range, using the time index.
  package func forEachRecord(from: Int64, to: Int64, _ body: (consuming StoredRecord) throws -> Void) throws {
    try forEachRecord(from: from, to: to, mainPass: false, body)
  }

  /// The same, with the report's pass over its own period marked (`mainPass`).
  ///
  /// That pass holds in the page cache the stretch of the table its rows jump over when they are
  /// stored out of time order (``readCacheKiB(from:to:)``). Only that pass: the memory a pass
  /// frees stays the process's, and the baseline's and the previous month's passes come before it
  /// (a review: 300 MB for a 1 M month with its month before out of order too).
  package func forEachRecord(
    from: Int64, to: Int64, mainPass: Bool, _ body: (consuming StoredRecord) throws -> Void
  ) throws {
    // The cache before (a size in KiB, as every setting here writes it) is put back after.
    let before = try db.scalarInt("PRAGMA cache_size") ?? -Int64(Database.readCacheKiB)
    let cache = mainPass && before < 0 ? try readCacheKiB(from: from, to: to) : 0
    let larger = cache > -before
    if larger { try db.execute("PRAGMA cache_size = -\(cache)") }
    defer { if larger { try? db.execute("PRAGMA cache_size = \(before)") } }
    let st = try db.prepare(UsageStore.recordColumns + " WHERE u.ts >= ? AND u.ts < ? ORDER BY u.ts, u.id")
    try st.bind(1, from)
    try st.bind(2, to)
    var interner = StringInterner()
    var names = try NameTable.all(db)
    while try st.step() {
      try body(decodeRow(st, &interner, &names))
    }
  }

  /// The stored record with this row id, if any.
  package func record(id: Int64) throws -> StoredRecord? {
    let st = try db.prepare(UsageStore.oneRecordColumns + " WHERE u.id = ?")
    try st.bind(1, id)
    var interner = StringInterner()
    var names = NameList()
    return try st.step() ? decodeRow(st, &interner, &names) : nil
  }

  /// The record with this natural key or provider request id, if stored.
  ///
  /// Request-level natural keys are `<provider>:<request id>`, so a request id is found through the unique key
  /// index (by the hashes of the key as given and with each provider prefix); else, the first record
  /// whose request id it is (an OTel span's response id).
  package func record(matching key: String) throws -> StoredRecord? {
    let candidates =
      [key] + ["bedrock", "openai", "anthropic", "azure", "vertex", "litellm", "otel"].map { $0 + ":" + key }
    // Each candidate at each slot it may hold (``KeyHash``), and its natural key compared.
    let slots = candidates.flatMap { KeyHash.slots(of: $0) }
    let st = try db.prepare(
      UsageStore.oneRecordColumns + " WHERE u.key_hash IN (" + slots.map { _ in "?" }.joined(separator: ",")
        + ") AND " + UsageStore.naturalKeySQL + " IN (" + candidates.map { _ in "?" }.joined(separator: ",")
        + ") ORDER BY u.id LIMIT 1")
    for (i, slot) in slots.enumerated() { try st.bind(Int32(i + 1), slot) }
    for (i, c) in candidates.enumerated() { try st.bind(Int32(slots.count + i + 1), c) }
    var interner = StringInterner()
    var names = NameList()
    if try st.step() { return try decodeRow(st, &interner, &names) }
    // A request id inside a natural key of another shape (an OTel span's `gen_ai.response.id`,
    // keyed `otel:<trace>:<span>`): no index holds it, so the store is scanned, once, and only
    // when the key index found nothing.
    let scan = try db.prepare(UsageStore.oneRecordColumns + " WHERE u.request_id = ? ORDER BY u.id LIMIT 1")
    try scan.bind(1, key)
    return try scan.step() ? decodeRow(scan, &interner, &names) : nil
  }

  /// A record's natural key from its `natural_key` column: the column, or `<provider>:<request id>`
  /// when it is empty (``UsageWriter/storedNaturalKey(_:)``; stores written before kept every key whole).
  static func naturalKey(stored: String?, provider: String?, requestID: String?) -> String {
    guard let stored, stored.isEmpty else { return stored ?? "" }
    return (provider ?? "") + ":" + (requestID ?? "")
  }

  /// ``StoreQueries/recordColumns`` and, after them, the ids of the four name columns (schema 8,
  /// ``NameTable``), which ``decodeRow(_:_:_:)`` resolves.
  static let recordColumns =
    StoreQueries.recordSelect + ", u.credential_n, u.project_n, u.model_n, u.agent_n " + StoreQueries.recordFrom

  /// ``recordColumns`` for a lookup of one record, the names resolved in SQL.
  ///
  /// Through `usage_text`, with the id columns NULL. Reading the whole `names` table for one row (up
  /// to 65,536 names) was the cost of every ancestor and conflict looked up, and a separate read of
  /// it could miss names another process committed before the row's read.
  static let oneRecordColumns =
    StoreQueries.recordSelect + ", NULL, NULL, NULL, NULL FROM usage_text u JOIN files f ON f.id = u.file_id"

  /// A name column of the current row: the name of its id (column `id`) when it has one, else its
  /// text (column `text`).
  ///
  /// An id missing from `names` was given after they were read (another process's commit, when the
  /// caller reads outside one snapshot): they are read again once before the store is called
  /// damaged. Ids are never deleted.
  private func name(
    _ st: Statement, text: Int32, id: Int32, _ strings: inout StringInterner, _ names: inout NameList
  ) throws -> String? {
    guard let n = st.optionalInt64(id) else { return strings.text(st, text) }
    if let name = names[n] { return name }
    names = try NameTable.all(db)
    guard let name = names[n] else {
      throw StoreError.damaged(path: db.path, detail: "a usage row refers to name \(n), which is missing")
    }
    return name
  }

  /// A name column's id for ``StoreNameIDs``: the id (column `id`), ``StoreNameIDs/none`` when the
  /// field is NULL, nil when it is stored as text (rows written before schema 8, names past the
  /// table's limit) or `id` (a lookup's NULL column) is missing.
  private static func nameID(_ st: Statement, text: Int32, id: Int32) -> Int32? {
    if let n = st.optionalInt64(id) { return n >= 0 && n <= Int64(Int32.max) ? Int32(n) : nil }
    return st.isNull(text) ? StoreNameIDs.none : nil
  }

  /// `natural_key` made whole in SQL, as ``naturalKey(stored:provider:requestID:)`` does (for `usage u`).
  static let naturalKeySQL =
    "(CASE WHEN u.natural_key = '' THEN u.provider || ':' || u.request_id ELSE u.natural_key END)"

  /// The record of the current row; one outside ``Bounds`` (stored by an older version) is an error,
  /// so that no later sum can overflow on it.
  private func decodeRow(
    _ st: Statement, _ strings: inout StringInterner, _ names: inout NameList
  ) throws -> StoredRecord {
    let tokens = TokenCounts(
      input: st.int64(14), cachedInput: st.int64(15), cacheWrite5m: st.int64(16),
      cacheWrite1h: st.int64(17), output: st.int64(18), webSearch: st.int64(19))
    // Read once: a request id is a new string each time it is read (36 bytes: on the heap).
    let requestID = st.text(6)
    var stored = StoredRecord(
      id: st.int64(0), fileID: st.int64(1),
      record: UsageRecord(
        provider: Provider(rawValue: strings.text(st, 2) ?? "") ?? .openai,
        level: SourceLevel(rawValue: strings.text(st, 3) ?? "") ?? .request, format: strings.text(st, 4) ?? "",
        naturalKey: "",
        requestID: requestID, time: st.int64(7), bucketEnd: st.optionalInt64(8),
        credential: try name(st, text: 9, id: 39, &strings, &names),
        project: try name(st, text: 10, id: 40, &strings, &names),
        model: try name(st, text: 11, id: 41, &strings, &names) ?? "",
        tier: Tier(rawValue: strings.text(st, 12) ?? "") ?? .standard, contextWindow: strings.text(st, 13),
        tokens: tokens,
        requests: st.int64(20), failed: st.int64(21) != 0, errorCode: strings.text(st, 22),
        metadata: CallMetadata(
          agentID: try name(st, text: 23, id: 42, &strings, &names), taskID: strings.text(st, 24),
          scopeID: strings.text(st, 25),
          parentID: st.text(26)),
        line: st.optionalInt64(27).map { Int($0) }, jsonPath: st.text(28)))
    // '' is `<provider>:<request id>` (schema 7): made only when asked.
    if let key = st.text(5), !key.isEmpty { stored.record.naturalKey = key } else { stored.record.deriveNaturalKey() }
    stored.record.credentialProvider = strings.text(st, 29)
    stored.record.traceID = st.text(30)
    stored.record.spanID = st.text(31)
    stored.record.promptHash = st.text(32)
    stored.record.retries = st.optionalInt64(33)
    stored.record.billed = st.optionalInt64(34).map { Money(pico: Int128($0)) }
    stored.record.lineItem = strings.text(st, 35)
    stored.record.agentPath = strings.text(st, 36)
    stored.record.credentialAlias = strings.text(st, 37)
    stored.record.provisioned = st.int64(38) == 1
    if let credential = Self.nameID(st, text: 9, id: 39), let project = Self.nameID(st, text: 10, id: 40),
      let model = Self.nameID(st, text: 11, id: 41), let agent = Self.nameID(st, text: 23, id: 42)
    {
      stored.record.storeNames = StoreNameIDs(credential: credential, project: project, model: model, agent: agent)
    }
    if let (field, message) = stored.record.countsViolation {
      throw StoreError.outOfBounds(path: db.path, id: st.int64(0), field: field, message: message)
    }
    // Built in its result and filled in there: a record built alone and then handed to
    // `StoredRecord` was copied into it and the local destroyed (perf: a retain and a release of
    // each of its strings per row).
    return stored
  }
}

/// Request-level usage summed per provider, credential, raw model, tier and UTC day.
package struct RequestTotal {
  package init(
    provider: Provider, credential: String, model: String, tier: Tier, day: Int64, tokens: TokenCounts,
    requests: Int64, longContext: Bool
  ) {
    self.provider = provider
    self.credential = credential
    self.model = model
    self.tier = tier
    self.day = day
    self.tokens = tokens
    self.requests = requests
    self.longContext = longContext
  }

  package var provider: Provider
  package var credential: String
  package var model: String
  package var tier: Tier
  /// Days since 1970-01-01 (UTC).
  package var day: Int64
  package var tokens: TokenCounts
  package var requests: Int64
  /// True for the calls whose total input (uncached + cache read + cache writes) is above
  /// `longContextAbove`: the ones a usage report puts in its long `context_window` (`200k-1M`).
  package var longContext: Bool
}

extension UsageStore {
  /// Sums of request-level records with a credential in `[from, to)`, for the overlap rule; calls
  /// whose total input is above `longContextAbove` are summed apart (``RequestTotal/longContext``).
  /// - Complexity: one grouped scan of the period's rows.
  package func requestTotals(from: Int64, to: Int64, longContextAbove: Int64, _ body: (RequestTotal) throws -> Void)
    throws
  {
    let st = try db.prepare(
      """
      SELECT u.provider, u.credential, u.model, u.tier, u.ts / 86400000 AS day, sum(u.input), sum(u.cached_input),
        sum(u.cache_write_5m), sum(u.cache_write_1h), sum(u.output), sum(u.web_search), sum(u.requests),
        (u.input + u.cached_input + u.cache_write_5m + u.cache_write_1h) > ? AS long
      FROM usage_text u JOIN files f ON f.id = u.file_id
      WHERE f.level = 'request' AND u.ts >= ? AND u.ts < ? AND u.credential IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 13
      """)
    try st.bind(1, longContextAbove)
    try st.bind(2, max(from, 0))
    try st.bind(3, to)
    while try st.step() {
      try body(
        RequestTotal(
          provider: Provider(rawValue: st.text(0) ?? "") ?? .openai, credential: st.text(1) ?? "",
          model: st.text(2) ?? "", tier: Tier(rawValue: st.text(3) ?? "") ?? .standard, day: st.int64(4),
          tokens: TokenCounts(
            input: st.int64(5), cachedInput: st.int64(6), cacheWrite5m: st.int64(7), cacheWrite1h: st.int64(8),
            output: st.int64(9), webSearch: st.int64(10)),
          requests: st.int64(11), longContext: st.int64(12) != 0))
    }
  }
}

extension UsageStore {
  /// One record per distinct (provider, credential, project, claimed agent) seen before `before`,
  /// at its latest time: enough to know which identities already had usage.
  package func identitiesSeen(before: Int64, _ body: (UsageRecord) throws -> Void) throws {
    let st = try db.prepare(
      """
      SELECT provider, credential_provider, credential, project, agent_id, max(ts), credential_alias,
        credential_n, project_n, agent_n
      FROM usage WHERE ts < ? GROUP BY 1, 2, 3, 4, 5, 7, 8, 9, 10
      """)
    // Grouped by the stored columns, names resolved after (``NameTable``): a name stored as text
    // before schema 8 and as an id after comes twice, which the caller (a set of identities)
    // does not mind; resolving in SQL cost three lookups per row of every earlier month.
    var names = try NameTable.all(db)
    var strings = StringInterner()
    try st.bind(1, before)
    while try st.step() {
      var r = UsageRecord(
        provider: Provider(rawValue: st.text(0) ?? "") ?? .openai, level: .request, format: "", naturalKey: "",
        time: st.int64(5), credential: try name(st, text: 2, id: 7, &strings, &names),
        project: try name(st, text: 3, id: 8, &strings, &names), model: "", tokens: TokenCounts(),
        metadata: CallMetadata(agentID: try name(st, text: 4, id: 9, &strings, &names)))
      r.credentialProvider = st.text(1)
      r.credentialAlias = st.text(6)
      try body(r)
    }
  }
}

extension UsageStore {
  /// Row ids of request-level records that repeat a call already stored from another format.
  ///
  /// The same provider and request id can be in, say, both a LiteLLM spend log and an OTel trace.
  /// A copy with tokens is kept (else the first stored): a span that reports no usage, stored
  /// before the one beneath or above it that does, must not hide it. Among copies with tokens, the
  /// provider's own log before a gateway's (LiteLLM, Azure APIM) before a trace span, within each a
  /// copy with a cache split before one without, then the first stored: a span often reports no
  /// cache split (a trial's OpenAI SDK span beneath Pydantic AI's, first stored, was charged 1,200
  /// uncached tokens of which 1,024 were cache reads), and which copy was charged had depended on
  /// which file name sorted first (a trial). Ids stay below 2⁴⁰, so rank × 2⁴⁰ + id orders by both. The
  /// others are to be skipped so that each call is charged once.
  /// A gateway's row and a span (or two gateways' rows) with one request id are one call whatever
  /// providers they name (``DuplicateCalls/acrossProviders(from:to:)``).
  /// - Complexity: one grouped scan of the period when two request-level formats share a provider
  ///   in the period, or the store holds OTel spans (one call traced twice); one more, of the
  ///   gateways' and spans' rows, when those rows name two providers or more in the period (a scan
  ///   of the period's rows finds out).
  package func crossFormatDuplicates(from: Int64, to: Int64) throws -> Set<Int64> {
    // One request-level format in the whole store: no call can be in two logs. But OTel spans are
    // keyed by trace and span, so one call traced by two instrumentations (Pydantic AI's span and,
    // beneath it, the OpenAI SDK's, both with its `gen_ai.response.id`) is two records of one format.
    let otel = try db.scalarInt("SELECT count(*) FROM files WHERE format = 'otel-genai-spans'") ?? 0 > 0
    guard try otel || db.scalarInt("SELECT count(DISTINCT format) FROM files WHERE level = 'request'") ?? 0 > 1 else {
      return []
    }
    let formats =
      try db.scalarInt(
        """
        SELECT max(n) FROM (SELECT count(DISTINCT f.format) AS n FROM usage u JOIN files f ON f.id = u.file_id
          WHERE f.level = 'request' AND u.ts >= ? AND u.ts < ? GROUP BY u.provider)
        """, [.int(from), .int(to)]) ?? 0
    // A gateway's log and a trace (or two gateways, or two instrumentations) may name other
    // providers for one call: only when the period's rows of them name two providers or more.
    let relays =
      try db.scalarInt(DuplicateCalls.relayPresence) ?? 0 > 0
      && db.scalarInt(DuplicateCalls.relayProviders(from: "?1", to: "?2"), [.int(from), .int(to)]) ?? 0 > 1
    var queries: [String] = []
    if otel || formats > 1 { queries.append(DuplicateCalls.sameProvider(from: "?1", to: "?2")) }
    if relays { queries.append(DuplicateCalls.acrossProviders(from: "?1", to: "?2")) }
    var out = Set<Int64>()
    for query in queries {
      let st = try db.prepare(query)
      try st.bind(1, from)
      try st.bind(2, to)
      while try st.step() { out.insert(st.int64(0)) }
    }
    return out
  }
}

extension UsageStore {
  /// Number of ingested files of one level.
  package func fileCount(level: SourceLevel) throws -> Int64 {
    try db.scalarInt("SELECT count(*) FROM files WHERE level = ?", [.text(level.rawValue)]) ?? 0
  }
}
