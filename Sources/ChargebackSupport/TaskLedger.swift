import ChargebackModel
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The task level of a report (``TaskPartSource``): each (group, task)'s figures, summed as the
/// report pass adds calls, kept in memory up to a limit of distinct pairs and beyond it in sorted
/// runs on disk, merged into one file when the pass ends.
///
/// With a ticket id per call the tasks are the calls: a month of 10 M held them in memory as
/// lines of some 400 bytes each (5.7 GB peak). Here memory holds at most ``defaultLimit`` pairs
/// (about 60 MB) and the groups' spans; the rest is on disk, about 40 bytes a pair
/// (variable-length integers). Written by hand: no library here sorts and merges runs of records
/// on disk, and SQLite's integers are 64-bit where these sums are `Int128`.
///
/// The files are made in `$TMPDIR` (or the folder given) and unlinked as soon as they are made:
/// they have no name, only a descriptor, so a run that is killed or fails leaves nothing behind.
///
/// Built on one thread (``add(group:task:_:)``, ``setTotals(of:_:)``, then ``finish()``); after
/// that it is read only, from any thread: each read has its own buffer and reads with `pread`.
package final class TaskLedger: TaskPartSource, @unchecked Sendable {
  /// The most distinct (group, task) pairs held in memory before they go to a run on disk.
  package static let defaultLimit = 1 << 18

  /// A pair, equal and hashed by the task's UTF-8 bytes: as `String`s, "é" and "e" + U+0301 are
  /// one task, but the runs on disk are sorted and merged by bytes, and the export's id is what
  /// it is.
  private struct Key: Hashable {
    var group: Int32
    var task: String

    // By bytes where they lie (``TextBytes``): no copy of a string the reading thread made.
    static func == (a: Key, b: Key) -> Bool { a.group == b.group && TextBytes.same(a.task, b.task) }

    func hash(into hasher: inout Hasher) {
      hasher.combine(group)
      hasher.combine(TextBytes.hash(task))
    }
  }

  private let limit: Int
  private var index: [Key: Int] = [:]
  private var keys: [Key] = []
  private var figures: [TaskFigures] = []
  private var totals: [Int32: TaskFigures] = [:]
  /// The runs written while the ledger is built: ranges of bytes of ``spillFile``, one file for
  /// them all, so that the ledger holds one descriptor however many runs it writes.
  private var runs: [Range<Int>] = []
  private var spillFile: SpillFile?
  private var stored: Stored?
  /// How many runs went to disk.
  private var spilled = 0

  private enum Stored {
    /// Sorted pairs in memory; each group's range of them.
    case memory(spans: [Int32: Range<Int>], tasks: [String], figures: [TaskFigures])
    /// The merged file; each group's range of bytes in it.
    case file(SpillFile, spans: [Int32: Range<Int>])
  }

  /// The most runs merged at once: each is read through a buffer of 64 KiB.
  static let mergeWidth = 64

  /// A ledger that holds at most `limit` pairs in memory (at least 1), the rest in files made in
  /// `directory` (default: `$TMPDIR`, else `/tmp`).
  package init(limit: Int = TaskLedger.defaultLimit, directory: String? = nil) {
    self.limit = max(1, limit)
    self.directory = SpillFile.folder(directory)
  }

  /// How many runs went to disk while the ledger was built (0: all in memory).
  package var spilledRuns: Int { spilled }

  /// The folder its files are made in.
  package let directory: String

  /// How many files it holds open: one while it is built or merged, at most two at once.
  package var openFiles: Int {
    let merged: Int
    if case .file = stored { merged = 1 } else { merged = 0 }
    return (spillFile == nil ? 0 : 1) + merged
  }

  /// Adds `f` to the figures of `task` in `group`; true when the pair was not in memory (new, or
  /// gone to disk since).
  @discardableResult
  package func add(group: Int32, task: String, _ f: TaskFigures) throws -> Bool {
    precondition(stored == nil, "a finished ledger is read only")
    let key = Key(group: group, task: task)
    if let i = index[key] {
      figures[i].add(f)
      return false
    }
    if keys.count >= limit { try spill() }
    index[key] = keys.count
    keys.append(key)
    figures.append(f)
    return true
  }

  /// Notes the figures of the whole of `group` (``TaskPartSource/totals(of:)``).
  package func setTotals(of group: Int32, _ f: TaskFigures) { totals[group] = f }

  package func totals(of group: Int32) -> TaskFigures { totals[group] ?? TaskFigures() }

  package func partSum(of group: Int32) -> TaskFigures { sums[group] ?? TaskFigures() }

  package func partCount(of group: Int32) -> Int { counts[group] ?? 0 }

  /// Each group's number of tasks, made by ``finish()``.
  private var counts: [Int32: Int] = [:]

  /// Each group's tasks added up, made by ``finish()``.
  private var sums: [Int32: TaskFigures] = [:]

  /// Ends the building: sorts what memory holds, or merges the runs into one file.
  package func finish() throws {
    precondition(stored == nil, "finished twice")
    if runs.isEmpty {
      let order = sortedPositions()
      var spans: [Int32: Range<Int>] = [:]
      var tasks: [String] = []
      var sorted: [TaskFigures] = []
      tasks.reserveCapacity(order.count)
      sorted.reserveCapacity(order.count)
      var start = 0
      for (n, p) in order.enumerated() {
        tasks.append(keys[p].task)
        sorted.append(figures[p])
        sums[keys[p].group, default: TaskFigures()].add(figures[p])
        counts[keys[p].group, default: 0] += 1
        if n + 1 == order.count || keys[order[n + 1]].group != keys[p].group {
          spans[keys[p].group] = start..<(n + 1)
          start = n + 1
        }
      }
      clearMemory()
      stored = .memory(spans: spans, tasks: tasks, figures: sorted)
      return
    }
    if !keys.isEmpty { try spill() }
    stored = try merge()
  }

  package func forEachPart(of group: Int32, _ body: (String, TaskFigures) throws -> Void) throws {
    switch stored {
    case .none:
      preconditionFailure("read before finish()")
    case .memory(let spans, let tasks, let figures):
      guard let span = spans[group] else { return }
      for i in span { try body(tasks[i], figures[i]) }
    case .file(let file, let spans):
      guard let span = spans[group] else { return }
      var reader = RunReader(file: file, range: span)
      var task: [UInt8] = []
      while try reader.next(into: &task) {
        try body(String(decoding: task, as: UTF8.self), reader.figures)
      }
    }
  }

  // MARK: Runs on disk

  /// Positions of the pairs in memory, by group, then by the task's UTF-8 bytes.
  private func sortedPositions() -> [Int] {
    keys.indices.sorted { a, b in
      keys[a].group != keys[b].group
        ? keys[a].group < keys[b].group : Self.compare(keys[a].task, keys[b].task) < 0
    }
  }

  /// Writes the pairs in memory, sorted, as a new run and empties memory.
  private func spill() throws {
    let file = try spillFile ?? SpillFile(directory: directory)
    spillFile = file
    let start = file.bytes
    var w = RunWriter(file)
    for p in sortedPositions() {
      var task = keys[p].task
      try task.withUTF8 { try w.write(group: keys[p].group, task: $0, figures[p]) }
    }
    try w.flush()
    runs.append(start..<file.bytes)
    spilled += 1
    index.removeAll(keepingCapacity: true)
    keys.removeAll(keepingCapacity: true)
    figures.removeAll(keepingCapacity: true)
  }

  private func clearMemory() {
    index = [:]
    keys = []
    figures = []
  }

  /// Merges the runs into one file of each pair once (their figures summed), at most
  /// ``mergeWidth`` at a time: each pass writes its runs into a new file and frees the one before.
  private func merge() throws -> Stored {
    clearMemory()
    guard var from = spillFile else { preconditionFailure("merging without runs") }
    while runs.count > Self.mergeWidth {
      let into = try SpillFile(directory: directory)
      var next: [Range<Int>] = []
      for start in stride(from: 0, to: runs.count, by: Self.mergeWidth) {
        let batch = Array(runs[start..<min(start + Self.mergeWidth, runs.count)])
        let begin = into.bytes
        _ = try merge(batch, of: from, into: into, last: false)
        next.append(begin..<into.bytes)
      }
      (runs, from) = (next, into)
      spillFile = into
    }
    let into = try SpillFile(directory: directory)
    let spans = try merge(runs, of: from, into: into, last: true)
    (runs, spillFile) = ([], nil)
    return .file(into, spans: spans)
  }

  /// Merges the runs `inputs` of `file` into the end of `into`, each pair once; the `last` merge
  /// also gives each group's range of bytes in `into` and notes its tasks' sum and count.
  private func merge(_ inputs: [Range<Int>], of file: SpillFile, into out: SpillFile, last: Bool) throws -> [Int32:
    Range<Int>]
  {
    var readers = inputs.map { RunReader(file: file, range: $0) }
    // The runs whose next pair is read, as a binary heap on (group, task bytes, run).
    var heads: [[UInt8]] = Array(repeating: [], count: readers.count)
    var started: [Int] = []
    for r in readers.indices where try readers[r].next(into: &heads[r]) { started.append(r) }
    func less(_ a: Int, _ b: Int) -> Bool {
      let (ga, gb) = (readers[a].group, readers[b].group)
      if ga != gb { return ga < gb }
      let c = Self.compare(heads[a], heads[b])
      return c != 0 ? c < 0 : a < b
    }
    var heap = RunHeap(started, less: less)
    var w = RunWriter(out)
    var current: (group: Int32, task: [UInt8], figures: TaskFigures)?
    var groupStart = out.bytes
    var spans: [Int32: Range<Int>] = [:]
    func emit() throws {
      guard let c = current else { return }
      try c.task.withUnsafeBufferPointer { try w.write(group: c.group, task: $0, c.figures) }
      guard last else { return }
      sums[c.group, default: TaskFigures()].add(c.figures)
      counts[c.group, default: 0] += 1
    }
    while let top = heap.top {
      let group = readers[top].group
      if let c = current, c.group == group, c.task == heads[top] {
        current?.figures.add(readers[top].figures)
      } else {
        try emit()
        if let c = current, c.group != group {
          spans[c.group] = groupStart..<w.offset
          groupStart = w.offset
        }
        current = (group, heads[top], readers[top].figures)
      }
      if try readers[top].next(into: &heads[top]) {
        heap.topMoved(less: less)
      } else {
        heap.removeTop(less: less)
      }
    }
    try emit()
    if let c = current { spans[c.group] = groupStart..<w.offset }
    try w.flush()
    return last ? spans : [:]
  }

  /// -1, 0 or 1 as `a`'s UTF-8 bytes sort before, with or after `b`'s.
  static func compare(_ a: String, _ b: String) -> Int {
    var (a, b) = (a, b)
    return a.withUTF8 { x in b.withUTF8 { y in compare(x, y) } }
  }

  static func compare(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
    let n = min(x.count, y.count)
    if n > 0, let xb = x.baseAddress, let yb = y.baseAddress {
      let c = memcmp(xb, yb, n)
      if c != 0 { return c < 0 ? -1 : 1 }
    }
    return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
  }

  static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in compare(x, y) } }
  }
}
