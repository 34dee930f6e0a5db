import ChargebackModel
import ChargebackStore
import Foundation

/// What `run` says of the files under `--usage` beside loading them: those gone since they were
/// loaded, those replaced under their name, those left for later as still being written, and
/// those whose new records fall in a month reported closed.
extension ChargebackJob {
  /// A warning naming the files once loaded from under the usage paths that are no longer there.
  ///
  /// Their records stay in the store and are charged (a file is never unloaded): someone who
  /// deletes a wrong export from a synced folder expects it gone from the report, and nothing said
  /// otherwise (a helper's trial of daily runs). Paths compare as they were given, as stored.
  static func goneFiles(_ stored: [String], under roots: [String], found: Set<String>) -> [String] {
    let gone = stored.filter { path in
      !found.contains(path) && roots.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        && !FileManager.default.fileExists(atPath: path)
    }.sorted()
    guard !gone.isEmpty else { return [] }
    let shown = gone.prefix(3).joined(separator: ", ") + (gone.count > 3 ? ", …" : "")
    return [
      "warning: \(gone.count) file\(gone.count == 1 ? "" : "s") loaded earlier from --usage \(gone.count == 1 ? "is" : "are")"
        + " no longer there (\(shown)): \(gone.count == 1 ? "its" : "their") records stay in the store and are still"
        + " charged; to leave them out, load the exports again into a new --db"
    ]
  }

  /// A warning naming each file loaded now under a path whose earlier version's records are not
  /// all in it: a file replaced under its name (not grown), whose earlier records stay charged.
  ///
  /// A daily file that grows holds its earlier records again (they are duplicates, not charged
  /// twice) and says nothing; one whose content was replaced added its new records beside the old
  /// ones without a word (a trial: a day's file overwritten with another day's was charged on top).
  /// The records the two share are counted as the new version's records whose keys the store held
  /// already (the same, or refused as conflicting): a conflict with another file's copy must not
  /// read as a record gone (a review), and the count can only err towards no warning.
  static func changedFiles(_ stored: [StoredFile], loaded: [Ingestor.FileResult]) -> [String] {
    // The latest version of each path, by its id (stored in the order loaded).
    var latest: [String: [StoredFile]] = [:]
    for f in stored { latest[f.path, default: []].append(f) }
    var out: [String] = []
    for r in loaded where r.loaded {
      guard let earlier = latest[r.path]?.filter({ $0.sha256 != r.sha256 }).max(by: { $0.id < $1.id }) else {
        continue
      }
      let shared = r.records - r.newRecords
      guard shared < earlier.records else { continue }
      out.append(
        "warning: \(r.path) changed since it was loaded: \(earlier.records - shared) of the \(earlier.records)"
          + " records of its earlier version (sha256 \(earlier.sha256.prefix(12))…) are not in it and stay charged,"
          + " beside its \(r.newRecords) new ones; if it replaces the earlier version, load the exports again"
          + " into a new --db")
    }
    return out
  }

  /// A warning naming the files left for a later run as still being written (they changed each
  /// time they were read, or end inside a line written to minutes ago): this run's outputs lack
  /// their usage.
  static func stillBeingWritten(_ ingested: [Ingestor.FileResult]) -> [String] {
    let left = ingested.filter(\.stillBeingWritten).map(\.path)
    guard let first = left.first else { return [] }
    let shown = left.count == 1 ? first : "\(first) and \(left.count - 1) more"
    return [
      "warning: \(left.count) file\(left.count == 1 ? "" : "s") still being written (\(shown))"
        + " \(left.count == 1 ? "was" : "were") not loaded (the line above says why): these"
        + " outputs lack \(left.count == 1 ? "its" : "their") usage; a later run loads \(left.count == 1 ? "it" : "them")"
        + " once \(left.count == 1 ? "it no longer changes" : "they no longer change") (leave a live log out of"
        + " --usage until it is rotated)"
    ]
  }

  /// A warning naming the files left for a later run under a download tool's temporary name: this
  /// run's outputs lack their usage, and a file whose rename never comes (a copy script that
  /// failed after its copy) would be left out every day with only a line on stdout (a review).
  static func downloadsInProgress(_ ingested: [Ingestor.FileResult]) -> [String] {
    let left = ingested.filter(\.downloadInProgress).map(\.path)
    guard !left.isEmpty else { return [] }
    let one = left.count == 1
    return [
      "warning: \(left.count) file\(one ? "" : "s") under a download tool's temporary name (\(someOf(left)))"
        + " \(one ? "was" : "were") not loaded: these outputs lack \(one ? "its" : "their") usage; a later run loads"
        + " \(one ? "it" : "them") under \(one ? "its" : "their") final name (when no download is running, rename"
        + " \(one ? "it" : "them"), or name \(one ? "it" : "them") in --usage to load \(one ? "it" : "them") as"
        + " \(one ? "it is" : "they are"))"
    ]
  }

  /// The first three of `paths`, and how many more.
  static func someOf(_ paths: [String]) -> String {
    paths.prefix(3).joined(separator: ", ") + (paths.count > 3 ? " and \(paths.count - 3) more" : "")
  }

  /// A warning for each other month reported closed that this run loaded new records of: its
  /// outputs, handed out, lack them until it is reported again; and one for the earlier months not
  /// reported closed that it loaded new records of, which no output of this run covers.
  ///
  /// A daily run of the current month took a late file of the month before in without a word;
  /// the calls surfaced only when that month was run again, and a late call of a revoked key was
  /// never alerted on (a trial). Months whose outputs were never closed are not named: their next
  /// run reports them. The months are those of the records each load inserted
  /// (``LoadedFile/newMonths``), not of every record its file offered.
  static func lateForClosedMonths(_ ingested: [Ingestor.FileResult], period: Period, store: any ChargebackStore)
    throws -> [String]
  {
    var files: [Period: [String]] = [:]
    for r in ingested {
      for month in r.newMonths where month != period { files[month, default: []].append(r.path) }
    }
    var warnings: [String] = []
    var unreported: [Period] = []
    for month in files.keys.sorted(by: { $0.startMillis < $1.startMillis }) {
      guard let paths = files[month] else { continue }
      guard try store.reportedTotals(month) != nil else {
        if month.startMillis < period.startMillis { unreported.append(month) }
        continue
      }
      let shown = Self.someOf(paths)
      warnings.append(
        "warning: \(month) was reported closed, and this run loaded new records dated in it (\(shown)):"
          + " its outputs do not have them; report it again (run --period \(month) with its own --out) and"
          + " hand its outputs out again")
    }
    // An earlier month not reported closed (the month before, on the 1st): its new calls' findings
    // are in no output and no --fail-on of this run (a trial: a critical call of the month's last
    // evening, delivered on the 1st, alerted no one that day).
    if let first = unreported.first, let last = unreported.last {
      var seen = Set<String>()
      let paths = unreported.flatMap { files[$0] ?? [] }.filter { seen.insert($0).inserted }
      let shown = Self.someOf(paths)
      let months = unreported.count == 1 ? "\(first)" : "\(first) to \(last) (\(unreported.count) months)"
      warnings.append(
        "warning: this run loaded new records dated in \(months), which it does not report (\(shown)): their"
          + " findings are in neither this run's new_findings.csv nor its --fail-on; run --period \(last) (each"
          + " month with its own --out) to report them")
    }
    return warnings
  }
}
