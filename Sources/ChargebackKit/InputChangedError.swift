import ChargebackModel

/// A file whose size or modification time changed between the stamp taken before its hash and the
/// end of its load: its records may not be the bytes its hash names.
///
/// Thrown inside the file's transaction, so nothing of the file stays. ``Ingestor`` reads such a
/// file again, from its hash, up to ``Ingestor/changedFileAttempts`` times in all; a file that
/// changes every time is still being written, and the run stops with exit 75 (try again later),
/// the files before it kept.
package struct InputChangedError: ChargebackFailure, Sendable {
  /// The file as walked.
  package var path: String
  /// Its size and modification time (ns) before its hash.
  package var before: (bytes: Int64, mtimeNs: Int64)
  /// Its size and modification time (ns) at the end of its load.
  package var after: (bytes: Int64, mtimeNs: Int64)

  package var description: String {
    let size =
      before.bytes == after.bytes
      ? "rewritten in place" : "\(before.bytes) bytes when its reading began, \(after.bytes) at its end"
    return "\(path): changed while it was being read (\(size)), \(Ingestor.changedFileAttempts) times: a file still"
      + " being written (a download, a log being appended to); nothing of it was loaded: run again once it is"
      + " complete, or leave it out until then"
  }

  package var exitStatus: Int32 { ExitStatus.tempFailure }
}
