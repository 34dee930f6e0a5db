internal import CSQLite

/// A prepared statement owned by a ``Database``.
package final class Statement {
  private var handle: OpaquePointer?
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
    try check(sqlite3_bind_int64(handle, index, value))
  }

  /// Binds text to parameter `index` (1-based); nil binds NULL.
  package func bind(_ index: Int32, _ value: String?) throws {
    guard let value else { return try bindNull(index) }
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
}
