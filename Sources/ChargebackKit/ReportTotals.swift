import ChargebackIdentity
import ChargebackModel
import ChargebackPricing
import ChargebackStore
import ChargebackSupport

/// The running totals of one report pass: every charged record is added by ``add(_:source:)`` to the
/// lines, days, cost centres and FOCUS cells.
///
/// Memory grows with the number of distinct keys (lines, days, cells), not with the records.
///
/// Per record, one key is hashed: the line's. The FOCUS cell, the cost centre's day and the
/// commitment's day are functions of the line key, the UTC day and the account, so each line
/// remembers the ones its last record went to and a record of the same day and account reuses them
/// without hashing (records arrive in time order, so that is the common case). The cost centres
/// are sums of lines, made once at the end. (Callgrind, 100 k-call month: hashing the four keys of
/// every record was a sixth of the report.)
final class ReportTotals {
  private let identities: IdentityDirectory
  private let prices: PriceTable
  /// Each line's position in ``lines`` (and ``slots``), by its key.
  private var lineIndex = LineIndex()
  /// The lines, in the order they were made.
  private var lines: [ChargebackLine] = []
  /// Where each line's last record went, beside ``lines``: kept apart so that the lines can be
  /// handed over at the end without a copy.
  private var slots: [LineSlot] = []
  /// Each cost centre's day's position in ``days``, by the cost centre's number.
  private var dayIndex: [CentreDay: Int] = [:]
  private var days: [DailyTotal] = []
  private var dayNames: [Int64: String] = [:]
  /// Records that could not be priced.
  private(set) var unpriced: Int64 = 0
  /// The FOCUS groups held in memory, handed to their ledger as runs (``FocusGroups``).
  private var focus: FocusGroups
  /// What ``dayIndex`` and the FOCUS groups are keyed by, numbered.
  ///
  /// A line's FOCUS group without its day and account (``LineSlot/group``), its cost centre, and
  /// the accounts. Each line's are found once (its first record), an account's when a line's
  /// changes: a FOCUS group and a cost centre's day hashed by their strings, for each day of each
  /// line, were a tenth of the report of a month of 20,000 service accounts calling a few times a
  /// day.
  ///
  /// A line's group is numbered by the first line of it (``groupLines``), found by hash among
  /// them (``groupIndex``): a map keyed by the groups themselves kept a copy of each (a group per
  /// credential and model, 40 MB of a 20,000-account month).
  private var groupIndex = LineIndex()
  private var groupLines: [Int32] = []
  private var centreNumbers = Numbering<String>()
  private var accountNumbers = Numbering<String?>()
  /// List cost of calls under a commitment per commitment, cost centre and UTC day, so that a
  /// provisioned fee's share can be put on the days (``Commitments``); positions in
  /// ``committedAmounts``.
  private var committedIndex: [CommittedDay: Int] = [:]
  private var committedAmounts: [Money] = []
  /// The lines' tasks (SPEC §11): a line is keyed without its task, and each of its calls with a
  /// task is summed here too, under the line's position, so that memory grows with the lines (the
  /// directory), not with the tasks, which can be one per call.
  private let tasks: TaskLedger?
  /// Whether any call had a task.
  private var anyTask = false
  /// The directory rows of the tasks the calls named (``ChargebackReport/tasks``).
  private(set) var taskEntries: [String: TaskEntry] = [:]

  /// Totals that hold at most `taskLimit` (line, task) pairs and `classLimit` FOCUS groups in memory.
  ///
  /// The rest are on disk in `taskDirectory` (``TaskLedger``, ``ClassChargeLedger``); with
  /// `taskLimit` nil, no task is kept, and with `classLimit` nil no FOCUS row (the previous
  /// period's totals, which only the lines are read of).
  init(
    identities: IdentityDirectory, prices: PriceTable, taskLimit: Int? = TaskLedger.defaultLimit,
    classLimit: Int? = ClassChargeLedger.defaultGroupLimit, taskDirectory: String? = nil
  ) {
    self.identities = identities
    self.prices = prices
    tasks = taskLimit.map { TaskLedger(limit: $0, directory: taskDirectory) }
    focus = FocusGroups(
      limit: classLimit.map { max(1, $0) }, charges: ClassChargeLedger(directory: taskDirectory),
      prices: classLimit == nil ? [] : prices.rows.map(AppliedPrice.init))
  }

