import Crypto
import Foundation

/// Writes a file a chunk at a time on a thread of its own, in the order the chunks are handed to
/// it, while the caller fills the next one; and hashes the bytes (SHA-256) as it writes them.
///
/// For the CSVs streamed to their files (``CSVWriter/init(streamingTo:header:jsonColumns:)``):
/// copying `focus.csv` of a large directory into the page cache was a fifth of the thread that
/// made it, and that thread ran alone at the end of the report (perf, the `directory` bench month:
/// 1.7 GB). Three chunks at most are in flight: the one being filled, one queued, one being
/// written.
package final class ChunkWriter: @unchecked Sendable {
  // @unchecked: `queued`, `spare`, `closing` and `failure` are read and written with `condition`
  // locked; `hasher` only by the writing thread, and `digest` after `done` is signalled.
  private let condition = NSCondition()
  private var queued: [UInt8]?
  private var spare: [UInt8] = []
  private var closing = false
  private var failure: (any Error)?
  private let done = DispatchSemaphore(value: 0)
  private let handle: FileHandle
  private var hasher = SHA256()
  /// True once ``finish()`` has been called.
  package private(set) var isFinished = false

  /// Starts the writing thread for `handle` (a file open for writing, at its start).
  package init(_ handle: FileHandle) {
    self.handle = handle
    let thread = Thread { [self] in writeHanded() }
    thread.start()
  }

  /// Hands `bytes` over to be written after the chunks handed before; `bytes` is then an empty
  /// buffer to fill again (one the thread has written, its capacity kept, when there is one).
  ///
  /// Waits while the chunk handed before is still queued.
  package func hand(_ bytes: inout [UInt8]) {
    precondition(!isFinished, "a chunk handed after finish()")
    condition.lock()
    while queued != nil { condition.wait() }
    // Moved: the caller's reference is replaced before the thread can take it.
    var next = spare
    spare = []
    swap(&next, &bytes)
    queued = next
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until every chunk handed is written, closes the file and returns the SHA-256 (lowercase
  /// hex) of all the bytes handed; throws the first error met writing or closing.
  package func finish() throws -> String {
    precondition(!isFinished, "finish() called twice")
    isFinished = true
    condition.lock()
    closing = true
    condition.broadcast()
    condition.unlock()
    done.wait()
    do { try handle.close() } catch { failure = failure ?? error }
    if let failure { throw failure }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  /// The writing thread: takes the queued chunk, writes and hashes it, gives its buffer back.
  private func writeHanded() {
    while true {
      condition.lock()
      while queued == nil && !closing { condition.wait() }
      guard var chunk = queued else {
        condition.unlock()
        break
      }
      queued = nil
      let failed = failure != nil
      condition.broadcast()
      condition.unlock()
      if !failed {
        do {
          try chunk.withUnsafeBytes { bytes in
            try handle.write(contentsOf: bytes)
            hasher.update(bufferPointer: bytes)
          }
        } catch {
          condition.lock()
          failure = error
          condition.unlock()
        }
      }
      chunk.removeAll(keepingCapacity: true)
      condition.lock()
      if spare.capacity < chunk.capacity { spare = chunk }
      condition.unlock()
    }
    done.signal()
  }
}
