internal import CSQLite

/// A prepared statement owned by a ``Database``.
package final class Statement {
  // Why `@exclusivity(unchecked)` on the properties the usage insert touches for each parameter:
  // a statement is used by one thread, and none of its methods calls back into it while it changes
  // one, so no access can overlap; the run-time check of each access (`swift_beginAccess` and a
  // thread-local look-up) was 12 % of the inserting thread, which sets the ingest's pace (perf,
  // 1 M Bedrock calls). The compiler's static checks still apply; the run-time check is off in
  // every build, tests included.
  @exclusivity(unchecked) private var handle: OpaquePointer?
  private let database: Database
  private let sql: String

  init(database: Database, sql: String, persistent: Bool) throws {
    self.database = database
    self.sql = sql
    var st: OpaquePointer?
    let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
    let rc = sqlite3_prepare_v3(database.handle, sql, -1, flags, &st, nil)
    guard rc == SQLITE_OK, let st else {
      throw database.failure(rc, message: database.errorMessage, context: sql)
    }
    handle = st
  }

  deinit {
    if let handle { sqlite3_finalize(handle) }
    rowText.free()
  }

  /// Finalizes the statement now.
  package func close() {
    if let handle { sqlite3_finalize(handle) }
    handle = nil
  }

  /// Binds `values` to parameters 1…n.
  package func bind(_ values: [SQLValue]) throws {
    for (i, v) in values.enumerated() {
      switch v {
      case .int(let x): try bind(Int32(i + 1), x)
      case .text(let s): try bind(Int32(i + 1), s)
      case .null: try bindNull(Int32(i + 1))
      }
    }
  }

  /// Binds an integer to parameter `index` (1-based).
  package func bind(_ index: Int32, _ value: Int64) throws {
    forget(index)
    try check(sqlite3_bind_int64(handle, index, value))
  }

  /// Binds text to parameter `index` (1-based); nil binds NULL.
  package func bind(_ index: Int32, _ value: String?) throws {
    guard let value else { return try bindNull(index) }
    forget(index)
    var s = value
    let rc = s.withUTF8 { buf in
      sqlite3_bind_text(
        handle, index, UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self),
        Int32(buf.count), csqlite_transient())
    }
    try check(rc)
  }

  /// Binds bytes as a BLOB to parameter `index` (1-based).
  package func bind(_ index: Int32, blob: [UInt8]) throws {
    forget(index)
    let rc = blob.withUnsafeBytes { buf in
      sqlite3_bind_blob(handle, index, buf.baseAddress, Int32(buf.count), csqlite_transient())
    }
    try check(rc)
  }

  /// Binds an optional integer; nil binds NULL.
  package func bind(_ index: Int32, _ value: Int64?) throws {
    guard let value else { return try bindNull(index) }
    try bind(index, value)
  }

  /// Binds NULL to parameter `index`.
  package func bindNull(_ index: Int32) throws {
    forget(index)
    try check(sqlite3_bind_null(handle, index))
  }

  /// Steps once: true when a row is available, false when done.
  package func step() throws -> Bool {
    let rc = sqlite3_step(handle)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default: throw database.failure(rc, message: database.errorMessage, context: sql)
    }
  }

  /// Resets for another execution and clears bindings.
  package func reset() {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
    forgetRowBindings()
  }

  /// Executes a statement that returns no rows, then resets it.
  package func run() throws {
    defer { reset() }
    _ = try step()
  }

  /// Executes a statement that returns no rows and resets it, keeping its bindings: for a statement
  /// whose every parameter is bound again before the next run (the usage insert).
  package func runKeepingBindings() throws {
    defer { sqlite3_reset(handle) }
    _ = try step()
  }

  /// Column `i` (0-based) as an integer.
  package func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

  /// Column `i` as text; nil for NULL.
  package func text(_ i: Int32) -> String? {
    guard let p = sqlite3_column_text(handle, i) else { return nil }
    let n = Int(sqlite3_column_bytes(handle, i))
    return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
  }

  /// Column `i`'s UTF-8 bytes, valid until the next step; nil for NULL.
  func bytes(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
    guard let p = sqlite3_column_text(handle, i) else { return nil }
    return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i)))
  }

  /// Column `i` as an integer; nil for NULL.
  package func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }

  /// True when column `i` is NULL.
  package func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }

  private func check(_ rc: Int32) throws {
    guard rc == SQLITE_OK else {
      throw database.failure(rc, message: database.errorMessage, context: sql)
    }
  }

  // MARK: - Bound row after row

  /// What a parameter holds when it was last bound by ``bindRow(_:_:)``: binding the same NULL or
  /// integer again is skipped (`runKeepingBindings` keeps bindings from one run to the next).
  private enum Held: Equatable {
    case unknown, null, int(Int64)
  }

  @exclusivity(unchecked) private var held: [Held] = []
  /// The current row's texts and blobs, bound without a copy of SQLite's own.
  @exclusivity(unchecked) private var rowText = RowBytes()

  private func forget(_ index: Int32) {
    if Int(index) < held.count { held[Int(index)] = .unknown }
  }

  private func forgetRowBindings() {
    for i in held.indices { held[i] = .unknown }
  }

  /// Begins the parameters of the next run of a statement bound row after row (the usage insert).
  ///
  /// Why by hand: each `sqlite3_bind_text` with `SQLITE_TRANSIENT` is a `malloc`, a copy and a
  /// `free` inside SQLite, and a third of a Bedrock row's 41 parameters are the same NULL or integer
  /// as in the row before; both were a tenth of the inserting thread (perf, 1 M calls). The texts
  /// are copied once into memory the statement owns and bound as `SQLITE_STATIC`: it stays put
  /// until the next `beginRow`, after the run, and every text parameter of a run is bound again
  /// before the next one (a text is never skipped), so no run reads a stale one.
  package func beginRow() {
    if held.isEmpty { held = Array(repeating: .unknown, count: Int(sqlite3_bind_parameter_count(handle)) + 1) }
    rowText.startRow()
  }

  /// Binds an integer or NULL for the current row; the same value as the run before is not bound again.
  package func bindRow(_ index: Int32, _ value: Int64?) throws {
    let now: Held = value.map { .int($0) } ?? .null
    guard held[Int(index)] != now else { return }
    held[Int(index)] = .unknown
    if let value {
      try check(sqlite3_bind_int64(handle, index, value))
    } else {
      try check(sqlite3_bind_null(handle, index))
    }
    held[Int(index)] = now
  }

  /// Binds text (or NULL) for the current row, from a copy that lasts until the next ``beginRow()``.
  package func bindRow(_ index: Int32, text value: String?) throws {
    guard let value else { return try bindRow(index, nil) }
    held[Int(index)] = .unknown
    let copied =
      value.utf8.withContiguousStorageIfAvailable { rowText.copy(UnsafeRawBufferPointer($0)) }
      ?? {
        var s = value; return s.withUTF8 { rowText.copy(UnsafeRawBufferPointer($0)) }
      }()
    try check(
      sqlite3_bind_text(
        handle, index, copied.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(copied.count), nil))
  }

  /// Binds a BLOB for the current row, from a copy that lasts until the next ``beginRow()``.
  package func bindRow(_ index: Int32, blob: [UInt8]) throws {
    held[Int(index)] = .unknown
    let copied = blob.withUnsafeBytes { rowText.copy($0) }
    try check(sqlite3_bind_blob(handle, index, copied.baseAddress, Int32(copied.count), nil))
  }
}