  /// The most address space the lines, their slots and their hashes are given before the pass:
  /// 512 MiB in all.
  static let reservedBytes = 1 << 29
  /// Places kept after the lines for those the caller adds after the pass (``takeLineList(room:)``).
  static let spareLines = 4_096

  /// Makes room, before the pass, for the lines of `records` records: a record makes at most one.
  ///
  /// The room is address space, not memory: pages the lines never reach are never touched. Without
  /// it the lines grew by doubling, and each doubling moved them into new pages the kernel had to
  /// fault in and clear; with a line per call (a ticket id each) that was half of adding the
  /// records (perf, the 1 M `tickets` report: 1,538 of 2,712 samples of ``add(_:source:)`` in
  /// `memmove`, 3 s). At most ``reservedBytes``: a month beyond that grows by doubling again.
  /// ``takeLineList(room:)`` gives back what the lines did not use, when that is most of it.
  func expect(records: Int64) {
    let perLine =
      MemoryLayout<ChargebackLine>.stride + MemoryLayout<LineSlot>.stride + MemoryLayout<Int>.stride
    let most = Self.reservedBytes / perLine
    let n = Int(min(max(records, 0), Int64(most))) + Self.spareLines
    lines.reserveCapacity(n)
    slots.reserveCapacity(n)
    lineIndex.reserve(n)
  }

  /// Adds one charged record seen at `source`; returns the position of its line (0, 1, 2… in the
  /// order the lines were made).
  ///
  /// `lineHash`, when given, is ``lineHash(_:priced:source:)``'s of it worked out beforehand (on
  /// another thread).
  @discardableResult
  func add(_ c: ChargedRecord, source: LineSource, lineHash: Int? = nil) throws -> Int {
    // The record's fields are read through `c`: `let r = c.record` copied the record (a retain and
    // a release of each of its strings per call).
    let priced = c.cost != nil
    let cost = c.costOrZero
    // Found from the record's own fields: a key built for the lookup retained and released its five
    // strings per call, which the decoding thread retains and releases too, so both threads wrote
    // the same reference counts (perf, the 1 M cardinality `report`).
    let hash = lineHash ?? Self.lineHash(c, priced: priced, source: source)
    let slot: Int
    if let i = lineIndex.find(hash: hash, in: lines, where: { Self.matches($0, c, priced: priced, source: source) }) {
      slot = i
    } else {
      slot = lines.count
      lines.append(
        ChargebackLine(
          key: ChargebackLine.Key(
            costCentre: c.attribution.costCentre, agentID: c.attribution.agentID,
            credentialID: c.attribution.credentialID, taskID: nil, provider: c.record.provider, model: c.model,
            tier: c.record.tier, status: c.attribution.status, priced: priced, source: source,
            commitmentID: c.commitmentID)))
      slots.append(LineSlot())
      lineIndex.insert(hash: hash, position: slot)
    }
    lines[slot].add(c.record, cost: cost, listCost: c.listCostOrZero, priceRows: c.priceRows)
    if let task = c.attribution.taskID, let tasks {
      let group = Int32(slot)
      if try tasks.add(
        group: group, task: task, TaskFigures(c.record, cost: cost, listCost: c.listCostOrZero, priced: priced)),
        taskEntries[task] == nil, let e = identities.tasks[task]
      {
        taskEntries[task] = e
      }
      lines[slot].taskGroup = group
      anyTask = true
    }
    let day = Timestamp.floorDiv(c.record.time, Timestamp.millisPerDay)
    if slots[slot].day != day || slots[slot].account != c.record.project
      || slots[slot].classGeneration != focus.generation
    {
      try locate(slot: slot, day: day, account: c.record.project)
    }
    // The positions one by one: a copy of the slot would retain each string of its line's key.
    days[slots[slot].dayPosition].add(c.record, cost: cost)
    if priced {
      let committed = slots[slot].committedPosition
      if committed >= 0 { committedAmounts[committed] += c.listCostOrZero }
      let classPosition = slots[slot].classPosition
      if !c.parts.isEmpty && classPosition >= 0 { focus.merge(c.parts, at: classPosition) }
    } else {
      unpriced += 1
    }
    return slot
  }

