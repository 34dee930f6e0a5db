import ChargebackModel

/// What ``Ingestor/ingest(paths:onFile:)`` says of each file: loaded, skipped (and why), read again, failed.
extension Ingestor {
  /// What happened to one file.
  package struct FileResult: Sendable, Hashable {
    /// Path as walked.
    package var path: String
    /// SHA-256 of the file's bytes on disk.
    package var sha256: String
    /// Format id, or the one recorded when the file was ingested before; empty when skipped as a
    /// delivery artifact.
    package var format: String
    /// Records in the file (0 when skipped as already ingested or as a delivery artifact).
    package var records: Int64
    /// Records new to the store.
    package var newRecords: Int64
    /// True when the same bytes had been ingested before, so the file was not read again.
    package var alreadyIngested: Bool
    /// Why the file was skipped as a delivery artifact that holds no usage; nil when it was read.
    package var skippedReason: String? = nil
    /// Records not stored because their natural key is stored with other content (conflicting
    /// duplicates: the first stored copy stays, the report raises `conflicting_duplicate`).
    package var conflicts: Int64 = 0
    /// True when loading the file failed (it was rolled back, and the run stopped there).
    package var failed = false
    /// For a file skipped as already ingested: the path its bytes were first loaded as (as given
    /// then), when it is another string (a delivery sent twice under two names); nil when the same.
    package var sameBytesAs: String? = nil
    /// The months (UTC) of its records new to the store.
    package var newMonths: Set<Period> = []
    /// Skipped (``skippedReason``) by an earlier run already, and unchanged since.
    package var skippedBefore = false
    /// Times the file was read again because it changed while it was being read (its size or
    /// modification time at the end of its load were not those before its hash).
    package var readAgain = 0
    /// Left for a later run: it changed each time it was read, or ends inside a line written to
    /// minutes ago (``skippedReason`` says which).
    package var stillBeingWritten = false
    /// Left for a later run: its name is a download tool's temporary name (``skippedReason`` says
    /// which), and it was found in a folder, not named.
    package var downloadInProgress = false

    /// True when the file was loaded in this run (committed with its group), as opposed to skipped
    /// or failed.
    package var loaded: Bool { !alreadyIngested && skippedReason == nil && !failed }

    /// A file that changed each time it was read (``Ingestor/changedFileAttempts``): not loaded
    /// and not recorded, so that a later run loads it once it no longer changes.
    static func stillBeingWritten(_ changed: InputChangedError) -> FileResult {
      var r = FileResult(
        path: changed.path, sha256: "", format: "", records: 0, newRecords: 0, alreadyIngested: false,
        skippedReason: "still being written: it changed each of the \(Ingestor.changedFileAttempts) times it was read"
          + " (\(changed.change)); not loaded: a later run loads it once it no longer changes")
      r.stillBeingWritten = true
      return r
    }

    /// A file cut inside its last line and written to minutes ago (``Ingestor/looksUnfinished(_:_:)``),
    /// left for a later run.
    static func unfinished(_ path: String, _ error: InputError) -> FileResult {
      var r = FileResult(
        path: path, sha256: "", format: "", records: 0, newRecords: 0, alreadyIngested: false,
        skippedReason: "still being written: it ends inside its last line (\(error.message)), with no line end, and"
          + " was modified in the last \(Ingestor.unfinishedMinutes) minutes; not loaded: a later run loads it once it is"
          + " whole")
      r.stillBeingWritten = true
      return r
    }

    /// A file whose loading failed.
    package static func failed(_ path: String) -> FileResult {
      var r = FileResult(path: path, sha256: "", format: "", records: 0, newRecords: 0, alreadyIngested: false)
      r.failed = true
      return r
    }

    /// The line ingest prints for the file: `loaded (…)`, `skipped (already ingested)`,
    /// `skipped: <reason>` (a delivery artifact) or `failed`.
    package var outcome: String {
      if failed { return "failed" }
      if let skippedReason { return "skipped: \(skippedReason)" }
      if alreadyIngested {
        return "skipped (already ingested)" + (sameBytesAs.map { ": the same bytes were first loaded as \($0)" } ?? "")
      }
      var s = "loaded (\(format), \(records) record\(records == 1 ? "" : "s"), \(newRecords) new"
      if conflicts > 0 {
        s +=
          ", \(conflicts) conflicting duplicate\(conflicts == 1 ? "" : "s") not stored: the first stored copy is kept"
      }
      if readAgain > 0 {
        s += ", read \(readAgain == 1 ? "again" : "\(readAgain + 1) times"): it changed while it was being read"
      }
      return s + ")"
    }
  }
}
