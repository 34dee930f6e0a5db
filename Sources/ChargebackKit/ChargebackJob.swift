import ChargebackDetect
import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackReporting
import ChargebackStore
import ChargebackSupport
import Crypto
import Foundation

/// The monthly job, wiring the stages: ingest → store → attribute → price → detect → report.
///
/// The only type that knows them all; the CLI calls it and nothing below it.
package struct ChargebackJob {
  /// Where things are.
  package struct Options: Sendable {
    package var period: Period
    package var usage: [String]
    package var identities: String
    package var pricing: String
    package var out: String
    package var database: String
    /// The instant the data runs to (`--as-of`, UTC epoch ms); nil = the store's latest record.
    package var asOf: Int64?
    /// The most (line or cost centre, task) pairs the report holds in memory, the rest on disk
    /// (``TaskLedger``); not an option of the command: tests make it small, and the outputs are
    /// the same.
    package var taskMemoryLimit = TaskLedger.defaultLimit
    /// The most FOCUS groups the report pass holds in memory, the rest in runs on disk
    /// (``ClassChargeLedger``); as ``taskMemoryLimit``, for tests.
    package var focusGroupLimit = ClassChargeLedger.defaultGroupLimit

    package init(
      period: Period, usage: [String] = [], identities: String, pricing: String = "pricing", out: String? = nil,
      database: String = "chargeback.sqlite", asOf: Int64? = nil
    ) {
      self.asOf = asOf
      self.period = period
      self.usage = usage
      self.identities = identities
      self.pricing = pricing
      self.out = out ?? "reports/\(period)"
      self.database = database
    }
  }

  /// What a run did.
  package struct Result: Sendable {
    package var ingested: [Ingestor.FileResult]
    /// The report; nil only when nothing had changed since the previous run (store, identity files,
    /// price tables and options all those of the previous run's outputs), whose
    /// outputs were kept (implicitly unwrapped: every other run, and every test, has one).
    package var report: ChargebackReport!
    /// Every file written or kept, sorted.
    package var outputs: [String]
    /// The findings new since the previous run's `findings.csv` (`new_findings.csv`).
    package var newFindings: [Finding] = []
    /// What the user should know about this run beyond its outputs, one line each.
    package var warnings: [String] = []
    /// When the outputs were kept, the warnings their report printed, as printed then: escaped for
    /// a terminal already.
    package var keptWarnings: [String] = []
    /// When the outputs were kept, what their report came to (``ReportWriter/Publication/keptTotals``).
    package var keptTotals: String?
  }

  package let options: Options
  private let progress: ProgressReporter

  package init(options: Options, progress: ProgressReporter = ProgressReporter()) {
    self.options = options
    self.progress = progress
  }

  /// The identity directory, labels, detection settings and price tables, each with the hash of
  /// the bytes it parsed.
  private struct Reference {
    var identities: IdentityDirectory
    var labels: Labels
    var settings: DetectionSettings
    var prices: PriceTable

    init(_ options: Options) throws {
      identities = try IdentityDirectory(directory: options.identities)
      labels = try Labels(directory: options.identities)
      settings = try DetectionSettings(directory: options.identities)
      prices = try PriceTable(directory: options.pricing)
    }
  }

  /// `chargeback run`: ingest the usage paths, then report; `onFile` is told what happened to each
  /// file as it happens.
  package func run(onFile: (Ingestor.FileResult) -> Void = { _ in }) throws -> Result {
    // Load the reference data first so that a bad identity or price file fails before ingest.
    let reference = try Reference(options)
    // A bad --db is a usage error, reported first; then a missing usage path or a bad --out fails before
    // the store is opened (no store file left; a bad lock wait is refused there). Folders are walked once.
    let location = try StoreLocation(options.database)
    let files = try Ingestor.expand(options.usage, skipping: [options.out] + Self.storeFiles(location))
    try ReportWriter.checkBeforeLoad(options.out, usage: options.usage)
    let store = try openStore(options.database)
    defer { try? store.close() }
    let ingested = try Self.load(files, named: options.usage, into: store, progress: progress, onFile: onFile)
    Self.returnFreedMemory()
    var result = try report(store: store, reference, ingested: ingested)
    let stored = try store.files()
    // A file none of whose records was new charged nothing of its own: gone, it changes nothing.
    // Nor is one gone whose bytes were found under another path (renamed or moved: a trial was told
    // to load everything again into a new store).
    let present = Set(ingested.map(\.sha256).filter { !$0.isEmpty })
    result.warnings += Self.goneFiles(
      stored.filter { $0.newRecords > 0 && !present.contains($0.sha256) }.map(\.path), under: options.usage,
      found: Set(files))
    result.warnings += Self.changedFiles(stored, loaded: ingested)
    result.warnings += try Self.lateForClosedMonths(ingested, period: options.period, store: store)
    result.warnings += Self.stillBeingWritten(ingested) + Self.downloadsInProgress(ingested)
    return result
  }

  /// Gives the memory the load freed back to the system before the report (`malloc_trim`).
  ///
  /// Why: the load's page cache and the parsing threads' buffers, freed, stayed in the C heap's
  /// arenas, under the report's peak: `run` of the 10 M-call `directory` month peaked at 1,121 MB
  /// where `report` alone peaked at 973 MB; with this, 1,078 MB.
  ///
  /// Looked up by name: `malloc.h` is not in Swift's Glibc module (and other C libraries have no
  /// such call: then nothing is done).
  static func returnFreedMemory() {
    #if canImport(Glibc)
      typealias Trim = @convention(c) (Int) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
      _ = unsafeBitCast(symbol, to: Trim.self)(0)
    #endif
  }

  /// Where the report keeps its tasks when they outgrow memory (``TaskLedger``): `$TMPDIR` when it
  /// is set, else the SQLite store's folder when this process may write there, else the ledger's
  /// own default (`/tmp`).
  ///
  /// Not `/tmp` first: on Debian 13 it is a tmpfs, memory, which the tasks of a month of a ticket
  /// per call (some 400 MB to 1.2 GB for 10 M) would take from the machine; the store's folder
  /// holds the store, which is larger still.
  static func taskDirectory(_ database: String) -> String? {
    if let set = ProcessInfo.processInfo.environment["TMPDIR"], !set.isEmpty { return set }
    guard case .sqlite(let path)? = try? StoreLocation(database) else { return nil }
    // The real file's folder: a --db that is a link to a store elsewhere.
    let folder = PathText.parent(of: URL(fileURLWithPath: path).resolvingSymlinksInPath().path)
    return access(folder, W_OK | X_OK) == 0 ? folder : nil
  }

  /// `chargeback report`: report from what is already in the store.
  package func reportOnly() throws -> Result {
    let reference = try Reference(options)
    try ReportWriter.checkBeforeLoad(options.out)  // before a long pass, not after
    let store = try openExistingStore(options.database, access: .write)
    defer { try? store.close() }
    // A store loaded before it kept API pages: theirs first, or the report named gaps it has not.
    try Ingestor(store: store, progress: progress).keepPagesOfEarlierLoads()
    return try report(store: store, reference, ingested: [])
  }

  private func report(store: any ChargebackStore, _ reference: Reference, ingested: [Ingestor.FileResult]) throws
    -> Result
  {
    var writer = ReportWriter(directory: options.out)
    writer.taskMemoryLimit = options.taskMemoryLimit
    // The scratch files in a folder of the run's own (in /tmp when the store has no folder of its
    // own to use: a PostgreSQL store, a folder this process may not write).
    let scratch = ScratchFolder(in: Self.taskDirectory(options.database) ?? "/tmp")
    defer { scratch?.remove() }
    let taskDirectory = scratch?.path ?? Self.taskDirectory(options.database)
    writer.taskDirectory = taskDirectory
    let key = try ReportKey.of(
      store: store, options: options,
      inputs: Self.inputHashes(
        identities: reference.identities, labels: reference.labels, settings: reference.settings,
        prices: reference.prices))
    // The copies of the outputs the last run into this --out left (``ReportWriter/knownCopies``).
    let copiesSetting = Self.outputCopiesSetting + Self.absolute(options.out)
    writer.knownCopies = ReportWriter.decodeCopies(try store.setting(copiesSetting))
    // For `explain`, which then needs neither --identities nor --pricing (SPEC §2).
    func remember(_ published: ReportWriter.Publication) throws {
      try store.setSetting(Self.identitiesSetting, Self.absolute(options.identities))
      try store.setSetting(Self.pricingSetting, Self.absolute(options.pricing))
      try store.setSetting(copiesSetting, ReportWriter.encodeCopies(published.copies))
    }
    // A publication into this --out whose run did not finish (``ReportWriter/readUnfinished``).
    let unfinishedSetting = Self.unfinishedSetting + Self.absolute(options.out)
    writer.readUnfinished = { try store.setting(unfinishedSetting).flatMap { $0.isEmpty ? nil : $0 } }
    if let kept = try writer.reuse(key: key) {
      progress.done("nothing new since the last run: its outputs are kept as they are")
      try remember(kept)
      return Result(
        ingested: ingested, report: nil, outputs: kept.outputs, keptWarnings: kept.keptWarnings,
        keptTotals: kept.keptTotals)
    }
    // An output changed by hand stops the run now, not after the report is built.
    writer.knownCopies.merge(try writer.checkBeforeBuilding()) { _, checked in checked }
    var builder = ReportBuilder(
      store: store, identities: reference.identities, prices: reference.prices, labels: reference.labels,
      settings: reference.settings, progress: progress, asOf: options.asOf
    )
    builder.taskMemoryLimit = options.taskMemoryLimit
    builder.focusGroupLimit = options.focusGroupLimit
    builder.taskDirectory = taskDirectory
    builder.out = Self.absolute(options.out)
    let report = try builder.build(period: options.period)
    // Marked unfinished until the run ends (under the --out lock, once the mark of the run before
    // is read), cleared at once when the publication fails.
    let mark = ReportWriter.unfinishedMark(key: key)
    writer.markUnfinished = { try store.setSetting(unfinishedSetting, mark) }
    // Cleared under the lock, and only while it is this run's: a run that published behind this one
    // may have marked its own publication since (a review).
    func clearMark() throws {
      try writer.withOutLock {
        if try store.setting(unfinishedSetting) == mark { try store.setSetting(unfinishedSetting, "") }
      }
    }
    let published: ReportWriter.Publication
    do {
      published = try writer.publish(report, key: key)
    } catch {
      try? clearMark()
      throw error
    }
    try remember(published)
    // For `explain` (``KeptFindings``); only a report of the latest data is what it would build. Not
    // kept, `explain` builds the month again: the run has published, so it does not fail for it.
    if options.asOf == nil {
      try? KeptFindings.keep(
        report.findings, period: options.period, key: key, out: Self.absolute(options.out), in: store)
    }
    // A closed month's totals, for next month's comparison (an open month's are only to date). Not
    // a month the store holds no usage of (a mistyped --period, a sync that has not run yet): it
    // would be kept as closed, and the real month reported later lost its forecast, or the next
    // month compared itself with fees alone.
    var warnings: [String] = []
    let elsewhere = try ReportBuilder.closedElsewhere(
      options.period, store: store, asOf: options.asOf, out: Self.absolute(options.out))
    if let folder = elsewhere {
      warnings.append(
        "warning: \(options.period) is reported closed, as of its end, because it was closed into \(folder);"
          + " its data runs on into no later month: remove that folder to report it open again here, or give --as-of")
    }
    if !report.context.isOpen && report.recordCount > 0 && !report.missingPages.isEmpty {
      // Its figures lack the usage after the missing pages: next month would compare itself with
      // them, and the complete month, reported later, warned that a closed month had changed.
      warnings.append(
        "warning: \(options.period) is closed but its inputs are incomplete (pages missing, above): its totals are not"
          + " kept as the closed month's until the missing pages are loaded and it is reported again")
    } else if !report.context.isOpen && report.recordCount > 0 {
      // Closed elsewhere too: a report differing from the kept figures says so (a trial's what-if).
      warnings += try Self.keepClosedTotals(report, out: options.out, store: store)
    }
    try clearMark()
    return Result(
      ingested: ingested, report: report, outputs: published.outputs, newFindings: published.newFindings,
      warnings: warnings)
  }

  static let identitiesSetting = "last_report.identities"
  /// Followed by `--out`'s absolute path: the copies of the outputs the last run into it left.
  static let outputCopiesSetting = "output_copies:"
  static let pricingSetting = "last_report.pricing"
  /// Followed by `--out`'s absolute path: the report key of a publication whose run has not ended.
  static let unfinishedSetting = "unfinished_publication:"

  /// `path` made absolute against the working directory (kept in the store only, never in outputs).
  ///
  /// `.` and `..` resolved, without a trailing `/`, through its symbolic links: one folder spelled
  /// two ways (`reports/2026-09/`, from another working directory, through a link) is one key of
  /// the store's settings (its output copies, an unfinished publication, a closed month's folder).
  static func absolute(_ path: String) -> String {
    let whole =
      path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    return URL(fileURLWithPath: whole).standardizedFileURL.resolvingSymlinksInPath().path
  }
}