  /// Points `slot` at the cost-centre day, FOCUS group and commitment day of `day` and `account`,
  /// making them when new.
  private func locate(slot: Int, day: Int64, account: String?) throws {
    let k = lines[slot].key
    if slots[slot].centre < 0 { slots[slot].centre = centreNumbers.number(of: k.costCentre) }
    if slots[slot].accountNumber < 0 || slots[slot].account != account {
      slots[slot].accountNumber = accountNumbers.number(of: account)
    }
    let dayKey = CentreDay(centre: slots[slot].centre, day: day)
    let dayPosition: Int
    if let i = dayIndex[dayKey] {
      dayPosition = i
    } else {
      dayPosition = days.count
      days.append(DailyTotal(costCentre: k.costCentre, day: dayName(day)))
      dayIndex[dayKey] = dayPosition
    }
    var classPosition = -1
    var committedPosition = -1
    if k.priced, focus.keepsRows {
      // Numbered for lines with FOCUS rows only (not the unpriced, nor the previous period's).
      if slots[slot].group < 0 { slots[slot].group = groupNumber(of: slot) }
      classPosition = try focus.position(
        of: GroupDay(group: slots[slot].group, account: slots[slot].accountNumber, day: day),
        accounts: accountNumbers.values)
      if let id = k.commitmentID {
        let committed = CommittedDay(commitmentID: id, costCentre: k.costCentre, day: day)
        if let i = committedIndex[committed] {
          committedPosition = i
        } else {
          committedPosition = committedAmounts.count
          committedAmounts.append(.zero)
          committedIndex[committed] = committedPosition
        }
      }
    }
    slots[slot].day = day
    slots[slot].account = account
    slots[slot].dayPosition = dayPosition
    slots[slot].classPosition = classPosition
    slots[slot].committedPosition = committedPosition
    slots[slot].classGeneration = focus.generation
  }

  /// The number of the FOCUS group (without day and account) of line `slot`, made when new.
  private func groupNumber(of slot: Int) -> Int32 {
    let hash = Self.groupHash(lines[slot].key)
    if let n = groupIndex.find(hash: hash, where: { Self.sameGroup(lines[Int(groupLines[$0])].key, lines[slot].key) }) {
      return Int32(n)
    }
    let n = groupLines.count
    groupLines.append(Int32(slot))
    groupIndex.insert(hash: hash, position: n)
    let k = lines[slot].key
    // The ledger's number is the same: both number the groups from 0, in this order.
    let numbered = focus.charges.addGroup(
      provider: k.provider, credentialID: k.credentialID, model: k.model, tier: k.tier, costCentre: k.costCentre,
      agentID: k.agentID, commitmentID: k.commitmentID)
    precondition(numbered == n, "the ledger numbers the groups as the totals do")
    return Int32(n)
  }

  /// Usage per cost centre and UTC day.
  /// - Complexity: O(days × cost centres).
  func dailyTotals() -> [DayKey: DailyTotal] {
    var out: [DayKey: DailyTotal] = [:]
    out.reserveCapacity(dayIndex.count)
    // Keyed by the day's own cost centre, as it was made (the numbering keeps the first spelling
    // met of ids equal as `String`s have them).
    for (key, position) in dayIndex {
      out[DayKey(costCentre: days[position].costCentre, day: key.day)] = days[position]
    }
    return out
  }

  /// List cost of calls under a commitment per commitment, cost centre and UTC day.
  /// - Complexity: O(entries).
  func committedDailyTotals() -> [CommittedDay: Money] { committedIndex.mapValues { committedAmounts[$0] } }

  /// The cost centres charged, each the sum of its lines (every record is in exactly one line).
  /// - Complexity: O(lines).
  /// Every cost centre of `cost_centres.csv` is among them, at zero when nothing was charged to it
  /// (SPEC §7: one row per cost centre; one with a budget and no spend shows it all remaining).
  func centreSummaries() -> [String: CostCentreSummary] {
    var out: [String: CostCentreSummary] = [:]
    for id in identities.costCentres.keys { out[id] = summary(id) }
    lines.forEachLent { _, l in
      Self.count(l, into: &out[l.pointee.key.costCentre, default: summary(l.pointee.key.costCentre)])
    }
    return out
  }

  /// Price rows used by at least one record (those of the lines), ascending: gathered once, after
  /// the pass, for ``priceRowsUsed()`` and ``takeLineList(room:)`` both (a pass over every line).
  /// - Complexity: O(lines × rows per line).
  private lazy var rowsUsed: [Int] = {
    var rows = Set<Int>()
    lines.forEachLent { _, l in rows.formUnion(l.pointee.priceRows) }
    return rows.sorted()
  }()

