import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// The SQLite store's integer key (schema 9).
///
/// The first 64 bits of a record's 128-bit key hash, and the next integers when another key took
/// them. Collisions of 64 bits are made here by handing the
/// writer another record's hash (no two natural keys are known to collide).
@Suite struct KeySlotTests {
  static func record(_ id: String, input: Int64 = 5) -> UsageRecord {
    UsageRecord(
      provider: .bedrock, level: .request, format: "bedrock-invocation-log", naturalKey: "bedrock:" + id,
      requestID: id, time: 1_790_812_800_000, credential: "arn:aws:iam::1:role/r", model: "us.anthropic.model",
      tokens: TokenCounts(input: input))
  }

  /// Loads `records` as one file; `hash` gives each record's 16-byte key hash (its own by default).
  static func load(
    _ store: UsageStore, file: String, _ records: [UsageRecord],
    hash: (UsageRecord) -> [UInt8] = { KeyHash.of($0.naturalKey) }, beforeCommit: () throws -> Void = {}
  ) throws {
    try store.grouped {
      try store.write {
        let w = try store.beginFile(
          sha256: file, path: file + ".jsonl", format: "bedrock-invocation-log", level: .request, bytes: 1)
        for r in records {
          let k = RecordKeys(of: r)
          let keys = RecordKeys(
            keyHash: hash(r), credential: k.credential, project: k.project, model: k.model, agent: k.agent)
          try w.insert(r, keys: keys)
        }
        try w.finish()
      }
      try beforeCommit()
    }
  }

  static func slots(_ store: UsageStore) throws -> [String: Int64] {
    let st = try store.db.prepare("SELECT request_id, key_hash FROM usage")
    var out: [String: Int64] = [:]
    while try st.step() { out[st.text(0) ?? ""] = st.int64(1) }
    return out
  }

  /// A store as the schema 8 tool left it, with one file and a row per `(16-byte hash in hex,
  /// request id)`, in that order (ids 1, 2, …).
  static func schema8Store(at path: String, _ rows: [(hash: String, id: String)]) throws {
    let db = try Database(path: path)
    defer { try? db.close() }
    for v in 0..<8 { try db.execute(Schema.migrations[v]) }
    try db.execute("PRAGMA user_version = 8")
    try db.execute(
      "INSERT INTO files VALUES (1, 'abc', 'a.jsonl', 'bedrock-invocation-log', 'request', 1, \(rows.count), \(rows.count))"
    )
    for (hash, id) in rows {
      try db.execute(
        """
        INSERT INTO usage (key_hash, natural_key, provider, file_id, ts, model, tier, input, cached_input,
          cache_write_5m, cache_write_1h, output, web_search, requests, failed, request_id)
        VALUES (X'\(hash)', 'bedrock:\(id)', 'bedrock', 1, 1790812800000, 'us.anthropic.model', 'standard', 5, 0, 0,
          0, 0, 0, 1, 0, '\(id)')
        """)
    }
  }

