import ChargebackModel
import ChargebackReporting
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

  package init(directory: String) { self.directory = directory }

  /// The CSV and JSON outputs every run writes, beside the workbooks.
  static let fixedNames = [
    "summary.csv", "chargeback.csv", "findings.csv", "focus.csv", "journal.csv", "manifest.json",
  ]

  /// Writes and publishes the outputs; returns their paths in `--out`, sorted.
  ///
  /// - Throws: ``OutputError`` (73) for a foreign file, a link or an unusable `--out`; (74) when
  ///   writing fails.
  package func write(_ report: ChargebackReport) throws -> [String] {
    let fm = FileManager.default
    try prepareDirectory()
    let previous = try previousOutputs()
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

    let staging = try makeStaging()
    defer { try? fm.removeItem(atPath: staging) }
    let outputs: [String]
    do {
      var written = try CSVReports.write(report, to: staging)
      written.append(try FocusCSV.write(report, to: staging))
      written.append(try JournalCSV.write(report, to: staging))
      written += try WorkbookReports.write(report, names: workbooks, to: staging)
      outputs = written.map { ($0 as NSString).lastPathComponent }
      _ = try Manifest.write(report, outputs: outputs + ["manifest.json"], workbooks: workbooks, to: staging)
    } catch let e as any ChargebackFailure {
      throw e
    } catch {
      // A write the file system refused (disk full, file-size limit, permissions): an I/O error.
      throw OutputError(path: directory, reason: "cannot write the outputs: \(error.localizedDescription)")
    }

    // Publish: every file by rename (atomic per file), the manifest last.
    for name in outputs.sorted() + ["manifest.json"] {
      try move((staging as NSString).appendingPathComponent(name), to: path(name))
    }
    // Outputs of the previous run that this one does not write again (a cost centre with no usage).
    for name in previous.subtracting(outputs + ["manifest.json"]).sorted()
    where Self.fileType(path(name)) == .typeRegular {
      try? fm.removeItem(atPath: path(name))
    }
    return (outputs + ["manifest.json"]).map(path).sorted()
  }

  private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

  /// The type of the file at `path` without following a link; nil when nothing is there.
  static func fileType(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
  }

  /// Creates `--out` when missing; refuses a link or a file.
  private func prepareDirectory() throws {
    switch Self.fileType(directory) {
    case nil:
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
  private func previousOutputs() throws -> Set<String> {
    let manifest = path("manifest.json")
    switch Self.fileType(manifest) {
    case nil: return []
    case .typeRegular?: break
    default: throw OutputError.cannotCreate(manifest, "is not a regular file written by chargeback")
    }
    guard let data = FileManager.default.contents(atPath: manifest),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      (object["tool"] as? [String: Any])?["name"] as? String == "chargeback",
      let outputs = object["outputs"] as? [String]
    else {
      throw OutputError.cannotCreate(
        manifest, "exists and was not written by chargeback; move it away or use another --out")
    }
    // Only plain names: a manifest cannot make the tool touch anything outside --out.
    return Set(outputs.filter { !$0.contains("/") && $0 != "." && $0 != ".." && !$0.isEmpty })
  }

  /// A new, empty folder beside `--out` for this run's files.
  private func makeStaging() throws -> String {
    let parent = (directory as NSString).deletingLastPathComponent
    let base = (directory as NSString).lastPathComponent
    let name = ".\(base).chargeback-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    let staging = ((parent.isEmpty ? "." : parent) as NSString).appendingPathComponent(name)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw OutputError.cannotCreate(
        staging, "cannot create a working folder beside --out: \(error.localizedDescription)")
    }
    return staging
  }

  /// Renames `from` over `to` (replacing a regular file, never following a link).
  private func move(_ from: String, to: String) throws {
    guard rename(from, to) == 0 else {
      throw OutputError(path: to, reason: "cannot move the new file into place: \(String(cString: strerror(errno)))")
    }
  }
}
