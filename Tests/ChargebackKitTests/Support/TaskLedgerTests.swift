import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `TaskLedger` must give each (group, task) its figures summed once, tasks in byte order, whether
/// it kept them in memory or spilled runs to disk and merged them; and clean up after itself.
@Suite struct TaskLedgerTests {
  /// Figures of one call, from the generator.
  private static func figures(_ rng: inout SplitMix64) -> TaskFigures {
    var f = TaskFigures()
    f.requests = Int128(1 + rng.below(3))
    if rng.below(4) == 0 { f.failedRequests = f.requests }
    f.tokens.input = Int128(rng.below(100_000))
    f.tokens.output = Int128(rng.below(10_000))
    f.tokens.cachedInput = Int128(rng.below(3)) * 1_000
    f.tokens.webSearch = Int128(rng.below(2))
    // Now and then an amount past 64 bits (the sums are Int128) or a negative one.
    f.cost = Money(pico: rng.below(50) == 0 ? Int128(1) << 90 : Int128(rng.below(1_000_000_000)))
    f.listCost = Money(pico: rng.below(50) == 0 ? -Int128(rng.below(1_000)) : f.cost.pico * 2)
    f.priced = rng.below(5) != 0
    return f
  }

  /// Task ids that sort differently as bytes and as Swift strings, empty, long, and repeated.
  private static func task(_ rng: inout SplitMix64) -> String {
    switch rng.below(8) {
    case 0: ""
    case 1: "é-\(rng.below(5))"  // U+00E9: bytes C3 A9
    case 2: "e\u{301}-\(rng.below(5))"  // e + combining acute: == "é" as a Swift String, not as bytes
    case 3: String(repeating: "x", count: 300) + "\(rng.below(3))"
    case 4: "Z\(rng.below(40))"
    default: "T-\(rng.below(400))"
    }
  }

  @Test(arguments: [1, 2, 3, 17, 500, TaskLedger.defaultLimit])
  func sumsEachPairOnceInByteOrder(limit: Int) throws {
    var rng = SplitMix64(seed: UInt64(limit))
    let folder = try TestSupport.tempDir("task-ledger-sums")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ledger = TaskLedger(limit: limit, directory: folder)
    var want: [Int32: [[UInt8]: TaskFigures]] = [:]
    for _ in 0..<6_000 {
      let group = Int32(rng.below(9)) - 1  // -1 too
      let task = Self.task(&rng)
      let f = Self.figures(&rng)
      try ledger.add(group: group, task: task, f)
      want[group, default: [:]][Array(task.utf8), default: TaskFigures()].add(f)
    }
    for g in want.keys {
      var whole = TaskFigures()
      whole.requests = Int128(g) * 1_000  // any figures: given back as they are
      ledger.setTotals(of: g, whole)
    }
    try ledger.finish()
    #expect((ledger.spilledRuns > 0) == (limit < 1_000))
    for group in Int32(-2)...Int32(9) {
      var got: [([UInt8], TaskFigures)] = []
      try ledger.forEachPart(of: group) { got.append((Array($0.utf8), $1)) }
      let expected = (want[group] ?? [:]).sorted { $0.key.lexicographicallyPrecedes($1.key) }
      #expect(got.count == expected.count, "group \(group)")
      #expect(zip(got, expected).allSatisfy { $0.0 == $1.key && $0.1 == $1.value }, "group \(group)")
      var sum = TaskFigures()
      for (_, f) in expected { sum.add(f) }
      #expect(ledger.partSum(of: group) == sum)
      #expect(ledger.partCount(of: group) == expected.count)
      #expect(ledger.totals(of: group).requests == (want[group] == nil ? 0 : Int128(group) * 1_000))
    }
  }

  @Test func readsFromTwoThreadsAtOnce() throws {
    var rng = SplitMix64(seed: 9)
    try readTwice(&rng)
  }

