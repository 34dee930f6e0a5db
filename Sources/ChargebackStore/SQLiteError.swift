import ChargebackModel
import Foundation

/// A failure reported by SQLite, with the statement or action that caused it.
package struct SQLiteError: ChargebackFailure {
  /// SQLite's result code.
  package let code: Int32
  /// SQLite's message.
  package let message: String
  /// What we were doing (`opening chargeback.sqlite`, the SQL text).
  package let context: String

  package var description: String {
    var text = "SQLite error \(code) while \(Self.shown(context)): \(message)"
    // SQLITE_FULL (13): the store's disk, or the folder of SQLite's temporary files (a first
    // load builds its key index there), is full; say which folders those are.
    if code & 0xFF == 13 { text += "; " + Self.fullHint }
    // SQLITE_READONLY (8): a store this user may not write (a trial ran as another user and read
    // only SQL); SQLite writes a journal beside it, so its folder must be writable too.
    if code & 0xFF == 8 {
      text +=
        "; the store (--db) is read-only for this user: it and its folder (SQLite writes a journal"
        + " beside it) must be writable, or give --db a store this user may write"
    }
    return text
  }

  package var exitStatus: Int32 { ExitStatus.ioError }

  /// The first line of a statement, at most 200 characters: a script of several statements made
  /// a message of a kilobyte (a helper's trial, with its temporary folder full).
  static func shown(_ context: String) -> String {
    let lines = context.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true)
    let first = lines.first.map(String.init) ?? context
    if first.count > 200 { return String(first.prefix(200)) + "…" }
    return lines.count > 1 ? first + " …" : first
  }

  /// Where SQLite writes its temporary files (SQLITE_TMPDIR, else TMPDIR, else /var/tmp), for the
  /// message of a full disk.
  static var fullHint: String {
    let env = ProcessInfo.processInfo.environment
    let folder = [env["SQLITE_TMPDIR"], env["TMPDIR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "/var/tmp"
    return "the store's disk or \(folder), where SQLite keeps its temporary files, has no room left (or a"
      + " file-size limit, ulimit -f, stopped a file); free some, or set TMPDIR to a folder with room"
  }
}
