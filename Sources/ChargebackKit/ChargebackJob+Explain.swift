import ChargebackDetect
import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import Foundation

extension ChargebackJob {
  /// `chargeback explain`: the chain of one stored record, as text.
  ///
  /// Without `identities` or `pricing`, the directories of the store's last report are used (else
  /// `pricing/` in the working directory, and no identity chain). The findings it lists are those
  /// of the period's last report when nothing they depend on has changed since (``KeptFindings``),
  /// else of the period built again, with the identity folder's `labels.csv` and `detection.csv`
  /// as a report reads them.
  /// - Throws: ``InputMissingError`` when the store has no record with this id or key.
  package static func explain(id: String, database: String, identities: String?, pricing: String?) throws -> String {
    let store = try openExistingStore(database, access: .read)
    defer { try? store.close() }
    func remembered(_ name: String) throws -> String? {
      guard let dir = try store.setting(name), FileManager.default.fileExists(atPath: dir) else { return nil }
      return dir
    }
    let identities = try identities ?? remembered(identitiesSetting)
    // Said in the output rather than left out without a word: no credential, agent or cost centre.
    var noIdentities = "no --identities given, and no report has used one with this store"
    if identities == nil, let gone = try store.setting(identitiesSetting) {
      noIdentities = "the identity folder the last report used (\(gone)) is gone; give --identities"
    }
    let pricing = try pricing ?? remembered(pricingSetting) ?? "pricing"
    let directory = try identities.map { try IdentityDirectory(directory: $0) }
    let prices = try PriceTable(directory: pricing)
    // A report reads both (`Reference`): the findings listed are the ones it would make. Labels
    // only name findings, and a label file a report would refuse is left out here, as before.
    // A `detection.csv` a report would refuse: the record's chain is still shown, its findings
    // those of the default settings, said so (a review: explain failed whole on it).
    let labels = identities.flatMap { try? Labels(directory: $0) } ?? Labels()
    var settings = DetectionSettings()
    var settingsNote: String?
    do {
      settings = try identities.map { try DetectionSettings(directory: $0) } ?? DetectionSettings()
    } catch {
      settingsNote = "the default detection settings: \(error)"
    }
    let inputs = inputHashes(identities: directory, labels: labels, settings: settings, prices: prices)
    guard
      let text = try RecordExplanation.explain(
        id, store: store, identities: directory, labels: labels, settings: settings, settingsNote: settingsNote,
        prices: prices, noIdentities: noIdentities,
        keptFindings: { try KeptFindings.read(period: $0, store: store, inputs: inputs) })
    else {
      // A finding's id pasted from findings.csv (a trial's): say where its records' keys are.
      let finding =
        id.hasPrefix("F-") && id.count == 18 && id.dropFirst(2).allSatisfy(\.isHexDigit)
        ? "; \(id) looks like a finding's id: explain takes a record's key, and the finding's row of findings.csv"
          + " lists the keys of its calls (evidence)" : ""
      throw InputMissingError(
        path: id, reason: "no record with this request id or key in \(store.location)" + finding)
    }
    return text
  }

  /// The hashes of the files a report's findings are a function of, beside the store, in the order
  /// ``ReportKey`` takes them: the report and `explain` make its key alike (``KeptFindings``).
  static func inputHashes(
    identities: IdentityDirectory?, labels: Labels, settings: DetectionSettings, prices: PriceTable
  ) -> [String] {
    [identities?.contentHash ?? "", labels.contentHash, settings.contentHash, prices.contentHash]
  }
}
