import Foundation

/// Byte-level helpers for the caches that turn bytes read from a file or the store back into
/// `String`s they made before (`StringInterner` in the store, `RepeatedStrings` in the
/// readers), and for keys compared and hashed by their bytes (the store's names, the task
/// ledger, the retry storms' fingerprints): a comparison and a hash of a string's UTF-8 bytes,
/// without copying either.
///
/// Through the strings' own storage (`withContiguousStorageIfAvailable`), not `withUTF8` on copies:
/// a copy is a retain and a release of the string, which on the report pass's summing thread
/// touches the reference counts of strings the reading thread made.
package enum TextBytes {
  /// True when `s` has exactly the `count` bytes at `base`.
  ///
  /// Through the string's own storage (`withContiguousStorageIfAvailable`), not a copy; a string
  /// without contiguous storage is compared element by element.
  package static func same(_ s: String, _ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let fast = s.utf8.withContiguousStorageIfAvailable { u in
      u.count == count && u.baseAddress.map { memcmp($0, base, count) == 0 } == true
    }
    return fast ?? s.utf8.elementsEqual(UnsafeBufferPointer(start: base, count: count))
  }

  /// True when `a` and `b` have the same UTF-8 bytes (not `==`, which compares canonical forms).
  package static func same(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { x in
      b.utf8.withContiguousStorageIfAvailable { y in
        guard x.count == y.count else { return false }
        guard let p = x.baseAddress, let q = y.baseAddress else { return true }  // both empty
        return memcmp(p, q, x.count) == 0
      }
    }
    return (fast ?? nil) ?? a.utf8.elementsEqual(b.utf8)
  }

  /// ``hash(_:)-(UnsafeBufferPointer<UInt8>)`` of the string's UTF-8 bytes.
  package static func hash(_ s: String) -> UInt64 {
    if let h = s.utf8.withContiguousStorageIfAvailable({ hash($0) }) { return h }
    var copy = s
    return copy.withUTF8 { hash($0) }
  }

  /// A 64-bit hash of `bytes`, eight bytes at a time.
  ///
  /// Byte by byte, FNV-1a took 1.5 ns a byte. The callers compare the values whose hashes match,
  /// so a collision costs only a miss: a multiply-xorshift mix is enough.
  package static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    guard let base = bytes.baseAddress else { return h }
    let raw = UnsafeRawPointer(base)
    let n = bytes.count
    var i = 0
    while i + 8 <= n {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      i += 8
    }
    if i < n {
      var tail: UInt64 = 0
      for j in i..<n { tail = tail << 8 | UInt64(base[j]) }
      h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
      h ^= h >> 29
    }
    return h
  }
}
