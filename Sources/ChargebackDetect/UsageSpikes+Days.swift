import ChargebackModel

/// What a subject's cells say of its days: who each cell counts for, the facts of a day a spike
/// needs (breakdown by cause, evidence, counts, who spent most), and the cells' order.
extension UsageSpikes {
  /// The subjects a cell counts for (its agent's, its credential's), each with the cell's meta.
  static func subjects(of cell: Cell, _ total: CellTotal) -> [(String, Meta)] {
    var subjects: [(String, Meta)] = []
    if let agent = cell.agent {
      subjects.append(
        ("agent:" + agent, Meta(costCentre: total.costCentre, agent: agent, credential: nil, owner: total.owner)))
    }
    if let cred = cell.credential {
      subjects.append(
        (
          "credential:" + cred,
          Meta(costCentre: total.costCentre, agent: cell.agent, credential: cred, owner: total.owner)
        )
      )
    }
    return subjects
  }

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
    let firstPeriodDay = period.startMillis / Timestamp.millisPerDay
    let isAgent = subject.hasPrefix("agent:")
    var out: [Int64: DayFacts] = [:]
    var spent: [Int64: [(Meta, Money)]] = [:]
    for position in cellsOf[subject] ?? [] {
      let (cell, total) = sortedCells[Int(position)]
      guard days.contains(cell.day) else { continue }
      guard let m = Self.subjects(of: cell, total).first(where: { $0.0 == subject })?.1 else { continue }
      var f = out[cell.day] ?? DayFacts()
      let other =
        isAgent
        ? cell.credential.map { "credential " + $0 } ?? "no credential"
        : cell.agent.map { "agent " + $0 } ?? "no agent"
      f.calls += total.calls
      f.records += total.records
      for cause in ["model " + cell.model, other] { f.breakdown[cause, default: .zero] += total.cost }
      for (ci, c) in TokenClass.allCases.enumerated() where total.byClass[ci] != .zero {
        f.breakdown["tokens " + c.rawValue, default: .zero] += total.byClass[ci]
      }
      if cell.day >= firstPeriodDay {
        Self.add(m, total.cost, to: &spent[cell.day, default: []])
        for e in total.evidence where f.evidence.count < PolicyFindings.evidenceLimit { f.evidence.append(e) }
      }
      out[cell.day] = f
    }
    for (day, list) in spent { out[day]?.meta = Self.most(list) }
    return out
  }

  /// A cell's place in ``precedes(_:_:)``'s order: its day, then its agent's, credential's and
  /// model's ranks in that order.
  struct SortKey: Comparable {
    var day: Int64
    var agent: Int32
    var credential: Int32
    var model: Int32

    static func < (a: SortKey, b: SortKey) -> Bool {
      (a.day, a.agent, a.credential, a.model) < (b.day, b.agent, b.credential, b.model)
    }

    /// The keys of `cells`: each agent, credential and model ranked once in ``precedes(_:_:)``'s
    /// order (a missing id as the empty one, as it takes it).
    static func keys(of cells: [Cell]) -> [SortKey] {
      func ranks(_ name: (Cell) -> String) -> [String: Int32] {
        let names = Set(cells.map(name)).sorted()
        return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
      }
      let (agents, credentials, models) = (ranks { $0.agent ?? "" }, ranks { $0.credential ?? "" }, ranks(\.model))
      return cells.map { c in
        SortKey(
          day: c.day, agent: agents[c.agent ?? ""] ?? 0, credential: credentials[c.credential ?? ""] ?? 0,
          model: models[c.model] ?? 0)
      }
    }
  }

  /// The cells' order: day, agent, credential, model, a missing id as the empty one.
  static func precedes(_ a: borrowing Cell, _ b: borrowing Cell) -> Bool {
    if a.day != b.day { return a.day < b.day }
    if let o = emptyFirstOrder(a.agent, b.agent) { return o }
    if let o = emptyFirstOrder(a.credential, b.credential) { return o }
    return a.model < b.model
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

extension UsageSpikes {
  /// The grain of the series: one cell per agent, credential, day and model.
  ///
  /// Tasks are summed
  /// apart (``DayTask``): there can be a task per call, and a cell per task would make memory grow
  /// with the calls.
  struct Cell: Hashable {
    var agent: String?
    var credential: String?
    var day: Int64
    var model: String
  }

  /// A cell with its hash worked out once, as the key of ``cells``.
  ///
  /// The dictionary grows to a cell per subject, day and model (a million on a 20,000-account
  /// month) and hashes every key again each time it grows: three strings per cell, re-hashed, were
  /// a twelfth of the summing thread of that month's report (perf). Now a key's strings are hashed
  /// once, when the call is observed; the dictionary hashes one integer.
  struct HashedCell: Hashable {
    let cell: Cell
    let hash: Int
    init(_ cell: Cell) {
      self.cell = cell
      hash = cell.hashValue
    }
    static func == (a: HashedCell, b: HashedCell) -> Bool { a.hash == b.hash && a.cell == b.cell }
    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
  }
}
