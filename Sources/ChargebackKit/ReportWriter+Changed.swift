import ChargebackModel
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
  /// are replaced as before. Each output is read once more to hash it (a large directory's
  /// `focus.csv` at about 1.4 GB/s); a run with nothing new reads them anyway (``reuse(key:)``).
  func checkUnchanged(previous: Set<String>) throws {
    guard !previous.isEmpty else { return }
    let hashes = Self.manifestHashes(path("manifest.json"))
    for name in previous.subtracting(Self.perRun).sorted() {
      let target = path(name)
      guard let recorded = hashes[name], Self.fileType(target) == .typeRegular else { continue }
      if (try? Self.sha256(target)) == recorded { continue }
      throw OutputError.cannotCreate(
        target,
        "was changed after chargeback wrote it (its bytes are not those its manifest.json recorded), and this run"
          + " would replace it; move it away (or put back the original) and run again")
    }
  }

  /// The SHA-256 of each output in the `manifest.json` at `path` (`output_sha256`); empty when it
  /// records none or is not chargeback's.
  static func manifestHashes(_ path: String) -> [String: String] {
    guard fileType(path) == .typeRegular, let data = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      (object["tool"] as? [String: Any])?["name"] as? String == "chargeback",
      let hashes = object["output_sha256"] as? [String: String]
    else { return [:] }
    return hashes
  }
}