// MARK: - The other commands

extension ChargebackJob {
  /// `chargeback ingest`: loads exports into the store at `database` (idempotent); `onFile` is told
  /// what happened to each file as it happens.
  /// - Throws: ``IngestStopped`` when a file fails, naming the files loaded before it.
  package static func ingest(
    paths: [String], database: String, progress: ProgressReporter = ProgressReporter(),
    onFile: (Ingestor.FileResult) -> Void = { _ in }
  ) throws -> [Ingestor.FileResult] {
    let location = try StoreLocation(database)  // a bad --db is a usage error, reported first
    // A missing path fails before a new store file is made.
    let files = try Ingestor.expand(paths, skipping: storeFiles(location))
    let store = try openStore(database)
    defer { try? store.close() }
    return try load(files, named: paths, into: store, progress: progress, onFile: onFile)
  }

  /// The files of a SQLite store (with its journals), which a usage folder holding it must not list.
  static func storeFiles(_ location: StoreLocation) -> [String] {
    guard case .sqlite(let path) = location else { return [] }
    return [path, path + "-journal", path + "-wal", path + "-shm"]
  }

  /// Ingests `paths` (the files under `named`, the paths the user gave); a file's failure is
  /// thrown as ``IngestStopped``, with the files this run loaded before it (they stay in the store).
  static func load(
    _ paths: [String], named: [String] = [], into store: any ChargebackStore, progress: ProgressReporter,
    onFile: (Ingestor.FileResult) -> Void
  ) throws -> [Ingestor.FileResult] {
    var loaded: [String] = []
    var failed: String?
    var ingestor = Ingestor(store: store, progress: progress)
    ingestor.named = Set(named)
    do {
      return try ingestor.ingest(paths: paths) { r in
        if r.loaded { loaded.append(r.path) }
        if r.failed { failed = r.path }
        onFile(r)
      }
    } catch let e as any ChargebackFailure {
      if let lost = e as? UncommittedFiles { loaded.removeAll { lost.paths.contains($0) } }
      guard let failed else { throw e }  // before any file (an input path is missing)
      throw IngestStopped(failure: e, path: failed, loadedBefore: loaded)
    }
  }

