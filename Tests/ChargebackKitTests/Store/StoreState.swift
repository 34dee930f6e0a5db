import Foundation

@testable import ChargebackModel
@testable import ChargebackStore

/// What a store holds, to say "the store unchanged": the row counts of the tool's tables and a
/// content hash over the usage table (every column but the row id and the file id, in natural-key
/// order; a key stored empty is made whole, as the store's readers do), read through a plain connection that checks and writes nothing.
struct StoreState: Equatable, CustomStringConvertible {
  var files: Int64
  var usage: Int64
  var conflicts: Int64
  var usageHash: UInt64

  init(_ path: String) throws {
    let db = try Database(path: path)
    defer { try? db.close() }
    files = try db.scalarInt("SELECT count(*) FROM files") ?? -1
    usage = try db.scalarInt("SELECT count(*) FROM usage") ?? -1
    let hasConflicts = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'conflicts'") ?? 0
    conflicts = hasConflicts > 0 ? try db.scalarInt("SELECT count(*) FROM conflicts") ?? -1 : 0
    // Names through `usage_text` (schema 8 stores some as ids of `names`), where the store has it.
    let hasNames = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_text'") ?? 0
    let st = try db.prepare(
      """
      SELECT CASE WHEN natural_key = '' THEN provider || ':' || request_id ELSE natural_key END AS key, provider, ts, model, tier, coalesce(context_window, ''), input, cached_input,
        cache_write_5m, cache_write_1h, output, web_search, requests, failed, coalesce(billed_pico, ''),
        coalesce(credential, ''), coalesce(agent_id, ''), coalesce(task_id, ''), coalesce(line, ''),
        coalesce(json_path, '')
      FROM \(hasNames > 0 ? "usage_text" : "usage") ORDER BY key
      """)
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    while try st.step() {
      for i in 0..<20 {
        for b in (st.text(Int32(i)) ?? "").utf8 + [0x1f] {
          h ^= UInt64(b)
          h &*= 0x100_0000_01b3
        }
      }
    }
    usageHash = h
  }

  var description: String { "files \(files), usage \(usage), conflicts \(conflicts), hash \(usageHash)" }

  /// The bytes of a file, to say "untouched" of a file that is not ours.
  static func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }
}

extension UsageSink {
  /// Inserts one record, hashing its natural key here (ingest hashes it on its parsing thread).
  func insert(_ record: UsageRecord) throws { try insert(record, keys: RecordKeys(of: record)) }
}
