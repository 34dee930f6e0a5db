import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Demo months of one seed make request ids of their own: a daily run across a month's end on
/// two demo months stored the next month's first calls as conflicting copies of the month
/// before's (a trial: six `conflicting_duplicate` findings, six calls lost).
@Suite struct DemoMonthIDsTests {
  /// The request ids of every Bedrock line under `folder`.
  static func requestIDs(_ folder: String) throws -> Set<String> {
    var ids = Set<String>()
    let files = try FileManager.default.subpathsOfDirectory(atPath: folder)
    for file in files where file.hasSuffix(".jsonl") {
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      for line in text.split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        if let id = object?["requestId"] as? String { ids.insert(id) }
      }
    }
    return ids
  }

  @Test func twoMonthsOfOneSeedShareNoRequestID() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var months: [Set<String>] = []
    for period in ["2026-10", "2026-11", "2027-10"] {
      let layout = try DemoGenerator(period: Period(period)!).write(to: dir + "/" + period)
      months.append(try Self.requestIDs(layout.usageDirectory))
    }
    for (i, m) in months.enumerated() {
      #expect(m.count > 1_000)
      for other in months[(i + 1)...] { #expect(m.intersection(other).count == 0) }
    }
    // The bench months too.
    var bench: [Set<String>] = []
    for period in ["2026-10", "2026-11"] {
      let layout = try DemoGenerator(period: Period(period)!).writeBenchmark(
        to: dir + "/bench-" + period, records: 2_000, perFile: 1_000, shape: .friendly)
      bench.append(try Self.requestIDs(layout.usageDirectory))
    }
    #expect(bench[0].count == 2_000)
    #expect(bench[0].intersection(bench[1]).count == 0)
  }
}
