import ChargebackModel
import ChargebackStore
import ChargebackSupport
import Crypto
import Foundation

/// The store in one PostgreSQL schema (docs/postgres.md): the same tables, rows, ids and order as
/// the SQLite store, so that a report gives byte-identical outputs from either.
///
/// One connection, used from one thread at a time; several processes (on several machines) may
/// load files into one store at once: each file is staged in parallel and merged under the
/// store's writer lock (an advisory lock), in one transaction.
package final class PostgresStore: ChargebackStore {
  let c: PGConnection
  let url: PostgresURL
  let lock: StoreLock
  /// True while a transaction (`write`, `snapshot`, `load`) is open on the connection.
  var inTransaction = false
  /// True on Citus (docs/postgres.md §7): a report's snapshot takes the writer lock shared.
  ///
  /// Citus's snapshots hold per shard, not across the cluster, so a report's snapshot holds the writer lock in shared mode, and a file's merge cannot commit on
  /// some workers while the report reads. Plain PostgreSQL's REPEATABLE READ needs no lock.
  var snapshotsTakeWriterLock = false
  /// True once this process has said it waits for the lock: parallel ingests take turns at every
  /// file's merge, and one line says what is going on.
  private var saidWaiting = false

  package var location: String { url.shown }

  /// Connects, checks the schema is ours (creating it when `access` writes) and migrates it.
  ///
  /// - Throws: ``StoreError`` (65) for a schema not ours or newer, ``InputMissingError`` (66) when
  ///   the database or, for reading, the schema is missing, ``PostgresStoreError`` for the server.
  ///
  /// `create` false (`report`, `explain`): a missing schema is ``InputMissingError`` (66), not set up.
  package init(url: PostgresURL, access: UsageStore.Access = .write, lock: StoreLock = .standard, create: Bool = true)
    throws
  {
    self.url = url
    self.lock = lock
    do {
      c = try PGConnection.connect(url)
    } catch let e as PostgresStoreError where e.sqlState == "3D000" {
      throw InputMissingError(path: url.shown, reason: "the database \(url.database) does not exist; create it first")
    }
    do {
      try PostgresSchema.prepare(
        c, schema: url.schema, writerLock: { try writerLock() }, create: create && access == .write)
      snapshotsTakeWriterLock = try c.scalarInt("SELECT count(*) FROM pg_extension WHERE extname = 'citus'") ?? 0 > 0
    } catch {
      c.close()
      throw error
    }
  }

  package func close() throws { c.close() }

  // MARK: Locks and transactions

  /// The writer lock's second key: the first 4 bytes of SHA-256 of the schema name.
  var writerKey: Int64 { Self.writerKey(schema: url.schema) }

  /// The writer lock's second key for a schema.
  static func writerKey(schema: String) -> Int64 {
    let digest = Array(SHA256.hash(data: Data(schema.utf8)))
    return Int64(Int32(bitPattern: digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
  }

  /// Takes the store's writer lock for the open transaction.
  func writerLock() throws {
    try advisoryLock("pg_try_advisory_xact_lock(1413694027, \(writerKey)::int4)", "writing to it")
  }

  /// Takes a file's lock (the first 8 bytes of its SHA-256) for the open transaction.
  func fileLock(_ sha256: String) throws {
    let key = Int64(bitPattern: UInt64(sha256.prefix(16), radix: 16) ?? 0)
    try advisoryLock("pg_try_advisory_xact_lock(\(key)::bigint)", "loading a file with the same content")
  }

  /// Tries the lock; when another process holds it, says so (once per process) and waits as
  /// ``StoreLock`` says.
  private func advisoryLock(_ tryCall: String, _ action: String) throws {
    if try c.scalarInt("SELECT " + tryCall) == 1 { return }
    if !saidWaiting {
      saidWaiting = true
      lock.notice(
        "waiting for the store lock held by another chargeback… (\(url.shown), up to \(Int(lock.wait)) s at a time)")
    }
    let started = ContinuousClock.now
    let wait = tryCall.replacingOccurrences(of: "pg_try_advisory", with: "pg_advisory")
    do {
      try c.execute("SET LOCAL lock_timeout = '\(max(1, Int(lock.wait * 1000)))ms'")
      try c.execute("SELECT " + wait)
      try c.execute("SET LOCAL lock_timeout = 0")
    } catch let e as PostgresStoreError where e.sqlState == "55P03" {
      let waited = ContinuousClock.now - started
      throw StoreLockedError(
        path: url.shown, waited: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18,
        action: action)
    }
  }

  package func write<T>(_ body: () throws -> T) throws -> T {
    guard !inTransaction else { return try body() }
    return try transaction("BEGIN") {
      try writerLock()
      return try body()
    }
  }

  /// Files are committed one by one: a `COPY` into PostgreSQL does not rewrite the key index the
  /// way a SQLite commit does (``ChargebackStore/grouped(_:)``).
  package func grouped<T>(_ body: () throws -> T) throws -> T { try body() }

  /// False: each file commits on its own.
  package var failureRollsBackGroup: Bool { false }

  /// False: each file's `COPY` is committed with its own file.
  package var keyIndexWaitsForCommit: Bool { false }

  package func commitGroup() throws {}

  package func snapshot<T>(_ body: () throws -> T) throws -> T {
    guard !inTransaction else { return try body() }
    return try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
      if snapshotsTakeWriterLock {
        try advisoryLock("pg_try_advisory_xact_lock_shared(1413694027, \(writerKey)::int4)", "reading a snapshot of it")
      }
      _ = try c.scalarInt("SELECT 1")
      return try body()
    }
  }

  func transaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
    try c.execute(begin)
    inTransaction = true
    defer { inTransaction = false }
    do {
      let value = try body()
      try c.execute("COMMIT")
      return value
    } catch {
      try? c.execute("ROLLBACK")
      throw error
    }
  }

  // MARK: Files, skipped files, stamps, settings

  static let fileColumns = "SELECT id, sha256, path, format, level, bytes, records, new_records FROM files"

  static func storedFile(_ r: PGRow) -> StoredFile {
    StoredFile(
      id: r.int64(0), sha256: r.text(1) ?? "", path: r.text(2) ?? "", format: r.text(3) ?? "", level: r.text(4) ?? "",
      bytes: r.int64(5), records: r.int64(6), newRecords: r.int64(7))
  }

  package func file(sha256: String) throws -> StoredFile? {
    try c.rows(Self.fileColumns + " WHERE sha256 = $1", [.text(sha256)]).first.map(Self.storedFile)
  }

  package func files() throws -> [StoredFile] {
    try c.rows(Self.fileColumns + " ORDER BY path, sha256").map(Self.storedFile)
  }

  package func fileCount(level: SourceLevel) throws -> Int64 {
    try c.scalarInt("SELECT count(*) FROM files WHERE level = $1", [.text(level.rawValue)]) ?? 0
  }

  package func recordCount() throws -> Int64 { try c.scalarInt("SELECT count(*) FROM usage") ?? 0 }

  static func hash(_ text: String) -> PGValue { .bytes(KeyHash.of(text)) }

  package func recordSkipped(_ file: SkippedInput) throws {
    try c.execute(
      """
      INSERT INTO skipped_files (path_hash, path, sha256, bytes, reason) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (path_hash) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes, reason = excluded.reason
      """, [Self.hash(file.path), .text(file.path), .text(file.sha256), .int(file.bytes), .text(file.reason)])
  }

  static func skipped(_ r: PGRow) -> SkippedInput {
    SkippedInput(path: r.text(0) ?? "", sha256: r.text(1) ?? "", bytes: r.int64(2), reason: r.text(3) ?? "")
  }

  package func skippedFiles() throws -> [SkippedInput] {
    try c.rows("SELECT path, sha256, bytes, reason FROM skipped_files ORDER BY path").map(Self.skipped)
  }

  package func skippedFile(path: String) throws -> SkippedInput? {
    try c.rows("SELECT path, sha256, bytes, reason FROM skipped_files WHERE path_hash = $1", [Self.hash(path)])
      .first.map(Self.skipped).flatMap { $0.path == path ? $0 : nil }
  }

  package func fileStamps() throws -> [String: FileStamp] {
    var out: [String: FileStamp] = [:]
    for r in try c.rows("SELECT path, bytes, mtime_ns, sha256 FROM file_stamps") {
      out[r.text(0) ?? ""] = FileStamp(bytes: r.int64(1), mtimeNs: r.int64(2), sha256: r.text(3) ?? "")
    }
    return out
  }

  package func setFileStamp(_ path: String, _ stamp: FileStamp) throws {
    try c.execute(
      """
      INSERT INTO file_stamps (path_hash, path, bytes, mtime_ns, sha256) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (path_hash) DO UPDATE SET bytes = excluded.bytes, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256
      """, [Self.hash(path), .text(path), .int(stamp.bytes), .int(stamp.mtimeNs), .text(stamp.sha256)])
  }

  package func setting(_ name: String) throws -> String? {
    try c.rows("SELECT value FROM settings WHERE name = $1", [.text(name)]).first?.text(0)
  }

  package func setSetting(_ name: String, _ value: String) throws {
    try c.execute(
      "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      [.text(name), .text(value)])
  }

  // MARK: Closed periods

  package func reportedTotals(_ period: Period) throws -> PeriodContext.Totals? {
    let rows = try c.rows(
      "SELECT dimension, cost_centre, item, cost_pico FROM period_totals WHERE period = $1 ORDER BY 1, 2, 3",
      [.text(period.description)])
    guard !rows.isEmpty else { return nil }
    var totals = PeriodContext.Totals()
    for r in rows {
      let cc = r.text(1) ?? ""
      let item = PeriodContext.Item(costCentre: cc, item: r.text(2) ?? "")
      let cost = Money(pico: Int128(r.text(3) ?? "") ?? 0)
      switch r.text(0) {
      case "cost_centre": totals.costCentres[cc] = cost
      case "agent": totals.agents[item] = cost
      case "model": totals.models[item] = cost
      // The cost_pico column holds the cents the outputs printed.
      case "cost_centre_cents": totals.printedCostCentres[cc] = cost.pico
      default: break
      }
    }
    return totals
  }

  package func setReportedTotals(_ period: Period, _ totals: PeriodContext.Totals) throws {
    try write {
      try c.execute("DELETE FROM period_totals WHERE period = $1", [.text(period.description)])
      func put(_ dimension: String, _ cc: String, _ item: String, _ cost: Money) throws {
        let p = period.description
        try c.execute(
          """
          INSERT INTO period_totals (key_hash, period, dimension, cost_centre, item, cost_pico)
          VALUES ($1, $2, $3, $4, $5, $6)
          """,
          [
            Self.hash([p, dimension, cc, item].joined(separator: "\u{0}")), .text(p), .text(dimension), .text(cc),
            .text(item), .text(String(cost.pico)),
          ])
      }
      for (cc, cost) in totals.costCentres { try put("cost_centre", cc, "", cost) }
      for (k, cost) in totals.agents { try put("agent", k.costCentre, k.item, cost) }
      for (k, cost) in totals.models { try put("model", k.costCentre, k.item, cost) }
      for (cc, cents) in totals.printedCostCentres { try put("cost_centre_cents", cc, "", Money(pico: cents)) }
    }
  }

  package func contentDigest(previous: String) throws -> String {
    var text = ""
    let period = previous.filter { $0.isNumber || $0 == "-" }
    for (sql, label) in [
      ("SELECT sha256 || ' ' || records || ' ' || new_records FROM files ORDER BY id", "files"),
      ("SELECT sha256 || ' ' || path || ' ' || reason FROM skipped_files ORDER BY path", "skipped"),
      ("SELECT count(*) || ' ' || coalesce(max(id), 0) FROM conflicts", "conflicts"),
      // Pages kept since the files were loaded (a store's earlier loads, a moved file met again)
      // change what the report says of missing pages.
      ("SELECT count(*) || ' pages' FROM export_pages", "pages"),
      (
        "SELECT dimension || ' ' || cost_centre || ' ' || item || ' ' || cost_pico FROM period_totals"
          + " WHERE period = '\(period)' ORDER BY dimension, cost_centre, item", "totals"
      ),
    ] {
      text += label + "\n"
      for r in try c.rows(sql) { text += (r.text(0) ?? "") + "\n" }
    }
    return SHA256.hash(data: Data(text.utf8)).lowercaseHex
  }
}
