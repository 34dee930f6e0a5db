import Foundation
import Testing

@testable import ChargebackDetect
@testable import ChargebackModel
@testable import ChargebackReporting
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A finding whose calls have no price has no known cost: `findings.csv` and the Findings sheets
/// leave it empty, never $0 (SPEC §5), whatever the kind; one with some calls unpriced shows the
/// others' cost and says so.
@Suite struct UnpricedFindingCostTests {
  static func charged(
    _ credential: String, costCentre: String, signals: [FindingKind], cost: Money?, time: Int64
  ) -> ChargedRecord {
    let r = UsageRecord(
      provider: .openai, level: .request, format: "t", naturalKey: "openai:\(credential):\(time)", time: time,
      credential: credential, model: "no-such-model", tokens: TokenCounts(input: 10),
      metadata: CallMetadata(agentID: "agent-" + credential))
    // An agent per key: an offboarded owner's finding is its agent's.
    let a = Attribution(
      costCentre: costCentre, agentID: "agent-" + credential, credentialID: credential, status: .sharedAgent,
      signals: signals)
    return ChargedRecord(record: r, attribution: a, model: "no-such-model", cost: cost)
  }

  /// Every per-call signal of the policy detector, all unpriced, then half unpriced.
  @Test func findingsOfUnpricedCallsHaveNoCost() throws {
    let kinds: [FindingKind] = [.revokedCredential, .expiredCredential, .offboardedOwner, .sharedCredential]
    var policy = PolicyFindings()
    for (n, kind) in kinds.enumerated() {
      for i in 0..<4 {
        // Key "all-n": every call unpriced. Key "half-n": every other call at 3 µUSD.
        let t = Int64(n * 100 + i) * 1_000
        policy.observe(Self.charged("all-\(n)", costCentre: "CC-A", signals: [kind], cost: nil, time: t))
        policy.observe(
          Self.charged(
            "half-\(n)", costCentre: "CC-A", signals: [kind], cost: i % 2 == 0 ? Money(pico: 3_000_000) : nil,
            time: t))
      }
    }
    let findings = policy.findings(period: Period(year: 2026, month: 10)).filter { kinds.contains($0.kind) }
    let all = findings.filter { $0.credentialID?.hasPrefix("all-") == true }
    let half = findings.filter { $0.credentialID?.hasPrefix("half-") == true }
    #expect(all.count == kinds.count && half.count == kinds.count)
    for f in all {
      #expect(!f.costKnown, "\(f.kind)")
      #expect(f.calls == 4)
    }
    for f in half {
      #expect(f.costKnown, "\(f.kind)")
      // Two priced calls of 3 µUSD.
      #expect(f.cost == Money(pico: 6_000_000))
      #expect(f.explanation.contains("2 of 4 usage records have no price"), "\(f.explanation)")
    }

    // Counted by records, not requests: a usage report's rows count no requests. Unpriced report
    // rows alone: no known cost; priced report rows beside unpriced calls: the rows' cost shown.
    var rows = PolicyFindings()
    for (n, cost) in [(0, nil), (1, nil), (2, Money(pico: 7_000_000)), (3, nil)] as [(Int, Money?)] {
      var report = Self.charged("rows-\(n / 2)", costCentre: "CC-A", signals: [.revokedCredential], cost: cost, time: 1)
      report.record.level = .report
      report.record.requests = n == 3 ? 1 : 0
      rows.observe(report)
    }
    let byKey = Dictionary(
      uniqueKeysWithValues: rows.findings(period: Period(year: 2026, month: 10)).filter {
        $0.kind == .revokedCredential
      }
      .map { ($0.credentialID ?? "", $0) })
    #expect(byKey["rows-0"]?.costKnown == false)
    #expect(byKey["rows-1"]?.costKnown == true && byKey["rows-1"]?.cost == Money(pico: 7_000_000))
    #expect(byKey["rows-1"]?.explanation.contains("1 of 2 usage records have no price") == true)

    // findings.csv: empty cost cells for the unpriced findings, the priced part for the others.
    let dir = try TestSupport.tempDir("unpriced-findings")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try CSVReports.findings(findings, to: dir + "/findings.csv")
    let table = try CSVTable(file: "findings.csv", text: String(contentsOfFile: dir + "/findings.csv", encoding: .utf8))
    #expect(table.rows.count == 2 * kinds.count)
    for row in table.rows {
      let credential = table.value(row.fields, "credential_id") ?? ""
      let cost = table.value(row.fields, "cost_usd")
      let avoidable = table.value(row.fields, "avoidable_cost_usd")
      if credential.hasPrefix("all-") {
        #expect(cost == nil && avoidable == nil, "\(credential)")
      } else {
        #expect(cost == "0.000006", "\(credential)")
      }
    }
    // The Findings sheet: no money cell for them either.
    let sheet = WorkbookReports.findingsTable(findings, costCentre: false)
    let costColumn = try #require(sheet.columns.firstIndex { $0.header == "Cost (USD)" })
    #expect(sheet.count == findings.count)
    for (n, f) in findings.enumerated() {
      if case .empty = sheet.row(n)[costColumn] { #expect(!f.costKnown) } else { #expect(f.costKnown) }
    }
  }

  /// A retry storm of calls to a model without prices has no known cost; one with some unpriced
  /// calls shows the others' cost but no avoidable amount (not known), and adds none to its cost
  /// centre's avoidable total.
  @Test func stormsWithUnpricedCallsShowNoAvoidableAmount() throws {
    var storms = RetryStorms(settings: DetectionSettings(), period: Period(year: 2026, month: 10))
    // Prompt "N": 9 throttles and a success, all unpriced. Prompt "H": the same, the success priced
    // (5 µUSD) and the throttles not. 100 ms apart.
    var row: Int64 = 0
    for prompt in ["N", "H"] {
      for k in 0..<10 {
        var c = RetryStormSweepTests.charged(
          Int(row), prompt: prompt, input: k == 9 ? 5_000 : 0, error: k == 9 ? nil : "ThrottlingException",
          pico: 5_000_000)
        c.record.time = RetryStormSweepTests.start + row * 100
        if prompt == "N" || k < 9 { c.cost = nil }
        storms.observe(c, row: row)
        row += 1
      }
    }
    storms.finish { "bedrock:\($0)" }
    #expect(storms.findings.count == 2)
    let n = try #require(storms.findings.first { $0.firstTime == RetryStormSweepTests.start })
    let h = try #require(storms.findings.first { $0.firstTime == RetryStormSweepTests.start + 1_000 })
    #expect(!n.costKnown && !n.avoidableShown)
    #expect(h.costKnown && h.cost == Money(pico: 5_000_000))
    #expect(!h.avoidableShown && h.avoidableCost == .zero)
    #expect(h.explanation.contains("9 of its calls have no price"))
  }
}
