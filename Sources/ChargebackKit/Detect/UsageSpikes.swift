/// Usage spikes and new spenders (SPEC §6), per agent and per credential.
///
/// A day is a spike when its cost is above the subject's baseline median + `spikeMADs` × the scaled
/// median absolute deviation, and above `spikeFloor`; the baseline is every earlier day with usage
/// since the subject was first seen (at least `spikeMinBaselineDays` of them), reading back into
/// earlier periods in the store. The finding gives expected vs actual, the $ and % impact and the
/// top root causes (model, credential or agent, task, token class). A new spender is an identity with no
/// usage before the period whose period cost is above the floor.
struct UsageSpikes {
  private struct Meta {
    var costCentre: String
    var agent: String?
    var credential: String?
    var owner: String?
  }

  private struct SubjectDay: Hashable {
    var subject: String
    var day: Int64
  }

  private let settings: DetectionSettings
  private let period: Period
  private var daily: [String: [Int64: Money]] = [:]
  private var breakdown: [SubjectDay: [String: Money]] = [:]
  private var evidence: [SubjectDay: [String]] = [:]
  private var meta: [String: Meta] = [:]
  private var periodCost: [String: Money] = [:]
  private var periodCalls: [String: Int64] = [:]
  private var firstSeen: [String: Int64] = [:]

  init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// Adds a priced record, of the period or of the baseline before it.
  mutating func observe(_ r: UsageRecord, _ a: Attribution, model: String, cost: Money?) {
    guard let cost else { return }
    let day = Timestamp.floorDiv(r.time, Timestamp.millisPerDay)
    let inPeriod = r.time >= period.startMillis
    var subjects: [(String, Meta)] = []
    if let agent = a.agentID {
      subjects.append(
        ("agent:" + agent, Meta(costCentre: a.costCentre, agent: agent, credential: nil, owner: a.ownerID)))
    }
    if let cred = a.credentialID {
      subjects.append(
        ("credential:" + cred, Meta(costCentre: a.costCentre, agent: a.agentID, credential: cred, owner: a.ownerID)))
    }
    for (subject, m) in subjects {
      daily[subject, default: [:]][day, default: .zero] += cost
      firstSeen[subject] = min(firstSeen[subject] ?? day, day)
      guard inPeriod else { continue }
      meta[subject] = meta[subject] ?? m
      periodCost[subject, default: .zero] += cost
      periodCalls[subject, default: 0] += r.requests
      let key = SubjectDay(subject: subject, day: day)
      var causes = breakdown[key] ?? [:]
      causes["model " + model, default: .zero] += cost
      causes[
        (subject.hasPrefix("agent:") ? "credential " + (a.credentialID ?? "-") : "agent " + (a.agentID ?? "-")),
        default: .zero] += cost
      causes["task " + (a.taskID ?? "(none)"), default: .zero] += cost
      breakdown[key] = causes
      if (evidence[key]?.count ?? 0) < PolicyFindings.evidenceLimit { evidence[key, default: []].append(r.naturalKey) }
    }
  }

