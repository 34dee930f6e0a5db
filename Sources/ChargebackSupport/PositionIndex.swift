/// The position of each entry of a dense array by its key: an open-addressing table of positions,
/// probed linearly, whose keys are the entries' own (the report's lines, the spike detector's
/// cells).
///
/// The caller gives the hash and compares an entry's key with what it looks for itself, so that a
/// record is looked up without a key made of its strings.
///
/// Written by hand because a `Dictionary` from key to position holds a second copy of every key
/// (a line's dozen fields, 150 bytes with its hash) in a table of twice as many buckets: with a
/// line per call (a ticket id each), 380 MB of the report's memory at 1 M lines. This table holds a
/// 4-byte position per bucket and each entry's hash.
package struct PositionIndex {
  /// Position + 1 of the entry in each bucket, 0 for an empty bucket (a power of two of them).
  private var buckets: [Int32] = []
  /// The hash of each entry, by position.
  private var hashes: [Int] = []

  package init() {}

  /// Makes room for the hashes of `count` entries.
  package mutating func reserve(_ count: Int) { hashes.reserveCapacity(count) }

  /// The position of the entry of `hash` that `matches` (given a position), nil when none.
  package func find(hash: Int, where matches: (Int) -> Bool) -> Int? {
    guard !buckets.isEmpty else { return nil }
    let mask = buckets.count - 1
    var b = hash & mask
    while true {
      let entry = buckets[b]
      if entry == 0 { return nil }
      let p = Int(entry) - 1
      if hashes[p] == hash && matches(p) { return p }
      b = (b + 1) & mask
    }
  }

  /// Notes that the entry at `position` (the next one: positions are made in order) has a key of
  /// hash `hash`; the caller has found no entry with that key.
  package mutating func insert(hash: Int, position: Int) {
    precondition(position == hashes.count && position < Int(Int32.max), "entries are noted in order")
    hashes.append(hash)
    // At most half full, so that probes stay short.
    if hashes.count * 2 > buckets.count {
      buckets = Array(repeating: 0, count: max(1024, buckets.count * 2))
      for (p, h) in hashes.enumerated() { place(h, p) }
    } else {
      place(hash, position)
    }
  }

  private mutating func place(_ hash: Int, _ position: Int) {
    let mask = buckets.count - 1
    var b = hash & mask
    while buckets[b] != 0 { b = (b + 1) & mask }
    buckets[b] = Int32(position + 1)
  }
}
