import ChargebackModel
import ChargebackStore
import ChargebackStorePostgres
import Foundation

/// Opens the store `--db` names.
///
/// An SQLite file path, or a `postgres://` URL (docs/postgres.md §1). Either is checked to be ours and migrated, as ``UsageStore/init(path:access:lock:)`` says.
///
/// - Throws: ``StoreURLError`` (exit 64) for a malformed URL; the store's own errors otherwise.
func openStore(_ db: String, access: UsageStore.Access = .write, lock: StoreLock = .standard) throws
  -> any ChargebackStore
{
  switch try StoreLocation(db) {
  case .sqlite(let path):
    return try UsageStore(path: path, access: access, lock: lock)
  case .postgres(let url):
    return try PostgresStore(url: url, access: access, lock: lock)
  }
}

/// Opens a store that must exist already (`report`, `explain`).
///
/// - Throws: ``InputMissingError`` (exit 66) when there is no store there.
func openExistingStore(_ db: String, access: UsageStore.Access) throws -> any ChargebackStore {
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
