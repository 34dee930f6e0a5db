import ChargebackModel
import ChargebackSupport
import Foundation

/// The ids of the names usage rows refer to (schema 8): a call's credential, project, model and
/// agent are stored as the id of a row of `names` instead of their text, which repeats from call to
/// call (a Bedrock call's role ARN, account, model id and agent were some 125 of its 267 bytes).
///
/// Why: a store is written once per byte and read on every report, and on the machines measured
/// here the kernel's page-cache copy of the writes was a quarter of the inserting thread's time
/// (perf, 1 M Bedrock calls); narrower rows also make the key index's pages fewer and the report
/// read fewer bytes. Why by hand: SQLite has no dictionary encoding of its own.
///
/// Names are found by their ``NameHash`` (a hash of their UTF-8 bytes), which the parsing threads
/// work out (``RecordKeys``): the inserting thread, which sets the pace of a load, only compares
/// bytes. Hashing the names there, with `String`'s own hashing, made the load no faster (perf and
/// alternate runs, `docs/benchmarks.md`, thirteenth pass). Names are told apart byte for byte: `é`
/// precomposed and decomposed are two names, as they are two texts of `names` (SQLite compares
/// text as bytes) and two values in the store before schema 8.
///
/// A name is given an id the second time this connection stores it (the first is stored as text:
/// a month with a role session per call has names seen once, and giving each a row of its own cost
/// more than the text), while the table has fewer than ``capacity`` rows as this connection knows
/// them (processes loading at once can each add some past it); past that a new name is stored as
/// text, as before schema 8. A row has either the text or the id of each of the four,
/// never both; rows stored before schema 8 have the text. The readers resolve ids
/// (``UsageStore/decodeRow``, the `usage_text` view).
///
/// One per connection; the writer fills it as it stores names. The ids of a rolled-back
/// transaction are gone with it, so a rollback (`sqlite3_rollback_hook`) empties the table, and
/// the next use reads the committed names again.
final class NameTable {
  /// The most rows `names` is given, by default.
  static let defaultCapacity: Int64 = 65_536
  /// The most rows `names` is given by this connection (smaller in tests).
  var capacity = NameTable.defaultCapacity

  /// A row of `names`.
  private struct Row {
    let name: String
    let id: Int64
  }
  /// The rows by their name's hash, once ``load(_:)`` has read them.
  ///
  /// Of two names with one hash (a 64-bit collision) only the first is here; the other is stored as
  /// text.
  private var rowsByHash: [NameHash: Row] = [:]
  /// Rows in `names` (those read and those noted since).
  private var rows: Int64 = 0
  private var loaded = false
  /// Hashes of names stored once as text and not yet given an id.
  ///
  /// Emptied when it holds ``seenOnceLimit``. A collision here only gives a name its id at its first
  /// sighting.
  private var seenOnce = Set<NameHash>()
  static let seenOnceLimit = 65_536

  /// Forgets every id (after a rollback): the next use reads the table again.
  func forget() {
    rowsByHash = [:]
    rows = 0
    loaded = false
    seenOnce = []
  }

  /// True when the name of `hash` (which has no id) was stored once before and is to be given one
  /// now; else notes it and it is stored as text.
  func isSecondSighting(_ hash: NameHash) -> Bool {
    if seenOnce.remove(hash) != nil { return true }
    if seenOnce.count >= Self.seenOnceLimit { seenOnce.removeAll(keepingCapacity: true) }
    seenOnce.insert(hash)
    return false
  }

  /// What the table holds for a name.
  enum Entry: Equatable {
    case id(Int64)
    /// No row has it.
    case absent
    /// A row holds another name with the same hash: this one is stored as text.
    case collision
  }

  /// What the table holds for `name`, whose hash is `hash` (reading the table at the first use).
  func entry(of name: String, hash: NameHash, in db: Database) throws -> Entry {
    if !loaded { try load(db) }
    guard let row = rowsByHash[hash] else { return .absent }
    return TextBytes.same(row.name, name) ? .id(row.id) : .collision
  }