  /// Big-endian first 8 bytes, signed, plus the probe with wrapping; SQLite's function (which
  /// migrated old stores) gives the same integers.
  @Test func theSlotIsTheFirst64BitsAndSQLiteAgrees() throws {
    let top: [UInt8] = [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array(repeating: 9, count: 8)
    let low: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 2] + Array(repeating: 0, count: 8)
    let mid: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08] + Array(repeating: 0xFF, count: 8)
    #expect(KeyHash.slot(top) == Int64.max)
    #expect(KeyHash.slot(top, probe: 1) == Int64.min)
    #expect(KeyHash.slot(low) == Int64.min + 2)
    #expect(KeyHash.slot(mid, probe: 3) == 0x0102_0304_0506_070B)
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    var hashes = [top, low, mid]
    for i in 0..<200 { hashes.append(KeyHash.of("openai:req-\(i)")) }
    for hash in hashes {
      for probe: Int64 in [0, 1, 3] {
        let hex = hash.map { String(format: "%02x", $0) }.joined()
        let sql = try store.db.scalarInt("SELECT chargeback_key_slot(X'\(hex)', \(probe))")
        #expect(sql == KeyHash.slot(hash, probe: probe), "\(hex) + \(probe)")
      }
    }
    #expect(KeyHash.slots(of: "openai:x") == (0..<4).map { KeyHash.slot(KeyHash.of("openai:x"), probe: $0) })
  }

  /// Three records given one hash all stay, in the first three slots; loading them again adds
  /// nothing; one of them again with other content is a conflict against that one, not the first;
  /// a fifth record past the four slots stops its file with an error.
  @Test func recordsThatShareTheFirst64BitsAreEachKept() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let shared = KeyHash.of("bedrock:a")
    let base = KeyHash.slot(shared)
    let three = [Self.record("a", input: 1), Self.record("b", input: 2), Self.record("c", input: 3)]
    try Self.load(store, file: "one", three) { _ in shared }
    #expect(try Self.slots(store) == ["a": base, "b": base &+ 1, "c": base &+ 2])
    try Self.load(store, file: "two", three.reversed()) { _ in shared }
    #expect(try store.recordCount() == 3)
    #expect(try store.db.scalarInt("SELECT new_records FROM files WHERE path = 'two.jsonl'") == 0)
    #expect(try store.db.scalarInt("SELECT count(*) FROM conflicts") == 0)
    try Self.load(store, file: "three", [Self.record("b", input: 20)]) { _ in shared }
    #expect(try store.recordCount() == 3)
    let kept = try store.db.scalarInt("SELECT kept_id FROM conflicts WHERE natural_key = 'bedrock:b'")
    #expect(kept == (try store.db.scalarInt("SELECT id FROM usage WHERE request_id = 'b'")))
    #expect(try store.db.scalarInt("SELECT count(*) FROM conflicts") == 1)
    // The fourth slot is the last.
    try Self.load(store, file: "four", [Self.record("d", input: 4)]) { _ in shared }
    #expect(try Self.slots(store)["d"] == base &+ 3)
    #expect(throws: SQLiteError.self) {
      try Self.load(store, file: "five", [Self.record("e", input: 5)]) { _ in shared }
    }
    #expect(try store.recordCount() == 4)
  }

  /// A first load finds its duplicates and conflicts in memory as the index would.
  ///
  /// In a first load (an empty store: the key index is dropped and the keys are checked in memory,
  /// ``DeferredKeys``), a record met twice is stored once, and met with other content is a conflict
  /// against the copy kept, as with the index; a later load, through the index, finds the same.
  /// `limit`: the keys checked in memory before the index is built in the middle of the file.
  @Test(arguments: [DeferredKeys.maximumKeys, 2])
  func aFirstLoadFindsItsDuplicatesInMemory(limit: Int) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    store.db.deferredKeyLimit = limit
    let (a, b) = (Self.record("a", input: 1), Self.record("b", input: 2))
    let shared = KeyHash.of("bedrock:x")
    // x and y share their first 64 bits: y takes the next slot; y again is a duplicate of y.
    let (x, y) = (Self.record("x", input: 7), Self.record("y", input: 8))
    let one = [a, b, a, Self.record("b", input: 20), x, y, y, Self.record("c", input: 3)]
    try Self.load(store, file: "one", one) {
      $0.requestID == "y" ? shared : KeyHash.of($0.naturalKey)
    } beforeCommit: {
      // Before the commit the index is out, and the keys in memory (all five, or none once built).
      let out = try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_key'") == 0
      #expect(out == (limit > 2))
      #expect(store.db.deferredKeys?.count == (limit > 2 ? 5 : nil))
    }
    #expect(try store.recordCount() == 5)
    #expect(try store.db.scalarInt("SELECT new_records FROM files WHERE path = 'one.jsonl'") == 5)
    #expect(try Self.slots(store)["y"] == KeyHash.slot(shared, probe: 1))
    let keptB = try store.db.scalarInt("SELECT id FROM usage WHERE request_id = 'b'")
    #expect(try store.db.scalarInt("SELECT kept_id FROM conflicts WHERE natural_key = 'bedrock:b'") == keptB)
    #expect(try store.db.scalarInt("SELECT count(*) FROM conflicts") == 1)
    #expect(try store.db.scalarInt("SELECT input FROM usage WHERE request_id = 'b'") == 2)
    #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_key'") == 1)
    // Through the index now: a again with other content, y again, and a new d.
    try Self.load(store, file: "two", [Self.record("a", input: 30), y, Self.record("d", input: 4)]) {
      $0.requestID == "y" ? shared : KeyHash.of($0.naturalKey)
    }
    #expect(try store.recordCount() == 6)
    #expect(try store.db.scalarInt("SELECT count(*) FROM conflicts") == 2)
  }

  /// A record whose own first slot another key took is stored in the next one, and every look-up
  /// by key finds it there: by request id, and when its file is loaded again.
  @Test func aRecordPastItsFirstSlotIsFoundByItsKey() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    let target = Self.record("target", input: 42)
    // A decoy that takes the target's first slot.
    try Self.load(store, file: "decoy", [Self.record("decoy", input: 1)]) { _ in KeyHash.of(target.naturalKey) }
    try Self.load(store, file: "target", [target])
    #expect(try Self.slots(store)["target"] == KeyHash.slot(KeyHash.of(target.naturalKey), probe: 1))
    #expect(try store.record(matching: "target")?.record.tokens.input == 42)
    #expect(try store.record(matching: "bedrock:target")?.record.tokens.input == 42)
    #expect(try store.record(matching: "decoy")?.record.tokens.input == 1)  // by the scan of request ids
    try Self.load(store, file: "target-again", [target])
    #expect(try store.recordCount() == 2)
    #expect(try store.db.scalarInt("SELECT new_records FROM files WHERE path = 'target-again.jsonl'") == 0)
  }

  /// OTel ancestry written after the load (`setInherited`) reaches a call stored past its first
  /// slot, and only that call, not the record that holds the first slot.
  @Test func ancestryReachesACallPastItsFirstSlot() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/store.sqlite")
    defer { try? store.close() }
    var call = Self.record("chatcmpl-1", input: 7)
    call.provider = .openai
    call.naturalKey = "otel:t1:s1"
    try Self.load(store, file: "decoy", [Self.record("decoy", input: 1)]) { _ in KeyHash.of("otel:t1:s1") }
    try Self.load(store, file: "call", [call])
    #expect(try Self.slots(store)["chatcmpl-1"] == KeyHash.slot(KeyHash.of("otel:t1:s1"), probe: 1))
    try store.grouped {
      try store.write {
        try store.setInherited(traceID: "t1", [("s1", TraceInheritance(agentID: "agent-x", taskID: "T-9"))])
      }
    }
    var agents: [String: String] = [:]
    try store.forEachRecord(from: .min, to: .max) {
      agents[$0.record.requestID ?? ""] = $0.record.metadata.agentID ?? "-"
    }
    #expect(agents == ["chatcmpl-1": "agent-x", "decoy": "-"])
  }

  /// A chain in an old store: two rows whose home is h and one whose home is h + 1.
  ///
  /// The first takes h, the third its own h + 1, and the second, probed past both, h + 2; loading the second's
  /// record again (as the writer probes: h, h + 1, h + 2) adds nothing.
  @Test func aMigratedChainIsProbedAsTheWriterProbes() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    let h = "0a0b0c0d0e0f1011"
    let next = "0a0b0c0d0e0f1012"
    try Self.schema8Store(
      at: path,
      [(h + "aaaaaaaaaaaaaaaa", "one"), (h + "bbbbbbbbbbbbbbbb", "two"), (next + "cccccccccccccccc", "three")])
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    let base: Int64 = 0x0A0B_0C0D_0E0F_1011
    #expect(try Self.slots(store) == ["one": base, "three": base + 1, "two": base + 2])
    // The writer, handed the second row's old 16-byte hash, probes h, h + 1, h + 2 and finds it.
    let twoHash: [UInt8] = stride(from: 0, to: 32, by: 2).map { i in
      let hex = Array(h + "bbbbbbbbbbbbbbbb")
      return UInt8(String(hex[i..<i + 2]), radix: 16) ?? 0
    }
    try Self.load(store, file: "again", [Self.record("two")]) { _ in twoHash }
    #expect(try store.recordCount() == 3)
    #expect(try store.db.scalarInt("SELECT count(*) FROM conflicts") == 0)
  }

  /// A store of schema 8 (16-byte keys) whose rows share the first 8 bytes of their keys migrates
  /// with every row: the earlier row keeps the first slot, the later one takes the next.
  @Test func aSchema8StoreWithSharedFirst64BitsMigratesWhole() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/store.sqlite"
    try Self.schema8Store(
      at: path,
      [
        ("0102030405060708aaaaaaaaaaaaaaaa", "one"), ("0102030405060708bbbbbbbbbbbbbbbb", "two"),
        ("ffffffffffffffff0000000000000000", "three"),
      ])
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    #expect(try store.db.scalarInt("PRAGMA user_version") == Schema.currentVersion)
    #expect(try Self.slots(store) == ["one": 0x0102_0304_0506_0708, "two": 0x0102_0304_0506_0709, "three": -1])
    #expect(try store.db.scalarInt("SELECT count(*) FROM usage_text") == 3)
    #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_ts'") == 1)
    // Schema 10 leaves a table with rows as it is (only an empty one gets the named index), and
    // its keys stay unique.
    #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_key'") == 0)
    #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name IN ('usage_v9', 'usage_v10')") == 0)
    #expect(throws: (any Error).self) {
      try store.db.execute(
        "INSERT INTO usage SELECT id + 100, key_hash, \(Schema.usageColumnsAfterKey) FROM usage WHERE request_id = 'one'"
      )
    }
  }
}
