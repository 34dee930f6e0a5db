import Testing

@testable import ChargebackStore

/// The first load's keys in memory (``DeferredKeys``) answer as a dictionary would: through its
/// growth, for keys next to each other (a record's probes) and for keys it does not hold.
@Suite struct DeferredKeysTests {
  @Test func itAnswersAsADictionaryThroughItsGrowth() {
    var rng = SplitMix64(seed: 20_261_205)
    let keys = DeferredKeys()
    var expected: [Int64: Int64] = [:]
    var row: Int64 = 41
    // 150,000 keys: the table starts with 65,536 slots and doubles twice. Every tenth key is
    // followed by its neighbours, as a record's probes are.
    while expected.count < 150_000 {
      let key = Int64(bitPattern: rng.next())
      for k in [key, key &+ 1, key &+ 2] where expected[k] == nil {
        #expect(keys.add(k, row: row))
        expected[k] = row
        row += 1
        if key % 10 != 0 { break }
      }
    }
    #expect(keys.count == expected.count)
    for (k, r) in expected { #expect(keys.row(of: k) == r) }
    for _ in 0..<10_000 {
      let absent = Int64(bitPattern: rng.next())
      if expected[absent] == nil { #expect(keys.row(of: absent) == nil) }
    }
  }

  /// A row before the first, or further from it than a slot's 32 bits hold, is refused (the
  /// caller builds the index instead) and leaves the table as it was.
  @Test func aRowOutOfReachIsRefused() {
    let keys = DeferredKeys()
    let last = 100 + Int64(UInt32.max) - 1
    #expect(keys.add(5, row: 100))
    #expect(!keys.add(6, row: 99))
    #expect(keys.add(7, row: last))
    #expect(!keys.add(8, row: last + 1))
    #expect(keys.count == 2)
    #expect(keys.row(of: 5) == 100 && keys.row(of: 7) == last)
    #expect(keys.row(of: 6) == nil && keys.row(of: 8) == nil)
  }

  /// The table stops at its most keys without growing past the slots that hold them at 70 %:
  /// ``DeferredKeys/maximumKeys`` for 2^24 slots (192 MiB), here 45,875 for the first 65,536.
  @Test func itStopsAtItsMostKeys() {
    #expect(DeferredKeys.maximumKeys == 11_744_051)  // ⌊0.7 × 2^24⌋
    let keys = DeferredKeys(keyLimit: 45_875)  // ⌊0.7 × 2^16⌋
    var rng = SplitMix64(seed: 7)
    var added = 0
    while keys.add(Int64(bitPattern: rng.next()), row: Int64(added) + 1) { added += 1 }
    #expect(added == 45_875)
    #expect(keys.count == added)
    #expect(keys.capacity == 65_536)
  }
}
