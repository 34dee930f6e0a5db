import ChargebackModel
import ChargebackReporting
import ChargebackSupport
import Foundation

/// Writes every output of a report into `--out`, safely (SPEC §11).
///
/// - Everything is written into a new folder beside `--out` first and moved into place only when
///   all of it is written, `manifest.json` last: a run that fails leaves the previous outputs as
///   they were.
/// - Only files that the tool's own previous `manifest.json` lists are replaced or removed; a file
///   the run would have to replace but did not write stops it (exit 73) before anything moves.
/// - Symbolic links are never followed: `--out` may not be one, and a link where an output goes is
///   not the tool's.
package struct ReportWriter {
  /// `--out`, as the user gave it.
  package let directory: String

  /// Moves a file into place (rename(2)); a test puts one that fails to check what a failed
  /// publication leaves.
  var renameFile: (String, String) -> Int32 = { rename($0, $1) }
  /// The copies of the outputs the last run into `--out` left, by name (``Publication/copies``, kept
  /// in the store by ``ChargebackJob``): an output that is still that copy is not read again to
  /// check its bytes (``hasBytes(_:sha256:)``).
  package var knownCopies: [String: String] = [:]
  /// Reads, under the `--out` lock, the store's mark of a publication whose run did not finish.
  ///
  /// ``ChargebackJob`` keeps it until the run ends; a killed run's new findings may never have been
  /// alerted: new again (``publish(_:key:)``), outputs not kept (``reuse(key:)``), so `--fail-on`
  /// fires (a trial lost an alert to a kill just after the manifest moved). Read before the lock, a
  /// run right behind one still running alerted its new findings again (``unfinishedNow()``).
  package var readUnfinished: (() throws -> String?)?
  /// Marks this run's publication unfinished (``unfinishedMark(key:)``), under the lock, after
  /// reading the mark before it.
  package var markUnfinished: (() throws -> Void)?

  /// Tests: the publication stops after this many files moved into place, as if the process were
  /// killed there (its staging folder stays, with no putting back).
  var dieAfterMoves: Int?

  /// Thrown where a test's ``dieAfterMoves`` stops a publication.
  struct Died: Error {}

  /// The most (cost centre, task) pairs the workbooks' Tasks sheets hold in memory, the rest on
  /// disk (``TaskLedger``; tests make it small; the workbooks are the same).
  package var taskMemoryLimit = TaskLedger.defaultLimit
  /// Where those pairs go on disk (``TaskLedger``); nil for its default.
  package var taskDirectory: String?

  package init(directory: String) { self.directory = PathText.trimmingTrailingSlashes(directory) }

  /// The CSV and JSON outputs every run writes, beside the workbooks.
  static let fixedNames = [
    "summary.csv", "chargeback.csv", "findings.csv", "new_findings.csv", "focus.csv", "journal.csv", "manifest.json",
  ]

  /// The outputs that differ between two runs on the same inputs (SPEC §7): the manifest (its run
  /// time) and `new_findings.csv` (what is new since the previous run).
  static let perRun: Set<String> = ["manifest.json", "new_findings.csv"]

  /// What a run published.
  package struct Publication: Sendable {
    /// Every file in `--out` the run wrote or kept, sorted.
    package var outputs: [String]
    /// The findings whose id was not in the previous run's `findings.csv` (all on a first run).
    package var newFindings: [Finding]
    /// The copies of the outputs now in `--out`, for ``knownCopies`` next time.
    package var copies: [String: String] = [:]
    /// For outputs kept (``reuse(key:)``), the warnings their report printed, as printed (the
    /// manifest's `warnings`).
    package var keptWarnings: [String] = []
    /// For outputs kept, what their report came to, from their manifest: `2026-10: 1093.13 USD,
    /// 17 findings` (nil when the manifest does not say).
    package var keptTotals: String?
  }

  /// Writes and publishes the outputs; returns their paths in `--out`, sorted.
  ///
  /// - Throws: ``OutputError`` (73) for a foreign file, a link or an unusable `--out`; (74) when
  ///   writing fails.
  package func write(_ report: ChargebackReport) throws -> [String] { try publish(report, key: nil).outputs }

  /// Writes and publishes the outputs, `new_findings.csv` against the previous run's
  /// `findings.csv`; `key` (``ReportKey``) is recorded in the manifest for ``reuse(key:)``.
  ///
  /// - Throws: ``OutputError`` (73) for a foreign file, a link or an unusable `--out`; (74) when
  ///   writing fails.
  package func publish(_ report: ChargebackReport, key: String?) throws -> Publication {
    try prepareDirectory()
    return try withOutLock { try publishLocked(report, key: key) }
  }

  private func publishLocked(_ report: ChargebackReport, key: String?) throws -> Publication {
    let fm = FileManager.default
    try recoverAbandoned()
    let previous = try previousOutputs()
    let before = previous.contains("findings.csv") ? previousFindings() : []
    var earlier = Set(before.map(\.id))
    if let unfinishedKey = try unfinishedNow(),
      Self.manifest(path("manifest.json"))?.object["report_key"] as? String == unfinishedKey
    {
      earlier.subtract(previousFindings("new_findings.csv").map(\.id))
    }
    try markUnfinished?()
    let newFindings = Self.newFindings(of: report, earlier: earlier, previous: before)
    let workbooks = WorkbookNames.assign(report.costCentres.map(\.id))
    var names = Self.fixedNames + workbooks.values + ["company.xlsx"]
    if !report.reconciliation.isEmpty || !report.granularity.isEmpty { names.append("reconciliation.csv") }
    // Before anything is written: every name we would replace must be ours.
    for name in names.sorted() {
      let target = path(name)
      guard let type = Self.fileType(target) else { continue }
      if type == .typeSymbolicLink {
        throw OutputError.cannotCreate(target, "is a symbolic link; the tool never writes through links in --out")
      }
      guard previous.contains(name), type == .typeRegular else {
        throw OutputError.cannotCreate(
          target,
          "exists and was not written by chargeback (not in its manifest.json); move it away or use another --out")
      }
    }
    // Every file of the previous run is replaced or removed: each must still be what it wrote.
    try checkUnchanged(previous: previous)

    let (staging, held) = try makeStaging()
    var keepStaging = false
    defer {
      if !keepStaging { try? fm.removeItem(atPath: staging) }
      close(held)
    }
    let outputs: [String]
    var hashes: [String: String] = [:]
    do {
      // Every file (with its hash) is a job, shared by this thread and one more (``SharedJobs``):
      // each file is written by one thread, so the bytes and the order of `outputs` do not depend
      // on which thread wrote it or which finished first. Two workbooks can be written at once
      // (``WorkbookReports/Jobs``).
      let books = WorkbookReports.Jobs(
        report, names: workbooks, to: staging, taskMemoryLimit: taskMemoryLimit, taskDirectory: taskDirectory)
      // A job returns its file's hash when it hashed the bytes as it wrote them (the CSVs: reading
      // focus.csv of a large directory back to hash it ran alone at the end of the report); the
      // workbooks are read back (``WorkbookCheck`` reads them anyway).
      func unhashed(_ write: @escaping @Sendable () throws -> Void) -> @Sendable () throws -> String? {
        {
          try write()
          return nil
        }
      }
      var files: [(path: String, write: @Sendable () throws -> String?)] = CSVReports.jobs(report, to: staging)
      files.append((FocusCSV.path(in: staging), { try FocusCSV.written(report, to: staging).sha256 }))
      files.append((JournalCSV.path(in: staging), { try JournalCSV.written(report, to: staging).sha256 }))
      for (n, path) in books.paths.enumerated() { files.append((path, unhashed { _ = try books.write(n) })) }
      var jobs: [@Sendable () throws -> (path: String, sha256: String?)?] = files.map { file in
        {
          let hashed = try file.write()
          return (file.path, try hashed ?? Self.sha256(file.path))
        }
      }
      // What the workbooks share (the tasks of each cost centre: a pass over every line's tasks)
      // first, beside the two CSVs that can be large (focus.csv with a large directory,
      // chargeback.csv with many tasks); then the workbooks, company.xlsx first, the cost centres'
      // by their lines, most first; the small files last, to even out the end. focus.csv among the
      // small files ran alone at the end of a trial's 20,000-credential month (a million rows).
      jobs.append {
        try books.prepare()
        return nil
      }
      // The workbooks are the last of `files`: the cost centres' in report order, then company.xlsx.
      let firstBook = files.count - books.paths.count
      let largestCSV = ["focus.csv", "chargeback.csv"].compactMap { name in
        files.indices.first { (files[$0].path as NSString).lastPathComponent == name }
      }
      let booksFirst = books.largestFirst.map { firstBook + $0 }
      let rest = files.indices.filter { $0 < firstBook && !largestCSV.contains($0) }
      var written = try SharedJobs.run(jobs, order: [files.count] + largestCSV + booksFirst + rest).compactMap { $0 }
      let newPath = (staging as NSString).appendingPathComponent("new_findings.csv")
      try CSVReports.findings(newFindings, to: newPath)
      written.append((newPath, nil))  // per run: not hashed (``perRun``)
      outputs = written.map { ($0.path as NSString).lastPathComponent }
      for (path, sha) in written {
        let name = (path as NSString).lastPathComponent
        if !Self.perRun.contains(name), let sha { hashes[name] = sha }
      }
      _ = try Manifest.write(
        report, outputs: outputs + ["manifest.json"], workbooks: workbooks, to: staging, reportKey: key,
        outputHashes: hashes)
    } catch let e as OutputError {
      throw Self.named(e, staging: staging, directory: directory)
    } catch let e as any ChargebackFailure {
      throw e
    } catch {
      // A write the file system refused (disk full, file-size limit, permissions): an I/O error.
      throw OutputError(path: directory, reason: "cannot write the outputs: \(OutputError.reason(error))")
    }

    // The renames and removals that turn the previous set into this one, not cut by Ctrl-C or a
    // stop (``DeferredSignals``): a signal in the middle ends the process once the set is whole.
    try DeferredSignals.run {
      try moveIntoPlace(outputs.sorted() + ["manifest.json"], from: staging, keepStaging: &keepStaging)
      if dieAfterMoves == outputs.count + 1 {  // a test: killed after the manifest, before cleaning up
        keepStaging = true
        throw Died()
      }
      // Outputs of the previous run that this one does not write again (a cost centre with no usage).
      for name in previous.subtracting(outputs + ["manifest.json"]).sorted()
      where Self.fileType(path(name)) == .typeRegular {
        try? fm.removeItem(atPath: path(name))
      }
    }
    return Publication(
      outputs: (outputs + ["manifest.json"]).map(path).sorted(), newFindings: newFindings, copies: copies(hashes))
  }

  /// Keeps the previous run's outputs when nothing changed; nil when the report must be built.
  ///
  /// Nothing changed: the outputs are those of `key` (same store content, directory,
  /// price tables, period and options: see ``ReportKey``) and every one of them is still in `--out`
  /// with the bytes the manifest recorded; writes only a header-only `new_findings.csv` (nothing can
  /// be new) and the manifest with this run's time.
  package func reuse(key: String) throws -> Publication? {
    guard Self.fileType(directory) == .typeDirectory else { return nil }
    return try withOutLock { try reuseLocked(key: key) }
  }

  private func reuseLocked(key: String) throws -> Publication? {
    try recoverAbandoned()
    let unfinishedKey = try unfinishedNow()
    let manifestPath = path("manifest.json")
    guard Self.fileType(directory) == .typeDirectory, let (object, data) = Self.manifest(manifestPath),
      (object["tool"] as? [String: Any])?["version"] as? String == Manifest.toolVersion,
      object["report_key"] as? String == key, unfinishedKey != key,
      let outputs = object["outputs"] as? [String],
      let hashes = object["output_sha256"] as? [String: String],
      let text = String(data: data, encoding: .utf8)
    else { return nil }
    for name in outputs where !Self.perRun.contains(name) {
      guard let recorded = hashes[name], Self.fileType(path(name)) == .typeRegular,
        (try? hasBytes(name, sha256: recorded)) == true
      else { return nil }
    }
    guard let stamp = text.range(of: #""generated_at" : "[^"]*""#, options: .regularExpression) else { return nil }
    let iso = ISO8601DateFormatter().string(from: Date())
    let manifest = text.replacingCharacters(in: stamp, with: "\"generated_at\" : \"\(iso)\"")
    let (staging, held) = try makeStaging()
    defer {
      try? FileManager.default.removeItem(atPath: staging)
      close(held)
    }
    do {
      try CSVReports.findings([], to: (staging as NSString).appendingPathComponent("new_findings.csv"))
      try Data(manifest.utf8).write(
        to: URL(fileURLWithPath: (staging as NSString).appendingPathComponent("manifest.json")))
    } catch let failure as any ChargebackFailure {
      throw failure
    } catch {
      throw OutputError(path: directory, reason: "cannot write the outputs: \(error.localizedDescription)")
    }
    for name in ["new_findings.csv", "manifest.json"] where outputs.contains(name) {
      try move((staging as NSString).appendingPathComponent(name), to: path(name))
    }
    return Publication(
      outputs: outputs.map(path).sorted(), newFindings: [], copies: copies(hashes),
      keptWarnings: object["warnings"] as? [String] ?? [], keptTotals: Self.totals(ofManifest: object))
  }

  /// SHA-256 (hex) of a file's bytes.
  ///
  /// Read in chunks: memory stays flat whatever the output's size.
  static func sha256(_ path: String) throws -> String {
    do {
      return try Ingestor.sha256(of: path).0
    } catch {
      throw OutputError(path: path, reason: "cannot read back a written output")
    }
  }

  func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

  /// The type of the file at `path` without following a link; nil when nothing is there.
  static func fileType(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
  }

  /// Creates `--out` when missing; refuses a link or a file.
  private func prepareDirectory() throws {
    switch Self.fileType(directory) {
    case nil:
      // A folder on the way that is a file, or not writable, is named (not Foundation's "error 512").
      try Self.checkBeforeLoad(directory)
      do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      } catch {
        throw OutputError.cannotCreate(directory, "cannot create the output directory: \(error.localizedDescription)")
      }
    case .typeDirectory?: break
    case .typeSymbolicLink?:
      throw OutputError.cannotCreate(directory, "is a symbolic link; give the real directory as --out")
    default:
      throw OutputError.cannotCreate(directory, "exists and is not a directory")
    }
  }

  /// The names the previous run's `manifest.json` lists as its outputs; empty when there is none.
  ///
  /// A `manifest.json` that is not chargeback's is someone else's file: exit 73.
  func previousOutputs() throws -> Set<String> {
    let manifest = path("manifest.json")
    switch Self.fileType(manifest) {
    case nil: return []
    case .typeRegular?: break
    default: throw OutputError.cannotCreate(manifest, "is not a regular file written by chargeback")
    }
    guard let outputs = Self.manifestOutputs(manifest) else {
      throw OutputError.cannotCreate(
        manifest, "exists and was not written by chargeback; move it away or use another --out")
    }
    return outputs
  }

  /// Moves `names` from `staging` into `--out`, each by rename, in order (the manifest last).
  ///
  /// Each file is replaced by one rename(2), so a reader of `--out` never finds it missing. The
  /// file it replaces is first hard-linked into the staging folder's `.previous`; when a rename
  /// fails, the names moved in so far are put back (the kept file renamed over the new one, or the
  /// new one removed where there was none), so a run that fails here leaves the previous outputs as
  /// they were. A run killed here leaves some names new and some old (each whole). When putting a
  /// file back fails too, the staging folder is kept and named in the error: it holds the previous
  /// files (`keepStaging`).
  private func moveIntoPlace(_ names: [String], from staging: String, keepStaging: inout Bool) throws {
    let previous = (staging as NSString).appendingPathComponent(".previous")
    do {
      try FileManager.default.createDirectory(atPath: previous, withIntermediateDirectories: false)
    } catch {
      throw OutputError(path: previous, reason: "cannot create a working folder: \(error.localizedDescription)")
    }
    // What is being moved, each new file by its identity, for the next run to put back if this
    // one is killed on the way (``putBack(_:into:)``); on disk before the first rename.
    var list = ""
    for name in names {
      guard let copy = Copy(path: (staging as NSString).appendingPathComponent(name)) else {
        throw OutputError(path: staging, reason: "a written output is missing from the working folder: \(name)")
      }
      list += "\(name)\t\(copy.text)\n"
    }
    let listPath = (staging as NSString).appendingPathComponent(".publishing")
    let fd = open(listPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    let bytes = Array(list.utf8)
    guard fd >= 0, bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count, fsync(fd) == 0
    else {
      if fd >= 0 { close(fd) }
      throw OutputError(
        path: listPath, reason: "cannot write into the working folder: \(String(cString: strerror(errno)))")
    }
    close(fd)
    var moved: [(name: String, replaced: Bool)] = []
    do {
      for name in names {
        if let n = dieAfterMoves, moved.count == n { throw Died() }
        let target = path(name)
        let kept = (previous as NSString).appendingPathComponent(name)
        let replaced = Self.fileType(target) == .typeRegular
        // A copy where the file system has no hard links.
        if replaced, link(target, kept) != 0, (try? FileManager.default.copyItem(atPath: target, toPath: kept)) == nil {
          throw OutputError(path: target, reason: "cannot keep the previous file while replacing it")
        }
        try move((staging as NSString).appendingPathComponent(name), to: target)
        moved.append((name, replaced))
      }
    } catch is Died {
      keepStaging = true
      throw Died()
    } catch {
      var unrestored: [String] = []
      for (name, replaced) in moved.reversed() {
        let ok =
          replaced
          ? renameFile((previous as NSString).appendingPathComponent(name), path(name)) == 0
          : unlink(path(name)) == 0
        if !ok { unrestored.append(name) }
      }
      guard unrestored.isEmpty else {
        keepStaging = true
        throw OutputError(
          path: directory,
          reason: "publishing failed (\(error)), and \(unrestored.sorted().joined(separator: ", "))"
            + " could not be put back: the previous files are kept in \(previous)")
      }
      throw error
    }
  }

  /// Renames `from` over `to` (replacing a regular file, never following a link).
  private func move(_ from: String, to: String) throws {
    guard renameFile(from, to) == 0 else {
      throw OutputError(path: to, reason: "cannot move the new file into place: \(String(cString: strerror(errno)))")
    }
  }
}
