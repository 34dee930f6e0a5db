import ChargebackModel

/// A file whose size or modification time changed between the stamp taken before its hash and the
/// end of its load, or that left its path meanwhile: its records may not be the bytes its hash names.
///
/// Thrown inside the file's transaction, so nothing of the file stays. ``Ingestor`` reads such a
/// file again, from its hash, up to ``Ingestor/changedFileAttempts`` times in all; a file that
/// changes every time is still being written, and is left for a later run, the way a download in
/// progress is (``Ingestor/FileResult/stillBeingWritten``).
package struct InputChangedError: ChargebackFailure, Sendable {
  /// The file as walked.
  package var path: String
  /// Its size and modification time (ns) before its hash.
  package var before: (bytes: Int64, mtimeNs: Int64)
  /// Its size and modification time (ns) at the end of its load; nil when it was no longer there.
  package var after: (bytes: Int64, mtimeNs: Int64)?

  /// What changed, for a sentence.
  package var change: String {
    guard let after else { return "it was renamed or removed while it was read" }
    return before.bytes == after.bytes
      ? "rewritten in place" : "\(before.bytes) bytes when its reading began, \(after.bytes) at its end"
  }

  package var description: String { "\(path): changed while it was being read (\(change))" }

  package var exitStatus: Int32 { ExitStatus.tempFailure }
}
