/// What a chargeback line's calls of one task add up to (or a whole line's, or its calls without a
/// task): the figures of a row of `chargeback.csv`.
///
/// Sums over records are `Int128` and `Money` (``Bounds``: none can overflow).
package struct TaskFigures: Sendable, Hashable {
  package var requests: Int128 = 0
  package var failedRequests: Int128 = 0
  package var tokens = TokenTotals()
  /// Exact effective cost as the pass charged it.
  package var cost = Money.zero
  /// Exact cost at list prices.
  package var listCost = Money.zero
  /// Whether any of the calls was priced (a group of unpriced calls shows no cost, never $0:
  /// SPEC §5).
  package var priced = false

  /// Zero in every figure.
  package init() {}

  /// The figures of one charged record.
  // Borrowed: an initialiser takes its arguments owned, so the caller copied the record for it.
  package init(_ r: borrowing UsageRecord, cost: Money, listCost: Money, priced: Bool) {
    self.priced = priced
    tokens = TokenTotals(r.tokens)
    requests = Int128(r.requests)
    if r.failed { failedRequests = requests }
    self.cost = cost
    self.listCost = listCost
  }

  /// The figures of a whole line.
  package init(_ line: ChargebackLine) {
    requests = line.requests
    failedRequests = line.failedRequests
    tokens = line.tokens
    cost = line.cost
    listCost = line.listCost
    priced = line.key.priced
  }

  /// Adds `o` figure by figure.
  package mutating func add(_ o: TaskFigures) {
    requests += o.requests
    failedRequests += o.failedRequests
    tokens += o.tokens
    cost += o.cost
    listCost += o.listCost
    priced = priced || o.priced
  }

  /// Takes `o` away figure by figure (``priced`` stays).
  package mutating func subtract(_ o: TaskFigures) {
    requests -= o.requests
    failedRequests -= o.failedRequests
    for c in TokenClass.allCases { tokens[c] -= o.tokens[c] }
    cost = Money(pico: cost.pico - o.cost.pico)
    listCost = Money(pico: listCost.pico - o.listCost.pico)
  }

  /// Whether every figure is zero (``priced`` aside).
  package var isZero: Bool {
    requests == 0 && failedRequests == 0 && tokens == TokenTotals() && cost == .zero && listCost == .zero
  }
}

/// The task level of a report's lines (SPEC §11: `chargeback.csv` keeps every task): per group (a
/// line, or a cost centre), each task's figures and the group's whole figures.
///
/// The lines themselves are keyed without the task, so that what every other output reads grows
/// with the identity directory; the tasks, which can be one per call, are kept here, where an
/// implementation can keep them out of memory (``TaskLedger``, ChargebackSupport).
package protocol TaskPartSource: AnyObject, Sendable {
  /// Calls `body` with each task of `group` and its figures, in ascending order of the task id's
  /// UTF-8 bytes, each task once; nothing for a group it does not hold.
  func forEachPart(of group: Int32, _ body: (String, TaskFigures) throws -> Void) throws

  /// The figures of the whole group (its calls without a task included), as noted by the
  /// builder; zero for a group it does not hold.
  func totals(of group: Int32) -> TaskFigures

  /// The sum of the figures of `group`'s tasks (what ``forEachPart(of:_:)`` gives, added up).
  func partSum(of group: Int32) -> TaskFigures

  /// How many tasks `group` has (how many times ``forEachPart(of:_:)`` calls its body).
  func partCount(of group: Int32) -> Int
}

extension TaskPartSource {
  /// The figures of `group`'s calls without a task: the whole less its tasks.
  package func rest(of group: Int32) -> TaskFigures {
    var rest = totals(of: group)
    rest.subtract(partSum(of: group))
    return rest
  }
}

extension ChargebackReport {
  /// Calls `body` with the rows of line `i` at the task grain, in order.
  ///
  /// The line itself when its calls are not split by task (``ChargebackLine/taskGroup`` nil); else
  /// its calls without a task, when there are any, then one row per task, ascending. Each row is
  /// the line with its ``ChargebackLine/Key/taskID`` and figures set.
  ///
  /// A row's `cost` is exact: its calls' own, when the line's cost is still what the pass charged;
  /// when it was set after the pass (a provisioned fee's share, SPEC §12), the line's cost split
  /// over its rows in proportion to what the pass charged each (``Apportion/split(_:weights:)``),
  /// so that the rows add up to the line to the pico-dollar. The tasks are read twice then, and
  /// memory holds a few `Int128`s per task of the line (the weights, the split and its
  /// remainders).
  package func forEachTaskLine(of i: Int, _ body: (ChargebackLine) throws -> Void) throws {
    guard let group = lines[i].taskGroup, let source = lineTasks else { return try body(lines[i]) }
    var row = lines[i]
    row.taskGroup = nil
    let total = source.totals(of: group)
    let rest = source.rest(of: group)
    var passCosts: [Int128] = []
    let resplit = lines[i].cost != total.cost
    if resplit { try source.forEachPart(of: group) { _, f in passCosts.append(f.cost.pico) } }
    // A line whose calls all have a task has no row without one (and no share of the cost).
    let hasRest = !rest.isZero
    let costs =
      resplit ? Apportion.split(lines[i].cost.pico, weights: (hasRest ? [rest.cost.pico] : []) + passCosts) : []
    var n = 0
    func emit(_ task: String?, _ f: TaskFigures) throws {
      row.key.taskID = task
      row.requests = f.requests
      row.failedRequests = f.failedRequests
      row.tokens = f.tokens
      row.cost = resplit ? Money(pico: costs[n]) : f.cost
      row.listCost = f.listCost
      n += 1
      try body(row)
    }
    if hasRest { try emit(nil, rest) }
    try source.forEachPart(of: group) { task, f in try emit(task, f) }
  }

  /// How many rows the lines have at the task grain (``forEachTaskLine(of:_:)``): the rows of
  /// `chargeback.csv`.
  package var taskRowCount: Int {
    var n = 0
    for i in lines.indices {
      guard let group = lines[i].taskGroup, let source = lineTasks else {
        n += 1
        continue
      }
      n += source.partCount(of: group) + (source.rest(of: group).isZero ? 0 : 1)
    }
    return n
  }

  /// Every line at the task grain (``forEachTaskLine(of:_:)``), in order: for tests and small
  /// reports; the writers go line by line.
  package func taskLines() throws -> [ChargebackLine] {
    var out: [ChargebackLine] = []
    for i in lines.indices { try forEachTaskLine(of: i) { out.append($0) } }
    return out
  }
}
