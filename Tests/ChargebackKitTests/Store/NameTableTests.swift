import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// A call's credential, project, model and agent are stored as ids of `names` (schema 8) from their
/// second call on while the table has room, else as text; whichever way, every reader gets the
/// same names back.
@Suite struct NameTableTests {
  /// Call `i` of a month whose names repeat (some absent), each value told apart by its column.
  static func record(_ i: Int) -> UsageRecord {
    UsageRecord(
      provider: .bedrock, level: .request, format: "bedrock-invocation-log", naturalKey: "bedrock:r\(i)",
      time: 1_790_812_800_000 + Int64(i), credential: i % 7 == 0 ? nil : "arn:aws:iam::1:role/r\(i % 5)",
      project: i % 3 == 0 ? nil : "12345678901\(i % 2)", model: "us.anthropic.model-\(i % 4)",
      tokens: TokenCounts(input: Int64(i)), metadata: CallMetadata(agentID: i % 4 == 0 ? nil : "agent-\(i % 6)"))
  }

  static let calls = 60

  /// The four names of each record, as `forEachRecord` reads them.
  static func namesRead(_ store: UsageStore) throws -> [String] {
    var out: [String] = []
    try store.forEachRecord(from: Int64.min, to: Int64.max) { s in
      let r = s.record
      out.append("\(r.credential ?? "-") \(r.project ?? "-") \(r.model) \(r.metadata.agentID ?? "-")")
    }
    return out
  }

  /// The same, as SQL sees them through `usage_text`.
  static func namesInSQL(_ store: UsageStore) throws -> [String] {
    let st = try store.db.prepare("SELECT credential, project, model, agent_id FROM usage_text ORDER BY ts, id")
    var out: [String] = []
    while try st.step() {
      out.append("\(st.text(0) ?? "-") \(st.text(1) ?? "-") \(st.text(2) ?? "") \(st.text(3) ?? "-")")
    }
    return out
  }

  static func expected() -> [String] {
    (0..<calls).map { i in
      let r = record(i)
      return "\(r.credential ?? "-") \(r.project ?? "-") \(r.model) \(r.metadata.agentID ?? "-")"
    }
  }

  static func load(_ store: UsageStore, _ range: Range<Int>, file: String) throws {
    try insert(store, file: file, range.map(record))
  }

  /// Loads `records` into `store` as one file `file`, each with `keys(record)` (its own by default).
  static func insert(
    _ store: UsageStore, file: String, _ records: [UsageRecord],
    keys: (UsageRecord) -> RecordKeys = { RecordKeys(of: $0) }
  ) throws {
    try store.grouped {
      try store.write {
        let w = try store.beginFile(
          sha256: file, path: file + ".jsonl", format: "bedrock-invocation-log", level: .request, bytes: 1)
        for r in records { try w.insert(r, keys: keys(r)) }
        try w.finish()
      }
    }
  }

  static func count(_ store: UsageStore, _ sql: String) throws -> Int64 { try store.db.scalarInt(sql) ?? -1 }

