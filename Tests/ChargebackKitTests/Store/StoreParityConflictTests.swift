import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackStorePostgres
@testable import ChargebackTestSupport

/// Conflicting duplicates and awkward text through both stores (docs/postgres.md §3): the rows of
/// `usage` and `conflicts` equal column for column, the outputs byte for byte.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct StoreParityConflictTests {
  /// U+0000, U+0001, a tab, a backslash, a newline and non-ASCII in one string.
  static let odd = "nul\u{0}one\u{1}tab\tback\\nl\né日本🙂"
  static let oddKey = "k\u{0}\u{1}\t\\é日本🙂"
  static let oddModel = "modèle\u{0}日本🙂"

  /// One Bedrock invocation log line; every string JSON-escaped (`\u0000`, `\t`, `\\`, `\n`).
  static func line(
    _ id: String, minute: Int, output: Int, agent: String = "agent-x", task: String = "T-1",
    arn: String = "arn:aws:sts::111122223333:assumed-role/x-runner/s1",
    model: String = "us.anthropic.claude-sonnet-4-20250514-v1:0"
  ) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    func q(_ s: String) throws -> String { String(decoding: try encoder.encode(s), as: UTF8.self) }
    return """
      {"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2026-10-05T09:0\(minute):00Z",\
      "accountId":"111122223333","identity":{"arn":\(try q(arn))},"region":"us-east-1","requestId":\(try q(id)),\
      "operation":"Converse","modelId":\(try q(model)),"input":{"inputContentType":"application/json",\
      "inputTokenCount":100,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":0},\
      "output":{"outputContentType":"application/json","outputTokenCount":\(output)},\
      "requestMetadata":{"agent_id":\(try q(agent)),"task_id":\(try q(task))}}
      """
  }

  /// The month: the identities and prices of Fixtures.month, and two Bedrock files.
  ///
  /// a.jsonl: x-1 (odd agent, task and credential), x-2, x-2 again with output 61 (a conflict
  /// inside the file), the odd key under an unknown odd model, x-3.
  /// b.jsonl: x-1 again, identical (no conflict); x-3 with output 71 (conflict); x-2 with 61 (the
  /// same refused content as in a.jsonl: no new row) and with 62 (conflict); the odd key with
  /// output 6 (conflict); y-1, new, with odd text.
  private func writeMonth(_ root: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: root + "/usage/bedrock", withIntermediateDirectories: true)
    for d in ["identities", "pricing"] { try fm.copyItem(atPath: Fixtures.month + "/" + d, toPath: root + "/" + d) }
    let x1 = try Self.line("x-1", minute: 1, output: 50, agent: Self.odd, task: "T\u{1}-é", arn: "arn:é日本🙂\u{0}")
    let a = [
      x1, try Self.line("x-2", minute: 2, output: 60, task: "tab\there"),
      try Self.line("x-2", minute: 2, output: 61, task: "tab\there"),
      try Self.line(Self.oddKey, minute: 3, output: 5, agent: "back\\slash", model: Self.oddModel),
      try Self.line("x-3", minute: 4, output: 70, arn: "cred\u{0}\u{1}"),
    ]
    let b = [
      x1, try Self.line("x-3", minute: 4, output: 71, arn: "cred\u{0}\u{1}"),
      try Self.line("x-2", minute: 2, output: 61, task: "tab\there"),
      try Self.line("x-2", minute: 2, output: 62, task: "tab\there"),
      try Self.line(Self.oddKey, minute: 3, output: 6, agent: "back\\slash", model: Self.oddModel),
      try Self.line("y-1", minute: 5, output: 1, agent: "line\nbreak", task: Self.odd),
    ]
    for (name, lines) in [("a", a), ("b", b)] {
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: root + "/usage/bedrock/\(name).jsonl", atomically: true, encoding: .utf8)
    }
  }

  /// Every row of `table` by id, each column as text (`NULL` for null, key hashes in hex), over
  /// SQLite's columns (PostgreSQL's extra hash columns left out).
  private func rows(_ table: String, sqlite: UsageStore, postgres: PostgresStore) throws -> (a: [String], b: [String]) {
    let info = try sqlite.db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid")
    try info.bind(1, table)
    var columns: [String] = []
    while try info.step() { columns.append(info.text(0) ?? "") }
    // SQLite stores some names as ids of `names` (schema 8): its rows are read with the names
    // resolved (`usage_text`), without the id columns PostgreSQL has not.
    columns.removeAll { UsageStoreNames.idColumns.contains($0) }
    try #require(columns.count > 5)
    // SQLite stores a `<provider>:<request id>` key empty (schema 7) and PostgreSQL whole: both are
    // compared made whole, as their readers make them.
    let key =
      table == "usage"
      ? "(CASE WHEN natural_key = '' THEN provider || ':' || request_id ELSE natural_key END)" : "natural_key"
    func select(_ hex: String, from source: String) -> String {
      "SELECT " + columns.map { $0 == "key_hash" ? hex : $0 == "natural_key" ? key : $0 }.joined(separator: ", ")
        + " FROM \(source) ORDER BY id"
    }
    // SQLite's usage rows hold the first 64 bits of the 16-byte hash PostgreSQL keeps (schema 9).
    let st = try sqlite.db.prepare(
      select(table == "usage" ? "key_hash" : "lower(hex(key_hash))", from: table == "usage" ? "usage_text" : table))
    var a: [String] = []
    while try st.step() {
      a.append((0..<Int32(columns.count)).map { st.isNull($0) ? "NULL" : st.text($0) ?? "" }.joined(separator: " | "))
    }
    let pgKey =
      table == "usage"
      ? "(('x' || encode(substring(key_hash from 1 for 8), 'hex'))::bit(64)::bigint)" : "encode(key_hash, 'hex')"
    let b = try postgres.c.rows(select(pgKey, from: table)).map { r in
      r.values.indices.map { i -> String in
        switch r.values[i] {
        case .null: "NULL"
        case .int(let v): "\(v)"
        case .text: r.text(i) ?? ""
        case .bytes(let bytes): bytes.map { String(format: "%02x", $0) }.joined()
        }
      }.joined(separator: " | ")
    }
    return (a, b)
  }

  @Test func conflictsAndOddTextAreIdentical() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let root = dir + "/month"
    try writeMonth(root)
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let parity = StoreParityTests()
    let ra = try parity.run(root, database: dir + "/store.sqlite", out: dir + "/sqlite")
    let rb = try parity.run(root, database: pg, out: dir + "/postgres")
    #expect(ra.ingested.map(\.outcome) == rb.ingested.map(\.outcome))
    try parity.expectIdentical(ra, dir + "/sqlite", dir + "/postgres")
    let qa = try parity.reportOnly(root, database: dir + "/store.sqlite", out: dir + "/sqlite-report")
    _ = try parity.reportOnly(root, database: pg, out: dir + "/postgres-report")
    try parity.expectIdentical(qa, dir + "/sqlite-report", dir + "/postgres-report")

    let a = try UsageStore(path: dir + "/store.sqlite", access: .read)
    defer { try? a.close() }
    let b = try PostgresStore(url: PostgresURL(pg), access: .read)
    defer { try? b.close() }
    let usage = try rows("usage", sqlite: a, postgres: b)
    #expect(usage.a.count == 5, "x-1, x-2, the odd key, x-3, y-1")
    #expect(usage.a == usage.b)
    let conflicts = try rows("conflicts", sqlite: a, postgres: b)
    #expect(conflicts.a.count == 4, "x-2 in a.jsonl; x-3, x-2 (62), the odd key in b.jsonl")
    #expect(conflicts.a == conflicts.b)
    // What a user reads back: the odd strings as written, and the refused copies where they were.
    var agents: [String: String] = [:]
    try b.forEachRecord(from: Int64.min, to: Int64.max) { agents[$0.record.naturalKey] = $0.record.metadata.agentID }
    #expect(agents["bedrock:x-1"] == Self.odd)
    #expect(agents["bedrock:y-1"] == "line\nbreak")
    #expect(try b.record(matching: "bedrock:" + Self.oddKey)?.record.model == Self.oddModel)
    let refused = try b.conflicts(from: Int64.min, to: Int64.max).map {
      "\($0.conflict.naturalKey) \(($0.conflict.other.path as NSString).lastPathComponent):\($0.conflict.other.line ?? 0)"
    }
    #expect(
      refused.sorted()
        == [
          "bedrock:x-2 a.jsonl:3", "bedrock:x-2 b.jsonl:4", "bedrock:x-3 b.jsonl:2", "bedrock:\(Self.oddKey) b.jsonl:5",
        ]
        .sorted())
  }

  /// A conflict's JSON path holding U+0000 and U+0001 (no reader makes one today; the store must
  /// keep it all the same) is stored and read back as given, in both stores.
  @Test func conflictJSONPathKeepsControlCharacters() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let pg = try PostgresTestServer.freshStore()
    defer { PostgresTestServer.drop(pg) }
    let stores: [any ChargebackStore] = [
      try UsageStore(path: dir + "/s.sqlite"), try PostgresStore(url: PostgresURL(pg)),
    ]
    defer { for s in stores { try? s.close() } }
    func record(output: Int64, path: String) -> UsageRecord {
      var tokens = TokenCounts()
      tokens.output = output
      return UsageRecord(
        provider: .bedrock, level: .request, format: "bedrock-invocation-log", naturalKey: "bedrock:j-1",
        time: 1_790_000_000_000, model: "m", tokens: tokens, jsonPath: path)
    }
    let paths = ["$.a\u{0}b\u{1}[0]", "$.x\u{1}\u{0}y[1]"]
    var seen: [[String]] = []
    for s in stores {
      for (n, path) in paths.enumerated() {
        let file = NewFile(
          sha256: String(repeating: "\(n + 1)", count: 64), path: "/in/f\(n).json", format: "bedrock-invocation-log",
          level: .request, bytes: 1)
        _ = try s.load(file, stream: { try $0.insert(record(output: Int64(10 + n), path: path)) }, merged: { _ in })
      }
      let c = try s.conflicts(from: Int64.min, to: Int64.max)
      #expect(c.map(\.conflict.other.jsonPath) == [paths[1]])
      #expect(c.map(\.conflict.kept.jsonPath) == [paths[0]])
      seen.append(c.map { "\($0.keptID) \($0.conflict)" })
    }
    #expect(seen[0] == seen[1])
  }
}

/// The columns of SQLite's `usage` that hold ids of `names` (schema 8), which PostgreSQL has not.
enum UsageStoreNames {
  static let idColumns: Set<String> = ["credential_n", "project_n", "model_n", "agent_n"]
}
