import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A month over both formats whose every cent was computed by hand (see the fixture files):
/// cached input, a batch tier, a long-context call, a mid-month price change, a mid-month cost
/// centre move, an unknown credential, an unpriced model and a record of the previous month.
@Suite struct MonthTests {
  static func runMonth(out: String? = nil) throws -> (ChargebackJob.Result, String) {
    let dir = try TestSupport.tempDir()
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [Fixtures.month + "/usage"],
        identities: Fixtures.month + "/identities", pricing: Fixtures.month + "/pricing",
        out: out ?? dir + "/out", database: dir + "/store.sqlite"),
      progress: ProgressReporter(force: false))
    return (try job.run(), dir)
  }

  @Test func costCentreTotalsToThePicoDollar() throws {
    let (result, _) = try Self.runMonth()
    let byCC = Dictionary(uniqueKeysWithValues: result.report.costCentres.map { ($0.id, $0.cost) })
    // CC-A: req-1 on the 5th, before agent-x moved: 1000×3 + 2000×0.3 + 500×15 per M = 0.0111.
    #expect(byCC["CC-A"] == TestSupport.usd("0.0111"))
    // CC-B: req-2 after the move, long context (211,000 input ≥ 200,001): 150000×6 + 60000×0.6
    // + 1000×12 (1h write) + 2000×22.5 = 0.993; req-3 nova-pro before the cut 10000×0.8 + 1000×3.2
    // = 0.0112; req-4 after the cut 10000×0.7 + 1000×3.2 = 0.0102; key_A standard 60000×0.4
    // + 40000×0.1 + 5000×1.6 = 0.036; key_A batch 200000×0.2 + 20000×0.8 = 0.056.
    #expect(byCC["CC-B"] == TestSupport.usd("1.1064"))
    // CC-C: shared key_B: 40000×0.4 + 10000×0.1 + 1000×1.6 = 0.0186.
    #expect(byCC["CC-C"] == TestSupport.usd("0.0186"))
    // Unknown credential: 1000×3 + 100×15 = 0.0045.
    #expect(byCC["UNATTRIBUTED"] == TestSupport.usd("0.0045"))
    #expect(result.report.totalCost == TestSupport.usd("1.1406"))
    // The September record is not in October; the unpriced llama call is counted but not priced.
    #expect(result.report.recordCount == 9)
    #expect(result.report.unpricedRecords == 1)
    #expect(result.report.costCentres.first { $0.id == "CC-B" }?.unpricedRequests == 1)
  }

  @Test func summaryAndLinesAddUpInPrint() throws {
    let (result, dir) = try Self.runMonth()
    let summary = try TestSupport.readCSV(dir + "/out/summary.csv")
    let cost = Dictionary(uniqueKeysWithValues: summary.map { ($0["cost_centre"]!, $0["cost_usd"]!) })
    #expect(
      cost == [
        "CC-A": "0.011100", "CC-B": "1.106400", "CC-C": "0.018600", "UNATTRIBUTED": "0.004500", "TOTAL": "1.140600",
      ])
    let lines = try TestSupport.readCSV(dir + "/out/chargeback.csv")
    let priced = lines.filter { $0["price_status"] == "priced" }
    let sum = priced.reduce(Int128(0)) { $0 + DecimalText.parse($1["cost_usd"]!, decimals: 6)! }
    #expect(sum == 1_140_600)
    // The unpriced call keeps its tokens in a line, with no cost.
    let unpriced = try #require(lines.first { $0["price_status"] == "unpriced" })
    #expect(unpriced["model"] == "meta.llama9-v1:0")
    #expect(unpriced["input_tokens"] == "500")
    #expect(unpriced["cost_usd"] == "")
    // agent-x is charged to CC-A before the 16th and CC-B after.
    let x = lines.filter { $0["agent_id"] == "agent-x" }
    #expect(Set(x.map { $0["cost_centre"]! }) == ["CC-A", "CC-B"])
    // Batch and standard are separate lines.
    let keyA = lines.filter { $0["credential_id"] == "key_A" }
    #expect(Set(keyA.map { $0["tier"]! }) == ["standard", "batch"])
    #expect(result.report.lines.count == lines.count)
  }

  @Test func attributionFindings() throws {
    let (result, _) = try Self.runMonth()
    let kinds = Dictionary(grouping: result.report.findings, by: \.kind)
    let unattributed = try #require(kinds[.unattributed]?.first)
    #expect(unattributed.credentialID == "arn:aws:iam::111122223333:user/ghost")
    #expect(unattributed.cost == TestSupport.usd("0.0045"))
    #expect(unattributed.evidence == ["bedrock:req-5"])
    let unpriced = try #require(kinds[.unpricedModel]?.first)
    #expect(unpriced.explanation.contains("meta.llama9-v1:0"))
    #expect(kinds[.sharedCredential]?.first?.credentialID == "key_B")
    // CC-B's budget is $1.00 and it spent $1.1064.
    let budget = try #require(kinds[.costCentreBudgetExceeded]?.first)
    #expect(budget.costCentre == "CC-B")
    #expect(kinds[.costCentreBudgetExceeded]?.count == 1)
    // Nothing else fired on this clean month.
    #expect(Set(kinds.keys) == [.unattributed, .unpricedModel, .sharedCredential, .costCentreBudgetExceeded])
  }

  @Test func sameInputsGiveByteIdenticalOutputs() throws {
    let (a, dirA) = try Self.runMonth()
    let (_, dirB) = try Self.runMonth()
    for path in a.outputs {
      let name = (path as NSString).lastPathComponent
      guard name != "manifest.json" else { continue }
      let x = try Data(contentsOf: URL(fileURLWithPath: dirA + "/out/" + name))
      let y = try Data(contentsOf: URL(fileURLWithPath: dirB + "/out/" + name))
      #expect(x == y, "\(name) differs between two runs")
    }
    #expect(a.outputs.contains { $0.hasSuffix("/CC-B.xlsx") })
    #expect(a.outputs.contains { $0.hasSuffix("/company.xlsx") })
    #expect(a.outputs.contains { $0.hasSuffix("/UNATTRIBUTED.xlsx") })
  }

  @Test func manifestNamesInputsAndTotals() throws {
    let (_, dir) = try Self.runMonth()
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let inputs = try #require(json["inputs"] as? [[String: Any]])
    #expect(inputs.count == 2)
    #expect(
      Set(inputs.compactMap { $0["format"] as? String }) == ["bedrock-invocation-log", "openai-usage-completions"])
    let totals = try #require(json["totals"] as? [String: Any])
    #expect(totals["cost_usd"] as? String == "1.140600")
  }
}

