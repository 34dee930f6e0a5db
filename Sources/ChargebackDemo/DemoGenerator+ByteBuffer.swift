import Foundation

extension DemoGenerator {
  /// A growable byte buffer with fast appends of literals and integers.
  struct ByteBuffer {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
      bytes = []
      bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    @inline(__always) mutating func put(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    @inline(__always) mutating func put(_ s: StaticString) {
      s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func int(_ v: Int64) {
      var v = v
      if v < 0 {
        bytes.append(45)
        v = -v
      }
      var div: Int64 = 1
      while v / div >= 10 { div *= 10 }
      while div > 0 {
        bytes.append(UInt8(truncatingIfNeeded: 48 + v / div))
        v %= div
        div /= 10
      }
    }

    @inline(__always) mutating func two(_ v: Int64) {
      bytes.append(UInt8(truncatingIfNeeded: 48 + v / 10))
      bytes.append(UInt8(truncatingIfNeeded: 48 + v % 10))
    }

    mutating func hex(_ v: UInt64, _ width: Int) {
      var shift = (width - 1) * 4
      while shift >= 0 {
        let d = UInt8(truncatingIfNeeded: (v >> UInt64(shift)) & 0xF)
        bytes.append(d < 10 ? 48 + d : 87 + d)
        shift -= 4
      }
    }

    mutating func flush(to handle: FileHandle) throws {
      guard !bytes.isEmpty else { return }
      try handle.write(contentsOf: bytes)
      bytes.removeAll(keepingCapacity: true)
    }
  }
}
