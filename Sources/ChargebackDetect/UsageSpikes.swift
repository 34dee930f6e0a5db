import ChargebackModel
import ChargebackSupport

/// Usage spikes and new spenders (SPEC §6), per agent and per credential.
///
/// A day is a spike when its cost is above the subject's baseline median + `spikeMADs` × the scaled
/// median absolute deviation, and above `spikeFloor`; the baseline is every earlier day with usage
/// since the subject was first seen (at least `spikeMinBaselineDays` of them), reading back into
/// earlier periods in the store. The finding gives expected vs actual, the $ and % impact and the
/// top root causes (model, credential or agent, task, token class). A new spender is an identity with no
/// usage before the period whose period cost is above the floor.
package struct UsageSpikes {
  struct Meta: Equatable {
    var costCentre: String
    var agent: String?
    var credential: String?
    var owner: String?
  }

  private let settings: DetectionSettings
  let period: Period
  private var daily: [String: [Int64: Money]] = [:]
  /// Each subject's cost centre, agent, credential and owner that spent most of it in the period (a
  /// new spender's), and on each day of it (a spike's, ``DayFacts/meta``): an agent moved
  /// mid-month spikes in the cost centre it was in that day (its first cost centre of the month was
  /// named, a trial), and a credential two agents share spikes where the most was spent that day
  /// (the first agent by name was named, whose cost centre's workbook then showed another's spike:
  /// a trial).
  private var meta: [String: Meta] = [:]
  private var periodCost: [String: Money] = [:]
  private var periodCalls: [String: Int128] = [:]
  private var firstSeen: [String: Int64] = [:]
  /// Each subject's cells, in their order (``cellOrder()``), once prepared: positions in
  /// ``cellKeys``.
  ///
  /// What a day of a subject holds (its breakdown, evidence, counts) is worked out from them for
  /// the days a spike needs only: kept for every subject and day, those maps were most of a large
  /// directory's memory (a trial: 40,000 subjects over 31 days, a million cells).
  private(set) var cellsOf: [String: [Int32]] = [:]

  package init(settings: DetectionSettings, period: Period) {
    self.settings = settings
    self.period = period
  }

  /// Task costs per agent and per credential, each by a small slot number that its cells carry,
  /// so that a call reaches its maps without hashing the agent's or the credential's name.
  private(set) var agentTasks = SubjectTasks()
  private(set) var credentialTasks = SubjectTasks()

  private var taskCells = 0
  /// Task cells kept at most.
  ///
  /// A month with a task per call (a ticket id each) passes it: tasks are
  /// then left out of the root causes rather than let memory grow with the calls.
  static let taskCellLimit = 500_000
  private var tasksDropped = false
  /// The tasks' ids, numbered.
  private(set) var tasks = Numbering<String>()

  /// The cells, in the order first met (``UsageSpikes+Cells.swift``): their keys and totals,
  /// found through ``cellIndex``.
  private(set) var cellKeys: [CellKey] = []
  private(set) var cellTotals: [CellTotal] = []
  private var cellIndex = PositionIndex()
  /// Model ids, and the cost centres and owners of the cells, by number.
  private(set) var models = Numbering<String>()
  private(set) var costCentres = Numbering<String>()
  private(set) var owners = Numbering<String>()
  /// Each cell's cost and calls, and its cost per token class (``classCount`` a cell), in
  /// pico-USD, beside ``cellTotals`` (``ExactSums``: in 64 bits while they fit).
  private(set) var cellCosts = ExactSums()
  private(set) var cellCalls = ExactSums()
  private(set) var classCosts = ExactSums()
  /// The natural keys of evidence of records read from no store (``CellEvidence``).
  private(set) var evidenceKeys: [String] = []
  private var prepared = false

  /// Makes room, before the first call is observed, for the cells of `records` records (a record
  /// makes at most one), at most ``reservedBytes``.
  ///
  /// The room is address space, not memory: pages the cells never reach are never touched. Without
  /// it the cells grew by doubling, each time a copy of them all beside the old ones (3.5 million
  /// cells of a 10 M-call month of 20,000 service accounts: 600 MB at the last doubling).
  package mutating func expect(records: Int64) {
    let perCell =
      MemoryLayout<CellKey>.stride + MemoryLayout<CellTotal>.stride + MemoryLayout<Int>.stride
      + (2 + Self.classCount) * MemoryLayout<Int64>.stride
    let n = Int(min(max(records, 0), Int64(Self.reservedBytes / perCell)))
    cellKeys.reserveCapacity(n)
    cellTotals.reserveCapacity(n)
    cellIndex.reserve(n)
    cellCosts.reserve(n)
    cellCalls.reserve(n)
    classCosts.reserve(n * Self.classCount)
  }

  /// Adds a priced record, of the period or of the baseline before it.
  ///
  /// One dictionary update per record; the per-subject series are derived once, after the pass.
  package mutating func observe(_ c: ChargedRecord, row: Int64? = nil) {
    var place: LinePlace?
    observe(c, row: row, line: &place)
  }

  /// ``observe(_:row:)``, with `line` the place of the call's chargeback line (nil at its first
  /// call), kept up to date.
  package mutating func observe(_ c: ChargedRecord, row: Int64? = nil, line place: inout LinePlace?) {
    // Fields are read from `c` where they lie: a tuple of them would copy the whole record.
    // The attribution is read in place too (a copy of it was two per call).
    guard let cost = c.cost, c.attribution.agentID != nil || c.attribution.credentialID != nil else { return }
    let day = Timestamp.floorDiv(c.record.time, Timestamp.millisPerDay)
    if let p = place, p.key.day == day {
      add(c, cost: cost, day: day, key: p.key, cell: p.cell, row: row)
      return
    }
    var key =
      place?.key
      ?? CellKey(
        agent: c.attribution.agentID.map { agentTasks.slot($0) } ?? -1,
        credential: c.attribution.credentialID.map { credentialTasks.slot($0) } ?? -1,
        model: models.number(of: c.model), day: day)
    key.day = day
    let i = cell(of: key, c)
    place = LinePlace(key: key, cell: i)
    add(c, cost: cost, day: day, key: key, cell: i, row: row)
  }

  /// The position of `key`'s cell, made when new (with `c`'s cost centre and owner).
  private mutating func cell(of key: CellKey, _ c: borrowing ChargedRecord) -> Int {
    let hash = key.hashValue
    let i: Int
    if let found = cellIndex.find(hash: hash, where: { cellKeys[$0] == key }) {
      i = found
    } else {
      i = cellKeys.count
      cellKeys.append(key)
      cellIndex.insert(hash: hash, position: i)
      cellTotals.append(
        CellTotal(
          costCentre: costCentres.number(of: c.attribution.costCentre),
          owner: c.attribution.ownerID.map { owners.number(of: $0) } ?? -1))
      cellCosts.append(zeros: 1)
      cellCalls.append(zeros: 1)
      classCosts.append(zeros: Self.classCount)
    }
    return i
  }

  /// Adds `c` to cell `i`, whose key is `key`.
  private mutating func add(
    _ c: borrowing ChargedRecord, cost: Money, day: Int64, key: CellKey, cell i: Int, row: Int64?
  ) {
    noteTask(
      c.attribution.taskID, day: day, cost: cost, key.agent < 0 ? nil : key.agent,
      key.credential < 0 ? nil : key.credential)
    cellCosts.add(cost.pico, at: i)
    cellCalls.add(Int128(c.record.requests), at: i)
    cellTotals[i].records += 1
    for p in c.parts { classCosts.add(p.cost.pico, at: i * Self.classCount + p.tokenClass.rank) }
    if day >= firstPeriodDay, cellTotals[i].evidence.count < CellEvidence.limit {
      if let row, row >= 0 {
        cellTotals[i].evidence.add(row)
      } else {
        // A record read from no store, or (never from ours) a row below 0, which the code cannot
        // tell from a key's: its natural key, as the row would read.
        evidenceKeys.append(c.record.naturalKey)
        cellTotals[i].evidence.add(-Int64(evidenceKeys.count))
      }
    }
  }

  /// The period's first UTC day (cells of earlier days are the baseline's).
  var firstPeriodDay: Int64 { period.startMillis / Timestamp.millisPerDay }

  /// Adds a call's cost to its task's cells (for the agent and the credential), unless tasks were
  /// dropped for being too many.
  private mutating func noteTask(
    _ task: String?, day: Int64, cost: Money, _ agentSlot: Int32?, _ credentialSlot: Int32?
  ) {
    guard !tasksDropped else { return }
    guard taskCells < Self.taskCellLimit else {
      tasksDropped = true
      // The slots stay (cells carry them); only the task cells go.
      for s in agentTasks.maps.indices { agentTasks.maps[s] = [:] }
      for s in credentialTasks.maps.indices { credentialTasks.maps[s] = [:] }
      tasks = Numbering()
      return
    }
    // The calls without a task are -1: a task id `(none)` from a log is a task of its own.
    let key = DayTask(day: day, task: task.map { tasks.number(of: $0) } ?? -1)
    if let s = agentSlot { Self.add(cost.pico, at: key, in: &agentTasks.maps[Int(s)], &taskCells) }
    if let s = credentialSlot { Self.add(cost.pico, at: key, in: &credentialTasks.maps[Int(s)], &taskCells) }
  }

  private static func add(_ pico: Int128, at key: DayTask, in cells: inout [DayTask: Int128], _ count: inout Int) {
    if let i = cells.index(forKey: key) {
      cells.values[i] += pico
    } else {
      cells[key] = pico
      count += 1
    }
  }

  /// Derives the daily series and the period's figures per subject from the cells, and each
  /// subject's cells (``cellsOf``).
  ///
  /// ``spikes(naturalKey:)`` and ``newSpenders(known:)`` call it when it has not run; the report
  /// calls it first on a thread of its own, while it lists the FOCUS charges (it reads nothing
  /// but the detector's own cells).
  /// - Complexity: O(cells log cells).
  package mutating func prepare() {
    guard !prepared else { return }
    prepared = true
    cellIndex = PositionIndex()  // no cell is looked up from now on
    // Each subject's figures by its number (an agent's task slot, a credential's after the
    // agents'), named once at the end: a subject's name made and hashed into five maps per cell
    // and subject was most of this (a 20,000-account month: 930,000 cells).
    let agents = agentTasks.maps.count
    var subjects = [SubjectFigures](repeating: SubjectFigures(), count: agents + credentialTasks.maps.count)
    for position in cellOrder() {
      let (key, total) = (cellKeys[Int(position)], cellTotals[Int(position)])
      let (cost, calls) = (Money(pico: cellCosts[Int(position)]), cellCalls[Int(position)])
      func note(_ s: Int, _ name: @autoclosure () -> String, _ m: @autoclosure () -> Meta) {
        if subjects[s].name == nil { subjects[s].name = name() }
        subjects[s].daily[key.day, default: .zero] += cost
        subjects[s].firstSeen = min(subjects[s].firstSeen ?? key.day, key.day)
        subjects[s].cells.append(position)
        guard key.day >= firstPeriodDay else { return }
        // Spend per cost centre, agent, credential and owner, in the order first met (the first
        // wins a tie).
        Self.add(m(), cost, to: &subjects[s].spent)
        subjects[s].cost = (subjects[s].cost ?? .zero) + cost
        subjects[s].calls += calls
      }
      let (costCentre, owner) = (costCentres.values[Int(total.costCentre)], name(of: total.owner, in: owners.values))
      let agent = name(of: key.agent, in: agentTasks.names)
      if let agent {
        note(
          Int(key.agent), "agent:" + agent, Meta(costCentre: costCentre, agent: agent, credential: nil, owner: owner))
      }
      if let credential = name(of: key.credential, in: credentialTasks.names) {
        note(
          agents + Int(key.credential), "credential:" + credential,
          Meta(costCentre: costCentre, agent: agent, credential: credential, owner: owner))
      }
    }
    for f in subjects {
      guard let subject = f.name else { continue }
      daily[subject] = f.daily
      firstSeen[subject] = f.firstSeen
      cellsOf[subject] = f.cells
      if let m = Self.most(f.spent) { meta[subject] = m }
      if let cost = f.cost {
        periodCost[subject] = cost
        periodCalls[subject] = f.calls
      }
    }
  }

  /// The spike findings of the period.
  /// - Complexity: O(subjects × days × log days).
  /// `naturalKey` reads the natural key of a record by its row in the store (``observe(_:row:)``).
  package mutating func spikes(naturalKey: (Int64) throws -> String = { "row \($0)" }) rethrows -> [Finding] {
    prepare()
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
        // Daily costs are sums of bounded records (Bounds), but the scaled MAD and the percentage
        // multiply them: overflow-reporting, a threshold beyond Int128 is never crossed.
        let (scaledMAD, o1) = mad.multipliedReportingOverflow(by: 14_826 * Int128(settings.spikeMADs))
        let (threshold, o2) = median.addingReportingOverflow(Money.roundDiv(scaledMAD, 10_000))
        guard !o1, !o2, actual.pico > threshold else { continue }
        let expected = Money(pico: median)
        let impact = actual - expected
        let (hundredfold, o3) = impact.pico.multipliedReportingOverflow(by: 100)
        let pct =
          median > 0 && !o3
          ? "+" + Money.format(units: Money.roundDiv(hundredfold, median), decimals: 0) + " %" : "new"
        // Root causes: the model, credential or agent, task and token class whose cost grew most
        // over their average on the baseline days.
        let baselineDays = (first..<day).filter { days[$0] != nil }
        // Tasks and the days' facts are looked up for the spike day and its baseline days only.
        let tasks = taskCosts(of: subject, days: Set(baselineDays + [day]))
        let facts = facts(of: subject, days: Set(baselineDays + [day]))
        var today = facts[day]?.breakdown ?? [:]
        for (task, cost) in tasks[day] ?? [:] { today[task] = Money(pico: cost) }
        // A model, credential or agent that is the subject's only one, on the spike day and every
        // baseline day, holds all of its cost and explains nothing ("no credential +71 USD" for
        // an agent that never has one): left out.
        var seen: [String: Set<String>] = [:]
        for d in baselineDays + [day] {
          for cause in (facts[d]?.breakdown ?? [:]).keys {
            if let dimension = Self.fixedDimension(of: cause) { seen[dimension, default: []].insert(cause) }
          }
        }
        for values in seen.values where values.count == 1 { today[values.first ?? ""] = nil }
        let causes = today.map { cause, cost -> (String, Money) in
          let past = baselineDays.reduce(Int128(0)) {
            $0
              // "no task" is one of the tasks' causes too: looked up among the others, its past
              // was 0 and the whole day showed as growth (a trial).
              + (cause.hasPrefix("task ") || cause == "no task"
                ? tasks[$1]?[cause] ?? 0 : facts[$1]?.breakdown[cause]?.pico ?? 0)
          }
          return (cause, cost - Money(pico: past / Int128(max(baselineDays.count, 1))))
        }
        .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        .prefix(4).map { "\($0.0) +\($0.1.formatted(decimals: 2)) USD" }
        let name = Self.display(subject)
        let m = facts[day]?.meta ?? m
        // A credential bound to one agent spikes with it: report the agent's spike only.
        if subject.hasPrefix("credential:"), let agent = m.agent, daily["agent:" + agent]?[day] == actual { continue }
        out.append(
          Finding(
            id: FindingID.make(kind: .usageSpike, period: period, subject: subject + "|" + String(day)),
            kind: .usageSpike, severity: .medium, period: period.description, costCentre: m.costCentre,
            agentID: m.agent, credentialID: m.credential, ownerID: m.owner, taskApprover: nil,
            firstTime: day * Timestamp.millisPerDay, lastTime: (day + 1) * Timestamp.millisPerDay - 1,
            calls: facts[day]?.calls ?? 0, cost: actual, avoidableCost: .zero,
            evidence: try (facts[day]?.evidence ?? []).map {
              switch $0 {
              case .row(let row): try naturalKey(row)
              case .key(let key): key
              }
            },
            evidenceCount: facts[day]?.records ?? 0,
            explanation:
              "\(name) spent \(actual.formatted(decimals: 2)) USD on \(Timestamp.day(day * Timestamp.millisPerDay)) against an expected \(expected.formatted(decimals: 2)) USD (\(impact.formatted(decimals: 2)) USD, \(pct)); top causes over baseline: \(causes.joined(separator: ", "))\(tasksDropped ? " (tasks not broken down: the month has more than \(Self.taskCellLimit) task-days)" : "")"
          ))
      }
    }
    return out
  }

  /// New spenders: subjects first seen in the period (none of their usage before it, here or in `known`) whose
  /// period cost is above the floor.
  ///
  /// Empty when the store has no usage before the period at all: then there is no history to be new against.
  package mutating func newSpenders(known: Set<String>) -> [Finding] {
    prepare()
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
}
