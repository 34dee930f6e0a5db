import ChargebackModel
import Foundation

/// When the store's pages are verified with `PRAGMA quick_check`, and the record of the last check.
///
/// Measured on 2 cores: on a synthetic store of 1 M usage rows (325 MB) `quick_check` takes 1.5 s,
/// `integrity_check` 5 s (it also matches every index entry against its row); on the 1 M-record
/// store of `make bench`'s generator (382 MB), 1.1 s and 4 s of CPU. Checking on every run would
/// make a daily re-run's cost grow with the store's whole history, not with the day's data, so a
/// store is checked before it is written to when:
/// - it is not the file last checked (another device or inode: a copy, a restore, a replacement),
/// - it has no record of a check (a store of an earlier version, or one never checked),
/// - a migration is due, or
/// - ``interval`` writing runs have passed since the last check (weekly for a daily job).
///
/// In between, damage SQLite meets while reading or writing a page still stops the run (exit 65).
enum StoreIntegrity {
  /// Writing runs between two checks of a store that stays in place.
  static let interval = 7
  /// The `settings` row that records the last check: `<device>:<inode> <runs since>`.
  static let setting = "store.quick_check"

  /// Makes `db` ready for use, or refuses it.
  ///
  /// Refuses a database that is not a store of ours (or is newer) and, for writing (or when a
  /// migration is due), checks it as the policy says, migrates it and records the check, all in one
  /// write transaction. Nothing is written to a refused file.
  static func prepare(_ db: Database, forWriting: Bool) throws {
    let identity = try db.snapshot { try Schema.Identity(db) }
    try identity.check(path: db.path)
    if !identity.isEmpty { try db.useRollbackJournal() }
    guard forWriting || !identity.isCurrent else { return }
    let file = fileIdentity(db.path)
    var runs = 0
    try Schema.migrate(db) { identity in
      // Inside the write transaction, on what the file holds now (another process may have set it up).
      guard !identity.isEmpty else { return }
      let last = identity.version >= 2 ? try lastCheck(db) : nil
      if let last, last.file == file, last.runs + 1 < interval, identity.isCurrent {
        runs = last.runs + 1
      } else {
        try quickCheck(db)
      }
    } afterWriting: {
      try record(db, file: file, runs: runs)
    }
  }

  /// Runs `PRAGMA quick_check`; throws ``StoreError/damaged(path:detail:)`` with its first findings.
  static func quickCheck(_ db: Database) throws {
    let st = try db.prepare("PRAGMA quick_check(3)")
    var problems: [String] = []
    while try st.step() { problems.append(st.text(0) ?? "") }
    guard problems != ["ok"] else { return }
    let detail = problems.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "; ")
    throw StoreError.damaged(path: db.path, detail: "quick_check: " + detail)
  }

  /// `<device>:<inode>` of the file at `path`, from `stat` (no descriptor is opened, so SQLite's
  /// POSIX locks on the file are left alone); empty when it cannot be read.
  static func fileIdentity(_ path: String) -> String {
    guard let a = try? FileManager.default.attributesOfItem(atPath: path),
      let device = a[.systemNumber] as? NSNumber, let inode = a[.systemFileNumber] as? NSNumber
    else { return "" }
    return "\(device.uint64Value):\(inode.uint64Value)"
  }

  private static func lastCheck(_ db: Database) throws -> (file: String, runs: Int)? {
    let st = try db.prepare("SELECT value FROM settings WHERE name = ?")
    try st.bind(1, setting)
    guard try st.step(), let value = st.text(0) else { return nil }
    let parts = value.split(separator: " ")
    guard parts.count == 2, let runs = Int(parts[1]) else { return nil }
    return (String(parts[0]), runs)
  }

  private static func record(_ db: Database, file: String, runs: Int) throws {
    let st = try db.prepare(
      "INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
    try st.bind(1, setting)
    try st.bind(2, "\(file) \(runs)")
    try st.run()
  }
}
