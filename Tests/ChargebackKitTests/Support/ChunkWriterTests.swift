import ChargebackTestSupport
import Crypto
import Foundation
import Testing

@testable import ChargebackSupport

/// The thread that writes a streamed file: the chunks land in the order handed, the hash it returns
/// is the file's, and a failure to write is thrown by `finish()`.
@Suite(.timeLimit(.minutes(1))) struct ChunkWriterTests {
  /// Hex SHA-256 of `bytes`, worked out here.
  static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

  @Test func chunksLandInOrderAndTheHashIsTheFiles() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/chunks.bin"
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    let writer = ChunkWriter(try #require(FileHandle(forWritingAtPath: path)))
    var expected: [UInt8] = []
    var buffer: [UInt8] = []
    // Forty chunks of uneven sizes (an empty one among them), each byte telling its chunk and place.
    for k in 0..<40 {
      for j in 0..<((k * 7_919) % 50_000) { buffer.append(UInt8(truncatingIfNeeded: k &* 31 &+ j)) }
      expected += buffer
      writer.hand(&buffer)
      #expect(buffer.isEmpty)
    }
    let hash = try writer.finish()
    let written = try #require(FileManager.default.contents(atPath: path))
    #expect(written.count == expected.count)
    // The first byte that differs, not two megabyte arrays, in a failure's message.
    #expect(zip(written, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset == nil)
    #expect(hash == Self.hex(expected))
  }

  @Test func aCSVKnowsTheHashOfWhatItWrote() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var streamed = try CSVWriter(streamingTo: dir + "/s.csv", header: ["id", "text"])
    // About 2.8 MB: two full chunks and a part.
    for k in 0..<90_000 { streamed.append([String(k), "row \(k), \"quoted\""]) }
    #expect(streamed.sha256 == nil)
    try streamed.finish()
    let written = try #require(FileManager.default.contents(atPath: dir + "/s.csv"))
    #expect(written.count > 2 << 20)
    #expect(streamed.sha256 == Self.hex(Array(written)))
    var memory = CSVWriter(header: ["id", "text"])
    memory.append(["1", "=kept in memory"])
    let memoryHash = try memory.write(to: dir + "/m.csv")
    #expect(memoryHash == Self.hex(Array(try #require(FileManager.default.contents(atPath: dir + "/m.csv")))))
  }

  @Test func aFailureToWriteIsThrownByFinish() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/read-only.bin"
    #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
    // Open for reading only: every write(2) fails (EBADF).
    let writer = ChunkWriter(try #require(FileHandle(forReadingAtPath: path)))
    var buffer = [UInt8](repeating: 7, count: 1_000)
    writer.hand(&buffer)
    buffer = [8, 9]
    writer.hand(&buffer)
    #expect(throws: (any Error).self) { try writer.finish() }
    #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
  }

  @Test func aFullDiskIsThrownByFinish() throws {
    // /dev/full takes no byte: every write(2) fails with ENOSPC, as on a full disk.
    let handle = try #require(FileHandle(forWritingAtPath: "/dev/full"))
    let writer = ChunkWriter(handle)
    var buffer = [UInt8](repeating: 65, count: 1 << 20)
    writer.hand(&buffer)
    buffer = [66]
    writer.hand(&buffer)
    #expect(throws: (any Error).self) { try writer.finish() }
  }

  @Test func aWriterDroppedUnfinishedWritesWhatItWasHandedAndClosesTheFile() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/dropped.bin"
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    var expected: [UInt8] = []
    do {
      let writer = ChunkWriter(try #require(FileHandle(forWritingAtPath: path)))
      for k in 0..<5 {
        var chunk = [UInt8](repeating: UInt8(k), count: 300_000)
        expected += chunk
        writer.hand(&chunk)
      }
    }  // dropped here, as a writer is when the rows it was given fail
    let written = try #require(FileManager.default.contents(atPath: path))
    #expect(written.count == expected.count)
    #expect(Self.hex(Array(written)) == Self.hex(expected))
    // Closed: no descriptor of this process names the file any more.
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    let open = fds.filter {
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
    }
    #expect(open.isEmpty)
  }

  @Test func lowercaseHexIsTwoDigitsAByte() {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<200 {
      let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      // Worked out here another way: each byte's value in base 16, zero-padded.
      let expected = bytes.map { b in
        let digits = String(b, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
      }.joined()
      #expect(bytes.lowercaseHex == expected)
    }
    #expect([0x00, 0x0F, 0xA0, 0xFF].lowercaseHex == "000fa0ff")
  }
}
