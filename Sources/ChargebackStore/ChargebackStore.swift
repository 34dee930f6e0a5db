import ChargebackModel
import ChargebackSupport

/// What the pipeline needs of a store (SPEC §8, §13; docs/postgres.md §2).
///
/// ``UsageStore`` (SQLite, the default) and the PostgreSQL store implement it; ChargebackKit sees
/// only `any ChargebackStore`. Both give the same rows in the same order, so the outputs of a
/// report are byte-identical whichever store holds the records.
package protocol ChargebackStore: AnyObject {
  /// The store for messages: a path, or the URL without its password.
  var location: String { get }
  /// Closes the store.
  func close() throws

  // MARK: Transactions

  /// Runs `body` in one write transaction under the store's writer lock, waiting as ``StoreLock``
  /// says, else ``StoreLockedError`` (exit 75). Committed when it returns, rolled back when it throws.
  func write<T>(_ body: () throws -> T) throws -> T
  /// Runs `body` in one read snapshot: everything it reads sees one commit of the store; nested
  /// calls join the open one.
  func snapshot<T>(_ body: () throws -> T) throws -> T
  /// Runs `body` with its write transactions grouped: they share one transaction that stays open
  /// until ``commitGroup()`` or the end, so one commit covers several files (SQLite: a commit
  /// writes every page the transaction changed twice, journal and file, and a file's random keys
  /// change nearly every page of the key index). Committed when `body` returns; when it throws,
  /// the transaction is rolled back (the caller commits what it wants to keep first).
  /// PostgreSQL commits each file as before: its `COPY` has no such cost.
  ///
  /// A write transaction that throws inside the group takes the group's earlier ones with it when
  /// ``failureRollsBackGroup`` (SQLite); the caller loads again what it wants to keep.
  func grouped<T>(_ body: () throws -> T) throws -> T
  /// True when a write transaction that throws inside ``grouped(_:)`` rolls back the whole group
  /// since the last ``commitGroup()``, not only itself.
  var failureRollsBackGroup: Bool { get }
  /// Commits the write transactions of ``grouped(_:)`` so far; the next one opens a new group.
  func commitGroup() throws
  /// True while the open group is a first load that checks keys in memory and builds the key
  /// index when it commits (SQLite, ``DeferredKeys``): a commit in between would end that, so the
  /// caller commits only at the end.
  var keyIndexWaitsForCommit: Bool { get }

  // MARK: Ingest

  func file(sha256: String) throws -> StoredFile?
  /// Every file in the store, by path then hash.
  func files() throws -> [StoredFile]
  func fileCount(level: SourceLevel) throws -> Int64
  func recordCount() throws -> Int64
  /// The delivery artifact skipped at `path`, if any (by the table's key: a daily run over a
  /// synced bucket asks it of each of thousands of skipped files).
  func skippedFile(path: String) throws -> SkippedInput?
  func skippedFiles() throws -> [SkippedInput]
  func recordSkipped(_ file: SkippedInput) throws
  func fileStamps() throws -> [String: FileStamp]
  func setFileStamp(_ path: String, _ stamp: FileStamp) throws
  /// Loads one file in one transaction (the group's inside ``grouped(_:)``): `stream` hands every
  /// record and span to the sink; then, with the records in the store and under the writer lock,
  /// `merged` runs (trace ancestry, the file stamp). Returns `.known` without loading when the same
  /// bytes are in the store, also when another process loaded them meanwhile.
  func load(_ file: NewFile, stream: (any UsageSink) throws -> Void, merged: (LoadedFile) throws -> Void) throws
    -> FileLoad
  /// Keeps the API pages of a file (``ExportPage``) by its bytes' hash, inside its load's
  /// transaction (from `merged`) or its skip's (an empty page, `format` `empty-openai`); the same
  /// bytes kept before add nothing.
  func addPages(_ pages: [ExportPage], sha256: String, format: String, path: String) throws
  /// Whether pages of these bytes are kept.
  func hasPages(sha256: String) throws -> Bool
  func spans(ofTrace traceID: String) throws -> [TraceSpan]
  func setInherited(traceID: String, _ calls: [(spanID: String, context: TraceInheritance)]) throws

  // MARK: Settings and closed periods

  func setting(_ name: String) throws -> String?
  func setSetting(_ name: String, _ value: String) throws
  func reportedTotals(_ period: Period) throws -> PeriodContext.Totals?
  func setReportedTotals(_ period: Period, _ totals: PeriodContext.Totals) throws

  // MARK: Report reads (inside `snapshot`)

  /// Records with `from <= ts < to` in (ts, id) order, one at a time.
  func forEachRecord(from: Int64, to: Int64, _ body: (consuming StoredRecord) throws -> Void) throws
  /// The same, for the report's pass over its own period (`mainPass`), which a store may read
  /// with more memory than its other passes (the SQLite store's page cache for rows stored out of
  /// time order, `UsageStore+ReadCache.swift`).
  func forEachRecord(from: Int64, to: Int64, mainPass: Bool, _ body: (consuming StoredRecord) throws -> Void) throws
  func record(id: Int64) throws -> StoredRecord?
  func record(matching key: String) throws -> StoredRecord?
  func requestTotals(from: Int64, to: Int64, longContextAbove: Int64, _ body: (RequestTotal) throws -> Void) throws
  func identitiesSeen(before: Int64, _ body: (UsageRecord) throws -> Void) throws
  func crossFormatDuplicates(from: Int64, to: Int64) throws -> Set<Int64>
  /// Calls of a gateway's log (LiteLLM, Azure APIM) in `[from, to)` with a call of the same
  /// provider, UTC day and token counts in the provider's own log (Bedrock's, Vertex's):
  /// ``GatewayEcho``.
  func gatewayEchoes(from: Int64, to: Int64) throws -> Int64
  func reportBuckets(from: Int64, to: Int64, _ body: (ReportBucket) throws -> Void) throws
  /// The report rows of `formats` that start in `[from, to)`, with their natural keys and the path
  /// of the file each came from, ordered by format, start, end and path.
  func reportKeys(from: Int64, to: Int64, formats: [String], _ body: (ReportRowKey) throws -> Void) throws
  func conflicts(from: Int64, to: Int64) throws -> [StoredConflict]
  func conflictCount() throws -> Int64
  func hasUsage(from: Int64, to: Int64) throws -> Bool
  /// How many records (of every level) lie in `[from, to)`, UTC epoch ms: the most lines a report
  /// pass over them can make.
  func recordCount(from: Int64, to: Int64) throws -> Int64
  func distinctModels(provider: String, from: Int64, to: Int64) throws -> [String]
  /// The start and end of the latest usage record (not a bill's row) that starts before `before`,
  /// UTC epoch ms (a report row runs to its bucket's end).
  func latestUsageTime(before: Int64) throws -> (start: Int64, end: Int64)?
  func spanFiles(from: Int64, to: Int64) throws -> Set<Int64>
  /// Every kept API page with its format and path, by path, hash and page.
  func exportPages() throws -> [StoredPage]
  func contentDigest(previous: String) throws -> String
}