@Suite struct LabelTests {
  @Test func labelsStickToStableFindingIds() throws {
    let (first, _) = try MonthTests.runMonth()
    let finding = try #require(first.report.findings.first { $0.kind == .unattributed })
    // Same inputs, same id.
    let (second, _) = try MonthTests.runMonth()
    #expect(second.report.findings.first { $0.kind == .unattributed }?.id == finding.id)
    // A label written against that id shows in findings.csv on the next run.
    let dir = try TestSupport.tempDir()
    try FileManager.default.copyItem(atPath: Fixtures.month + "/identities", toPath: dir + "/ids")
    try "finding_id,label,note,who\n\(finding.id),confirmed,ghost key is a leaked test key,sec-team\n".write(
      toFile: dir + "/ids/labels.csv", atomically: true, encoding: .utf8)
    let job = ChargebackJob(
      options: .init(
        period: Period("2026-10")!, usage: [Fixtures.month + "/usage"], identities: dir + "/ids",
        pricing: Fixtures.month + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
      progress: ProgressReporter(force: false))
    _ = try job.run()
    let rows = try TestSupport.readCSV(dir + "/out/findings.csv")
    let row = try #require(rows.first { $0["finding_id"] == finding.id })
    #expect(row["label"] == "confirmed")
    #expect(row["label_note"]?.contains("leaked test key") == true)
    #expect(rows.filter { $0["label"] != "" }.count == 1)
  }
}