  /// The spike findings of the period.
  /// - Complexity: O(subjects × days × log days).
  func spikes() -> [Finding] {
    var out: [Finding] = []
    let firstDay = period.startMillis / Timestamp.millisPerDay
    let lastDay = period.endMillis / Timestamp.millisPerDay
    for subject in daily.keys.sorted() {
      guard let days = daily[subject], let first = firstSeen[subject], let m = meta[subject] else { continue }
      for day in max(firstDay, first)..<lastDay {
        let actual = days[day] ?? .zero
        guard actual > settings.spikeFloor else { continue }
        // The baseline is the days the subject was used, not the idle days between them: a job
        // that runs twice a week at the same cost has a median of that cost, not of zero (with
        // idle days counted, median and MAD are 0 and every run above the floor is a "spike").
        let history = (first..<day).compactMap { days[$0]?.pico }
        guard history.count >= settings.spikeMinBaselineDays else { continue }
        let median = Self.median(history)
        let mad = Self.median(history.map { abs($0 - median) })
        let threshold = median + Money.roundDiv(mad * 14_826 * Int128(settings.spikeMADs), 10_000)
        guard actual.pico > threshold else { continue }
        let expected = Money(pico: median)
        let impact = actual - expected
        let pct =
          median > 0 ? "+" + Money.format(units: Money.roundDiv(impact.pico * 100, median), decimals: 0) + " %" : "new"
        let key = SubjectDay(subject: subject, day: day)
        let causes = (breakdown[key] ?? [:]).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
          .prefix(3).map { "\($0.key) \($0.value.formatted(decimals: 2)) USD" }
        let name = Self.display(subject)
        // A credential bound to one agent spikes with it: report the agent's spike only.
        if subject.hasPrefix("credential:"), let agent = m.agent, daily["agent:" + agent]?[day] == actual { continue }
        out.append(
          Finding(
            id: FindingID.make(kind: .usageSpike, period: period, subject: subject + "|" + String(day)),
            kind: .usageSpike, severity: .medium, period: period.description, costCentre: m.costCentre,
            agentID: m.agent, credentialID: m.credential, ownerID: m.owner, taskApprover: nil,
            firstTime: day * Timestamp.millisPerDay, lastTime: (day + 1) * Timestamp.millisPerDay - 1,
            calls: 0, cost: actual, avoidableCost: .zero, evidence: evidence[key] ?? [], evidenceCount: 0,
            explanation:
              "\(name) spent \(actual.formatted(decimals: 2)) USD on \(Timestamp.day(day * Timestamp.millisPerDay)) against an expected \(expected.formatted(decimals: 2)) USD (\(impact.formatted(decimals: 2)) USD, \(pct)); top causes: \(causes.joined(separator: ", "))"
          ))
      }
    }
    return out
  }

  /// New spenders: subjects first seen in the period (none of their usage before it, here or in `known`) whose
  /// period cost is above the floor.
  ///
  /// Empty when the store has no usage before the period at all: then there is no history to be new against.
  func newSpenders(known: Set<String>) -> [Finding] {
    let firstDayOfPeriod = period.startMillis / Timestamp.millisPerDay
    guard known.count > 0 || firstSeen.values.contains(where: { $0 < firstDayOfPeriod }) else { return [] }
    var out: [Finding] = []
    let firstDay = period.startMillis / Timestamp.millisPerDay
    for subject in periodCost.keys.sorted() {
      guard let cost = periodCost[subject], cost > settings.spikeFloor, let m = meta[subject],
        let first = firstSeen[subject], first >= firstDay, !known.contains(subject)
      else { continue }
      let name = Self.display(subject)
      if subject.hasPrefix("credential:"), let agent = m.agent, periodCost["agent:" + agent] == cost { continue }
      out.append(
        Finding(
          id: FindingID.make(kind: .newSpender, period: period, subject: subject), kind: .newSpender,
          severity: .low, period: period.description, costCentre: m.costCentre, agentID: m.agent,
          credentialID: m.credential, ownerID: m.owner, taskApprover: nil, firstTime: first * Timestamp.millisPerDay,
          lastTime: period.endMillis - 1, calls: periodCalls[subject] ?? 0, cost: cost, avoidableCost: .zero,
          evidence: [], evidenceCount: 0,
          explanation:
            "\(name) has no usage before \(Timestamp.day(first * Timestamp.millisPerDay)) and spent \(cost.formatted(decimals: 2)) USD this period: confirm it is expected"
        ))
    }
    return out
  }

  /// `agent:x` → `agent x`.
  private static func display(_ subject: String) -> String {
    guard let colon = subject.firstIndex(of: ":") else { return subject }
    return subject[..<colon] + " " + subject[subject.index(after: colon)...]
  }

  private static func median(_ values: [Int128]) -> Int128 {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}
