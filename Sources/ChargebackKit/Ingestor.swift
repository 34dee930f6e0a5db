import ChargebackIngest
import ChargebackModel
import ChargebackStore
import ChargebackSupport
import Crypto
import Foundation

/// Loads export files into the store: each file whole or not at all, and never twice (SPEC §8).
///
/// Delivery artifacts (``DeliveryArtifacts``: Bedrock's permission check object, bodies in a
/// Bedrock `data/` folder, empty files) are recognised before format detection, recorded as
/// skipped with their reason, and not read.
package struct Ingestor {
  let store: any ChargebackStore
  /// Records loaded after which the files loaded so far are committed together.
  ///
  /// A commit writes every page the files changed twice (SQLite's journal, then the file), and a
  /// file's random request ids change nearly every page of the key index, so committing each of
  /// the 10 M bench month's 40 files wrote the index 40 times over; fewer commits write it less
  /// often. A run killed mid-group loses at most this many records' worth of loading (they are
  /// loaded again by the next run).
  package var recordsPerCommit: Int64 = 2_000_000
  /// Files that only stamp or skip committed together at most (or those of a second), when no
  /// file loaded since the last commit: one commit each (four waits for the disk) took 8 s for a
  /// synced bucket's first 2,400 skipped request bodies (a trial).
  package var quietFilesPerCommit = 256
  /// Bytes of a large file's lines parsed at a time by one of ``ParallelLines``' threads: the
  /// serial reader's read size, so that the file is read as it reads it (tests make it smaller).
  package var lineChunkBytes = InputFile.chunkSize
  private let formats: [any ExportFormat]
  private let progress: ProgressReporter
  private let artifacts = DeliveryArtifacts()
  /// The paths the user named (as given, folders among them): a file named so is loaded as asked
  /// even under a download tool's temporary name (a review: `ingest keep.jsonl.tmp` was skipped).
  package var named: Set<String> = []

  package init(
    store: any ChargebackStore, formats: [any ExportFormat] = FormatRegistry.all,
    progress: ProgressReporter = ProgressReporter()
  ) {
    self.store = store
    self.formats = formats
    self.progress = progress
  }

  /// Ingests every file under `paths` (directories walked in sorted order, dotfiles skipped),
  /// telling `onFile` what happened to each as it happens (a failed file too, before the error is
  /// thrown).
  ///
  /// Stops at the first bad file, after the files before it have been committed. A file that
  /// changes while it is read is read again (``InputChangedError``), and one that changes each
  /// time is left for a later run (``FileResult/stillBeingWritten``); the run goes on.
  ///
  /// Each file is loaded whole or not at all; the files are committed together once
  /// ``recordsPerCommit`` records have been loaded since the last commit, and at the end
  /// (``ChargebackStore/grouped(_:)``); a first load into an empty SQLite store only at the end
  /// (``ChargebackStore/keyIndexWaitsForCommit``). A run killed in between leaves the files since the last
  /// commit out of the store, whole; the next run loads them. A bad file rolls back its group,
  /// whose files before it are loaded again (``reload(_:after:)``). When a commit or that load
  /// fails, ``UncommittedFiles`` names the files it leaves out.
  package func ingest(paths: [String], onFile: (FileResult) -> Void = { _ in }) throws -> [FileResult] {
    try keepPagesOfEarlierLoads()
    var results: [FileResult] = []
    let stamps = try store.fileStamps()
    let all = try Self.expand(paths)
    // Downloads still in progress are left for a later run: neither hashed ahead nor loaded (but a
    // file the user named, ``named``).
    let inProgress = all.map { named.contains($0) ? nil : DeliveryArtifacts.downloadInProgress(path: $0) }
    // The hashes (and small files' records) being worked out ahead, by position in `all`; those
    // of positions before `started` have been started.
    var hashing: [Int: FileHash] = [:]
    var started = 1
    // Loaded since the last commit.
    var pending: [String] = []
    // Read since the last commit, whatever they wrote (a load, a skip, a stamp, pages).
    var wrote: [String] = []
    var uncommitted: Int64 = 0
    // Files that wrote only a stamp or a skip since the last commit, and when the first did.
    var quiet = 0
    var quietSince = ContinuousClock.now
    func commit(after cause: (any Error)? = nil) throws {
      do {
        try store.commitGroup()
      } catch {
        throw UncommittedFiles(paths: pending, failure: error, cause: cause)
      }
      (pending, wrote, uncommitted, quiet, quietSince) = ([], [], 0, 0, ContinuousClock.now)
    }
    try store.grouped {
      for (i, path) in all.enumerated() {
        // The next files that must be read are hashed on threads of their own while this one
        // loads, so hashing is off the inserting thread's path for all files but the first; a
        // small file is read there too (``ReadAhead``), up to ``smallFilesAhead`` ahead, a large
        // one only hashed, ``largeFilesAhead`` ahead.
        let current = hashing.removeValue(forKey: i)
        while started < all.count && started <= i + Self.smallFilesAhead {
          let j = started
          // Only a regular file (a FIFO would block the hashing thread for good).
          let stamp = inProgress[j] == nil ? FileStamp.of(all[j]) : nil
          if let stamp, stamp.bytes > ReadAhead.maximumBytes, j > i + Self.largeFilesAhead { break }
          started += 1
          guard let stamp, !Self.stampMatches(all[j], stamps) else { continue }
          let formats = formats
          hashing[j] =
            stamp.bytes <= ReadAhead.maximumBytes
            ? FileHash(path: all[j]) { ReadAhead.read($0, formats: formats) } : FileHash(path: all[j])
        }
        if let reason = inProgress[i] {
          var r = FileResult(
            path: path, sha256: "", format: "", records: 0, newRecords: 0, alreadyIngested: false,
            skippedReason: reason)
          r.downloadInProgress = true
          results.append(r)
          onFile(r)
          continue
        }
        // Quiet files (stamps, skips) waiting to be committed are committed before a large file:
        // its hash and load would hold the write lock they took.
        if quiet > 0, pending.isEmpty, (FileStamp.of(path)?.bytes ?? 0) > ReadAhead.maximumBytes { try commit() }
        var result: FileResult?
        var readAgain = 0
        while result == nil {
          do {
            if let r = try seen(path, stamps) {
              result = r
            } else {
              result = try ingest(file: path, hashed: readAgain == 0 ? current : nil)
              wrote.append(path)
            }
          } catch let changed as InputChangedError {
            // Nothing of it stayed: its transaction rolled back, with what the files before it
            // wrote since the last commit (loads, skips, stamps, pages), which are written again
            // and committed, so that a file read again costs its own reading only. Then it is
            // hashed and read again from the start; one that changes every time is still being
            // written, and is left for a later run, as a download in progress is.
            try reload(wrote, after: changed, reason: "before a file read again")
            try commit()
            readAgain += 1
            if readAgain == Self.changedFileAttempts { result = .stillBeingWritten(changed) }
          } catch let bad as InputError where Self.looksUnfinished(path, bad) {
            // Cut inside its last line, with no line end, and written to minutes ago: a file
            // whose writer paused (a copy that does not write under a temporary name), left for a
            // later run as one that changes while it is read (a trial's daily run failed whole).
            try reload(wrote, after: bad, reason: "before a file left for later")
            try commit()
            result = .unfinished(path, bad)
          } catch {
            onFile(.failed(path))
            // The files before it are kept: loaded again when the failure rolled back their group.
            try reload(pending, after: error)
            try commit(after: error)
            throw Self.namingCut(error, path)
          }
        }
        guard var r = result else { preconditionFailure("the loop ends with a result") }
        if r.skippedReason == nil { r.readAgain = readAgain }
        results.append(r)
        onFile(r)
        if r.loaded {
          (pending, uncommitted) = (pending + [path], uncommitted + r.records)
          // A first load into an empty store commits once, at the end: its key index is built
          // then, once (``DeferredKeys``).
          if uncommitted >= recordsPerCommit, !store.keyIndexWaitsForCommit { try commit() }
        } else if pending.isEmpty {
          // Only a stamp or a skipped file was written: committed soon, so a run that loads
          // nothing does not hold the write lock while it hashes the rest; not one by one (each
          // commit is four waits for the disk: a synced bucket's first 2,400 skipped request
          // bodies took 8 s, a trial).
          quiet += 1
          if quiet >= quietFilesPerCommit || ContinuousClock.now - quietSince > .seconds(1) {
            try commit()
          }
        }
      }
      try commit()
    }
    return results
  }

  /// Times a file that changes while it is read is read in all (``InputChangedError``) before it
  /// is left for a later run: a file still being written (a download, a log being appended to)
  /// changes every time.
  static let changedFileAttempts = 3

  /// Small files (``ReadAhead/maximumBytes``) read ahead of the one loading.
  ///
  /// An S3 sync of Bedrock's logs is thousands of files of a few hundred records: reading one
  /// takes about as long as loading one, and with two ahead the loading thread waited for the next
  /// file nearly half of the time (perf: 3.8 s of gaps in 7.5 s on the 1 M synced month). Eight
  /// ahead wait less (`ingest` of that month 6.51–6.76 s → 6.15–6.41 s in four alternate pairs;
  /// sixteen did no better); the records held are at most eight files' (``ReadAhead/maximumItems``
  /// each; peak RSS 150 → 215 MB there).
  static let smallFilesAhead = 8
  /// Large files hashed ahead of the one loading: each is read in full by its hash, and more of
  /// them at once would only compete with the parsing for the cores and the disk.
  static let largeFilesAhead = 2

  /// Loads `paths` again when the store rolled them back with a failed file.
  ///
  /// `paths` are the files loaded since the last commit (``ChargebackStore/failureRollsBackGroup``);
  /// they loaded before, so they load again the same. When one no longer does (changed or removed
  /// meanwhile), none of them is in the store: ``UncommittedFiles`` names them.
  private func reload(_ paths: [String], after failure: any Error, reason: String = "before the failure") throws {
    guard store.failureRollsBackGroup, !paths.isEmpty else { return }
    // On a terminal their lines were shown once already: say why they come again.
    let files = paths.count == 1 ? "the file" : "the \(paths.count) files"
    progress.done("loading again \(files) \(reason), which the rollback took out of the store")
    do {
      for path in paths { _ = try ingest(file: path) }
    } catch {
      throw UncommittedFiles(paths: paths, failure: error, cause: failure)
    }
  }

  /// The result of a file seen before, skipped without reading it again; nil when it must be read.
  ///
  /// Seen: its path, size and modification time are those the store recorded when it last hashed it.
  ///
  /// A file rewritten in place with the same size within the same nanosecond would be missed; no
  /// writer we know of does that, and `chargeback ingest` of the file under another name hashes it.
  private func seen(_ path: String, _ stamps: [String: FileStamp]) throws -> FileResult? {
    guard Self.stampMatches(path, stamps), let stamp = stamps[path] else { return nil }
    if let known = try store.file(sha256: stamp.sha256) {
      var r = FileResult(
        path: path, sha256: stamp.sha256, format: known.format, records: 0, newRecords: 0, alreadyIngested: true)
      r.sameBytesAs = Self.elsewhere(known.path, path)
      progress.done("\(path): \(r.outcome)")
      return r
    }
    if let skipped = try store.skippedFile(path: path), skipped.sha256 == stamp.sha256 {
      progress.done("\(path): skipped: \(skipped.reason)")
      var r = FileResult(
        path: path, sha256: stamp.sha256, format: "", records: 0, newRecords: 0, alreadyIngested: false,
        skippedReason: skipped.reason)
      r.skippedBefore = true
      return r
    }
    return nil
  }

  /// The path the same bytes were first loaded as, when it is another file that still holds them
  /// (a delivery sent twice under two names); nil when it is this file under another spelling
  /// (`./U/x`, an absolute path, a linked folder: the same device and inode) or a file that is no
  /// longer there (moved or renamed since: an `aws s3 sync` renaming a finished download).
  ///
  /// Why: the paths were compared as strings, so a daily run given `--usage` another way than the
  /// first (relative, then absolute in a crontab) printed a line for every file of the month, every
  /// day (a helper's trial: 2,500 lines).
  static func elsewhere(_ first: String, _ path: String) -> String? {
    guard first != path, let a = FileIdentity(path: first) else { return nil }
    return FileIdentity(path: path) == a ? nil : first
  }

  /// True when the file at `path` has the size and modification time the store recorded for it.
  private static func stampMatches(_ path: String, _ stamps: [String: FileStamp]) -> Bool {
    guard let stamp = stamps[path], let now = FileStamp.of(path) else { return false }
    return now.bytes == stamp.bytes && now.mtimeNs == stamp.mtimeNs
  }

  /// Records what `path` held when it was hashed (a file that changes while being read is not stamped).
  private func stamp(_ path: String, before: (bytes: Int64, mtimeNs: Int64)?, sha: String) throws {
    guard let before, let after = FileStamp.of(path), after == before else { return }
    try store.setFileStamp(path, FileStamp(bytes: before.bytes, mtimeNs: before.mtimeNs, sha256: sha))
  }

  /// Ingests one file in one transaction (the group's, inside ``ingest(paths:onFile:)``).
  ///
  /// Parsing runs on a second thread while this one inserts. Whether the file is new is decided
  /// again inside the write transaction: when another process loaded the same bytes meanwhile, the
  /// file is skipped as already ingested.
  package func ingest(file path: String, hashed: FileHash? = nil) throws -> FileResult {
    precondition(hashed == nil || hashed?.path == path, "a hash of another file")
    var (before, sha, bytes) = try (hashed ?? FileHash(path: path, now: true)).value()
    // Read ahead with its hash, when it was small.
    var ahead = hashed?.readAhead()
    // Hashed ahead, while the file before loaded: when it has changed since, it is hashed again
    // now, so the hash is of bytes as close as before to the ones parsed, and read again.
    if hashed != nil, let b = before, let now = FileStamp.of(path), now != b {
      (before, sha, bytes) = try FileHash(path: path, now: true).value()
      ahead = nil
    }
    func alreadyIngested(_ known: StoredFile) throws -> FileResult {
      try store.write {
        try stamp(path, before: before, sha: sha)
        // Loaded before the store kept pages, from a path no longer there (moved): its pages now.
        if let format = Self.pagedFormats[known.format], try !store.hasPages(sha256: sha) {
          try keepPages(of: path, sha256: sha, format: format, records: known.records)
        }
      }
      var r = FileResult(
        path: path, sha256: sha, format: known.format, records: 0, newRecords: 0, alreadyIngested: true)
      r.sameBytesAs = Self.elsewhere(known.path, path)
      progress.done("\(path): \(r.outcome)")
      return r
    }
    if let known = try store.file(sha256: sha) { return try alreadyIngested(known) }
    // A file read ahead matched a format, which no delivery artifact does (an empty file, a
    // CloudWatch write test): the check, which decompresses the head again on this thread, is left
    // out (a tenth of this thread's time on a synced bucket), but for the artifacts known by their
    // path whatever they hold (the permission check object, a file in a `data/` folder).
    if ahead == nil || DeliveryArtifacts.mayBeArtifact(path: path),
      let reason = try artifacts.reason(for: path, bytes: bytes, formats: formats)
    {
      try store.write {
        try store.recordSkipped(SkippedInput(path: path, sha256: sha, bytes: bytes, reason: reason))
        // An empty page may be the one that continues another (the month's last week, no calls):
        // its links are kept, of no endpoint (its buckets do not say which).
        if reason == DeliveryArtifacts.emptyPage { try keepPages(of: path, sha256: sha, format: nil, records: 0) }
        try stamp(path, before: before, sha: sha)
      }
      progress.done("\(path): skipped: \(reason)")
      return FileResult(
        path: path, sha256: sha, format: "", records: 0, newRecords: 0, alreadyIngested: false, skippedReason: reason)
    }
    let input = InputFile(path: path)
    let format = try ahead?.format ?? FormatRegistry.detect(input, among: formats)
    // The store decides again under its writer lock whether the file is new: another process may
    // have loaded the same bytes since the check above.
    let file = NewFile(sha256: sha, path: path, format: format.id, level: format.level, bytes: bytes)
    let outcome = try changedIfStale(path, before) {
      try store.load(
        file,
        stream: { sink in
          if let ahead {
            for parsed in try ahead.items.get() { try parsed.insert(into: sink) }
            progress.update("\(path): \(sink.offered) records")
            return
          }
          // One record per line: the lines parsed on every core (``ParallelLines``).
          if let lines = format as? any LineRecordFormat, let layout = lines.lineLayout(head: try input.head()) {
            let parse = try ParallelLines(
              input, format: lines, layout: layout, workers: ParallelLines.threads, chunkBytes: lineChunkBytes)
            try parse.drain { batch in
              for parsed in batch { try parsed.insert(into: sink) }
              progress.update("\(path): \(sink.offered) records")
            }
            return
          }
          // The records die on the parsing thread, which has time to spare.
          let pipe = BatchPipe<ParsedItem>()
          pipe.start { emit in try ParsedItem.read(input, as: format, emit) }
          try pipe.drain { batch in
            for parsed in batch {
              try parsed.insert(into: sink)
            }
            progress.update("\(path): \(sink.offered) records")
          }
        },
        merged: { loaded in
          // The records must be the bytes the hash names (the file's identity, in the manifest and
          // in `explain`): a file rewritten or appended to after its stamp was taken, while it was
          // hashed or read, is rolled back here and read again (a trial's file appended to during
          // its load was stored as 150,000 records under the hash and size of its first 100,000).
          // A file gone from its path (renamed, as a log is rotated, or removed) counts as changed.
          try Self.checkUnchanged(path, since: before)
          try resolveAncestry(of: loaded.touchedTraces)
          try keepPages(of: path, sha256: sha, format: format, records: loaded.offered, input: input)
          try stamp(path, before: before, sha: sha)
        })
    }
    let loaded: LoadedFile
    switch outcome {
    case .known(let known): return try alreadyIngested(known)
    case .loaded(let l): loaded = l
    }
    var result = FileResult(
      path: path, sha256: sha, format: format.id, records: loaded.offered, newRecords: loaded.inserted,
      alreadyIngested: false)
    result.conflicts = loaded.conflicts
    result.newMonths = loaded.newMonths
    progress.done("\(path): \(result.outcome)")
    return result
  }

  /// Resolves what the model calls of `traces` inherit from their ancestors, over every span of
  /// each trace in the store (this file's and earlier files'), inside the file's transaction.
  ///
  /// - Complexity: O(spans of the touched traces); one trace in memory at a time.
  private func resolveAncestry(of traces: Set<String>) throws {
    for trace in traces.sorted() {
      let calls = TraceAncestry.resolve(try store.spans(ofTrace: trace))
      try store.setInherited(traceID: trace, calls)
    }
  }
}
