import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackDetect
@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The detectors on the demo month, whose anomalies are planted (see DemoGenerator's header):
/// each planted case is found with the right kind and identity, and nothing else of its kind is.
@Suite struct DetectionTests {
  static func demoReport() throws -> ChargebackReport { try demoRun().report }

  /// The demo month's report and the folder of its store (`s.sqlite`).
  static func demoRun() throws -> (report: ChargebackReport, dir: String) {
    let dir = try TestSupport.tempDir()
    let layout = try DemoGenerator(period: Period("2026-10")!).write(to: dir + "/input")
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [layout.usageDirectory], identities: layout.identityDirectory,
        pricing: TestSupport.packageRoot + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    return (try job.run().report, dir)
  }

  @Test func plantedWasteIsFoundAndPriced() throws {
    let (report, dir) = try Self.demoRun()
    let byKind = Dictionary(grouping: report.findings, by: \.kind)
    // The retry storm: incident-responder, 14 calls 3–25 s apart, 12 throttled, the last 2 succeed.
    let storms = byKind[.retryStorm] ?? []
    #expect(storms.count == 1)
    let storm = try #require(storms.first)
    #expect(storm.agentID == "incident-responder")
    #expect(storm.calls == 14)
    #expect(storm.avoidableCost > .zero && storm.avoidableCost < storm.cost)
    // Avoidable = everything but the last successful call: 13 of 14 equal-sized calls.
    let perCall = Money(pico: storm.cost.pico / 14)
    #expect(abs((storm.avoidableCost - Money(pico: perCall.pico * 13)).pico) < storm.cost.pico / 10)
    // The loop: task T-1013, research-planner → paper-summarizer → research-planner.
    let loops = byKind[.recursiveLoop] ?? []
    #expect(loops.count == 1)
    #expect(loops.first?.agentID == "research-planner")
    #expect(loops.first?.explanation.contains("T-1013") == true)
    #expect(loops.first?.calls == 12)
    // The spike: eval-runner on the 20th, and no other day or identity.
    let spikes = byKind[.usageSpike] ?? []
    #expect(spikes.count == 1)
    #expect(spikes.first?.agentID == "eval-runner")
    #expect(spikes.first.map { Timestamp.day($0.firstTime) } == "2026-10-20")
    // Root causes are ranked by growth over the baseline, token class included.
    #expect(spikes.first?.explanation.contains("tokens input +") == true)
    #expect(spikes.first?.explanation.contains("task T-1015 +") == true)
    // eval-runner has one role, every day: the role holds the whole growth and explains nothing.
    #expect(spikes.first?.explanation.contains("credential ") == false)
    // Its calls are the agent's calls of that day, as stored: the role's sessions on the 20th.
    let store = try UsageStore(path: dir + "/s.sqlite")
    let day = try #require(Timestamp.parseMillis("2026-10-20T00:00:00Z"))
    let stored = try store.db.scalarInt(
      "SELECT count(*) FROM usage_text WHERE credential LIKE '%/research-eval-runner/%' AND ts >= ? AND ts < ?",
      [.int(day), .int(day + Timestamp.millisPerDay)])
    #expect(stored.map { Int128($0) } == spikes.first?.calls)
    #expect(stored.map { Int128($0) } == spikes.first?.evidenceCount)
    #expect((stored ?? 0) > 20)
    // A first month in an empty store has no history: nobody is a "new spender".
    #expect(byKind[.newSpender] == nil)
    // Avoidable cost reaches the cost centre totals.
    let research = try #require(report.costCentres.first { $0.id == storm.costCentre })
    #expect(research.avoidableCost >= storm.avoidableCost)
  }

  @Test func thresholdsAreConfigurable() throws {
    let dir = try TestSupport.tempDir()
    try "setting,value\nstorm_min_calls,20\nspike_floor_usd,12.5\n".write(
      toFile: dir + "/detection.csv", atomically: true, encoding: .utf8)
    let s = try DetectionSettings(directory: dir)
    #expect(s.stormMinCalls == 20)
    #expect(s.spikeFloor == TestSupport.usd("12.5"))
    #expect(s.loopMaxDepth == 8)
    try "setting,value\nstorm_min_calls,ten\n".write(toFile: dir + "/detection.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try DetectionSettings(directory: dir) }
    #expect(error.line == 2)
  }

  /// Each setting at its smallest value is taken, and one below it refused naming the line: the demo month, whose
  /// planted loop has parent links, runs through every detector at the smallest values (a `loop_repeats` of 1
  /// crashed every report with a parent link, a trial).
  @Test func everySettingAtItsSmallestValueRunsAndOneBelowIsRefused() throws {
    let least: [(String, Int64)] = [
      ("storm_min_calls", 2), ("storm_max_gap_seconds", 0), ("loop_max_depth", 1), ("loop_repeats", 2),
      ("spike_mads", 0), ("spike_floor_usd", 0), ("spike_min_baseline_days", 1), ("baseline_days", 0),
    ]
    let dir = try TestSupport.tempDir()
    for (name, value) in least where value > 0 {
      try "setting,value\n\(name),\(value - 1)\n".write(
        toFile: dir + "/detection.csv", atomically: true, encoding: .utf8)
      let error = try #require(throws: InputError.self) { try DetectionSettings(directory: dir) }
      #expect(error.line == 2 && error.field == "value" && error.message.contains("at least \(value)"))
    }
    let layout = try DemoGenerator(period: Period("2026-10")!).write(to: dir + "/input")
    try ("setting,value\n" + least.map { "\($0.0),\($0.1)\n" }.joined()).write(
      toFile: layout.identityDirectory + "/detection.csv", atomically: true, encoding: .utf8)
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [layout.usageDirectory], identities: layout.identityDirectory,
        pricing: TestSupport.packageRoot + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    let report = try #require(try job.run().report)
    // Every call tree deeper than one level is a loop: the planted one (task T-1013) among them. No two calls share
    // a millisecond, so nothing is a storm with no gap allowed.
    #expect(report.findings.contains { $0.kind == .recursiveLoop && $0.explanation.contains("T-1013") })
    #expect(!report.findings.contains { $0.kind == .retryStorm })
  }

  @Test func aSettingSetTwiceIsRefusedNamingBothLines() throws {
    let dir = try TestSupport.tempDir()
    try "setting,value\nstorm_min_calls,20\nspike_mads,4\nstorm_min_calls,5\n".write(
      toFile: dir + "/detection.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try DetectionSettings(directory: dir) }
    #expect(error.line == 4)
    #expect(error.field == "setting")
    #expect(error.message == "\"storm_min_calls\" is set on line 2 already")
  }

  @Test func aFindingLabelledTwiceIsRefusedNamingBothLines() throws {
    let dir = try TestSupport.tempDir()
    try "finding_id,label,note,who\nF-1,expected,ok,ana\nF-2,confirmed,,\nF-1,false_positive,no,ben\n".write(
      toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try Labels(directory: dir) }
    #expect(error.line == 4)
    #expect(error.field == "finding_id")
    #expect(error.message == "\"F-1\" is labelled on line 2 already: keep one label per finding")
    // One label per finding is read as written.
    try "finding_id,label,note,who\nF-1,expected,ok,ana\nF-2,confirmed,,\n".write(
      toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
    let labels = try Labels(directory: dir)
    #expect(labels.entries["F-1"]?.label == "expected")
    #expect(labels.entries["F-2"]?.label == "confirmed")
  }

  /// A label in any case is read as its lowercase self (a trial's `Expected` was refused); a word
  /// that is no label names the three.
  @Test func labelsAreReadInAnyCase() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "finding_id,label\nF-1,Expected\nF-2,FALSE_POSITIVE\n".write(
      toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
    let labels = try Labels(directory: dir)
    #expect(labels.entries.mapValues(\.label) == ["F-1": "expected", "F-2": "false_positive"])
    try "finding_id,label\nF-1,fine\n".write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
    let error = try #require(throws: InputError.self) { try Labels(directory: dir) }
    #expect(error.line == 2 && error.field == "label")
    #expect(error.message == "\"fine\" is not a label: it must be one of expected, false_positive, confirmed")
  }
}

@Suite struct TraceLoopTests {
  @Test func otelTraceWhereAnAgentRecursesIsALoopAndADeepAcyclicOneIsNot() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.root + "/detect/otel-loops.jsonl"
    ])
    let report = try ReportBuilder(
      store: store, identities: try IdentityDirectory(directory: Fixtures.month + "/identities"),
      prices: try PriceTable(directory: Fixtures.month + "/pricing"), progress: ProgressReporter(force: false)
    ).build(period: Period("2026-10")!)
    let loops = report.findings.filter { $0.kind == .recursiveLoop }
    // Trace 1: x > y > x > y. Trace 2: six distinct agents nested six deep (≤ 8): a decoy.
    #expect(loops.count == 1)
    let loop = try #require(loops.first)
    #expect(loop.explanation.contains("agent-x → agent-y → agent-x"))
    #expect(loop.calls == 4)
    // Each call: 100,000 input at 0.4 + 10,000 output at 1.6 per M = 0.056. The 3rd and 4th calls
    // run inside the loop (x > y > x, x > y > x > y): 0.112 avoidable of 0.224.
    #expect(loop.cost == TestSupport.usd("0.224"))
    #expect(loop.avoidableCost == TestSupport.usd("0.112"))
  }
}

@Suite struct RetryableTests {
  @Test(
    arguments: [
      ("ThrottlingException", true), ("ModelTimeoutException", true), ("ServiceUnavailableException", true),
      ("429", true), ("503", true), ("rate_limit_error", true), ("overloaded_error", true), (nil, true),
      ("ValidationException", false), ("AccessDeniedException", false), ("400", false),
    ] as [(String?, Bool)])
  func failuresThatTriggerRetries(code: String?, retryable: Bool) {
    #expect(RetryStorms.isRetryable(code) == retryable)
  }
}