/// Where one file's records go while it is parsed.
package protocol UsageSink: AnyObject {
  /// Records offered so far.
  var offered: Int64 { get }
  /// Inserts one record (a natural key stored already is not inserted again); `keys` are its
  /// ``RecordKeys``, worked out by the caller (on the parsing thread, which has time to spare).
  func insert(_ record: UsageRecord, keys: RecordKeys) throws
  /// Keeps a trace span for ancestry.
  func insert(_ span: TraceSpan) throws
}

/// Summary of one ingested file.
package struct StoredFile: Sendable, Hashable {
  package var id: Int64
  package var sha256: String
  package var path: String
  package var format: String
  package var level: String
  package var bytes: Int64
  package var records: Int64
  package var newRecords: Int64

  package init(
    id: Int64, sha256: String, path: String, format: String, level: String, bytes: Int64, records: Int64,
    newRecords: Int64
  ) {
    self.id = id
    self.sha256 = sha256
    self.path = path
    self.format = format
    self.level = level
    self.bytes = bytes
    self.records = records
    self.newRecords = newRecords
  }
}

/// A file about to be loaded.
package struct NewFile: Sendable {
  package var sha256: String
  package var path: String
  package var format: String
  package var level: SourceLevel
  package var bytes: Int64

  package init(sha256: String, path: String, format: String, level: SourceLevel, bytes: Int64) {
    self.sha256 = sha256
    self.path = path
    self.format = format
    self.level = level
    self.bytes = bytes
  }
}

/// What loading one file stored.
package struct LoadedFile: Sendable {
  /// Row id of the file in `files`.
  package var fileID: Int64
  /// Records offered.
  package var offered: Int64
  /// Records new to the store.
  package var inserted: Int64
  /// Records not stored because their key is stored with other content.
  package var conflicts: Int64
  /// Traces the file brought spans of.
  package var touchedTraces: Set<String>
  /// The months (UTC) of the records new to the store.
  package var newMonths: Set<Period>

  package init(
    fileID: Int64, offered: Int64, inserted: Int64, conflicts: Int64, touchedTraces: Set<String>,
    newMonths: Set<Period> = []
  ) {
    self.fileID = fileID
    self.offered = offered
    self.inserted = inserted
    self.conflicts = conflicts
    self.touchedTraces = touchedTraces
    self.newMonths = newMonths
  }
}

