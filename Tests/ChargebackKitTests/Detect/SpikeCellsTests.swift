import Testing

@testable import ChargebackDemo
@testable import ChargebackDetect
@testable import ChargebackModel

/// The spike detector keeps a cell per agent, credential, day and model, and its token classes per
/// agent's and credential's day: a spike's root causes sum each token class over the day's models,
/// its evidence lists the day's first calls cell by cell in the cells' order, and each subject's
/// cells are in that order (day, agent, credential, model, each id in `String` order, a missing one
/// as the empty one) whatever order the calls came in.
@Suite struct SpikeCellsTests {
  /// A cell by its names.
  struct Cell: CustomStringConvertible {
    var agent: String?
    var credential: String?
    var day: Int64
    var model: String
    var description: String { "(\(agent ?? "-"), \(credential ?? "-"), \(day), \(model))" }
  }

  /// The cell at `position` of the detector's cells, named from its numbers.
  static func cell(_ s: UsageSpikes, _ position: Int) -> Cell {
    let k = s.cellKeys[position]
    return Cell(
      agent: k.agent < 0 ? nil : s.agentTasks.names[Int(k.agent)],
      credential: k.credential < 0 ? nil : s.credentialTasks.names[Int(k.credential)], day: k.day,
      model: s.models.values[Int(k.model)])
  }

  /// The cells' order, worked out on their strings: day, agent, credential, model, a missing id
  /// as the empty one.
  static func precedes(_ a: Cell, _ b: Cell) -> Bool {
    if a.day != b.day { return a.day < b.day }
    if let o = emptyFirstOrder(a.agent, b.agent) { return o }
    if let o = emptyFirstOrder(a.credential, b.credential) { return o }
    return a.model < b.model
  }

  static let period = Period(year: 2026, month: 10)
  static let september1 = SpikeAttributionTests.september1

  /// A call of agent `sp` with credential `k1` on day `d` after September 1st, of `model`, its
  /// input and output costing `input` and `output` dollars.
  static func call(day d: Int64, model: String, input: Int64, output: Int64, key: String) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: key, requestID: key,
      time: september1 + d * Timestamp.millisPerDay + 3_600_000, model: model, tokens: TokenCounts(input: 10),
      metadata: CallMetadata(agentID: "sp"))
    let a = Attribution(costCentre: "CC-A", agentID: "sp", credentialID: "k1", status: .agentMetadata)
    let usd = { (n: Int64) in Money(pico: Int128(n) * Money.picoPerUSD) }
    return ChargedRecord(
      record: r, attribution: a, model: model, cost: usd(input + output),
      parts: [
        PriceQuote.Part(tokenClass: .input, units: 10, row: 0, cost: usd(input)),
        PriceQuote.Part(tokenClass: .output, units: 10, row: 0, cost: usd(output)),
      ])
  }

  /// With `rows`, the calls are rows of a store (their keys read back for the finding); without,
  /// records read from no store, which keep their natural keys.
  @Test(arguments: [true, false])
  func aSpikesTokenClassesAreSummedOverItsModelsAndItsEvidenceFollowsTheCells(rows: Bool) throws {
    var spikes = UsageSpikes(settings: DetectionSettings(), period: Self.period)
    // Baseline: 20 days of $10 on m-a ($6 input, $4 output): median 10, MAD 0.
    for d in Int64(0)..<20 { spikes.observe(Self.call(day: d, model: "m-a", input: 6, output: 4, key: "base-\(d)")) }
    // October 20th (day 49): m-b's calls come first, interleaved with m-a's: $20 on m-a (input 15,
    // output 5), $30 on m-b (input 5, output 25), $50 in all.
    let spikeDay: [(String, Int64, Int64, String)] = [
      ("m-b", 2, 20, "b1"), ("m-a", 10, 2, "a1"), ("m-b", 3, 5, "b2"), ("m-a", 5, 3, "a2"),
    ]
    for (row, (model, input, output, key)) in spikeDay.enumerated() {
      spikes.observe(
        Self.call(day: 49, model: model, input: input, output: output, key: key), row: rows ? Int64(100 + row) : nil)
    }
    let found = spikes.spikes { "key of row \($0)" }
    // The credential is bound to the agent: its spike is the agent's, reported once.
    #expect(found.count == 1)
    let f = try #require(found.first)
    #expect(f.agentID == "sp" && f.cost == Money(pico: 50 * Money.picoPerUSD))
    // Over the baseline's $10 a day: no task +40, model m-b +30 (none before), output 30 - 4 = +26,
    // input 20 - 6 = +14 (the credential is the agent's only one: no cause).
    #expect(
      f.explanation.hasSuffix(
        "top causes over baseline: no task +40.00 USD, model m-b +30.00 USD, tokens output +26.00 USD, tokens input +14.00 USD"
      ), "\(f.explanation)")
    // m-a's cell before m-b's, each cell's calls in the order they came (rows 101, 103; 100, 102).
    #expect(
      f.evidence
        == (rows
          ? ["key of row 101", "key of row 103", "key of row 100", "key of row 102"] : ["a1", "a2", "b1", "b2"]))
    #expect(f.calls == 4)
  }

  @Test(arguments: 1...5)
  func eachSubjectsCellsAreInTheCellsOrder(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var spikes = UsageSpikes(settings: DetectionSettings(), period: Self.period)
    let ids: [String?] = [nil, "", "a", "b", "ab", "é", "e\u{301}", "日本", "Z", "a\u{0}b", "-1"]
    let models = ["m", "M", "m-2", "é", "e\u{301}x"]
    for n in 0..<600 {
      let (agent, credential) = (ids[rng.below(ids.count)], ids[rng.below(ids.count)])
      let model = models[rng.below(models.count)]
      let r = UsageRecord(
        provider: .openai, level: .request, format: "t", naturalKey: "k\(n)", requestID: "k\(n)",
        time: Self.september1 + Int64(rng.below(40)) * Timestamp.millisPerDay, model: model,
        tokens: TokenCounts(input: 10), metadata: CallMetadata(agentID: agent))
      let a = Attribution(costCentre: "CC", agentID: agent, credentialID: credential, status: .agentMetadata)
      spikes.observe(ChargedRecord(record: r, attribution: a, model: model, cost: Money(pico: 1)), row: Int64(n))
    }
    spikes.prepare()
    #expect(!spikes.cellsOf.isEmpty)
    for (subject, cells) in spikes.cellsOf {
      for (i, j) in zip(cells, cells.dropFirst()) {
        let (x, y) = (Self.cell(spikes, Int(i)), Self.cell(spikes, Int(j)))
        #expect(!Self.precedes(y, x), "\(subject): \(y) is after \(x)")
      }
    }
    // Every cell counts for its agent and its credential: in their lists, once each, and nowhere else.
    var expected: [String: [Int32]] = [:]
    for i in spikes.cellKeys.indices {
      let c = Self.cell(spikes, i)
      if let agent = c.agent { expected["agent:" + agent, default: []].append(Int32(i)) }
      if let credential = c.credential { expected["credential:" + credential, default: []].append(Int32(i)) }
    }
    #expect(spikes.cellsOf.mapValues { $0.sorted() } == expected.mapValues { $0.sorted() })
  }
}

