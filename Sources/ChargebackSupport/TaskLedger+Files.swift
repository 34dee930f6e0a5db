import ChargebackModel

/// A run's (or the merged file's) writer of the task level: each pair as the group, the task's
/// length and bytes, then the eleven figures, every integer as a zigzag LEB128 (a call's figures
/// are mostly a few bytes each, against 16 as they are in memory).
struct RunWriter {
  private var out: SpillWriter

  init(_ file: SpillFile) { out = SpillWriter(file) }

  /// Bytes written so far (the buffer included).
  var offset: Int { out.offset }

  mutating func write(group: Int32, task: UnsafeBufferPointer<UInt8>, _ f: TaskFigures) throws {
    out.put(Int128(group))
    out.put(Int128(task.count))
    out.append(task)
    out.put(f.requests)
    out.put(f.failedRequests)
    for c in TokenClass.allCases { out.put(f.tokens[c]) }
    out.put(f.cost.pico)
    out.put(f.listCost.pico)
    out.put(f.priced ? 1 : 0)
    try out.flushIfFull()
  }

  mutating func flush() throws { try out.flush() }
}

/// Reads the pairs of a range of bytes of a file (``RunWriter``'s).
struct RunReader {
  private var input: SpillReader
  /// The group and figures of the pair last read.
  private(set) var group: Int32 = 0
  private(set) var figures = TaskFigures()

  init(file: SpillFile, range: Range<Int>) { input = SpillReader(file: file, range: range) }

  /// Reads the next pair, its task's bytes into `task`; false at the end.
  mutating func next(into task: inout [UInt8]) throws -> Bool {
    guard try input.more() else { return false }
    group = Int32(truncatingIfNeeded: try input.integer())
    try input.bytes(into: &task)
    var f = TaskFigures()
    f.requests = try input.integer()
    f.failedRequests = try input.integer()
    for c in TokenClass.allCases { f.tokens[c] = try input.integer() }
    f.cost = Money(pico: try input.integer())
    f.listCost = Money(pico: try input.integer())
    f.priced = try input.integer() != 0
    figures = f
    return true
  }
}
