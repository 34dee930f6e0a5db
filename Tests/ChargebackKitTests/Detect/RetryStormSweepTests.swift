import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// The retry-storm detector over a long stream, as the report pass feeds it: runs that can no longer
/// grow are swept whenever the open fingerprints reach 4,096 or twice what the last sweep left (here,
/// with a request per call 10 ms apart, about every 6,000 calls: the 60 s a run stays open), and a
/// storm that straddles sweeps must come out whole.
@Suite struct RetryStormSweepTests {
  static let model = "claude-haiku-4-5"
  /// 2026-10-07T08:00:00Z in UTC epoch ms.
  static let start: Int64 = 1_791_360_000_000
  /// Call `i` of the stream is at `start + 10 ms × i`.
  static func time(_ i: Int) -> Int64 { start + Int64(i) * 10 }

  static func charged(_ i: Int, prompt: String, input: Int64, error: String?, pico: Int128) -> ChargedRecord {
    var r = UsageRecord(
      provider: .bedrock, level: .request, format: "t", naturalKey: "bedrock:\(i)", time: time(i),
      credential: "role/s-\(i)", model: model, tokens: TokenCounts(input: input, output: input == 0 ? 0 : 100),
      failed: error != nil, errorCode: error, metadata: CallMetadata(agentID: "bot", taskID: "T-1"))
    r.promptHash = prompt
    let a = Attribution(
      costCentre: "CC-1", agentID: "bot", credentialID: "role/*", taskID: "T-1", status: .agentCredential)
    return ChargedRecord(record: r, attribution: a, model: model, cost: Money(pico: pico))
  }

  /// 120,000 calls (about twenty sweeps) with three planted request streams.
  ///
  /// A unique request is at every position not planted below, and the planted streams are:
  /// - `A`: 12 calls 2,000 positions (20 s) apart from position 45,000, across the sweeps at about
  ///   50,200 and 56,200:
  ///   8 token-less throttles, 3 broken billed streams (2,000,000 pico each), then a success
  ///   (5,000,000 pico): one storm of 12 calls;
  /// - `B`: 12 throttles then a success 7,000 positions (70 s) apart: never a storm (gaps > 60 s);
  /// - `C`: 10 calls in a row at the very end (closed by `finish`): 9 throttles and a success.
  @Test func stormsAcrossSweepsComeOutWhole() throws {
    var planted: [Int: ChargedRecord] = [:]
    for k in 0..<12 {
      let i = 45_000 + 2_000 * k
      let (input, error, pico): (Int64, String?, Int128) =
        k < 8
        ? (0, "ThrottlingException", 0)
        : k < 11 ? (5_000, "ModelStreamErrorException", 2_000_000) : (5_000, nil, 5_000_000)
      planted[i] = Self.charged(i, prompt: "A", input: input, error: error, pico: pico)
    }
    for k in 0..<13 {
      let i = 1 + 7_000 * k
      planted[i] = Self.charged(
        i, prompt: "B", input: k == 12 ? 5_000 : 0, error: k == 12 ? nil : "ThrottlingException",
        pico: k == 12 ? 5_000_000 : 0)
    }
    for k in 0..<10 {
      let i = 119_990 + k
      planted[i] = Self.charged(
        i, prompt: "C", input: k == 9 ? 7_000 : 0, error: k == 9 ? nil : "ThrottlingException",
        pico: k == 9 ? 9_000_000 : 0)
    }
    // `P`: one request in two size classes. 10 broken billed streams of 1,000 input tokens from
    // position 40,000, 300 apart, end at 42,700, before the cutoff (the sweeping call less 60 s,
    // 6,000 positions) of the sweeps from position 48,700 on; 10 calls of 50,000 tokens from 42,500,
    // 1,000 apart (9 broken streams of 3,000,000 pico, then a success of 8,000,000), are still open at
    // those sweeps until 57,500. Two storms: a sweep closes the first and keeps the second under the
    // same fingerprint.
    for k in 0..<10 {
      let i = 40_000 + 300 * k
      planted[i] = Self.charged(i, prompt: "P", input: 1_000, error: "ModelStreamErrorException", pico: 1_000_000)
    }
    for k in 0..<10 {
      let i = 42_500 + 1_000 * k
      planted[i] = Self.charged(
        i, prompt: "P", input: 50_000, error: k == 9 ? nil : "ModelStreamErrorException",
        pico: k == 9 ? 8_000_000 : 3_000_000)
    }
    var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
    for i in 0..<120_000 {
      storms.observe(
        planted[i] ?? Self.charged(i, prompt: "u-\(i)", input: 1_000, error: nil, pico: 1_000_000), row: Int64(i))
    }
    storms.finish { "bedrock:\($0)" }

    let found = storms.findings.sorted { $0.firstTime < $1.firstTime }
    #expect(found.count == 4)
    guard found.count == 4 else { return }
    let (small, large) = (found[0], found[1])
    #expect(small.firstTime == Self.time(40_000))
    #expect(small.lastTime == Self.time(42_700))
    #expect(small.calls == 10)
    #expect(small.cost.pico == 10 * 1_000_000)
    #expect(small.avoidableCost.pico == 10 * 1_000_000)
    #expect(small.evidence == (0..<10).map { "bedrock:\(40_000 + 300 * $0)" }, "the first ten calls, by row")
    #expect(large.firstTime == Self.time(42_500))
    #expect(large.lastTime == Self.time(51_500))
    #expect(large.calls == 10)
    #expect(large.cost.pico == 9 * 3_000_000 + 8_000_000)
    #expect(large.avoidableCost.pico == 9 * 3_000_000)
    let a = found[2]
    #expect(a.firstTime == Self.time(45_000))
    #expect(a.lastTime == Self.time(45_000 + 2_000 * 11))
    #expect(a.calls == 12)
    #expect(a.cost.pico == 3 * 2_000_000 + 5_000_000)
    #expect(a.avoidableCost.pico == 3 * 2_000_000)
    let c = found[3]
    #expect(c.firstTime == Self.time(119_990))
    #expect(c.calls == 10)
    #expect(c.cost.pico == 9_000_000)
    #expect(c.avoidableCost.pico == 0)
  }

