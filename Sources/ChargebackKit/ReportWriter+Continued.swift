import ChargebackModel
import ChargebackSupport
import Foundation

extension ReportWriter {
  /// A finding of the previous run's `findings.csv`, its fields as written there.
  struct PreviousFinding: Sendable {
    var id: String
    var kind: String
    var costCentre: String
    var agentID: String
    var credentialID: String
    var first: Int64
    var last: Int64

    /// True when `f` may be this finding with calls added before or after it: the same kind, cost
    /// centre, agent and credential, over a time that holds this one's (calls added to a storm or
    /// a loop only widen it: a storm of another prompt beside it, overlapping, does not hold it).
    func continues(_ f: Finding) -> Bool {
      kind == f.kind.rawValue && costCentre == SafeText.csvField(f.costCentre ?? "")
        && agentID == SafeText.csvField(f.agentID ?? "") && credentialID == SafeText.csvField(f.credentialID ?? "")
        && f.firstTime <= first && last <= f.lastTime
    }
  }

  /// Kinds whose id names their first call (a retry storm's first call's time, a loop's root): a
  /// late file that brings earlier calls of a storm or loop already reported gives it a new id.
  static let continuedKinds: Set<FindingKind> = [.retryStorm, .recursiveLoop]

  /// The findings of the previous run's `findings.csv` (a file this tool wrote), or of its `name`.
  func previousFindings(_ name: String = "findings.csv") -> [PreviousFinding] {
    guard Self.fileType(path(name)) == .typeRegular, let table = try? CSVTable(path: path(name)) else { return [] }
    return table.rows.compactMap { row in
      let v = { table.value(row.fields, $0) ?? "" }
      guard !v("finding_id").isEmpty else { return nil }
      return PreviousFinding(
        id: v("finding_id"), kind: v("kind"), costCentre: v("cost_centre"), agentID: v("agent_id"),
        credentialID: v("credential_id"), first: Timestamp.parseMillis(v("first_seen")) ?? .max,
        last: Timestamp.parseMillis(v("last_seen")) ?? .min)
    }
  }

  /// The findings of `report` that are new since the findings `earlier` (ids already alerted),
  /// `previous` the previous run's.
  ///
  /// A storm or loop whose id changed because a late file brought earlier calls of it is not new:
  /// the previous run's finding it continues (``PreviousFinding/continues(_:)``) is gone from this
  /// report, and continued by no other. A trial: a Bedrock hour folder delivered a day late gave a storm and a loop new ids,
  /// both alerted again by `--fail-on`. A finding still in the report under its id is continued by
  /// nothing else.
  static func newFindings(
    of report: ChargebackReport, earlier: Set<String>, previous: [PreviousFinding]
  ) -> [Finding] {
    let current = Set(report.findings.map(\.id))
    let gone = previous.filter {
      earlier.contains($0.id) && !current.contains($0.id)
        && FindingKind(rawValue: $0.kind).map(continuedKinds.contains) == true
    }
    // One to one: a finding gone excuses one new finding at most (a second storm of the agent's,
    // overlapping the grown one, was excused by the same gone finding: a review).
    var unused = gone
    return report.findings.filter { f in
      guard !earlier.contains(f.id) else { return false }
      guard continuedKinds.contains(f.kind), let i = unused.firstIndex(where: { $0.continues(f) }) else { return true }
      unused.remove(at: i)
      return false
    }
  }
}
