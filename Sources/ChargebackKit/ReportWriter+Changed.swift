import ChargebackModel
import ChargebackSupport
import Foundation

/// Outputs changed by hand since the tool wrote them: never replaced nor removed.
extension ReportWriter {
  /// Stops the run (exit 73) before anything is written when an output of the previous run that
  /// this one would replace or remove no longer has the bytes the previous `manifest.json` recorded
  /// (`output_sha256`): a note added to `journal.csv`, a workbook saved from a spreadsheet program.
  ///
  /// Such a file is no longer what the tool wrote, and replacing it lost the edit without a word (a
  /// trial). `previous` is what that manifest lists. The per-run files (``perRun``) have no
  /// recorded bytes, nor do the outputs of a manifest from before the hashes were recorded: those
  /// are replaced as before. A file that a run killed while publishing moved in (its staging folder,
  /// of any host, lists that very copy) is the tool's: this host's are put back before, another
  /// host's are not (a container gets a new host name each run). An output still the copy the last
  /// run left is not read again (``hasBytes(_:sha256:)``). Every changed file is named.
  ///
  /// Returns the copies found unchanged, as ``knownCopies`` takes them.
  @discardableResult
  func checkUnchanged(previous: Set<String>) throws -> [String: String] {
    guard !previous.isEmpty else { return [:] }
    let hashes = Self.manifestHashes(path("manifest.json"))
    let movedByKilledRuns = killedRunsCopies()
    var changed: [String] = []
    var unchanged: [String: String] = [:]
    for name in previous.subtracting(Self.perRun).sorted() {
      let target = path(name)
      guard let recorded = hashes[name], Self.fileType(target) == .typeRegular else { continue }
      let same: Bool
      do {
        same = try hasBytes(name, sha256: recorded)
      } catch {
        throw OutputError.cannotCreate(
          target, "cannot be read to check that it is still what chargeback wrote; check its permissions")
      }
      if same {
        unchanged[name] = recorded
        continue
      }
      if let copy = Copy(path: target), movedByKilledRuns[name]?.contains(copy) == true { continue }
      changed.append(target)
    }
    guard let first = changed.first else { return copies(unchanged) }
    let others = changed.count > 1 ? " (and \(changed.dropFirst().joined(separator: ", ")))" : ""
    throw OutputError.cannotCreate(
      first,
      "was changed after chargeback wrote it\(others): its bytes are not those its manifest.json recorded, and a"
        + " run replaces or removes only what it wrote; move it away (or put back the original) and run again")
  }

  /// ``checkUnchanged(previous:)`` before the report is built, under `--out`'s lock.
  ///
  /// An output changed by hand stopped the run only once the report was built and about to be
  /// published, which is minutes into a 10 M-call month. Returns the copies it found unchanged, for
  /// ``knownCopies``, so that publishing does not read them again; publishing checks again (an
  /// output can be edited while the report is built).
  package func checkBeforeBuilding() throws -> [String: String] {
    guard Self.fileType(directory) == .typeDirectory else { return [:] }
    return try withOutLock {
      try recoverAbandoned()
      return try checkUnchanged(previous: previousOutputs())
    }
  }

  /// The copies that runs into `--out` killed while publishing moved in, by name: from the
  /// `.publishing` list of each staging folder beside `--out`, of any host.
  private func killedRunsCopies() -> [String: [Copy]] {
    let parent = PathText.parent(of: directory)
    let prefix = ".\(Self.stagingBase((directory as NSString).lastPathComponent)).chargeback-"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [:] }
    var copies: [String: [Copy]] = [:]
    for folder in names where folder.hasPrefix(prefix) {
      for (name, copy) in Self.publishingList((parent as NSString).appendingPathComponent(folder)) ?? [] {
        copies[name, default: []].append(copy)
      }
    }
    return copies
  }

  /// The SHA-256 of each output in the `manifest.json` at `path` (`output_sha256`); empty when it
  /// records none or is not chargeback's.
  static func manifestHashes(_ path: String) -> [String: String] {
    manifest(path)?.object["output_sha256"] as? [String: String] ?? [:]
  }

  // MARK: The previous run's manifest

  /// The names the `manifest.json` at `path` lists as outputs; nil when it is not chargeback's.
  ///
  /// Only plain names: a manifest cannot make the tool touch anything outside `--out`.
  static func manifestOutputs(_ path: String) -> Set<String>? {
    guard let outputs = manifest(path)?.object["outputs"] as? [String] else { return nil }
    return Set(outputs.filter { !$0.contains("/") && $0 != "." && $0 != ".." && !$0.isEmpty })
  }

  /// The `manifest.json` at `path` (a regular file, never through a link), parsed, with its text;
  /// nil when it is not chargeback's.
  static func manifest(_ path: String) -> (object: [String: Any], data: Data)? {
    guard fileType(path) == .typeRegular, let data = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      (object["tool"] as? [String: Any])?["name"] as? String == "chargeback"
    else { return nil }
    return (object, data)
  }

  /// What a manifest's report came to, as a run with nothing new says it.
  ///
  /// The month, its amount in cents and its findings (a nothing-new run printed no figure at all:
  /// a trial's daily log had the month's total only on the days something came in). The cents are
  /// the exact total's, as the console's table rounds it (the 6-decimal `cost_usd` rounded again
  /// could be a cent apart).
  static func totals(ofManifest object: [String: Any]) -> String? {
    guard let period = object["period"] as? String,
      let cost = (object["totals"] as? [String: Any])?["cost_usd_exact"] as? String,
      let pico = DecimalText.parse(cost, decimals: 12)
    else { return nil }
    let findings = (object["counts"] as? [String: Any])?["findings"] as? Int
    let open = (object["context"] as? [String: Any])?["period_open"] as? Bool == true
    return "\(period)\(open ? " (open, to date)" : ""): \(Money(pico: pico).formatted(decimals: 2)) USD"
      + (findings.map { ", \($0) finding\($0 == 1 ? "" : "s")" } ?? "")
  }
}
