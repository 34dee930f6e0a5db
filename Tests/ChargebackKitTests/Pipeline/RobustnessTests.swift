import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Bad input of any kind is rejected whole (SPEC §9): a fuzz pass over every sample export, and an
/// ingest killed half-way.
@Suite struct RobustnessTests {
  /// SplitMix64, so every run mutates the same way.
  struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
  }

  /// Every sample export shipped in shared/samples and the test fixtures (not the price map).
  static func sampleFiles() throws -> [String] {
    let roots = [Fixtures.samples, Fixtures.month + "/usage"]
    return try roots.flatMap { try Ingestor.expand([$0]) }.filter {
      !$0.contains("pricing-reference") && !$0.hasSuffix("README.md")
    }
  }

  @Test func mutatedExportsAreAcceptedOrRejectedWhole() throws {
    let dir = try TestSupport.tempDir()
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    var random = Random(state: 2026)
    var rejected = 0
    var accepted = 0
    let files = try Self.sampleFiles()
    try #require(files.count >= 4)
    for file in files {
      let original = try Data(contentsOf: URL(fileURLWithPath: file))
      for round in 0..<12 {
        var bytes = [UInt8](original)
        switch round % 3 {
        case 0:  // truncate
          bytes = Array(bytes.prefix(random.below(bytes.count)))
        case 1:  // flip a few bytes
          for _ in 0..<(1 + random.below(4)) where !bytes.isEmpty {
            bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
          }
        default:  // overwrite a byte with a structural character
          let structural = Array("{}[]\",:0a-".utf8)
          if !bytes.isEmpty { bytes[random.below(bytes.count)] = structural[random.below(structural.count)] }
        }
        let path = dir + "/m-\(round)-" + (file as NSString).lastPathComponent
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let before = try store.recordCount()
        let filesBefore = try store.files().count
        do {
          _ = try ingestor.ingest(paths: [path])
          accepted += 1
        } catch let e as InputError {
          rejected += 1
          #expect(e.file == path, "error names another file: \(e)")
          #expect(try store.recordCount() == before, "partial ingest of \(path): \(e)")
          #expect(try store.files().count == filesBefore)
        }
      }
    }
    // The mutations must actually exercise both outcomes.
    #expect(rejected > 10)
    #expect(accepted > 0)
  }

  @Test func killedIngestLeavesTheStoreAsItWas() throws {
    let dir = try TestSupport.tempDir()
    let db = dir + "/s.sqlite"
    // A small file first, committed.
    let first = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage/openai", "--db", db])
    try #require(first.status == 0)
    // A large file, killed while it loads.
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/big", records: 200_000, perFile: 200_000)
    var killedMidFile = false
    for delay in [0.4, 0.2, 0.8] {
      if try TestSupport.runKilled(["ingest", layout.files[0], "--db", db], after: delay).killed {
        killedMidFile = true
        break
      }
      try? FileManager.default.removeItem(atPath: db)  // finished too fast: start over
      _ = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage/openai", "--db", db])
    }
    try #require(killedMidFile, "the ingest finished before it could be killed")
    let store = try UsageStore(path: db)
    #expect(try store.recordCount() == 3)
    #expect(try store.files().count == 1)
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage WHERE file_id NOT IN (SELECT id FROM files)") == 0)
    let integrity = try store.db.prepare("PRAGMA integrity_check")
    #expect(try integrity.step())
    #expect(integrity.text(0) == "ok")
    // The store takes new files as before.
    let more = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Fixtures.month + "/usage/bedrock"
    ])
    #expect(more.first?.newRecords == 7)
  }
}
