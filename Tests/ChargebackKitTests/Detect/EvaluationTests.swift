import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Scores the detectors on the labelled evaluation set (Demo/EvaluationSet.swift): every planted case
/// must be found with the right kind and identity, no decoy may raise a storm, loop or spike, and
/// the avoidable cost of storms and loops must equal the planted waste to the pico-dollar.
@Suite struct EvaluationTests {
  static let period = Period("2026-10")!

  /// The set written under a temporary directory, ingested month by month into one store, and the
  /// period's report.
  static func evaluate() throws -> (layout: EvaluationLayout, report: ChargebackReport, ingested: Int64) {
    let dir = try TestSupport.tempDir()
    let layout = try EvaluationSet(period: period).write(to: dir + "/eval")
    let database = dir + "/store.sqlite"
    let previousMonth = period.previous.description
    let (older, current) = (
      layout.files.filter { ($0 as NSString).lastPathComponent.hasPrefix(previousMonth) },
      layout.files.filter { !($0 as NSString).lastPathComponent.hasPrefix(previousMonth) }
    )
    // The previous month first, as last month's run would have left it in the store.
    let store = try UsageStore(path: database)
    let before = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: older)
    try store.close()
    let result = try ChargebackJob(
      options: .init(
        period: period, usage: current, identities: layout.identityDirectory, pricing: layout.pricingDirectory,
        out: dir + "/out",
        database: database),
      progress: ProgressReporter(force: false)
    ).run()
    let ingested = (before + result.ingested).reduce(Int64(0)) { $0 + $1.newRecords }
    return (layout, result.report, ingested)
  }

  /// A finding matches a planted case when the kind, the identity and the first day agree.
  static func matches(_ f: Finding, _ c: EvaluationCase) -> Bool {
    guard f.kind == c.kind, Timestamp.day(f.firstTime) == c.day else { return false }
    if let want = c.credentialID, let got = f.credentialID, want != got { return false }
    if let want = c.agentID {
      // A finding about an unregistered agent charges nobody: it names the agent in its text.
      if let got = f.agentID { return got == want }
      return f.explanation.contains("agent \(want)")
    }
    return true
  }

  static let behavioural: [FindingKind] = [.retryStorm, .recursiveLoop, .usageSpike, .newSpender]
  static let lifecycle: [FindingKind] = [
    .revokedCredential, .expiredCredential, .offboardedOwner, .sharedCredential, .agentMismatch, .unknownAgent,
    .outOfScopeModel, .unapprovedTask,
  ]

  @Test func detectorsFindEveryPlantedCaseAndNoDecoy() throws {
    let (layout, report, ingested) = try Self.evaluate()
    #expect(ingested == Int64(layout.periodRecords + layout.previousRecords))
    #expect(layout.previousRecords > 1_000 && layout.periodRecords > 1_000)

    // Precision and recall per kind.
    var lines = [
      "evaluation set \(Self.period): \(layout.previousRecords) + \(layout.periodRecords) records, \(layout.cases.count) planted cases, \(layout.decoys.count) decoys",
      "kind                   planted  found  flagged  precision  recall",
    ]
    for kind in Self.behavioural + Self.lifecycle {
      let planted = layout.cases.filter { $0.kind == kind }
      let flagged = report.findings.filter { $0.kind == kind }
      let found = planted.filter { c in flagged.contains { Self.matches($0, c) } }
      let correct = flagged.filter { f in planted.contains { Self.matches(f, $0) } }
      let precision = flagged.isEmpty ? 1.0 : Double(correct.count) / Double(flagged.count)
      let recall = planted.isEmpty ? 1.0 : Double(found.count) / Double(planted.count)
      lines.append(
        kind.rawValue.padding(toLength: 23, withPad: " ", startingAt: 0)
          + String(planted.count).leftPadded(7) + String(found.count).leftPadded(7)
          + String(flagged.count).leftPadded(9) + String(format: "%.2f", precision).leftPadded(11)
          + String(format: "%.2f", recall).leftPadded(8))
      #expect(
        found.count == planted.count,
        "recall of \(kind.rawValue): missed \(planted.filter { !found.contains($0) }.map(\.note))")
      if [.retryStorm, .recursiveLoop, .usageSpike, .newSpender].contains(kind) {
        #expect(
          correct.count == flagged.count,
          "precision of \(kind.rawValue): unexpected \(flagged.filter { !correct.contains($0) }.map(\.explanation))")
      }
    }

    // Avoidable cost of storms and loops against the planted waste; cost of the other findings.
    lines.append("avoidable cost (storms and loops): planted → found")
    for c in layout.cases {
      guard let f = report.findings.first(where: { Self.matches($0, c) }) else { continue }
      switch c.kind {
      case .retryStorm, .recursiveLoop:
        let diff = abs((f.avoidableCost - c.expectedAvoidable).pico)
        let pct = Double(diff) / Double(c.expectedAvoidable.pico) * 100
        lines.append(
          "  \(c.kind.rawValue) \(c.agentID ?? "-"): \(c.expectedAvoidable.formatted(decimals: 6)) → \(f.avoidableCost.formatted(decimals: 6)) USD (\(String(format: "%.2f", pct)) %)"
        )
        #expect(c.expectedAvoidable > .zero)
        // Exact to the pico-dollar: the expected values come from the planted rates.
        #expect(diff == 0, "\(c.kind.rawValue) \(c.agentID ?? "-"): \(f.explanation)")
        if c.kind == .retryStorm { #expect(f.cost == c.plantedCost, "\(f.explanation)") }
      case .usageSpike:
        // The day's cost includes the planted extra calls.
        #expect(f.cost >= c.plantedCost, "\(f.explanation)")
      default:
        // Lifecycle findings and the new spender cover exactly the planted calls; a kind filed per
        // cost centre charged (a shared credential used by agents of several) in its findings together.
        let cost = report.findings.filter { Self.matches($0, c) }.reduce(Money.zero) { $0 + $1.cost }
        #expect(cost == c.plantedCost, "\(c.kind.rawValue): \(cost) vs planted \(c.plantedCost)")
      }
    }

    // No decoy raises what it must not.
    for d in layout.decoys {
      let hits = report.findings.filter { f in
        d.mustNotRaise.contains(f.kind) && (f.agentID.map(d.agents.contains) ?? false)
      }
      lines.append(
        "decoy \(d.decoyKind) (\(d.agentID)): \(hits.isEmpty ? "not flagged" : "FLAGGED \(hits.map(\.kind.rawValue))")")
      #expect(hits.count == 0, "decoy \(d.decoyKind): \(hits.map(\.explanation))")
    }
    print(lines.joined(separator: "\n"))
  }

  @Test func labelsAreWrittenAndDeterministic() throws {
    let dir = try TestSupport.tempDir()
    let a = try EvaluationSet(period: Self.period).write(to: dir + "/a")
    let b = try EvaluationSet(period: Self.period).write(to: dir + "/b")
    #expect(a.cases == b.cases)
    #expect(a.files.count == b.files.count)
    for (x, y) in zip(a.files, b.files) {
      #expect(FileManager.default.contents(atPath: x) == FileManager.default.contents(atPath: y))
    }
    #expect(FileManager.default.contents(atPath: a.labelsFile) == FileManager.default.contents(atPath: b.labelsFile))
    for name in ["people", "cost_centres", "agents", "credentials", "tasks", "scopes"] {
      let path = a.identityDirectory + "/\(name).csv"
      #expect(
        FileManager.default.contents(atPath: path)
          == FileManager.default.contents(atPath: b.identityDirectory + "/\(name).csv"))
    }

    // labels.json lists every case and decoy, with exact decimal strings.
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a.labelsFile))) as? [String: Any])
    let cases = try #require(json["cases"] as? [[String: Any]])
    let decoys = try #require(json["decoys"] as? [[String: Any]])
    #expect(cases.count == a.cases.count && decoys.count == a.decoys.count)
    for (row, c) in zip(cases, a.cases) {
      #expect(row["kind"] as? String == c.kind.rawValue)
      let text = try #require(row["expected_avoidable_usd"] as? String)
      #expect(TestSupport.usd(text) == c.expectedAvoidable)
    }
    // Another seed gives other traffic.
    let c = try EvaluationSet(period: Self.period, seed: 8).write(to: dir + "/c")
    #expect(FileManager.default.contents(atPath: c.files[0]) != FileManager.default.contents(atPath: a.files[0]))
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
