internal import CSQLite
import ChargebackModel
import ChargebackSupport
import Foundation

/// An open SQLite database file: the store (SPEC §8).
///
/// A thin wrapper in the manner of SwiftPM's `Basics/SQLite.swift`, since GRDB does not link
/// against Debian 12's system SQLite. One connection, used from one thread at a time.
package final class Database {
  fileprivate(set) var handle: OpaquePointer?
  /// The path it was opened at.
  package let path: String
  /// The busy handler's state (kept alive as long as the connection).
  let waiter: BusyWaiter
  /// True while ``grouped(_:)`` runs.
  private var grouping = false
  /// True while the group's transaction is begun and not yet committed or rolled back by us.
  private var groupOpen = false
  /// The page cache's size (KiB) that ``sizeLoadCache(rows:)`` set last in this group.
  private var loadCacheSetKiB: Int64?
  /// What a rollback takes back from this connection's memory.
  private let undone = RolledBack()
  /// The ids of the names usage rows refer to, as this connection knows them (``NameTable``).
  var names: NameTable { undone.names }
  /// The keys of a first load while the key index is dropped (``deferKeyIndex()``); else nil.
  package var deferredKeys: DeferredKeys? { undone.deferredKeys }

  /// Opens (creating when missing) the database at `path`, waiting for other processes' locks as
  /// `lock` says, and sets the connection's pragmas (none of which writes to the file).
  package init(path: String, lock: StoreLock = .standard) throws {
    self.path = path
    waiter = BusyWaiter(lock: lock, path: path)
    _ = Self.configured
    var db: OpaquePointer?
    let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
    guard rc == SQLITE_OK, let db else {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      sqlite3_close(db)
      throw SQLiteError(code: rc, message: message, context: "opening \(path)")
    }
    handle = db
    sqlite3_extended_result_codes(db, 1)
    // The migration to schema 9 rewrites BLOB keys as integers with it (``KeyHash/slot(_:probe:)``).
    let registered = csqlite_register_key_slot(db)
    // Closed by deinit, as after any failure once `handle` is set.
    guard registered == SQLITE_OK else {
      throw SQLiteError(code: registered, message: "could not register a function", context: "opening \(path)")
    }
    waiter.install(on: db)
    // Ids given in a transaction that is rolled back are gone: forget them all, and the keys of a
    // first load (the rollback brings the key index back). Explicit and automatic rollbacks alike;
    // the hook runs inside SQLite's call, on this thread.
    sqlite3_rollback_hook(
      db, { context in context.map { Unmanaged<RolledBack>.fromOpaque($0).takeUnretainedValue().forget() } },
      Unmanaged.passUnretained(undone).toOpaque())
    // 16 KiB pages for a new store (an existing file keeps its own): fewer, shallower B-tree pages.
    // Measured on 1 M Bedrock calls against 4 KiB: ingest 5–15 % faster, report no slower (the
    // unsorted month's 6–9 % faster), file 5 % smaller. 64 KiB pages were no better and would
    // read 64 KiB per row on an unsorted month bigger than the page cache.
    try execute("PRAGMA page_size = 16384")
    try execute("PRAGMA synchronous = FULL")
    try execute("PRAGMA foreign_keys = ON")
    try execute("PRAGMA cache_size = -\(Self.readCacheKiB)")
    // Sorts for GROUP BY spill to temporary files past the cache instead of growing in memory.
    try execute("PRAGMA temp_store = FILE")
  }

  /// SQLite's page cache (KiB) at most while a group of files loads: the key index's pages, which
  /// random request ids touch all over, stay in memory between commits.
  static let maximumLoadCacheKiB: Int64 = 262_144
  /// The load's page cache at least (KiB).
  static let minimumLoadCacheKiB: Int64 = 32_768
  /// Cache bytes per stored row while loading: the `key_hash` index took 27.5 bytes per row with
  /// 16-byte BLOB keys (dbstat, 1 M Bedrock calls; integer keys since schema 9 take less), the `ts` index's hot pages and the pages being appended the rest.
  static let loadCacheBytesPerRow: Int64 = 48

  /// The load's page cache (KiB) for a store of `rows` usage rows: room for its random key index,
  /// between ``minimumLoadCacheKiB`` and ``maximumLoadCacheKiB``.
  ///
  /// Not the largest size always: SQLite takes a cache's pages from the heap as it fills it, and
  /// a load fills any cache with the pages it appends, so a month of 1 M calls made the kernel
  /// fault in and zero 256 MiB (`clear_page_erms`, a fifth of the inserting thread). Not smaller
  /// than the index either: with 64 MiB for the 10 M month, index pages went out and back between
  /// commits, 75 GB written against 5.1 GB (`docs/benchmarks.md`, twelfth pass). Past some 9.8 M
  /// rows the index outgrows the ceiling, as it outgrew the fixed 256 MiB before.
  ///
  /// A smaller cache is spilled into the file earlier in a group's transaction, which takes the
  /// exclusive lock: readers of other processes then wait for the group's commit from that point
  /// (an ingest commits every 2 M records; a first load into an empty store once, up to
  /// ``DeferredKeys/maximumKeys``). Only the `usage` rows are counted, not `trace_spans`.
  static func loadCacheKiB(rows: Int64) -> Int64 {
    let (bytes, overflow) = max(0, rows).multipliedReportingOverflow(by: loadCacheBytesPerRow)
    return overflow ? maximumLoadCacheKiB : min(maximumLoadCacheKiB, max(minimumLoadCacheKiB, bytes / 1024))
  }

  /// Sizes the page cache for a load into a store of `rows` usage rows (``loadCacheKiB(rows:)``);
  /// nothing outside ``grouped(_:)``.
  func sizeLoadCache(rows: Int64) throws {
    guard grouping else { return }
    let kib = Self.loadCacheKiB(rows: rows)
    guard kib != loadCacheSetKiB else { return }
    try execute("PRAGMA cache_size = -\(kib)")
    loadCacheSetKiB = kib
  }

  /// The page cache otherwise (KiB).
  ///
  /// A report reads the month once, in time order, and the kernel keeps the file's pages anyway:
  /// with the load's 256 MiB, the pages SQLite took as the pass went (allocated, faulted in and
  /// zeroed by the kernel) were most of a report's memory. Measured on
  /// `report` of the 1 M friendly month, two runs each: 315 and 313 MB peak RSS, 8.2 and 4.4 s,
  /// against 68 MB and 4.1 and 4.8 s with 16 MiB; on the unsorted month, whose time order is
  /// random in the file, 14.2 and 11.9 s against 6.5 and 6.8 s (309 MB against 62 and 76 MB).
  static let readCacheKiB = 16_384

  /// Process-wide settings made once, before the first connection opens: no memory statistics (they
  /// take a global mutex on each of SQLite's allocations, 3 % of an ingest's inserting thread).
  private static let configured: Bool = csqlite_disable_memstatus() == SQLITE_OK

  /// Keeps the rollback journal (`PRAGMA journal_mode = DELETE`): called once the file is known to be
  /// a store of ours, since it may rewrite the header of a database in WAL mode.
  ///
  /// A rollback journal, not WAL: ingest is one big transaction per group of files, which WAL
  /// would write twice (log, then checkpoint); measured 15 s vs 28 s for 1 M Bedrock records. A
  /// process killed mid-group leaves a hot journal that the next open rolls back. FULL syncs once
  /// per commit.
  func useRollbackJournal() throws {
    try execute("PRAGMA journal_mode = DELETE")
  }

  deinit {
    if let handle { sqlite3_close_v2(handle) }
  }

  /// Closes the connection; further use is a programming error.
  package func close() throws {
    guard let h = handle else { return }
    let rc = sqlite3_close_v2(h)
    handle = nil
    guard rc == SQLITE_OK else {
      throw SQLiteError(code: rc, message: "close failed", context: "closing \(path)")
    }
  }

  /// Runs one or more SQL statements that return no rows.
  package func execute(_ sql: String) throws {
    var err: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &err)
    if rc != SQLITE_OK {
      let message = err.map { String(cString: $0) } ?? errorMessage
      sqlite3_free(err)
      throw failure(rc, message: message, context: sql)
    }
  }

  /// Prepares a statement; `persistent` hints SQLite that it will be reused many times.
  package func prepare(_ sql: String, persistent: Bool = false) throws -> Statement {
    try Statement(database: self, sql: sql, persistent: persistent)
  }

  /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
  ///
  /// `BEGIN IMMEDIATE` takes the write lock at once (waiting for another writer as ``StoreLock``
  /// says), so everything `body` reads is what it then writes over: two processes cannot both decide
  /// that a file is new. Readers of other processes keep reading the last commit meanwhile (until
  /// the page cache spills changed pages into the file, which takes the exclusive lock).
  ///
  /// While ``grouped(_:)`` runs, it is part of the group's transaction (begun by the first one),
  /// committed with the group; when `body` throws, the whole group is rolled back, the
  /// transactions before it since the last commit included (the caller loads them again).
  ///
  /// Not a savepoint: within one, SQLite copies every page that existed before it into a
  /// savepoint journal before changing it, so that it can roll back to it. A file's random
  /// request ids change nearly every page of the key index, so each file copied the whole index:
  /// 4 of the 9 GB a 10 M-call month's ingest wrote (40 files), growing with the files times the
  /// store's size. In memory instead of a temporary file, the copies made ingest slower still
  /// (185 s against 138 s); without them, a failure costs loading the group's files again.
  package func transaction<T>(_ body: () throws -> T) throws -> T {
    if grouping {
      if groupOpen {
        // SQLite rolled the group back itself (disk full, I/O error): what it held is gone.
        guard !isAutocommit else { throw groupLost() }
      } else {
        try execute("BEGIN IMMEDIATE")
        groupOpen = true
      }
      do {
        return try body()
      } catch {
        groupOpen = false
        if !isAutocommit { try? execute("ROLLBACK") }
        throw error
      }
    }
    try execute("BEGIN IMMEDIATE")
    do {
      let value = try body()
      try execute("COMMIT")
      return value
    } catch {
      try? execute("ROLLBACK")
      throw error
    }
  }

  /// Runs `body` with its write transactions grouped (``ChargebackStore/grouped(_:)``).
  ///
  /// The first one opens a transaction (`BEGIN IMMEDIATE`, so the writer lock is taken before
  /// anything is read), and the others join it until ``commitGroup()``; one that throws rolls the
  /// group back. Nothing is begun when `body` writes nothing (a run with nothing new needs no write
  /// lock).
  package func grouped<T>(_ body: () throws -> T) throws -> T {
    guard isAutocommit, !grouping else { return try body() }
    grouping = true
    loadCacheSetKiB = nil
    defer {
      grouping = false
      loadCacheSetKiB = nil
      // Shrinking the limit frees the pages above it.
      try? execute("PRAGMA cache_size = -\(Self.readCacheKiB)")
    }
    do {
      // The smallest load size until a file's writer, under the write lock, sizes it by the rows
      // stored (`UsageWriter`).
      try sizeLoadCache(rows: 0)
      let value = try body()
      try commitGroup()
      return value
    } catch {
      if !isAutocommit { try? execute("ROLLBACK") }
      groupOpen = false
      throw error
    }
  }

  /// Commits the open group, if any; throws when SQLite rolled it back itself after a failure
  /// (disk full, I/O error), since nothing of it is then in the store.
  ///
  /// A first load's key index is built first (``buildKeyIndex()``): no commit leaves the store
  /// without it.
  package func commitGroup() throws {
    guard grouping, groupOpen else { return }
    groupOpen = false
    guard !isAutocommit else { throw groupLost() }
    do {
      try buildKeyIndex()
    } catch {
      // Not left open without its index and without the keys that stood for it.
      try? execute("ROLLBACK")
      throw error
    }
    try execute("COMMIT")
  }

  /// Drops the key index (`usage_key`) for a load into an empty `usage` table, inside the group's
  /// open transaction, and keeps the loaded keys in memory instead (``DeferredKeys``, which says
  /// why); nothing outside a group, or when it is dropped already.
  ///
  /// The caller checks that `usage` is empty in this transaction.
  func deferKeyIndex() throws {
    guard grouping, groupOpen, !isAutocommit, undone.deferredKeys == nil else { return }
    guard try scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'usage_key'") == 1
    else { return }
    try execute("DROP INDEX usage_key")
    undone.deferredKeys = DeferredKeys(keyLimit: deferredKeyLimit)
  }

  /// Builds the key index again where a first load dropped it (``deferKeyIndex()``).
  ///
  /// Before the group commits, or when the keys reach ``DeferredKeys/maximumKeys`` (then the
  /// group's periodic commits resume). Sorting the keys once is the cost.
  func buildKeyIndex() throws {
    guard undone.deferredKeys != nil else { return }
    // The keys are freed first, and the sort has the smallest load cache: SQLite's sort holds as
    // much as the page cache may (peak RSS of the 10 M month's ingest 836 MB with the keys and
    // 256 MiB for both, 652 MB without the keys).
    undone.deferredKeys = nil
    let cache = loadCacheSetKiB
    if grouping { try execute("PRAGMA cache_size = -\(Self.minimumLoadCacheKiB)") }
    // The sort on worker threads: at the end of a load the parsing threads are done, and one thread
    // sorting left the other core idle. In the `sqlite3` shell, the 10 M cardinality month's index
    // (a 32 MiB cache, temporary files on disk): 9.4 s with no worker thread, 5.5 s with 2, 6.1 s
    // with 4 (on 2 cores); with the sort in memory (`temp_store = MEMORY`) 14.4 s and 631 MB. Each
    // worker may hold a sorted list of up to the cache's size (32 MiB).
    try execute("PRAGMA threads = \(Self.sortThreads)")
    defer { try? execute("PRAGMA threads = 0") }
    try execute("CREATE UNIQUE INDEX usage_key ON usage(key_hash)")
    if grouping, let cache { try execute("PRAGMA cache_size = -\(cache)") }
  }

  /// Worker threads of SQLite's sort when the key index is built (beside the connection's own): as
  /// many as cores, at most 4.
  static let sortThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

  /// The keys a first load checks in memory before it builds the key index (tests lower it).
  package var deferredKeyLimit = DeferredKeys.maximumKeys

  /// The row id of the last row this connection inserted.
  var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  private func groupLost() -> SQLiteError {
    SQLiteError(
      code: SQLITE_ABORT, message: "SQLite rolled the transaction back after an earlier failure",
      context: "committing the files loaded into \(path)")
  }

  /// Runs `body` in one read transaction.
  ///
  /// Every read in it sees the same commit of the store, even while other processes load files.
  /// Inside a transaction already, `body` just runs in it.
  ///
  /// The shared lock is held until `body` returns; a writer of another process commits only then.
  package func snapshot<T>(_ body: () throws -> T) throws -> T {
    guard isAutocommit else { return try body() }
    try execute("BEGIN DEFERRED")
    do {
      // A deferred transaction starts at its first read: read now, so the snapshot is taken here.
      _ = try scalarInt("SELECT count(*) FROM sqlite_master")
      let value = try body()
      try execute("COMMIT")
      return value
    } catch {
      try? execute("ROLLBACK")
      throw error
    }
  }

  /// True when no transaction is open on this connection.
  var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

  /// The error for a failed call: the store stayed locked (exit 75), the file is damaged or no
  /// database (exit 65), else SQLite's own failure (exit 74).
  func failure(_ rc: Int32, message: String, context: String) -> any ChargebackFailure {
    switch rc & 0xff {
    case SQLITE_BUSY, SQLITE_LOCKED:
      return StoreLockedError(path: path, waited: waiter.gaveUpAfter ?? 0, action: Self.action(context))
    case SQLITE_NOTADB:
      return StoreError.notOurs(path: path, reason: "it is not an SQLite database")
    case SQLITE_CORRUPT:
      return StoreError.damaged(path: path, detail: message)
    default:
      return SQLiteError(code: rc, message: message, context: context)
    }
  }

  /// What a statement was doing, in words, for a lock message.
  private static func action(_ sql: String) -> String {
    let head = sql.trimmingCharacters(in: .blanksAndNewlines).uppercased()
    if head.hasPrefix("PRAGMA") { return "opening it" }
    if head.hasPrefix("SELECT") || head.hasPrefix("BEGIN DEFERRED") { return "reading it" }
    return "writing to it"
  }

  /// Rows changed by the last INSERT/UPDATE/DELETE.
  package var changes: Int { Int(sqlite3_changes(handle)) }

  /// The connection's last error message.
  var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

  /// Reads one integer (first column of the first row), or nil for no row or NULL.
  package func scalarInt(_ sql: String, _ bindings: [SQLValue] = []) throws -> Int64? {
    let st = try prepare(sql)
    try st.bind(bindings)
    guard try st.step() else { return nil }
    return st.isNull(0) ? nil : st.int64(0)
  }
}

/// A value to bind to a statement parameter.
package enum SQLValue: Sendable {
  case int(Int64)
  case text(String)
  case null
}

/// What a rollback takes back from a connection's memory (``Database``'s rollback hook).
final class RolledBack {
  /// The ids of names, which a rollback may have taken out of `names`.
  let names = NameTable()
  /// A first load's keys; a rollback brings back the key index they stand in for.
  var deferredKeys: DeferredKeys?

  func forget() {
    names.forget()
    deferredKeys = nil
  }
}
