import ChargebackTestSupport
import Crypto
import Foundation
import Testing

@testable import ChargebackSupport

/// The thread that writes a streamed file: the chunks land in the order handed, the hash it returns
/// is the file's, and a failure to write is thrown by `finish()`.
@Suite struct ChunkWriterTests {
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
    #expect(Array(written) == expected)
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
}