extension SpikeCellsTests {
  /// A token class's cost past 64 bits (USD 9.2 million) is summed exactly, in the cell and in
  /// the day's breakdown: a sum that passes it, a part past it on its own, negative parts.
  @Test func aTokenClassPastSixtyFourBitsIsSummedExactly() {
    var spikes = UsageSpikes(settings: DetectionSettings(), period: Self.period)
    let big = Int128(1) << 62  // pico-USD: 4.6 million dollars
    // The input passes 64 bits at its second part; the output's first part is past them alone.
    let parts: [(Int128, Int128)] = [(big + 2, Int128(1) << 64), (big + 3, -3), (5, 17), (-7, 0)]
    for (n, (input, output)) in parts.enumerated() {
      let r = UsageRecord(
        provider: .openai, level: .request, format: "t", naturalKey: "k\(n)", requestID: "k\(n)",
        time: Self.september1 + 49 * Timestamp.millisPerDay, model: "m", tokens: TokenCounts(input: 10),
        metadata: CallMetadata(agentID: "sp"))
      let a = Attribution(costCentre: "CC-A", agentID: "sp", status: .agentMetadata)
      spikes.observe(
        ChargedRecord(
          record: r, attribution: a, model: "m", cost: Money(pico: input + output),
          parts: [
            PriceQuote.Part(tokenClass: .input, units: 1, row: 0, cost: Money(pico: input)),
            PriceQuote.Part(tokenClass: .output, units: 1, row: 0, cost: Money(pico: output)),
          ]), row: Int64(n))
    }
    spikes.prepare()
    let day = (Self.september1 / Timestamp.millisPerDay) + 49
    let facts = spikes.facts(of: "agent:sp", days: [day])[day]
    // Input: 2^62 + 2 + 2^62 + 3 + 5 - 7 = 2^63 + 3; output: 2^64 - 3 + 17 + 0 = 2^64 + 14.
    #expect(facts?.breakdown["tokens input"] == Money(pico: (Int128(1) << 63) + 3))
    #expect(facts?.breakdown["tokens output"] == Money(pico: (Int128(1) << 64) + 14))
    #expect(spikes.classCosts.overflow.count == 2)
    // The cell's cost passes 64 bits too: the model's cause is all of it.
    #expect(facts?.breakdown["model m"] == Money(pico: (Int128(1) << 63) + (Int128(1) << 64) + 17))
    #expect(spikes.cellCosts.overflow.count == 1)
  }
}