  /// Two storms of one credential, agent and model whose first calls share a millisecond (other
  /// prompts): each gets an id of its own, the same whichever of the two the stream gives first,
  /// and the one whose first call's key sorts first keeps the id its subject alone gives.
  @Test func stormsStartingTogetherHaveIDsOfTheirOwn() {
    func stream(xFirst: Bool) -> [String: String] {
      var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
      var keys: [Int64: String] = [:]
      for k in 0..<10 {
        for name in xFirst ? ["x", "y"] : ["y", "x"] {
          let row = Int64(keys.count)
          keys[row] = "bedrock:\(name)-\(k)"
          storms.observe(
            Self.charged(k, prompt: "P-\(name)", input: k == 9 ? 1_000 : 0, error: k == 9 ? nil : "429", pico: 0),
            row: row)
        }
      }
      storms.finish { keys[$0] ?? "" }
      #expect(storms.findings.count == 2)
      return Dictionary(storms.findings.map { ($0.id, $0.evidence.first ?? "") }) { a, b in min(a, b) }
    }
    let one = stream(xFirst: true)
    let other = stream(xFirst: false)
    #expect(one.count == 2, "two storms, two ids")
    #expect(one == other)
    let plain = FindingID.make(
      kind: .retryStorm, period: Period(year: 2026, month: 10), subject: "role/*|bot|\(Self.model)|\(Self.start)")
    #expect(one[plain] == "bedrock:x-0")
    #expect(Set(one.values) == ["bedrock:x-0", "bedrock:y-0"])
  }

  /// A tie goes to the older run, and a closed run's place serves the same request's next run.
  ///
  /// Two runs of one request in two size classes end at the same millisecond: a token-less failure
  /// joins the run that began first (the first of the most recent), and so do the throttles after
  /// it. Then, 61 s after its last call, the same request starts a run again: the first run is
  /// closed by that call, and the new one, in the place the first left, is a storm of its own.
  @Test func aTieGoesToTheOlderRunAndAClosedRunsPlaceIsReused() {
    var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
    var keys: [Int64: String] = [:]
    func call(_ i: Int, _ key: String, input: Int64, error: String?, pico: Int128) {
      let row = Int64(keys.count)
      keys[row] = key
      storms.observe(Self.charged(i, prompt: "same", input: input, error: error, pico: pico), row: row)
    }
    call(0, "small", input: 1_000, error: "ModelStreamErrorException", pico: 1_000_000)
    call(0, "large", input: 50_000, error: nil, pico: 9_000_000)
    for k in 1...9 { call(k, "throttle-\(k)", input: 0, error: "ThrottlingException", pico: 0) }
    // 61 s (6,100 positions of 10 ms) after the last throttle: every run above is over.
    for k in 0..<10 {
      let i = 9 + 6_100 + k
      call(i, "again-\(k)", input: 0, error: k == 9 ? nil : "429", pico: 0)
    }
    storms.finish { keys[$0] ?? "" }
    let found = storms.findings.sorted { $0.firstTime < $1.firstTime }
    #expect(found.count == 2)
    guard found.count == 2 else { return }
    #expect(found[0].evidence.first == "small")
    #expect(found[0].calls == 10)
    #expect(found[0].cost.pico == 1_000_000)
    #expect(found[0].lastTime == Self.time(9))
    #expect(found[1].evidence.first == "again-0")
    #expect(found[1].calls == 10)
    #expect(found[1].firstTime == Self.time(6_109))
  }

