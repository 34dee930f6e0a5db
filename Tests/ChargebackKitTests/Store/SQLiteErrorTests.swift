import Foundation
import Testing

@testable import ChargebackStore

/// SQLite's failures as the terminal shows them: short, and saying what to do when a disk is full.
@Suite struct SQLiteErrorTests {
  @Test func aScriptIsShownByItsFirstLineAndAFullDiskSaysWhere() {
    let script = "DROP TABLE usage;\nALTER TABLE usage_new RENAME TO usage;\n" + String(repeating: "x", count: 1_000)
    let full = SQLiteError(code: 13, message: "database or disk is full", context: script)
    #expect(full.description.hasPrefix("SQLite error 13 while DROP TABLE usage; …: database or disk is full; "))
    #expect(full.description.count < 400, "\(full.description.count) characters")
    let env = ProcessInfo.processInfo.environment
    let folder = [env["SQLITE_TMPDIR"], env["TMPDIR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "/var/tmp"
    #expect(full.description.contains(folder) && full.description.contains("TMPDIR"))
    // An extended code of SQLITE_FULL says the same; other codes say nothing of disks.
    #expect(SQLiteError(code: 13 | (1 << 8), message: "m", context: "c").description.contains("no room left"))
    let busy = SQLiteError(code: 5, message: "database is locked", context: "BEGIN IMMEDIATE")
    #expect(busy.description == "SQLite error 5 while BEGIN IMMEDIATE: database is locked")
    // A long single line is cut at 200 characters.
    let long = SQLiteError(code: 1, message: "m", context: String(repeating: "y", count: 500))
    #expect(long.description == "SQLite error 1 while " + String(repeating: "y", count: 200) + "…: m")
  }

  /// A store this user may not write says so and what to do, with SQLite's extended codes too (a trial read only the
  /// SQL of an INSERT); other codes say nothing of it.
  @Test func aReadOnlyStoreSaysWhatMustBeWritable() {
    for code: Int32 in [8, 8 | (1 << 8), 8 | (5 << 8)] {
      let e = SQLiteError(code: code, message: "attempt to write a readonly database", context: "INSERT INTO settings")
      #expect(e.description.contains("the store (--db) is read-only for this user"), "\(e.description)")
    }
    #expect(!SQLiteError(code: 1, message: "m", context: "c").description.contains("read-only"))
  }
}
