import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// Inserts records of one file with one reused prepared statement; a record whose natural key is
/// stored already is not inserted, which makes re-ingesting the same data a no-op.
///
/// When the stored copy differs in content (``UsageRecord/contentFields``), the stored copy stays and
/// the conflict is recorded in `conflicts` (once per key and refused content).
package final class UsageWriter: UsageSink {
  private var statement: Statement
  /// True when `statement` is the plain insert of a first load (``DeferredKeys``): no unique index
  /// to meet, so every key is checked in memory first.
  private var plainInsert: Bool
  private let db: Database
  /// Row id of the file in `files`.
  package let fileID: Int64
  /// Records offered. (`@exclusivity(unchecked)`: touched for each record by the one thread that
  /// inserts, never re-entrantly; see ``Statement`` for what the run-time check cost.)
  @exclusivity(unchecked) package private(set) var offered: Int64 = 0
  /// Records that were new to the store.
  @exclusivity(unchecked) package private(set) var inserted: Int64 = 0
  /// The months of the records inserted.
  ///
  /// With the bounds of the last one met (UTC epoch ms): a record in that month costs two
  /// comparisons.
  @exclusivity(unchecked) private(set) var newMonths = Set<Period>()
  @exclusivity(unchecked) private var monthStart = Int64.max, monthEnd = Int64.min
  /// Records not inserted because their key is stored with other content (conflicting duplicates).
  package private(set) var conflicts: Int64 = 0
  /// Reads the stored copy of a key (prepared at the first duplicate).
  private var storedStatement: Statement?
  /// Reads the stored copy of a key by its row id, while the key index is dropped.
  private var storedByRow: Statement?
  /// Where the stored copy of a key is found: by its slot in the key index, or by its row id
  /// (``DeferredKeys``).
  private enum StoredPlace {
    case slot(Int64)
    case row(Int64)
  }
  /// Records a conflict (prepared at the first one).
  private var conflictStatement: Statement?
  /// Traces the file brought spans of (their ancestry is resolved before the file commits).
  package private(set) var touchedTraces = Set<String>()
  private var spanStatement: Statement?

  /// Rows in the store when the file began (its largest row id), for sizing the page cache as the
  /// load grows the store (``Database/sizeLoadCache(rows:)``).
  private let rowsBefore: Int64
  /// The page cache is sized again every 2^17 inserted rows.
  private static let cacheCheckMask: Int64 = (1 << 17) - 1

  init(db: Database, fileID: Int64) throws {
    self.db = db
    self.fileID = fileID
    let max = try db.scalarInt("SELECT max(id) FROM usage")
    rowsBefore = max ?? 0
    // An empty table: the first load checks its keys in memory and builds the index at its commit.
    if max == nil { try db.deferKeyIndex() }
    try db.sizeLoadCache(rows: rowsBefore)
    plainInsert = db.deferredKeys != nil
    statement = try Self.prepareInsert(db, plain: plainInsert)
  }

  /// The insert: plain while the key index is dropped (``DeferredKeys``), else one that does
  /// nothing when the key's slot is taken.
  private static func prepareInsert(_ db: Database, plain: Bool) throws -> Statement {
    try db.prepare(
      """
      INSERT INTO usage(natural_key, provider, file_id, line, json_path, ts, bucket_end, request_id,
        credential, project, model, tier, context_window, input, cached_input, cache_write_5m,
        cache_write_1h, output, web_search, requests, failed, error_code, agent_id, task_id, scope_id,
        parent_id, credential_provider, trace_id, span_id, prompt_hash, retries, billed_pico, line_item, agent_path,
        key_hash, credential_alias, provisioned, credential_n, project_n, model_n, agent_n)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
      """ + (plain ? "" : " ON CONFLICT(key_hash) DO NOTHING"), persistent: true)
  }

  /// Inserts one record (or ignores it when its natural key is already stored).
  package func insert(_ r: UsageRecord, keys: RecordKeys) throws {
    if plainInsert, db.deferredKeys == nil {
      // The index was built mid-file (the keys reached their most): SQLite checks them again. A
      // rollback also forgets the keys, and no insert may then run outside the group.
      guard !db.isAutocommit else {
        throw SQLiteError(
          code: 0, message: "the file's transaction was rolled back", context: "storing \(r.naturalKey)")
      }
      statement = try Self.prepareInsert(db, plain: false)
      plainInsert = false
    }
    let s = statement
    let key = keys.keyHash
    s.beginRow()
    try s.bindRow(1, text: Self.storedNaturalKey(r))
    try s.bindRow(2, text: r.provider.rawValue)
    try s.bindRow(3, fileID)
    try s.bindRow(4, r.line.map(Int64.init))
    try s.bindRow(5, text: r.jsonPath)
    try s.bindRow(6, r.time)
    try s.bindRow(7, r.bucketEnd)
    try s.bindRow(8, text: r.requestID)
    try bindName(r.credential, keys.credential, column: 0, text: 9, id: 38)
    try bindName(r.project, keys.project, column: 1, text: 10, id: 39)
    try bindName(r.model, keys.model, column: 2, text: 11, id: 40)
    try s.bindRow(12, text: r.tier.rawValue)
    try s.bindRow(13, text: r.contextWindow)
    try s.bindRow(14, r.tokens.input)
    try s.bindRow(15, r.tokens.cachedInput)
    try s.bindRow(16, r.tokens.cacheWrite5m)
    try s.bindRow(17, r.tokens.cacheWrite1h)
    try s.bindRow(18, r.tokens.output)
    try s.bindRow(19, r.tokens.webSearch)
    try s.bindRow(20, r.requests)
    try s.bindRow(21, r.failed ? 1 : 0)
    try s.bindRow(22, text: r.errorCode)
    try bindName(r.metadata.agentID, keys.agent, column: 3, text: 23, id: 41)
    try s.bindRow(24, text: r.metadata.taskID)
    try s.bindRow(25, text: r.metadata.scopeID)
    try s.bindRow(26, text: r.metadata.parentID)
    try s.bindRow(27, text: r.credentialProvider)
    try s.bindRow(28, text: r.traceID)
    try s.bindRow(29, text: r.spanID)
    try s.bindRow(30, text: r.promptHash)
    try s.bindRow(31, r.retries)
    // Ingest keeps billed within ±Bounds.money (9 × 10^18 pico-USD), which a 64-bit column holds.
    try s.bindRow(32, r.billed.map { Int64(clamping: $0.pico) })
    try s.bindRow(33, text: r.lineItem)
    try s.bindRow(34, text: r.agentPath)
    var slot = KeyHash.slot(key)
    try s.bindRow(35, slot)
    try s.bindRow(36, text: r.credentialAlias)
    try s.bindRow(37, r.provisioned ? Int64(1) : nil)
    offered += 1
    // While the key index is dropped, a slot is looked up in the keys in memory before the plain
    // insert; else the insert itself finds it taken (`ON CONFLICT … DO NOTHING`).
    var deferred = plainInsert ? db.deferredKeys : nil
    for probe in 1...KeyHash.probes {
      let taken: StoredPlace?
      var full = false
      if let keys = deferred {
        switch keys.find(slot) {
        case .stored(let row):
          taken = .row(row)
        case .vacant(let place):
          taken = nil
          try s.runKeepingBindings()
          full = !keys.fill(place, key: slot, row: db.lastInsertRowID)
        }
      } else {
        try s.runKeepingBindings()
        taken = db.changes > 0 ? nil : .slot(slot)
      }
      if full {
        // The table is full: SQLite's index is built, the table freed first (the database's
        // reference and this writer's both, so that the sort does not have it beside it).
        deferred = nil
        try db.buildKeyIndex()
      }
      guard let taken else {
        inserted += 1
        if r.time < monthStart || r.time >= monthEnd {
          let month = Period(containing: r.time)
          newMonths.insert(month)
          (monthStart, monthEnd) = (month.startMillis, month.endMillis)
        }
        if inserted & Self.cacheCheckMask == 0 { try db.sizeLoadCache(rows: rowsBefore + inserted) }
        return
      }
      // The slot is taken: by this record (a duplicate, compared), or by another key whose first
      // 64 bits are the same (the next slot is tried; the row's texts are still bound).
      if try compareWithStored(r, at: taken, key: key) { return }
      guard probe < KeyHash.probes else { break }
      slot = KeyHash.slot(key, probe: probe)
      try s.bindRow(35, slot)
    }
    throw SQLiteError(
      code: 0, message: "the \(KeyHash.probes) integer keys this record may take are all held by other records",
      context: "storing \(r.naturalKey)")
  }

  /// The last name bound with an id in each of the four name columns, its hash and its id:
  /// consecutive calls often repeat them, and comparing them spares a look-up.
  @exclusivity(unchecked) private var lastNames: [(hash: NameHash, name: String, id: Int64)?] = [nil, nil, nil, nil]
  private var addName: Statement?
  private var findName: Statement?

  /// Binds `name` (of hash `hash`) as its id (column `id`; the text column NULL, or '' for the NOT
  /// NULL `model`) when it has or is given one (``NameTable``), else as text.
  private func bindName(_ name: String?, _ hash: NameHash?, column: Int, text: Int32, id: Int32) throws {
    let s = statement
    guard let name else {
      try s.bindRow(text, nil)
      return try s.bindRow(id, nil)
    }
    guard let hash else {  // keys made for another record: the name is stored as text
      try s.bindRow(text, text: name)
      return try s.bindRow(id, nil)
    }
    let stored: Int64?
    if let last = lastNames[column], last.hash == hash, TextBytes.same(last.name, name) {
      stored = last.id
    } else {
      stored = try nameID(name, hash)
      if let stored { lastNames[column] = (hash, name, stored) }
    }
    if let stored {
      if column == 2 { try s.bindRow(text, text: "") } else { try s.bindRow(text, nil) }
      try s.bindRow(id, stored)
    } else {
      try s.bindRow(text, text: name)
      try s.bindRow(id, nil)
    }
  }

  /// The id of `name` (of hash `hash`) in `names`, adding it while the table has room; nil: stored
  /// as text.
  private func nameID(_ name: String, _ hash: NameHash) throws -> Int64? {
    let names = db.names
    switch try names.entry(of: name, hash: hash, in: db) {
    case .id(let id): return id
    case .collision: return nil
    case .absent: break
    }
    guard names.hasRoom, names.isSecondSighting(hash) else { return nil }
    // Another process may have added it since this one read the table (between its transactions):
    // added once, whoever adds it, and its id read back.
    let add =
      try addName ?? db.prepare("INSERT INTO names(text) VALUES (?) ON CONFLICT(text) DO NOTHING", persistent: true)
    addName = add
    try add.bind(1, name)
    try add.run()
    let find = try findName ?? db.prepare("SELECT id FROM names WHERE text = ?", persistent: true)
    findName = find
    defer { find.reset() }
    try find.bind(1, name)
    guard try find.step() else {
      throw SQLiteError(code: 0, message: "a name vanished as it was stored", context: "storing \(name)")
    }
    let id = find.int64(0)
    names.note(name, hash: hash, id: id)
    return id
  }

  /// The `natural_key` column of `r`: empty when the key is `<provider>:<request id>` (records
  /// with a request id, but OTel's and LiteLLM's, whose keys have prefixes of their own), which the
  /// readers make again (``UsageStore/naturalKey(stored:provider:requestID:)``).
  ///
  /// Writing costs this machine kind 1–11 ms of system time per megabyte (the kernel's page-cache
  /// copy, varying with its memory state; `docs/benchmarks.md`, tenth pass), and the key repeated
  /// the request id and provider: 44 of the 366 bytes a Bedrock call's row took.
  ///
  /// Compared as bytes: the generic `elementsEqual` of two `UTF8View`s took a twentieth of the
  /// inserting thread's time (perf, 1 M Bedrock calls).
  static func storedNaturalKey(_ r: UsageRecord) -> String {
    guard let id = r.requestID else { return r.naturalKey }
    let provider = r.provider.rawValue
    // Through the views' storage, not `withUTF8` on copies of the three strings (a retain and a
    // release of each, perf); a string without contiguous storage is compared element by element.
    let derivable = r.naturalKey.utf8.withContiguousStorageIfAvailable { k in
      provider.utf8.withContiguousStorageIfAvailable { p in
        id.utf8.withContiguousStorageIfAvailable { i in
          guard k.count == p.count + 1 + i.count, k[p.count] == UInt8(ascii: ":"), let kb = k.baseAddress,
            let pb = p.baseAddress
          else { return false }
          guard memcmp(kb, pb, p.count) == 0 else { return false }
          guard let ib = i.baseAddress else { return i.isEmpty }
          return memcmp(kb + p.count + 1, ib, i.count) == 0
        }
      }
    }
    let whole = ((derivable ?? nil) ?? nil) ?? r.naturalKey.utf8.elementsEqual((provider + ":" + id).utf8)
    return whole ? "" : r.naturalKey
  }

  /// Compares a record that was not inserted at a slot with the record stored there (`place`).
  ///
  /// False when that record has another natural key (a collision of 64 bits: the caller tries the
  /// next slot). Else records a conflict when their content differs. Only runs for duplicates, so
  /// new records cost nothing more.
  private func compareWithStored(_ r: UsageRecord, at place: StoredPlace, key: [UInt8]) throws -> Bool {
    let st: Statement
    let value: Int64
    switch place {
    case .slot(let slot):
      st = try storedStatement ?? db.prepare(UsageStore.storedContentSQL + " WHERE u.key_hash = ?", persistent: true)
      (storedStatement, value) = (st, slot)
    case .row(let row):
      st = try storedByRow ?? db.prepare(UsageStore.storedContentSQL + " WHERE u.id = ?", persistent: true)
      (storedByRow, value) = (st, row)
    }
    defer { st.reset() }
    try st.bind(1, value)
    guard try st.step() else {
      throw SQLiteError(code: 0, message: "an insert was refused, yet no record holds its key", context: "storing")
    }
    let stored = UsageStore.decodeStoredContent(st, like: r)
    guard stored.record.naturalKey == r.naturalKey else { return false }
    // What the store keeps of the offered record (billed amounts are stored as 64-bit pico-USD).
    var offeredCopy = r
    offeredCopy.billed = r.billed.map { Money(pico: Int128(Int64(clamping: $0.pico))) }
    guard !stored.record.sameContent(as: offeredCopy) else { return true }
    let differences = zip(stored.record.contentFields, offeredCopy.contentFields).compactMap { a, b in
      a.value == b.value ? nil : DuplicateConflict.Difference(field: a.field, kept: a.value, other: b.value)
    }
    guard !differences.isEmpty else { return true }
    let insert =
      try conflictStatement
      ?? db.prepare(
        """
        INSERT INTO conflicts(key_hash, natural_key, kept_id, file_id, line, json_path, differences)
        VALUES (?,?,?,?,?,?,?) ON CONFLICT(key_hash, differences) DO NOTHING
        """, persistent: true)
    conflictStatement = insert
    try insert.bind(1, blob: key)
    try insert.bind(2, r.naturalKey)
    try insert.bind(3, stored.id)
    try insert.bind(4, fileID)
    try insert.bind(5, r.line.map(Int64.init))
    try insert.bind(6, r.jsonPath)
    try insert.bind(7, ConflictText.encode(differences))
    try insert.run()
    conflicts += 1
    return true
  }

  /// Keeps a trace span for ancestry (a span already stored is left as it is).
  package func insert(_ span: TraceSpan) throws {
    let s: Statement
    if let existing = spanStatement {
      s = existing
    } else {
      s = try db.prepare(
        """
        INSERT INTO trace_spans(trace_id, span_id, parent_span_id, model_call, invoked_agent, agent_id, task_id,
          conversation_id, scope_id, credential, res_agent_id, res_task_id, res_conversation_id, res_scope_id,
          res_credential, file_id)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT(trace_id, span_id) DO NOTHING
        """, persistent: true)
      spanStatement = s
    }
    try s.bind(1, span.traceID)
    try s.bind(2, span.spanID)
    try s.bind(3, span.parentSpanID)
    try s.bind(4, span.isModelCall ? 1 : 0)
    try s.bind(5, span.invokedAgent)
    for (k, c) in [span.own, span.resource].enumerated() {
      let base = Int32(6 + k * 5)
      try s.bind(base, c.agentID)
      try s.bind(base + 1, c.taskID)
      try s.bind(base + 2, c.conversationID)
      try s.bind(base + 3, c.scopeID)
      try s.bind(base + 4, c.credential)
    }
    try s.bind(16, fileID)
    try s.run()
    touchedTraces.insert(span.traceID)
  }

  /// Records the file's counts.
  package func finish() throws {
    let st = try db.prepare("UPDATE files SET records = ?, new_records = ? WHERE id = ?")
    try st.bind([.int(offered), .int(inserted), .int(fileID)])
    try st.run()
  }
}