  private func summary(_ id: String) -> CostCentreSummary {
    let known = identities.costCentres[id]
    return CostCentreSummary(
      id: id, name: known?.name ?? id, budget: known?.monthlyBudget, glAccount: known?.glAccount, entity: known?.entity)
  }

  /// Int128 sums of bounded values (``Bounds``): no overflow.
  private static func count(_ l: UnsafePointer<ChargebackLine>, into cc: inout CostCentreSummary) {
    cc.requests += l.pointee.requests
    cc.tokens += l.pointee.tokens
    cc.cost += l.pointee.cost
    cc.listCost += l.pointee.listCost
    if !l.pointee.key.priced {
      cc.unpricedRequests += l.pointee.requests
      cc.unpricedTokens += l.pointee.tokens.totalInput + l.pointee.tokens.output
    }
  }

  /// The price rows used by at least one record, in table order (``ChargebackReport/priceRowsUsed``).
  func priceRowsUsed() -> [PriceRow] { rowsUsed.map { prices.rows[$0] } }

  /// The lines of the pass, sorted, each with its price rows as indices into ``priceRowsUsed()``;
  /// called once, at the end: the lines are handed over, not copied, and the totals keep none.
  ///
  /// With `room` free places after them, for the lines the caller adds (allocations, idle fees),
  /// so that adding them does not grow the array more than once: a line is some 400 bytes with its
  /// strings and there can be a line per call (a ticket id each), so every copy of the array
  /// counted against the memory bound.
  func takeLineList(room: Int) -> [ChargebackLine] {
    // After the class charges, which number a new group from its line's key: none comes after.
    precondition(focus.isEmpty, "the class charges are taken before the lines")
    // A row's place among the rows used (every row of a line is among them): each line's list is
    // rewritten in place and sorted in place, a handful of entries (a new sorted list per line was
    // a million allocations with a line per call). The lists are in the order the calls brought
    // the rows, not ascending.
    var position = [Int](repeating: -1, count: prices.rows.count)
    for (p, row) in rowsUsed.enumerated() { position[row] = p }
    var out: [ChargebackLine] = []
    swap(&out, &lines)
    (slots, lineIndex) = ([], LineIndex())
    for i in out.indices {
      // The whole line as the pass charged it: its calls without a task are what its tasks leave
      // (``ChargebackReport/forEachTaskLine(of:_:)``).
      if let g = out[i].taskGroup { tasks?.setTotals(of: g, TaskFigures(out[i])) }
      for k in out[i].priceRows.indices { out[i].priceRows[k] = position[out[i].priceRows[k]] }
      out[i].priceRows.sort()
    }
    out.sortByKey()
    if out.capacity - out.count < room {
      // Moves the lines once when the array has less room left than asked for.
      out.reserveCapacity(out.count + room)
    } else if out.count + room < out.capacity / 4 {
      // Most of the room made before the pass went unused (few lines for the records): the
      // report does not keep it (a copy of a quarter of it at most).
      var kept: [ChargebackLine] = []
      kept.reserveCapacity(out.count + room)
      kept.append(contentsOf: out)
      out = kept
    }
    return out
  }

  /// The lines' tasks, finished: read after ``takeLineList(room:)``, once; nil when no call had a
  /// task.
  func takeLineTasks() throws -> TaskLedger? {
    guard anyTask, let tasks else { return nil }
    try tasks.finish()
    return tasks
  }

  /// The class charges of the pass, in order (``ChargebackReport/classCharges``): the groups
  /// still held go to the ledger, which is finished; no record may be added after.
  func takeClassCharges() throws -> ClassChargeLedger {
    var names: [String: String] = [:]
    for c in identities.credentials {
      if names[c.id] == nil, let d = c.description, !d.isEmpty { names[c.id] = d }
    }
    let ledger = try focus.finish(accounts: accountNumbers.values, credentialNames: names)
    // A group per line (a line per credential and model of a large directory): let go with them.
    (groupIndex, groupLines, accountNumbers) = (LineIndex(), [], Numbering())
    return ledger
  }

  private func dayName(_ day: Int64) -> String {
    if let s = dayNames[day] { return s }
    let s = Timestamp.day(day * Timestamp.millisPerDay)
    dayNames[day] = s
    return s
  }
}