  /// True while the table may be given another name.
  var hasRoom: Bool { rows < capacity }

  /// Notes the id `name` (of hash `hash`) was given in `db`.
  func note(_ name: String, hash: NameHash, id: Int64) {
    rows += 1
    if rowsByHash[hash] == nil { rowsByHash[hash] = Row(name: name, id: id) }
  }

  private func load(_ db: Database) throws {
    rowsByHash = [:]
    rows = 0
    let st = try db.prepare("SELECT id, text FROM names ORDER BY id")
    while try st.step() {
      let name = st.text(1) ?? ""
      note(name, hash: NameHash(name), id: st.int64(0))
    }
    loaded = true
  }

  /// Every name by id, for a reader: `names[id]`.
  static func all(_ db: Database) throws -> NameList {
    let st = try db.prepare("SELECT id, text FROM names")
    var out = NameList()
    while try st.step() { out.add(id: st.int64(0), name: st.text(1) ?? "") }
    return out
  }
}

/// The names of `names` by id, for the readers (``UsageStore/decodeRow``): in an array indexed by
/// id, since SQLite gives ids 1, 2, … and they are never deleted (looking ids up in a dictionary
/// hashed each of four ids per row of a report pass); a store whose ids are far apart (edited by
/// hand) is read through a dictionary.
struct NameList {
  private var dense: [String?] = []
  private var sparse: [Int64: String] = [:]
  /// Ids past this go to the dictionary.
  private static let denseLimit: Int64 = 1 << 20

  mutating func add(id: Int64, name: String) {
    guard id >= 0, id < Self.denseLimit else { return sparse[id] = name }
    if Int(id) >= dense.count { dense += [String?](repeating: nil, count: Int(id) + 1 - dense.count) }
    dense[Int(id)] = name
  }

  subscript(id: Int64) -> String? {
    id >= 0 && id < Int64(dense.count) ? dense[Int(id)] : sparse[id]
  }
}

/// A 64-bit hash of a name's UTF-8 bytes, for ``NameTable``.
///
/// Of the bytes, not of the Unicode text as `String`'s hashing is. Seeded per process like `Hasher`,
/// so only compared within one process.
package struct NameHash: Hashable, Sendable {
  package let value: Int

  package init(_ name: String) {
    var name = name
    value = name.withUTF8 { bytes in
      var h = Hasher()
      h.combine(bytes: UnsafeRawBufferPointer(bytes))
      return h.finalize()
    }
  }
}

/// What a record is found by in the store, worked out on the parsing thread (which has time to
/// spare) so that the inserting thread, which sets the pace of a load, does not: the hash of its
/// natural key (``KeyHash``; hashing took a twentieth of the inserting thread's time, perf) and the
/// hashes of its credential, project, model and agent (``NameTable``).
package struct RecordKeys: Sendable {
  /// ``KeyHash/of(_:)`` of the natural key.
  package let keyHash: [UInt8]
  /// ``NameHash`` of the credential, project, model and agent; nil where the record has none.
  package let credential: NameHash?
  package let project: NameHash?
  package let model: NameHash
  package let agent: NameHash?

  // Borrowed: an initialiser takes its arguments owned, so the caller copied the record for it.
  package init(of r: borrowing UsageRecord) {
    keyHash = KeyHash.of(r.naturalKey)
    credential = r.credential.map(NameHash.init)
    project = r.project.map(NameHash.init)
    model = NameHash(r.model)
    agent = r.metadata.agentID.map(NameHash.init)
  }

  /// Keys given one by one (tests make collisions with it).
  init(keyHash: [UInt8], credential: NameHash?, project: NameHash?, model: NameHash, agent: NameHash?) {
    self.keyHash = keyHash
    self.credential = credential
    self.project = project
    self.model = model
    self.agent = agent
  }
}
