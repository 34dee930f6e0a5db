import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// One call in two logs (a LiteLLM spend log and an OTel span with the same response id) is
/// charged once, from the gateway's copy, whichever file name sorts first.
@Suite struct CrossFormatCopyTests {
  static let fixtures = Fixtures.root + "/formats/cross-format"

  /// The span's row is the one skipped, in either order of the files.
  ///
  /// The span (`a-spans.json`, read first) reports 1,200 input tokens with no cache split; the
  /// spend log's copy of `chatcmpl-Bx9a8b7c6d5e4f3g2h1` splits them.
  @Test(arguments: [false, true])
  func theGatewaysCopyIsKept(reversed: Bool) throws {
    let dir = try TestSupport.tempDir()
    let usage = dir + "/usage"
    try FileManager.default.createDirectory(atPath: usage, withIntermediateDirectories: true)
    let names = ["a-spans.json", "b-spend-logs.json"]
    // Reversed: the spend log is read first (named so that it sorts first).
    for (n, name) in names.enumerated() {
      let target = reversed ? (n == 0 ? "z-spans.json" : "a-spend-logs.json") : name
      try FileManager.default.copyItem(atPath: Self.fixtures + "/" + name, toPath: usage + "/" + target)
    }
    let store = try UsageStore(path: dir + "/s.sqlite")
    _ = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [usage])
    var rows: [(id: Int64, format: String, request: String?)] = []
    try store.forEachRecord(from: .min, to: .max) { rows.append(($0.id, $0.record.format, $0.record.requestID)) }
    let copies = rows.filter { $0.request == "chatcmpl-Bx9a8b7c6d5e4f3g2h1" }
    #expect(copies.count == 2)
    let skipped = try store.crossFormatDuplicates(from: .min, to: .max)
    #expect(skipped.count == 1)
    let span = try #require(copies.first { $0.format == "otel-genai-spans" })
    #expect(skipped == [span.id])
  }
}