/// Bytes that stay where they are until the next row: chunks that never move, the later ones
/// merged into one at the start of a row that needed more than the first.
private struct RowBytes {
  private var chunks: [(base: UnsafeMutableRawPointer, size: Int)] = []
  private var used = 0
  private var total = 0

  mutating func startRow() {
    // A row of huge texts (a hostile 20 MB task id) does not keep its memory for the rest of the file.
    if total > 1 << 20 {
      free()
    } else if chunks.count > 1 {
      let size = total
      free()
      chunks = [(UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16), size)]
      total = size
    }
    used = 0
  }

  /// A copy of `bytes`, at a non-nil address even when empty (NULL would bind SQL NULL).
  mutating func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    if chunks.isEmpty || used + bytes.count > chunks[chunks.count - 1].size {
      let size = max(4096, bytes.count)
      chunks.append((UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16), size))
      total += size
      used = 0
    }
    let start = chunks[chunks.count - 1].base + used
    if let base = bytes.baseAddress, !bytes.isEmpty { start.copyMemory(from: base, byteCount: bytes.count) }
    used += bytes.count
    return UnsafeRawBufferPointer(start: start, count: bytes.count)
  }

  mutating func free() {
    for c in chunks { c.base.deallocate() }
    chunks = []
    total = 0
    used = 0
  }
}