  /// A request retried across a change of the directory (the agent moved to another cost centre and
  /// owner in the middle of the run) is a storm of each cost centre: each finding is charged to the
  /// cost centre its calls were charged to, with the names and evidence of its own calls.
  @Test func aRunAcrossTwoCostCentresIsAStormOfEach() {
    var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
    for k in 0..<20 {
      let i = 100 * k  // 1 s apart
      var c = Self.charged(i, prompt: "same", input: 0, error: "ThrottlingException", pico: 0)
      c.attribution.costCentre = k < 10 ? "CC-1" : "CC-2"
      c.attribution.ownerID = k < 10 ? "ana" : "bo"
      storms.observe(c, row: Int64(1_000 + k))
    }
    storms.finish { "row-\($0)" }
    let found = storms.findings.sorted { $0.firstTime < $1.firstTime }
    #expect(found.map(\.costCentre) == ["CC-1", "CC-2"])
    #expect(found.map(\.ownerID) == ["ana", "bo"])
    #expect(found.map(\.calls) == [10, 10])
    #expect(found.map(\.credentialID) == ["role/*", "role/*"])
    #expect(found.map(\.agentID) == ["bot", "bot"])
    #expect(found.first?.evidence == (0..<10).map { "row-\(1_000 + $0)" })
    #expect(found.last?.evidence == (10..<20).map { "row-\(1_000 + $0)" })
    #expect(found.first?.explanation.contains("task T-1") == true)
  }

  /// A run split by a change of the directory into two parts too short to be storms alone is one storm, a finding of
  /// each cost centre (a trial: 6 and 6 calls, no finding at all).
  ///
  /// 12 calls 1 s apart: 5 throttles (0 cost) and a broken billed stream (2,000,000 pico) charged to CC-1, then 5
  /// broken streams and a success (5,000,000 pico) charged to CC-2. CC-1's 6 calls are all avoidable: 2,000,000 pico;
  /// CC-2's are 15,000,000 pico, all but its last success avoidable: 10,000,000. The first part keeps the id the storm
  /// has when all of it is CC-1's.
  @Test func aRunSplitByTheDirectoryIsOneStormOfEachCostCentre() {
    func storms(moved: Bool) -> [Finding] {
      var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
      for k in 0..<12 {
        let i = 100 * k
        let (error, pico): (String?, Int128) =
          k < 5 ? ("ThrottlingException", 0) : k < 11 ? ("ModelStreamErrorException", 2_000_000) : (nil, 5_000_000)
        var c = Self.charged(i, prompt: "same", input: k < 5 ? 0 : 700, error: error, pico: pico)
        c.attribution.costCentre = moved && k >= 6 ? "CC-2" : "CC-1"
        c.attribution.ownerID = moved && k >= 6 ? "bo" : "ana"
        storms.observe(c, row: Int64(1_000 + k))
      }
      storms.finish { "row-\($0)" }
      return storms.findings.sorted { $0.firstTime < $1.firstTime }
    }
    let found = storms(moved: true)
    #expect(found.map(\.costCentre) == ["CC-1", "CC-2"])
    #expect(found.map(\.ownerID) == ["ana", "bo"])
    #expect(found.map(\.calls) == [6, 6])
    #expect(found.map(\.cost) == [Money(pico: 2_000_000), Money(pico: 15_000_000)])
    #expect(found.map(\.avoidableCost) == [Money(pico: 2_000_000), Money(pico: 10_000_000)])
    #expect(found.first?.evidence == (0..<6).map { "row-\(1_000 + $0)" })
    #expect(found.last?.evidence == (6..<12).map { "row-\(1_000 + $0)" })
    #expect(found.allSatisfy { $0.explanation.contains("12 times") })
    #expect(found.last?.explanation.contains("of the 6 charged to CC-2") == true)
    let whole = storms(moved: false)
    #expect(whole.count == 1 && whole.first?.calls == 12)
    #expect(whole.first?.avoidableCost == Money(pico: 12_000_000))
    #expect(found.first?.id == whole.first?.id)
    #expect(found.last?.id != whole.first?.id)
  }
}
