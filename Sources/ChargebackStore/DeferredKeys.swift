/// The key index of a first load, held in memory while SQLite's (`usage_key`) is dropped.
///
/// Why: every insert into `usage` also inserts its random 64-bit key into the unique index, at a
/// random place in a B-tree that grows with the store. In SQLite alone (the `sqlite3` shell, rows of
/// 250 bytes, 16 KiB pages, a 256 MiB cache), 10 M rows took 36.1 s (29.5 s of CPU) with the key
/// `UNIQUE`, against 13.3 s without it and 11.3 s to build the index once afterwards; at 1 M the two
/// were the same (1.9 s). So a load into an empty `usage` table drops the index inside its
/// transaction, checks each key here instead, and builds the index once before it commits
/// (``Database/buildKeyIndex()``). Nothing outside the transaction ever sees the store without it:
/// a rollback (a bad file, a kill, a full disk) brings the index back with the empty table.
///
/// Open addressing with linear probing over two plain arrays, written here because no library of
/// this package's has a table of this shape: a slot's key (the stored `key_hash`) and its row id
/// as an offset from the load's first row, 12 bytes a slot (192 MiB at 10 M records, freed before
/// the index is built, and never more: ``maximumKeys``), where a `Dictionary<Int64, Int64>` takes 16 bytes and hashes the key again.
package final class DeferredKeys {
  /// The stored `key_hash` of each slot (meaningful where `rows` is not 0).
  private var keys: UnsafeMutablePointer<Int64>
  /// The row id of each slot as `rowid - base + 1`; 0 marks an empty slot.
  private var rows: UnsafeMutablePointer<UInt32>
  /// Slots, a power of two.
  package private(set) var capacity: Int
  /// The row id of the first key added.
  private var base: Int64?
  /// Keys held.
  package private(set) var count = 0
  /// The most keys it takes (``maximumKeys``; tests lower it).
  private let keyLimit: Int

  /// A table of up to `keyLimit` keys.
  package init(keyLimit: Int = DeferredKeys.maximumKeys) {
    self.keyLimit = min(keyLimit, Self.maximumKeys)
    capacity = 1 << 16
    keys = .allocate(capacity: capacity)
    rows = .allocate(capacity: capacity)
    rows.initialize(repeating: 0, count: capacity)
  }

  deinit {
    keys.deallocate()
    rows.deallocate()
  }

  /// The first slot a key is looked for at: Fibonacci hashing of its 64 bits, since the probes
  /// of one record are consecutive integers (``KeyHash/slot(_:probe:)``).
  @inline(__always) private func home(_ key: Int64) -> Int {
    let bits = capacity.trailingZeroBitCount
    return Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
  }

  /// The row id stored under `key`, or nil.
  package func row(of key: Int64) -> Int64? {
    var i = home(key)
    let mask = capacity - 1
    while rows[i] != 0 {
      if keys[i] == key, let base { return base + Int64(rows[i]) - 1 }
      i = (i + 1) & mask
    }
    return nil
  }

  /// The most keys a table holds: 2^24 slots filled to 70 %.
  ///
  /// 192 MiB (and 96 MiB more while it doubles into them). A larger first load builds SQLite's index at that point and goes on as any
  /// load does, committing every `Ingestor.recordsPerCommit` records, so neither memory nor the
  /// one transaction (all lost to a kill, all loaded again after a bad file) grows without bound.
  package static let maximumKeys = (1 << 24) * 7 / 10

  /// Adds `key` for row `row` (a key not held); false when the table is full (`keyLimit`), or
  /// the row's offset from the first row does not fit in a slot (never, for the row ids of one
  /// load into an empty table), and the caller builds SQLite's index instead.
  package func add(_ key: Int64, row: Int64) -> Bool {
    let first = base ?? row
    guard count < keyLimit, row >= first, row - first < Int64(UInt32.max) else { return false }
    base = first
    if (count + 1) * 10 > capacity * 7 { grow() }
    var i = home(key)
    let mask = capacity - 1
    while rows[i] != 0 { i = (i + 1) & mask }
    keys[i] = key
    rows[i] = UInt32(row - first + 1)
    count += 1
    return true
  }

  /// Doubles the table, placing every key again.
  private func grow() {
    let (oldKeys, oldRows, oldCapacity) = (keys, rows, capacity)
    capacity *= 2
    keys = .allocate(capacity: capacity)
    rows = .allocate(capacity: capacity)
    rows.initialize(repeating: 0, count: capacity)
    let mask = capacity - 1
    for j in 0..<oldCapacity where oldRows[j] != 0 {
      var i = home(oldKeys[j])
      while rows[i] != 0 { i = (i + 1) & mask }
      keys[i] = oldKeys[j]
      rows[i] = oldRows[j]
    }
    oldKeys.deallocate()
    oldRows.deallocate()
  }
}