  /// Its files are unlinked as soon as they are made: a run that is killed leaves nothing in the
  /// folder, before, during or after the merge.
  @Test func leavesNoFileBehind() throws {
    let folder = try TestSupport.tempDir("task-ledger")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var rng = SplitMix64(seed: 10)
    let ledger = TaskLedger(limit: 10, directory: folder)
    for n in 0..<500 {
      try ledger.add(group: 0, task: "T-\(n)", Self.figures(&rng))
      if n == 250 { #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty) }
    }
    try ledger.finish()
    #expect(ledger.spilledRuns == 50)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    var n = 0
    try ledger.forEachPart(of: 0) { _, _ in n += 1 }
    #expect(n == 500)
  }

  /// Thousands of runs in one file: the ledger holds one descriptor while it is built, however
  /// many runs it writes, and one when it is merged (the merge passes free the file before).
  @Test func holdsOneFileHoweverManyRuns() throws {
    let folder = try TestSupport.tempDir("task-ledger-files")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var rng = SplitMix64(seed: 12)
    let ledger = TaskLedger(limit: 1, directory: folder)
    for n in 0..<5_000 {
      try ledger.add(group: Int32(n % 3), task: "T-\(rng.below(2_000))", Self.figures(&rng))
      if n % 1_000 == 999 { #expect(ledger.openFiles == 1) }
    }
    try ledger.finish()
    #expect(ledger.spilledRuns > 4_000)
    #expect(ledger.openFiles == 1)
    var n = 0
    for g in Int32(0)...2 { try ledger.forEachPart(of: g) { _, _ in n += 1 } }
    #expect(n > 2_000)
  }

  /// A folder it cannot write is an output error naming the folder and saying what to do.
  @Test func anUnwritableFolderIsAClearError() throws {
    let ledger = TaskLedger(limit: 1, directory: "/nonexistent-chargeback-folder")
    var rng = SplitMix64(seed: 11)
    try ledger.add(group: 0, task: "a", Self.figures(&rng))
    do {
      try ledger.add(group: 0, task: "b", Self.figures(&rng))
      Issue.record("spilling into a missing folder did not fail")
    } catch let e as OutputError {
      #expect(e.exitStatus == ExitStatus.ioError)
      #expect(e.description.contains("/nonexistent-chargeback-folder"))
      // What to do, saying where the folder came from (TMPDIR set or not, as this test runs).
      let env = ProcessInfo.processInfo.environment["TMPDIR"] ?? ""
      #expect(e.description.contains(env.isEmpty ? "set TMPDIR to a writable folder" : "TMPDIR is set to \(env):"))
    }
  }

  /// The extremes of `Int128` come back from disk as they went.
  @Test func extremeFiguresSurviveTheDisk() throws {
    let folder = try TestSupport.tempDir("task-ledger-extremes")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ledger = TaskLedger(limit: 1, directory: folder)
    let values: [Int128] = [.max, .min, 0, -1, 1, Int128(Int64.max) + 1, -(Int128(1) << 100)]
    for (n, v) in values.enumerated() {
      var f = TaskFigures()
      (f.requests, f.cost, f.listCost, f.tokens.webSearch) = (v, Money(pico: v), Money(pico: ~v), v)
      try ledger.add(group: Int32(n) - 3, task: "t\(n)", f)
    }
    try ledger.finish()
    #expect(ledger.spilledRuns > 0)
    for (n, v) in values.enumerated() {
      var got: [TaskFigures] = []
      try ledger.forEachPart(of: Int32(n) - 3) { got.append($1) }
      #expect(got.count == 1)
      #expect(got.first?.requests == v && got.first?.cost.pico == v && got.first?.tokens.webSearch == v)
      #expect(got.first?.listCost.pico == ~v)
    }
  }

  /// Reads a spilled ledger from two threads at once.
  private func readTwice(_ rng: inout SplitMix64) throws {
    let folder = try TestSupport.tempDir("task-ledger-threads")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let shared = TaskLedger(limit: 64, directory: folder)
    for n in 0..<5_000 { try shared.add(group: Int32(n % 2), task: "T-\(rng.below(3_000))", Self.figures(&rng)) }
    try shared.finish()
    #expect(shared.spilledRuns > 0)
    let sums = try [Int32(0), 1].map { g in
      var n = 0
      try shared.forEachPart(of: g) { _, _ in n += 1 }
      return n
    }
    // Both groups read at once, each many times, by two threads through the one open file.
    let work = [Int32(0), 1].map { g in
      BackgroundWork {
        var counts: [Int] = []
        for _ in 0..<20 {
          var n = 0
          try shared.forEachPart(of: g) { _, _ in n += 1 }
          counts.append(n)
        }
        return counts
      }
    }
    for (g, w) in work.enumerated() { #expect(try w.value().allSatisfy { $0 == sums[g] }) }
  }
}
