import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// `natural_key` is stored empty when it is `<provider>:<request id>` (schema version 7), and every
/// reader makes it whole again: tried on every format of the mixed month, through each way a
/// stored key is read (the report's pass, `explain`'s look-up, the conflict check).
@Suite struct NaturalKeyStorageTests {
  /// The mixed month's usage in a new store; returns the store's path.
  func ingestMixed(_ dir: String) throws -> String {
    let path = dir + "/store.sqlite"
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    _ = try Ingestor(store: store).ingest(paths: [Fixtures.root + "/mixed/usage"])
    return path
  }

  /// Every stored row: its id, the column as stored, provider, request id and key hash (hex), read raw.
  func rawRows(_ path: String) throws -> [(
    id: Int64, stored: String, provider: String, requestID: String?, hash: String
  )] {
    let db = try Database(path: path)
    defer { try? db.close() }
    let st = try db.prepare("SELECT id, natural_key, provider, request_id, key_hash FROM usage ORDER BY id")
    var rows: [(Int64, String, String, String?, String)] = []
    while try st.step() {
      rows.append((st.int64(0), st.text(1) ?? "", st.text(2) ?? "", st.text(3), st.text(4) ?? ""))
    }
    return rows
  }

  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02X", $0) }.joined()
  }

  @Test func everyFormatsKeyIsReadBackWholeAndHashesToItsStoredHash() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try ingestMixed(dir)
    let raw = try rawRows(path)
    try #require(raw.count > 20)
    // Stored empty: exactly the rows whose key is provider:request id, and some of each kind exist.
    let empty = raw.filter { $0.stored.isEmpty }
    #expect(!empty.isEmpty && empty.count < raw.count, "\(empty.count) of \(raw.count) stored empty")
    for row in empty { #expect(row.requestID != nil, "row \(row.id) stored empty without a request id") }
    // A whole key that is provider:request id would have been stored empty.
    for row in raw where !row.stored.isEmpty {
      #expect(row.stored != row.provider + ":" + (row.requestID ?? "\u{0}"), "row \(row.id) kept \(row.stored)")
    }
    // Read back through the store: every key hashes to the hash stored from the key as parsed.
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    let byID = Dictionary(uniqueKeysWithValues: raw.map { ($0.id, $0) })
    var seen = 0
    try store.forEachRecord(from: Bounds.earliestMillis, to: Bounds.latestMillis) { s in
      seen += 1
      let row = try #require(byID[s.id])
      #expect(String(KeyHash.slot(KeyHash.of(s.record.naturalKey))) == row.hash, "row \(s.id): \(s.record.naturalKey)")
      if row.stored.isEmpty {
        #expect(s.record.naturalKey == row.provider + ":" + (row.requestID ?? ""))
      } else {
        #expect(s.record.naturalKey == row.stored)
      }
      let one = try #require(try store.record(id: s.id))
      #expect(one.record.naturalKey == s.record.naturalKey)
    }
    #expect(seen == raw.count)
  }

  @Test func aRequestIDIsFoundAndReingestingAddsNothing() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try ingestMixed(dir)
    let before = try StoreState(path)
    let bedrock = try #require(try rawRows(path).first { $0.stored.isEmpty && $0.provider == "bedrock" })
    let requestID = try #require(bedrock.requestID)
    let store = try UsageStore(path: path)
    defer { try? store.close() }
    // `explain` looks a call up by its request id alone, and by its whole key.
    #expect(try store.record(matching: requestID)?.id == bedrock.id)
    #expect(try store.record(matching: "bedrock:" + requestID)?.id == bedrock.id)
    // The same records under other file names: nothing new, no conflict.
    let copy = dir + "/copy"
    try FileManager.default.copyItem(atPath: Fixtures.root + "/mixed/usage", toPath: copy)
    let again = try Ingestor(store: store).ingest(paths: [copy])
    #expect(again.map(\.newRecords).reduce(0, +) == 0)
    #expect(again.map(\.conflicts).reduce(0, +) == 0)
    #expect(try StoreState(path) == before)
  }

  @Test func aStoreWithWholeKeysAsBeforeVersionSevenReadsTheSame() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try ingestMixed(dir)
    func keys() throws -> [Int64: String] {
      let store = try UsageStore(path: path)
      defer { try? store.close() }
      var out: [Int64: String] = [:]
      try store.forEachRecord(from: Bounds.earliestMillis, to: Bounds.latestMillis) {
        out[$0.id] = $0.record.naturalKey
      }
      return out
    }
    let derived = try keys()
    let db = try Database(path: path)
    try db.execute("UPDATE usage SET natural_key = provider || ':' || request_id WHERE natural_key = ''")
    #expect(try db.scalarInt("SELECT count(*) FROM usage WHERE natural_key = ''") == 0)
    try db.close()
    #expect(try keys() == derived)
  }
}
