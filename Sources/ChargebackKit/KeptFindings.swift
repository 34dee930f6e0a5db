import ChargebackModel
import ChargebackStore
import Foundation

/// The findings of a period's last report, kept in the store (a setting) with the report's key, so
/// that `explain` reads them instead of building the month again.
///
/// Why: `explain` lists the findings that cite a record or concern its credential or agent, and
/// finding them took a whole report pass (18 s on the 1 M-call `directory` month's store, minutes
/// at 10 M). The report's key (``ReportKey``) is a digest of everything its findings are a
/// function of: the store's content, the identity, label, detection and price files, the period,
/// the open or closed state and the tool's executable. `explain` works out the key of what it
/// would build (the latest data, its own directories, the report's `--out` for the state) and
/// takes the kept findings only when the two are the same; else it builds the month as before.
/// A report made with `--as-of` keeps nothing (`explain` reads the latest data).
enum KeptFindings {
  /// The setting's name: this, then the period (`report_findings:2026-10`).
  static let settingPrefix = "report_findings:"
  /// The most bytes kept: a month with more findings than that is built again by `explain`.
  static let largest = 64 << 20

  /// What the setting holds, as JSON.
  struct Kept: Codable {
    var key: String
    /// The report's `--out`, absolute: the key's open or closed state depends on it.
    var out: String
    var findings: [Stored]
  }

  /// A finding as kept: its 128-bit numbers as decimal text (a JSON number is a double to many
  /// readers, and loses digits past 2^53).
  struct Stored: Codable {
    var id, kind, severity, period: String
    var costCentre, agentID, credentialID, ownerID, taskApprover: String?
    var firstTime, lastTime: Int64
    var calls: String
    var callsKnown: Bool
    var cost, avoidableCost: String
    var hasPricedRecords, avoidableKnown: Bool
    var credentialIDs, evidence: [String]
    var evidenceCount: String
    var explanation: String
    var label, labelNote: String?

    init(_ f: Finding) {
      (id, kind, severity, period) = (f.id, f.kind.rawValue, f.severity.rawValue, f.period)
      (costCentre, agentID, credentialID, ownerID, taskApprover) = (
        f.costCentre, f.agentID, f.credentialID, f.ownerID, f.taskApprover
      )
      (firstTime, lastTime, calls, callsKnown) = (f.firstTime, f.lastTime, String(f.calls), f.callsKnown)
      (cost, avoidableCost) = (String(f.cost.pico), String(f.avoidableCost.pico))
      (hasPricedRecords, avoidableKnown) = (f.hasPricedRecords, f.avoidableKnown)
      (credentialIDs, evidence, evidenceCount) = (f.credentialIDs, f.evidence, String(f.evidenceCount))
      (explanation, label, labelNote) = (f.explanation, f.label, f.labelNote)
    }

    /// The finding; nil when a field is not one this tool writes (another version's setting).
    var finding: Finding? {
      guard let kind = FindingKind(rawValue: kind), let severity = Severity(rawValue: severity),
        let calls = Int128(calls), let cost = Int128(cost), let avoidable = Int128(avoidableCost),
        let evidenceCount = Int128(evidenceCount)
      else { return nil }
      var f = Finding(
        id: id, kind: kind, severity: severity, period: period, costCentre: costCentre, agentID: agentID,
        credentialID: credentialID, ownerID: ownerID, taskApprover: taskApprover, firstTime: firstTime,
        lastTime: lastTime, calls: calls, cost: Money(pico: cost), avoidableCost: Money(pico: avoidable),
        evidence: evidence, evidenceCount: evidenceCount, explanation: explanation, label: label,
        labelNote: labelNote)
      (f.callsKnown, f.hasPricedRecords, f.avoidableKnown, f.credentialIDs) = (
        callsKnown, hasPricedRecords, avoidableKnown, credentialIDs
      )
      return f
    }
  }

  /// Keeps `findings`, of the report of `period` whose key is `key`, into `out` (absolute); a
  /// month's findings past ``largest`` bytes are not kept, and the setting is emptied.
  static func keep(_ findings: [Finding], period: Period, key: String, out: String, in store: any ChargebackStore)
    throws
  {
    let kept = Kept(key: key, out: out, findings: findings.map(Stored.init))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(kept)
    let text = data.count <= largest ? String(decoding: data, as: UTF8.self) : ""
    try store.setSetting(settingPrefix + period.description, text)
  }

  /// The findings kept of `period`, when the report they were kept from is the one `explain` would
  /// build now (its key, worked out for `inputs`, the hashes of the identity, label, detection
  /// and price files in ``ReportKey``'s order); nil otherwise.
  static func read(period: Period, store: any ChargebackStore, inputs: [String]) throws -> [Finding]? {
    guard let text = try store.setting(settingPrefix + period.description), !text.isEmpty,
      let kept = try? JSONDecoder().decode(Kept.self, from: Data(text.utf8))
    else { return nil }
    let key = try ReportKey.of(store: store, period: period, asOf: nil, out: kept.out, inputs: inputs)
    guard key == kept.key else { return nil }
    var out: [Finding] = []
    out.reserveCapacity(kept.findings.count)
    for s in kept.findings {
      guard let f = s.finding else { return nil }
      out.append(f)
    }
    return out
  }
}
