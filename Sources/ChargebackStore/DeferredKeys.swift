import Foundation

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
/// Open addressing with linear probing, written here because no library of this package's has a
/// table of this shape: a slot is 12 bytes, its row id as an offset from the load's first row (0
/// marks an empty slot) and its key (the stored `key_hash`) as two 32-bit halves, side by side, so
/// that a probe reads one cache line (7 slots in 8; the others straddle two), not one in each of
/// two arrays (192 MiB at 10 M records, freed before the index is built, and never more:
/// ``maximumKeys``). A `Dictionary<Int64, Int64>` takes 16 bytes a slot and hashes the key again.
///
/// Every look-up is at a random place in the table: a table of 2 MiB or more is asked for in huge
/// pages (`madvise(MADV_HUGEPAGE)`, which Linux follows where transparent huge pages are on
/// `madvise` or `always`), so that each look-up misses the cache once but seldom the TLB too.
package final class DeferredKeys {
  /// Three 32-bit words a slot: the row offset (`rowid - base + 1`, 0 for an empty slot), then the
  /// key's low and high halves.
  private var slots: UnsafeMutablePointer<UInt32>
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
    slots = Self.allocate(slots: capacity)
  }

  deinit { free(slots) }

  /// Zeroed memory for `count` slots, in huge pages when it is large (see the type's note).
  private static func allocate(slots count: Int) -> UnsafeMutablePointer<UInt32> {
    let bytes = count * 12
    let huge = 2 << 20
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, bytes >= huge ? huge : 64, bytes) == 0, let raw else {
      fatalError("out of memory: \(bytes) bytes for the load's key table")
    }
    if bytes >= huge { _ = madvise(raw, bytes, Int32(MADV_HUGEPAGE)) }  // advice only: ignored where unsupported
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    return raw.bindMemory(to: UInt32.self, capacity: count * 3)
  }

  /// The first slot a key is looked for at: Fibonacci hashing of its 64 bits, since the probes
  /// of one record are consecutive integers (``KeyHash/slot(_:probe:)``).
  @inline(__always) private func home(_ key: Int64) -> Int {
    let bits = capacity.trailingZeroBitCount
    return Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
  }

  @inline(__always) private func row(at i: Int) -> UInt32 { slots[3 * i] }

  @inline(__always) private func key(at i: Int) -> Int64 {
    Int64(bitPattern: UInt64(slots[3 * i + 1]) | UInt64(slots[3 * i + 2]) << 32)
  }

  @inline(__always) private func set(_ i: Int, row: UInt32, key: Int64) {
    let k = UInt64(bitPattern: key)
    slots[3 * i] = row
    slots[3 * i + 1] = UInt32(truncatingIfNeeded: k)
    slots[3 * i + 2] = UInt32(truncatingIfNeeded: k >> 32)
  }

  /// Where a key is in the table: the row stored under it, or the empty slot it would take.
  package enum Place: Equatable {
    case stored(row: Int64)
    case vacant(slot: Int)
  }

  /// The row id stored under `key`, or nil.
  package func row(of key: Int64) -> Int64? {
    if case .stored(let row) = probe(key) { return row }
    return nil
  }

  /// The row stored under `key`, or the slot ``fill(_:key:row:)`` puts it in.
  ///
  /// One probe sequence for the look-up and the insert of a new key, which walked it twice (the
  /// look-up, then the add from the key's home again). Grows the table first when one more key
  /// would fill it past 70 % and it may take one.
  package func find(_ key: Int64) -> Place {
    if count < keyLimit, (count + 1) * 10 > capacity * 7 { grow() }
    return probe(key)
  }

  private func probe(_ key: Int64) -> Place {
    var i = home(key)
    let mask = capacity - 1
    while row(at: i) != 0 {
      if self.key(at: i) == key, let base { return .stored(row: base + Int64(row(at: i)) - 1) }
      i = (i + 1) & mask
    }
    return .vacant(slot: i)
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
    guard case .vacant(let slot) = find(key) else { preconditionFailure("a key held already") }
    return fill(slot, key: key, row: row)
  }

  /// Puts `key` for row `row` in `slot`, the vacant place ``find(_:)`` gave it, with nothing added
  /// since; false as ``add(_:row:)`` says.
  package func fill(_ slot: Int, key: Int64, row: Int64) -> Bool {
    let first = base ?? row
    guard count < keyLimit, row >= first, row - first < Int64(UInt32.max) else { return false }
    base = first
    set(slot, row: UInt32(row - first + 1), key: key)
    count += 1
    return true
  }

  /// Doubles the table, placing every key again.
  private func grow() {
    let (old, oldCapacity) = (slots, capacity)
    capacity *= 2
    slots = Self.allocate(slots: capacity)
    let mask = capacity - 1
    for j in 0..<oldCapacity where old[3 * j] != 0 {
      let key = Int64(bitPattern: UInt64(old[3 * j + 1]) | UInt64(old[3 * j + 2]) << 32)
      var i = home(key)
      while row(at: i) != 0 { i = (i + 1) & mask }
      set(i, row: old[3 * j], key: key)
    }
    free(old)
  }
}