/// The outcome of ``ChargebackStore/load(_:stream:merged:)``.
package enum FileLoad: Sendable {
  /// The same bytes are in the store already.
  case known(StoredFile)
  /// The file was loaded.
  case loaded(LoadedFile)
}

extension ChargebackStore {
  /// Like ``forEachRecord(from:to:_:)``, but rows are read and decoded on a second thread while
  /// `body` runs on this one, with `transform` applied on the reading thread too, so that the work
  /// per record is shared between both cores; `prepare` makes the transform there (with whatever
  /// non-Sendable state it needs, such as a cache).
  ///
  /// The transform is also told the number of the batch the record goes in, and whether this (the
  /// consuming) thread is behind: more than two of the pipe's 16 batches queued, read once per
  /// batch. Work that either thread can do (charging a record) then goes to the reading thread
  /// only while the consumer is behind, and is left to the consumer while it waits for rows: the
  /// split settles where both threads are busy, whichever shape of month makes which one the
  /// slower (`ReportBuilder`). At more than half the pipe, the split swung between a full pipe
  /// (the reader waiting) and a consumer charging a third of its time: the 10 M cardinality
  /// `report`, 48.1 s against 42.1 s (means of five alternate runs, faster in each pair; 24th pass), with less CPU too
  /// (records charged on the summing thread share their strings' reference counts across threads).
  ///
  /// `body` is handed each value `inout`, where it lies in the batch: lent as a plain argument,
  /// this generic function copied it first (callgrind: a copy and a destruction of each record's
  /// thirty-odd references on the consuming thread, 1,600 instructions a record).
  ///
  /// The store must not be used otherwise until it returns.
  package func forEachRecordConcurrently<T: Sendable>(
    from: Int64, to: Int64, mainPass: Bool = false,
    prepare: @escaping @Sendable () -> (consuming StoredRecord, _ batch: Int, _ consumerBehind: Bool) -> T,
    _ body: (inout T) throws -> Void
  ) throws {
    let pipe = BatchPipe<T>(capacity: 16, batchSize: 1024)
    let unchecked = UncheckedStore(store: self)
    pipe.start { emit in
      let transform = prepare()
      var (batch, inBatch) = (0, 0)
      var behind = true
      try unchecked.store.forEachRecord(from: from, to: to, mainPass: mainPass) { r in
        if inBatch == pipe.batchSize {
          (batch, inBatch) = (batch + 1, 0)
          behind = pipe.backlog * 8 > pipe.capacity  // more than 2 of 16
        }
        inBatch += 1
        try emit(transform(r, batch, behind))
      }
    }
    // Each value is lent to `body` in place: `for r in batch` would copy it out of the array
    // first, a retain and a release of each of a record's thirty-odd strings.
    try pipe.drain { batch in
      try batch.withUnsafeMutableBufferPointer { values in
        for i in values.indices { try body(&values[i]) }
      }
    }
  }
}

/// Lets the reading thread of ``ChargebackStore/forEachRecordConcurrently(from:to:prepare:_:)`` use
/// the store: safe because the caller does not touch the store until the reader has finished.
private struct UncheckedStore: @unchecked Sendable {
  let store: any ChargebackStore
}

/// SQL both stores run as written.
package enum StoreQueries {
  /// The columns of a stored record, in the order both stores' decoders read them (SQLite's
  /// `decodeRow`, PostgreSQL's `decodeRecord`): one text, so the two cannot drift apart.
  package static let recordColumns = recordSelect + " " + recordFrom

  /// The select list of ``recordColumns`` (SQLite's store reads four more columns after these).
  package static let recordSelect = """
    SELECT u.id, u.file_id, u.provider, f.level, f.format, u.natural_key, u.request_id, u.ts, u.bucket_end,
      u.credential, u.project, u.model, u.tier, u.context_window, u.input, u.cached_input, u.cache_write_5m,
      u.cache_write_1h, u.output, u.web_search, u.requests, u.failed, u.error_code, u.agent_id, u.task_id,
      u.scope_id, u.parent_id, u.line, u.json_path, u.credential_provider, u.trace_id, u.span_id,
      u.prompt_hash, u.retries, u.billed_pico, u.line_item, u.agent_path, u.credential_alias, u.provisioned
    """

  /// The tables of ``recordColumns``.
  package static let recordFrom = "FROM usage u JOIN files f ON f.id = u.file_id"
}

extension ChargebackStore {
  /// The latest usage record's start and end (``latestUsageTime(before:)``, of all time).
  package func latestUsageTime() throws -> (start: Int64, end: Int64)? { try latestUsageTime(before: .max) }
}
