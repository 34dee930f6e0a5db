import ChargebackModel
import ChargebackStore
import ChargebackStorePostgres
import ChargebackSupport
import Foundation

/// Opens the store `--db` names.
///
/// An SQLite file path, or a `postgres://` URL (docs/postgres.md §1). Either is checked to be ours and migrated, as ``UsageStore/init(path:access:lock:)`` says.
///
/// - Throws: ``StoreURLError`` (exit 64) for a malformed URL; the store's own errors otherwise.
func openStore(_ db: String, access: UsageStore.Access = .write, lock: StoreLock = .standard) throws
  -> any ChargebackStore
{
  try checkLockWait()
  switch try StoreLocation(db) {
  case .sqlite(let path):
    // SQLite says only "unable to open database file" when the folder is missing.
    let folder = PathText.parent(of: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw OutputError.cannotCreate(path, "the folder of --db, \(folder), does not exist; create it first")
    }
    // And "unable to open database file" for a folder given as the store, or a new store in a
    // folder this user may not write (a trial read SQLite's words).
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw OutputError.cannotCreate(
        path, "is a folder: --db names the store's file (an SQLite file) or a postgres:// URL")
    }
    if access == .write, !FileManager.default.fileExists(atPath: path), Foundation.access(folder, W_OK) != 0 {
      throw OutputError.cannotCreate(path, "the folder of --db, \(folder), is not writable by this user")
    }
    return try UsageStore(path: path, access: access, lock: lock)
  case .postgres(let url):
    return try PostgresStore(url: url, access: access, lock: lock)
  }
}

/// Opens a store that must exist already (`report`, `explain`).
///
/// - Throws: ``InputMissingError`` (exit 66) when there is no store there.
func openExistingStore(_ db: String, access: UsageStore.Access) throws -> any ChargebackStore {
  try checkLockWait()
  switch try StoreLocation(db) {
  case .sqlite(let path):
    guard FileManager.default.fileExists(atPath: path) else {
      throw InputMissingError(path: path, reason: "no store here; run `chargeback ingest` or `chargeback run` first")
    }
    return try UsageStore(path: path, access: access)
  case .postgres(let url):
    return try PostgresStore(url: url, access: access, create: false)
  }
}

/// Refuses a lock wait the environment sets that is no number of seconds
/// (``StoreLock/environmentProblem``), before a store is opened; `--help` and `--version` open
/// none, and are not refused (a review).
func checkLockWait() throws {
  if let problem = StoreLock.environmentProblem { throw LockWaitError(problem: problem) }
}

/// `CHARGEBACK_LOCK_WAIT` is set to something other than a number of seconds (exit 64).
struct LockWaitError: ChargebackFailure, Sendable {
  var problem: String
  var description: String { problem }
  var exitStatus: Int32 { ExitStatus.usage }
}
