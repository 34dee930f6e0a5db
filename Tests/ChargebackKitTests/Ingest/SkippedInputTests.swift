import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Inputs skipped once and loaded later (SPEC §7: the manifest's inputs and skipped inputs).
@Suite struct SkippedInputTests {
  /// A file skipped while empty (a download in progress) and loaded once filled is an input of the
  /// manifest, no longer a skipped one too.
  @Test func aSkippedFileLoadedSinceIsListedOnceAsAnInput() throws {
    let dir = try TestSupport.tempDir()
    let mixed = Fixtures.root + "/mixed"
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let path = usage + "/late.jsonl"
    try Data().write(to: URL(fileURLWithPath: path))
    func run() throws -> (ChargebackReport, [String: Any]) {
      let job = ChargebackJob(
        options: .init(
          period: try #require(Period("2026-10")), usage: [usage], identities: mixed + "/identities",
          pricing: mixed + "/pricing", out: dir + "/out", database: dir + "/s.sqlite"),
        progress: ProgressReporter(force: false))
      let report: ChargebackReport = try #require(try job.run().report)
      let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))
      return (report, try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }
    #expect(try run().0.skippedInputs.map(\.path) == [path])
    try FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(atPath: BedrockDeliveryTests.log, toPath: path)
    let (report, manifest) = try run()
    #expect(report.skippedInputs.isEmpty)
    #expect((manifest["skipped_inputs"] as? [Any])?.isEmpty == true)
    #expect((manifest["inputs"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == [path])
  }
}
