import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackStorePostgres
@testable import ChargebackTestSupport

/// Four `chargeback ingest` processes, started together, each loading a different file, where the
/// files share records (docs/postgres.md §5): the merges take turns under the writer lock, and the
/// store ends as one SQLite ingest of the same files would, whatever order the merges took.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PostgresOverlapTests {
  static let files = 4
  static let shared = 1000  // keys s-i: in every file, identical content
  static let own = 1500  // keys u-f-i: in file f only
  static let conflicting = 500  // keys c-i: in every file, content varying by file

  /// One Bedrock invocation log line.
  static func line(_ id: String, input: Int, output: Int) -> String {
    """
    {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-05T09:00:00Z",\
    "accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/x-runner/s1"},\
    "region":"us-east-1","requestId":"\(id)","operation":"Converse",\
    "modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","input":{"inputContentType":"application/json",\
    "inputTokenCount":\(input),"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":0},\
    "output":{"outputContentType":"application/json","outputTokenCount":\(output)},\
    "requestMetadata":{"agent_id":"agent-x","task_id":"T-1"}}
    """
  }

  /// The variant of conflicting key `i` that file `f` gives: four variants for an even `i`, two
  /// (files 0-1 and 2-3) for an odd one.
  static func variant(_ i: Int, file f: Int) -> Int { i % 2 == 0 ? f : f / 2 }

  /// Conflicting key `i`, variant `v`: input 3000 + 10 v, output 600 + i − 10 v, so its tokens sum
  /// to 3600 + i whichever variant is kept.
  static func conflictTokens(_ i: Int, variant v: Int) -> (input: Int, output: Int) {
    (3000 + 10 * v, 600 + i - 10 * v)
  }

  /// File `f`: its shared, conflicting and own records, rotated by 750 f lines so that each file
  /// has them in another order.
  private func writeFiles(_ dir: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return try (0..<Self.files).map { f in
      var lines = (0..<Self.shared).map { Self.line("s-\($0)", input: 1000, output: 100 + $0) }
      lines += (0..<Self.conflicting).map { i in
        let t = Self.conflictTokens(i, variant: Self.variant(i, file: f))
        return Self.line("c-\(i)", input: t.input, output: t.output)
      }
      lines += (0..<Self.own).map { Self.line("u-\(f)-\($0)", input: 2000, output: 7 + $0 + 3 * f) }
      let k = (750 * f) % lines.count
      let path = dir + "/part-\(f).jsonl"
      try ((lines[k...] + lines[..<k]).joined(separator: "\n") + "\n").write(
        toFile: path, atomically: true, encoding: .utf8)
      return path
    }
  }

  struct Totals: Equatable {
    var records: Int64 = 0
    var requests: Int64 = 0
    var tokens: Int64 = 0  // input + output of every record
    var conflicts = 0
  }

  /// The totals read back through the store protocol; `check` sees each record.
  private func totals(_ store: any ChargebackStore, _ check: (UsageRecord) -> Void = { _ in }) throws -> Totals {
    var t = Totals()
    try store.forEachRecord(from: Int64.min, to: Int64.max) { r in
      t.records += 1
      t.requests += r.record.requests
      t.tokens += r.record.tokens.input + r.record.tokens.output
      check(r.record)
    }
    t.conflicts = try store.conflicts(from: Int64.min, to: Int64.max).count
    return t
  }

  @Test func fourIngestsOfOverlappingFilesEqualOneIngest() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = try writeFiles(dir + "/usage")
    let db = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(db) }

    // Independent arithmetic from the records written above.
    var expected = Totals()
    expected.records = Int64(Self.shared + Self.files * Self.own + Self.conflicting)  // 7500
    expected.requests = expected.records
    var plain = (input: Int64(0), output: Int64(0))  // of the keys without a conflict
    for i in 0..<Self.shared { plain = (plain.input + 1000, plain.output + Int64(100 + i)) }
    for f in 0..<Self.files {
      for i in 0..<Self.own { plain = (plain.input + 2000, plain.output + Int64(7 + i + 3 * f)) }
    }
    expected.tokens = plain.input + plain.output
    for i in 0..<Self.conflicting { expected.tokens += Int64(3600 + i) }
    // One stored conflict per key and refused variant: 3 for an even key, 1 for an odd one.
    for i in 0..<Self.conflicting {
      expected.conflicts += Set((0..<Self.files).map { Self.variant(i, file: $0) }).count - 1
    }
    #expect(expected.conflicts == 1000)

    let sqlite = try TestSupport.runCLI(["ingest"] + files + ["--db", dir + "/one.sqlite"])
    try #require(sqlite.status == 0, "\(sqlite.err)")
    let running = try files.map {
      try TestSupport.startCLI(["ingest", $0, "--db", db], environment: ["CHARGEBACK_LOCK_WAIT": "120"])
    }
    let results = try running.map { try $0.wait() }
    for r in results {
      #expect(r.status == 0, "\(r.err)")
      #expect(!r.err.contains("SQLSTATE"), "\(r.err)")
      #expect(r.out.contains(": loaded ("), "\(r.out)")
    }
    #expect(
      results.contains { $0.err.contains("waiting for the store lock") }, "no process waited: the merges did not meet")

    let one = try UsageStore(path: dir + "/one.sqlite", access: .read)
    defer { try? one.close() }
    let pg = try PostgresStore(url: PostgresURL(db), access: .read)
    defer { try? pg.close() }
    #expect(try totals(one) == expected)
    var plainSeen = (input: Int64(0), output: Int64(0))
    var badVariants: [String] = []
    let p = try totals(pg) { r in
      if r.naturalKey.hasPrefix("bedrock:c-"), let i = Int(r.naturalKey.dropFirst("bedrock:c-".count)) {
        let allowed = Set((0..<Self.files).map { Self.conflictTokens(i, variant: Self.variant(i, file: $0)).input })
        if !allowed.contains(Int(r.tokens.input)) || r.tokens.input + r.tokens.output != 3600 + i {
          badVariants.append(r.naturalKey)
        }
      } else {
        plainSeen = (plainSeen.input + r.tokens.input, plainSeen.output + r.tokens.output)
      }
    }
    #expect(p == expected)
    #expect(plainSeen == plain)
    #expect(badVariants.isEmpty, "stored copies that no file gave: \(badVariants.prefix(5))")
    #expect(try pg.files().count == Self.files)

    let c = try PostgresTestServer.connect(db)
    defer { c.close() }
    let schema = PostgresSchema.quoted(try PostgresURL(db).schema)
    let u = try #require(
      try c.rows("SELECT count(*), count(DISTINCT id), count(DISTINCT key_hash), max(id) FROM \(schema).usage").first)
    #expect(u.int64(0) == expected.records)
    #expect(u.int64(1) == u.int64(0), "ids repeated")
    #expect(u.int64(2) == u.int64(0), "keys repeated")
    #expect(u.int64(3) == u.int64(0), "ids are 1…n without a hole")
    #expect(try c.scalarInt("SELECT count(*) FROM \(schema).conflicts") == Int64(expected.conflicts))
  }
}
