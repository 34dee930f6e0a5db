import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// The store of usage records: what ingest writes and every later stage reads (SPEC §8).
package final class UsageStore {
  /// The underlying database.
  package let db: Database

  /// What a command does with the store.
  package enum Access: Sendable {
    /// Reads only (`explain`): the file is identified, and migrated only when it must be.
    case read
    /// Loads or records something (`ingest`, `run`, `report`): checked as ``StoreIntegrity`` says.
    case write
  }

  /// Opens the store at `path` (creating it when missing), after making sure it is one of ours
  /// and, for writing, sound; migrates a store of an earlier version.
  ///
  /// - Throws: ``StoreError`` (exit 65) for another program's database, a damaged store or a newer
  ///   one, with nothing written to it; ``StoreLockedError`` (exit 75) when another process holds
  ///   the store longer than `lock` waits.
  package init(path: String, access: Access = .write, lock: StoreLock = .standard) throws {
    db = try Database(path: path, lock: lock)
    do {
      try StoreIntegrity.prepare(db, forWriting: access == .write)
    } catch {
      try? db.close()
      throw error
    }
  }

  /// Closes the store.
  package func close() throws { try db.close() }

  /// Summary of one ingested file.
  package typealias FileEntry = StoredFile

  /// The file with this content hash, if it was ingested before.
  package func file(sha256: String) throws -> FileEntry? {
    try files(where: "WHERE sha256 = ?", [.text(sha256)]).first
  }

  /// Every file in the store, by path then hash.
  package func files() throws -> [FileEntry] {
    try files(where: "", [])
  }

  private func files(where clause: String, _ bindings: [SQLValue]) throws -> [FileEntry] {
    let st = try db.prepare(
      "SELECT id, sha256, path, format, level, bytes, records, new_records FROM files \(clause) ORDER BY path, sha256")
    try st.bind(bindings)
    var out: [FileEntry] = []
    while try st.step() {
      out.append(
        FileEntry(
          id: st.int64(0), sha256: st.text(1) ?? "", path: st.text(2) ?? "", format: st.text(3) ?? "",
          level: st.text(4) ?? "", bytes: st.int64(5), records: st.int64(6), newRecords: st.int64(7)))
    }
    return out
  }

  /// Records a delivery artifact that ingest skipped; the same path again replaces its row, so
  /// skipping it again changes nothing.
  package func recordSkipped(_ file: SkippedInput) throws {
    let st = try db.prepare(
      """
      INSERT INTO skipped_files(path, sha256, bytes, reason) VALUES (?,?,?,?)
      ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes, reason = excluded.reason
      """)
    try st.bind([.text(file.path), .text(file.sha256), .int(file.bytes), .text(file.reason)])
    try st.run()
  }

  /// Every delivery artifact ingest skipped, by path.
  package func skippedFiles() throws -> [SkippedInput] {
    let st = try db.prepare("SELECT path, sha256, bytes, reason FROM skipped_files ORDER BY path")
    var out: [SkippedInput] = []
    while try st.step() {
      out.append(
        SkippedInput(path: st.text(0) ?? "", sha256: st.text(1) ?? "", bytes: st.int64(2), reason: st.text(3) ?? ""))
    }
    return out
  }

  /// Number of usage records in the store.
  package func recordCount() throws -> Int64 {
    try db.scalarInt("SELECT count(*) FROM usage") ?? 0
  }

  /// Registers a file about to be loaded (inside the caller's transaction) and returns a writer
  /// for its records; ``UsageWriter/finish()`` records the counts.
  package func beginFile(sha256: String, path: String, format: String, level: SourceLevel, bytes: Int64) throws
    -> UsageWriter
  {
    let st = try db.prepare(
      "INSERT INTO files(sha256, path, format, level, bytes, records, new_records) VALUES (?,?,?,?,?,0,0)")
    try st.bind([.text(sha256), .text(path), .text(format), .text(level.rawValue), .int(bytes)])
    try st.run()
    guard let id = try db.scalarInt("SELECT id FROM files WHERE sha256 = ?", [.text(sha256)]) else {
      throw SQLiteError(code: 0, message: "file row vanished", context: "registering \(path)")
    }
    return try UsageWriter(db: db, fileID: id)
  }
}

extension UsageStore {
  /// A setting remembered in the store (`settings` table), or nil.
  package func setting(_ name: String) throws -> String? {
    let st = try db.prepare("SELECT value FROM settings WHERE name = ?")
    try st.bind(1, name)
    return try st.step() ? st.text(0) : nil
  }

  /// Remembers a setting.
  package func setSetting(_ name: String, _ value: String) throws {
    let st = try db.prepare(
      "INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
    try st.bind(1, name)
    try st.bind(2, value)
    try st.run()
  }
}

extension UsageStore: ChargebackStore {
  package var location: String { db.path }

  package func write<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }

  package func snapshot<T>(_ body: () throws -> T) throws -> T { try db.snapshot(body) }

  package func grouped<T>(_ body: () throws -> T) throws -> T { try db.grouped(body) }

  /// True: the group is one transaction without savepoints (``Database/transaction(_:)``).
  package var failureRollsBackGroup: Bool { true }

  package func commitGroup() throws { try db.commitGroup() }

  package var keyIndexWaitsForCommit: Bool { db.deferredKeys != nil }

  /// One file in one `BEGIN IMMEDIATE` transaction: the write lock is taken before parsing, so
  /// whether the file is new is decided under it.
  package func load(
    _ file: NewFile, stream: (any UsageSink) throws -> Void, merged: (LoadedFile) throws -> Void
  ) throws -> FileLoad {
    try db.transaction {
      if let known = try self.file(sha256: file.sha256) { return .known(known) }
      let writer = try beginFile(
        sha256: file.sha256, path: file.path, format: file.format, level: file.level, bytes: file.bytes)
      try stream(writer)
      let loaded = LoadedFile(
        fileID: writer.fileID, offered: writer.offered, inserted: writer.inserted, conflicts: writer.conflicts,
        touchedTraces: writer.touchedTraces, newMonths: writer.newMonths)
      try merged(loaded)
      try writer.finish()
      return .loaded(loaded)
    }
  }
}