  /// `chargeback pricing check`: the lines to print about the price tables at `pricing`.
  ///
  /// Loading the tables validates them (columns, rates, overlaps); with `against`, the rates that
  /// differ from a LiteLLM price map are listed too.
  package static func checkPrices(pricing: String, against: String?) throws -> [String] {
    let table = try PriceTable(directory: pricing)
    var out = [
      "\(table.rows.count) price rows and \(table.aliases.count) aliases in \(table.files.count) files: no overlaps"
    ]
    if let against {
      let diffs = try PriceCheck.compare(table, litellmPath: against)
      out += diffs
      out.append("\(diffs.count) differences")
    }
    return out
  }
}

/// An ingest that stopped at a file: that file's own failure, and the files this run loaded before
/// it, which stay in the store (each file is loaded whole or not at all).
///
/// Exits with the failure's own status (65 for a bad file).
package struct IngestStopped: ChargebackFailure {
  /// Why the file failed.
  package var failure: any ChargebackFailure
  /// The file that failed.
  package var path: String
  /// Files loaded (and committed) by this run before it, in order.
  package var loadedBefore: [String]

  /// What the store holds of this run, in one line.
  package var summary: String {
    guard !loadedBefore.isEmpty else {
      return "stopped at \(path); no file was loaded before it in this run, and the store holds nothing of this run"
    }
    let count = loadedBefore.count == 1 ? "1 file" : "\(loadedBefore.count) files"
    return "stopped at \(path); loaded before it in this run, and kept in the store (\(count)): "
      + loadedBefore.joined(separator: ", ")
  }

  package var description: String { failure.description + "; " + summary }

  package var exitStatus: Int32 { failure.exitStatus }
}
