/// Collects lifecycle, identity and policy findings raised while attributing and pricing records
/// (SPEC §4), one finding per kind and subject (a credential, an agent, a task, a model).
struct PolicyFindings {
  private struct Accumulator {
    var kind: FindingKind
    var subject: String
    var costCentre: String?
    var agentID: String?
    var credentialID: String?
    var ownerID: String?
    var approver: String?
    var first: Int64
    var last: Int64
    var calls: Int64 = 0
    var cost = Money.zero
    var evidence: [String] = []
    var count: Int64 = 0
    var detail: String
  }

  private var acc: [String: Accumulator] = [:]
  /// Evidence keys kept per finding.
  static let evidenceLimit = 10

  /// Notes one record under a finding of `kind` about `subject`.
  mutating func note(
    _ kind: FindingKind, subject: String, record r: UsageRecord, attribution a: Attribution, cost: Money?,
    detail: @autoclosure () -> String, approver: String? = nil
  ) {
    let key = kind.rawValue + "\u{0}" + subject
    if acc[key] == nil {
      acc[key] = Accumulator(
        kind: kind, subject: subject, costCentre: a.costCentre, agentID: a.agentID,
        credentialID: a.credentialID, ownerID: a.ownerID, approver: approver, first: r.time, last: r.time,
        detail: detail())
    }
    guard let i = acc.index(forKey: key) else { return }
    // Mutated in place: one lookup, and no copy of the evidence array.
    acc.values[i].calls += r.requests
    acc.values[i].cost += cost ?? .zero
    acc.values[i].count += 1
    acc.values[i].first = min(acc.values[i].first, r.time)
    acc.values[i].last = max(acc.values[i].last, r.time)
    if acc.values[i].evidence.count < Self.evidenceLimit { acc.values[i].evidence.append(r.naturalKey) }
  }

  /// Adds a finding not tied to single records (a budget).
  mutating func add(_ f: Finding) { extra.append(f) }
  private var extra: [Finding] = []

  /// The findings, with stable ids.
  func findings(period: Period) -> [Finding] {
    acc.values.map { a in
      Finding(
        id: FindingID.make(kind: a.kind, period: period, subject: a.subject), kind: a.kind,
        severity: a.kind.severity, period: period.description, costCentre: a.costCentre, agentID: a.agentID,
        credentialID: a.credentialID, ownerID: a.ownerID, taskApprover: a.approver, firstTime: a.first,
        lastTime: a.last, calls: a.calls, cost: a.cost, avoidableCost: .zero, evidence: a.evidence,
        evidenceCount: a.count, explanation: a.detail)
    } + extra
  }
}

/// Stable finding ids: the same kind, period and subject give the same id on every run.
enum FindingID {
  /// `F-<kind>-<12 hex of FNV-1a 64 over kind|period|subject>`.
  static func make(kind: FindingKind, period: Period, subject: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in "\(kind.rawValue)|\(period)|\(subject)".utf8 {
      h ^= UInt64(b)
      h &*= 0x100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return "F-" + String(repeating: "0", count: 16 - hex.count) + hex
  }
}
