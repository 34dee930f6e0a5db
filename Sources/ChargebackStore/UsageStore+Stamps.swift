import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// What a path held when it was last hashed, so that a daily run skips the files it has seen
/// without reading them again (SPEC §8: re-ingesting changes nothing; this makes it cheap).
package struct FileStamp: Sendable, Hashable {
  /// Size in bytes.
  package var bytes: Int64
  /// Modification time, nanoseconds since the epoch.
  package var mtimeNs: Int64
  /// SHA-256 of the bytes, hex.
  package var sha256: String

  package init(bytes: Int64, mtimeNs: Int64, sha256: String) {
    self.bytes = bytes
    self.mtimeNs = mtimeNs
    self.sha256 = sha256
  }

  /// The size and modification time of the file at `path` (links followed), or nil when it cannot
  /// be read.
  package static func of(_ path: String) -> (bytes: Int64, mtimeNs: Int64)? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
  }
}

extension UsageStore {
  /// Every stamp, by path.
  package func fileStamps() throws -> [String: FileStamp] {
    let st = try db.prepare("SELECT path, bytes, mtime_ns, sha256 FROM file_stamps")
    var out: [String: FileStamp] = [:]
    while try st.step() {
      out[st.text(0) ?? ""] = FileStamp(bytes: st.int64(1), mtimeNs: st.int64(2), sha256: st.text(3) ?? "")
    }
    return out
  }

  /// Records what `path` holds (inside the caller's transaction, or on its own).
  package func setFileStamp(_ path: String, _ stamp: FileStamp) throws {
    let st = try db.prepare(
      """
      INSERT INTO file_stamps(path, bytes, mtime_ns, sha256) VALUES (?,?,?,?)
      ON CONFLICT(path) DO UPDATE SET bytes = excluded.bytes, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256
      """)
    try st.bind([.text(path), .int(stamp.bytes), .int(stamp.mtimeNs), .text(stamp.sha256)])
    try st.run()
  }

  /// The skipped delivery artifact at `path`, if any.
  package func skippedFile(path: String) throws -> SkippedInput? {
    let st = try db.prepare("SELECT path, sha256, bytes, reason FROM skipped_files WHERE path = ?")
    try st.bind([.text(path)])
    guard try st.step() else { return nil }
    return SkippedInput(path: st.text(0) ?? "", sha256: st.text(1) ?? "", bytes: st.int64(2), reason: st.text(3) ?? "")
  }

  /// A digest of everything the store holds that a report of a period reads: the files loaded and
  /// skipped (by content hash, in load order), the conflicts recorded, and the reported totals of
  /// `previous` (the period the report compares with).
  ///
  /// Two stores with the same digest give the same report for the same directory, price tables and
  /// options; it costs a read of the small tables, never of `usage`.
  package func contentDigest(previous: String) throws -> String {
    var text = ""
    for (sql, label) in [
      ("SELECT sha256 || ' ' || records || ' ' || new_records FROM files ORDER BY id", "files"),
      ("SELECT sha256 || ' ' || path || ' ' || reason FROM skipped_files ORDER BY path", "skipped"),
      ("SELECT count(*) || ' ' || coalesce(max(id), 0) FROM conflicts", "conflicts"),
      // Pages kept since the files were loaded (a store's earlier loads, a moved file met again)
      // change what the report says of missing pages.
      ("SELECT count(*) || ' pages' FROM export_pages", "pages"),
      (
        "SELECT dimension || ' ' || cost_centre || ' ' || item || ' ' || cost_pico FROM period_totals"
          + " WHERE period = '\(previous.filter { $0.isNumber || $0 == "-" })' ORDER BY dimension, cost_centre, item",
        "totals"
      ),
    ] {
      text += label + "\n"
      let st = try db.prepare(sql)
      while try st.step() { text += (st.text(0) ?? "") + "\n" }
    }
    return SHA256.hash(data: Data(text.utf8)).lowercaseHex
  }
}
