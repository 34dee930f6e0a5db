import Testing

@testable import ChargebackDetect
@testable import ChargebackModel

/// A usage spike names the cost centre its subject was in on the spike day, and its root causes
/// compare each cause with its own past, the calls without a task included (two trials).
@Suite struct SpikeAttributionTests {
  static let period = Period(year: 2026, month: 10)
  /// 2026-09-01.
  static let september1: Int64 = 1_788_220_800_000

  /// One call of agent `sp` on day `d` after September 1st, costing `usd` dollars, charged to
  /// `costCentre`, with task `task`.
  static func call(day d: Int64, usd: Int64, costCentre: String, task: String? = nil) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(d)-\(usd)", requestID: "\(d)-\(usd)",
      time: september1 + d * Timestamp.millisPerDay + 3_600_000, model: "gpt-4.1", tokens: TokenCounts(input: 10),
      metadata: CallMetadata(agentID: "sp", taskID: task))
    let a = Attribution(costCentre: costCentre, agentID: "sp", taskID: task, status: .agentMetadata)
    return ChargedRecord(record: r, attribution: a, model: "gpt-4.1", cost: Money(pico: Int128(usd) * Money.picoPerUSD))
  }

  @Test func aSpikeIsFiledUnderTheDaysCostCentreAndNoTaskIsComparedWithItsPast() throws {
    var spikes = UsageSpikes(settings: DetectionSettings(), period: Self.period)
    // September: $9 and $11 on alternate days, no task (median 10, MAD 1: threshold 10 + 6 × 1.4826
    // = 18.90). October: $10 on the 2nd in CC-A; the agent moves to CC-B; $30 on the 20th, no task.
    for d in Int64(0)..<20 { spikes.observe(Self.call(day: d, usd: d % 2 == 0 ? 9 : 11, costCentre: "CC-A")) }
    spikes.observe(Self.call(day: 31, usd: 10, costCentre: "CC-A"))
    spikes.observe(Self.call(day: 49, usd: 30, costCentre: "CC-B"))
    let found = try spikes.spikes()
    #expect(found.count == 1)
    let f = try #require(found.first)
    #expect(f.costCentre == "CC-B" && f.agentID == "sp")
    #expect(f.cost == Money(pico: 30 * Money.picoPerUSD))
    // The calls without a task averaged 10 a day on the 21 baseline days (20 in September and the
    // 2nd): +20, not the whole day's 30.
    #expect(f.explanation.contains("no task +20.00 USD"), "\(f.explanation)")
    #expect(!f.explanation.contains("no task +30.00"))
  }
}
