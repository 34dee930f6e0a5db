import ChargebackModel

/// What a subject's cells say of its days: who each cell counts for, the facts of a day a spike
/// needs (breakdown by cause, evidence, counts, who spent most), and the cells' order.
extension UsageSpikes {
  static func add(_ m: Meta, _ cost: Money, to list: inout [(Meta, Money)]) {
    if let i = list.firstIndex(where: { $0.0 == m }) { list[i].1 += cost } else { list.append((m, cost)) }
  }

  static func most(_ list: [(Meta, Money)]) -> Meta? {
    list.reduce(nil as (Meta, Money)?) { best, x in best.map { x.1 > $0.1 ? x : $0 } ?? x }?.0
  }

  /// What one day of a subject holds, from its cells.
  struct DayFacts {
    /// Cost by cause: `model …`, the other identity (`credential …`, `agent …`, `no …`), `tokens …`.
    var breakdown: [String: Money] = [:]
    /// Natural keys of its calls, in the cells' order, at most ``PolicyFindings/evidenceLimit``
    /// (days of the period only).
    var evidence: [Evidence] = []
    var calls: Int128 = 0
    var records: Int128 = 0
    /// Who spent most of it (days of the period only).
    var meta: Meta?
  }

  /// The facts of each of `days` of `subject` (``DayFacts``), from its cells in their order.
  func facts(of subject: String, days: Set<Int64>) -> [Int64: DayFacts] {
    let isAgent = subject.hasPrefix("agent:")
    var out: [Int64: DayFacts] = [:]
    var spent: [Int64: [(Meta, Money)]] = [:]
    for position in cellsOf[subject] ?? [] {
      let (key, total) = (cellKeys[Int(position)], cellTotals[Int(position)])
      guard days.contains(key.day) else { continue }
      let cost = Money(pico: cellCosts[Int(position)])
      let agent = name(of: key.agent, in: agentTasks.names)
      let credential = name(of: key.credential, in: credentialTasks.names)
      var f = out[key.day] ?? DayFacts()
      let other =
        isAgent
        ? credential.map { "credential " + $0 } ?? "no credential"
        : agent.map { "agent " + $0 } ?? "no agent"
      f.calls += cellCalls[Int(position)]
      f.records += Int128(total.records)
      for cause in ["model " + models.values[Int(key.model)], other] {
        f.breakdown[cause, default: .zero] += cost
      }
      for (ci, c) in TokenClass.allCases.enumerated() {
        let pico = classCosts[Int(position) * Self.classCount + ci]
        if pico != 0 { f.breakdown["tokens " + c.rawValue, default: .zero] += Money(pico: pico) }
      }
      if key.day >= firstPeriodDay {
        let m = Meta(
          costCentre: costCentres.values[Int(total.costCentre)], agent: agent, credential: isAgent ? nil : credential,
          owner: name(of: total.owner, in: owners.values))
        Self.add(m, cost, to: &spent[key.day, default: []])
        for code in total.evidence.all where f.evidence.count < PolicyFindings.evidenceLimit {
          f.evidence.append(code >= 0 ? .row(code) : .key(evidenceKeys[Int(-1 - code)]))
        }
      }
      out[key.day] = f
    }
    for (day, list) in spent { out[day]?.meta = Self.most(list) }
    return out
  }

  /// The task costs of `subject` (`agent:x` or `credential:y`) on each of `days`.
  func taskCosts(of subject: String, days: Set<Int64>) -> [Int64: [String: Int128]] {
    let cells: [DayTask: Int128]?
    if subject.hasPrefix("agent:") {
      cells = agentTasks.cells(of: String(subject.dropFirst("agent:".count)))
    } else {
      cells = credentialTasks.cells(of: String(subject.dropFirst("credential:".count)))
    }
    var out: [Int64: [String: Int128]] = [:]
    for (cell, cost) in cells ?? [:] where days.contains(cell.day) {
      out[cell.day, default: [:]][cell.task < 0 ? "no task" : "task " + tasks.values[Int(cell.task)], default: 0] +=
        cost
    }
    return out
  }

  /// The name numbered `n` in `names`; nil for -1.
  func name(of n: Int32, in names: [String]) -> String? { n < 0 ? nil : names[Int(n)] }

  /// The cells' positions in their order (day, agent, credential, model, each id in `String`
  /// order, a missing one as the empty one): a permutation sorted by integer keys
  /// (``SortKey``) worked out as they are compared, from each name's rank (comparing three strings
  /// per comparison was 12 % of the report of a million cells; an array of the keys would be 84 MB
  /// of 3.5 million).
  func cellOrder() -> [Int32] {
    let (agents, credentials, models) = (
      Ranks(agentTasks.names), Ranks(credentialTasks.names), Ranks(self.models.values)
    )
    let agentRank = agentTasks.names.map { agents[$0] }
    let credentialRank = credentialTasks.names.map { credentials[$0] }
    let modelRank = self.models.values.map { models[$0] }
    let (noAgent, noCredential) = (agents[nil], credentials[nil])
    func key(_ k: CellKey) -> SortKey {
      SortKey(
        day: k.day, agent: k.agent < 0 ? noAgent : agentRank[Int(k.agent)],
        credential: k.credential < 0 ? noCredential : credentialRank[Int(k.credential)], model: modelRank[Int(k.model)])
    }
    var order = Array(0..<Int32(cellKeys.count))
    cellKeys.withUnsafeBufferPointer { cells in order.sort { key(cells[Int($0)]) < key(cells[Int($1)]) } }
    return order
  }

  /// Each name's rank in the cells' order of ids (``cellOrder()``), a missing id as the empty one.
  struct Ranks {
    private let ranks: [String: Int32]

    init(_ names: [String]) {
      ranks = Dictionary(uniqueKeysWithValues: Set(names + [""]).sorted().enumerated().map { ($1, Int32($0)) })
    }

    subscript(_ name: String?) -> Int32 { ranks[name ?? ""] ?? 0 }
  }

  /// A cell's place in ``cellOrder()``: its day, then its agent's, credential's and
  /// model's ranks in that order.
  struct SortKey: Comparable {
    var day: Int64
    var agent: Int32
    var credential: Int32
    var model: Int32

    static func < (a: SortKey, b: SortKey) -> Bool {
      (a.day, a.agent, a.credential, a.model) < (b.day, b.agent, b.credential, b.model)
    }
  }

  /// What ``prepare()`` works out of one subject's cells.
  struct SubjectFigures {
    var name: String?
    var daily: [Int64: Money] = [:]
    var firstSeen: Int64?
    var cells: [Int32] = []
    var spent: [(Meta, Money)] = []
    var cost: Money?
    var calls: Int128 = 0
  }

  /// `agent:x` → `agent x`.
  static func display(_ subject: String) -> String {
    guard let colon = subject.firstIndex(of: ":") else { return subject }
    return subject[..<colon] + " " + subject[subject.index(after: colon)...]
  }

  static func median(_ values: [Int128]) -> Int128 {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  /// The dimension of a spike's cause that a subject may have one value of only (its model, or
  /// the credential of an agent, the agent of a credential); nil for a task or a token class.
  static func fixedDimension(of cause: String) -> String? {
    if cause.hasPrefix("model ") { return "model" }
    if cause.hasPrefix("credential ") || cause == "no credential" { return "credential" }
    if cause.hasPrefix("agent ") || cause == "no agent" { return "agent" }
    return nil
  }
}