  /// Every name reads back the same, whatever the room.
  ///
  /// With room for every name, each is stored once and every row but a name's first holds its id;
  /// with room for 3, the first 3 names seen twice get ids and the rest stay text; with none, all
  /// text.
  @Test(arguments: [NameTable.defaultCapacity, 3, 0])
  func namesReadBackWhateverTheRoom(capacity: Int64) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    store.db.names.capacity = capacity
    try Self.load(store, 0..<Self.calls, file: "a")
    #expect(try Self.namesRead(store) == Self.expected())
    #expect(try Self.namesInSQL(store) == Self.expected())
    // Every name once, whatever its column.
    let records = (0..<Self.calls).map(Self.record)
    let distinct = Int64(
      Set(
        records.compactMap(\.credential) + records.compactMap(\.project) + records.map(\.model)
          + records.compactMap(\.metadata.agentID)
      ).count)
    #expect(distinct == 5 + 2 + 4 + 6)
    #expect(try Self.count(store, "SELECT count(*) FROM names") == min(capacity, distinct))
    // A row has the text or the id of each name, never both ('' beside a model's id).
    #expect(
      try Self.count(
        store,
        """
        SELECT count(*) FROM usage WHERE (credential IS NOT NULL AND credential_n IS NOT NULL)
          OR (project IS NOT NULL AND project_n IS NOT NULL) OR (agent_id IS NOT NULL AND agent_n IS NOT NULL)
          OR (model <> '' AND model_n IS NOT NULL)
        """) == 0)
    // A name's first call keeps its text (it gets an id when seen again).
    let textRows = try Self.count(store, "SELECT count(*) FROM usage WHERE model <> ''")
    let models = Int64(Set(records.map(\.model)).count)
    #expect(capacity == NameTable.defaultCapacity ? textRows == models : textRows > models)
  }

  /// Ids given in a group that is rolled back are forgotten with it: the next load gives them
  /// again, and its rows never refer to a name that is not stored.
  @Test func aRollbackForgetsTheIdsItTookAway() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    try Self.load(store, 0..<10, file: "a")
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try store.grouped {
        try store.write {
          let w = try store.beginFile(
            sha256: "b", path: "b.jsonl", format: "bedrock-invocation-log", level: .request, bytes: 1)
          for i in 10..<Self.calls { try w.insert(Self.record(i), keys: RecordKeys(of: Self.record(i))) }
          throw Stop()
        }
      }
    }
    let kept = try Self.count(store, "SELECT count(*) FROM names")
    try Self.load(store, 10..<Self.calls, file: "b")
    #expect(try Self.count(store, "SELECT count(*) FROM names") > kept)
    #expect(try Self.namesRead(store) == Self.expected())
    #expect(
      try Self.count(
        store,
        """
        SELECT count(*) FROM usage u WHERE
          (u.credential_n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM names WHERE id = u.credential_n))
          OR (u.model_n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM names WHERE id = u.model_n))
          OR (u.agent_n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM names WHERE id = u.agent_n))
          OR (u.project_n IS NOT NULL AND NOT EXISTS (SELECT 1 FROM names WHERE id = u.project_n))
        """) == 0)
  }

  /// Two names equal as Unicode text but not as bytes (`é` precomposed and decomposed) each read
  /// back with their own bytes, in whichever order they come.
  @Test func namesEqualAsTextKeepTheirBytes() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let forms = ["role/caf\u{E9}", "role/cafe\u{301}"]
    #expect(forms[0] == forms[1])  // as Swift compares strings
    let order = [0, 1, 1, 0, 0, 1, 0]
    try Self.insert(
      store, file: "a",
      order.enumerated().map { i, f in
        var r = Self.record(i)
        r.credential = forms[f]
        r.metadata.agentID = forms[1 - f]
        return r
      })
    var read: [[UInt8]] = []
    try store.forEachRecord(from: Int64.min, to: Int64.max) { s in
      read.append(Array((s.record.credential ?? "").utf8))
      read.append(Array((s.record.metadata.agentID ?? "").utf8))
    }
    #expect(read == order.flatMap { [Array(forms[$0].utf8), Array(forms[1 - $0].utf8)] })
    // Told apart by their bytes, each form has a row of its own. The first call names both (one as
    // its credential, the other as its agent) as text; every later call refers to their rows.
    #expect(try Self.count(store, "SELECT count(*) FROM names WHERE text LIKE 'role/caf%'") == 2)
    #expect(try Self.count(store, "SELECT count(*) FROM usage WHERE credential IS NULL") == Int64(order.count - 1))
    #expect(try Self.count(store, "SELECT count(*) FROM usage WHERE agent_id IS NULL") == Int64(order.count - 1))
  }

  /// Two names of one hash (a 64-bit collision, made here by hand): the first has the row, the
  /// second is found as a collision and stored as text, never as the first's id.
  @Test func aNameWhoseHashIsTakenIsStoredAsText() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let table = store.db.names
    let hash = NameHash("role/a")
    try store.write {
      try store.db.execute("INSERT INTO names(id, text) VALUES (7, 'role/a')")
    }
    #expect(try table.entry(of: "role/a", hash: hash, in: store.db) == .id(7))
    #expect(try table.entry(of: "role/b", hash: hash, in: store.db) == .collision)
    #expect(try table.entry(of: "role/b", hash: NameHash("role/b"), in: store.db) == .absent)
  }

  /// A name seen once (a role session per call) is never given a row.
  @Test func aNameSeenOnceKeepsItsText() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    try Self.insert(
      store, file: "a",
      (0..<50).map { i in
        var r = Self.record(i)
        r.credential = "arn:aws:sts::1:assumed-role/r/session-\(i)"
        return r
      })
    #expect(try Self.count(store, "SELECT count(*) FROM names WHERE text LIKE '%session-%'") == 0)
    #expect(try Self.count(store, "SELECT count(*) FROM usage WHERE credential LIKE '%session-%'") == 50)
    var read: [String] = []
    try store.forEachRecord(from: Int64.min, to: Int64.max) { read.append($0.record.credential ?? "") }
    #expect(read == (0..<50).map { "arn:aws:sts::1:assumed-role/r/session-\($0)" })
  }

  /// A name that comes with the hash of a name that has a row (a 64-bit collision, made here by
  /// giving it the other's hash) is stored as its own text and reads back as itself, never as the
  /// other name.
  @Test func aCollidingNameIsStoredAsItsText() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let taken = NameHash("role/a")
    let names = ["role/a", "role/a", "role/b", "role/b", "role/a"]
    try Self.insert(
      store, file: "a",
      names.enumerated().map { i, name in
        var r = Self.record(i)
        r.credential = name
        return r
      }
    ) { r in
      let k = RecordKeys(of: r)
      return RecordKeys(keyHash: k.keyHash, credential: taken, project: k.project, model: k.model, agent: k.agent)
    }
    var read: [String] = []
    try store.forEachRecord(from: Int64.min, to: Int64.max) { read.append($0.record.credential ?? "-") }
    #expect(read == ["role/a", "role/a", "role/b", "role/b", "role/a"])
    #expect(try Self.count(store, "SELECT count(*) FROM names WHERE text LIKE 'role/%'") == 1)
    let asText = "SELECT count(*) FROM usage WHERE credential = 'role/b' AND credential_n IS NULL"
    #expect(try Self.count(store, asText) == 2)
  }

  /// Two connections (two processes) load in turn: the second read the table before the first added
  /// a name, then stores that name twice itself; it finds the first's row instead of adding
  /// another, and every name reads back, also through a lookup of one record.
  @Test func aNameAnotherConnectionAddedIsFound() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let first = try UsageStore(path: dir + "/store.sqlite")
    defer { try? first.close() }
    let second = try UsageStore(path: dir + "/store.sqlite")
    defer { try? second.close() }
    func load(_ store: UsageStore, _ file: String, _ calls: Range<Int>, credential: String) throws {
      try Self.insert(
        store, file: file,
        calls.map { i in
          var r = Self.record(i)
          r.credential = credential
          return r
        })
    }
    try load(second, "s1", 0..<2, credential: "role/early")  // reads the table: only role/early
    try load(first, "f1", 2..<4, credential: "role/shared")  // role/shared gets its row
    try load(second, "s2", 4..<7, credential: "role/shared")  // not in second's table: found, not added
    #expect(try Self.count(first, "SELECT count(*) FROM names WHERE text = 'role/shared'") == 1)
    var read: [String] = []
    try first.forEachRecord(from: Int64.min, to: Int64.max) { read.append($0.record.credential ?? "-") }
    #expect(read == ["role/early", "role/early"] + Array(repeating: "role/shared", count: 5))
    // Rows 5 and 6 refer to the row the first connection added.
    #expect(try Self.count(first, "SELECT count(*) FROM usage WHERE credential_n IS NOT NULL") == 4)
    #expect(try second.record(matching: Self.record(6).naturalKey)?.record.credential == "role/shared")
    #expect(try first.record(id: 7)?.record.credential == "role/shared")
  }

  /// Rows stored as text (before schema 8, or past the room) and rows with ids, in one store.
  @Test func textAndIdsMixInOneStore() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    store.db.names.capacity = 0
    try Self.load(store, 0..<30, file: "a")
    store.db.names.capacity = NameTable.defaultCapacity
    try Self.load(store, 30..<Self.calls, file: "b")
    // The first 30 as text, then each model's first call of the second load.
    let models = Set((30..<Self.calls).map { Self.record($0).model }).count
    #expect(try Self.count(store, "SELECT count(*) FROM usage WHERE model_n IS NULL") == Int64(30 + models))
    #expect(try Self.namesRead(store) == Self.expected())
    #expect(try Self.namesInSQL(store) == Self.expected())
    // The identities seen before a time: every credential, whichever way it was stored.
    var seen = Set<String>()
    try store.identitiesSeen(before: Int64.max) { if let c = $0.credential { seen.insert(c) } }
    #expect(seen == Set((0..<Self.calls).compactMap { Self.record($0).credential }))
  }
}
