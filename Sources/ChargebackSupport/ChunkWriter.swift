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
///
/// One thread hands the chunks and finishes (not Sendable). A writer dropped unfinished (its rows
/// failed) writes what it was handed, closes the file and ends its thread.
package final class ChunkWriter {
  private let state: State
  /// True once ``finish()`` has been called.
  package private(set) var isFinished = false

  /// What the caller and the writing thread share; the thread holds it, not the writer, so that a
  /// writer dropped unfinished is deinitialised (and ends the thread).
  private final class State: @unchecked Sendable {
    // @unchecked: `queued`, `spare`, `closing` and `failure` are read and written with `condition`
    // locked until the thread ends; `hasher` is used by the thread only, and all of them are read by
    // ``finish()`` after `done` is signalled, which orders them.
    let condition = NSCondition()
    var queued: [UInt8]?
    var spare: [UInt8] = []
    var closing = false
    var failure: (any Error)?
    let done = DispatchSemaphore(value: 0)
    let handle: FileHandle
    var hasher = SHA256()

    init(_ handle: FileHandle) { self.handle = handle }

    /// The writing thread: takes the queued chunk, writes and hashes it, gives its buffer back.
    func writeHanded() {
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

  /// Starts the writing thread for `handle` (a file open for writing, at its start).
  package init(_ handle: FileHandle) {
    state = State(handle)
    let thread = Thread { [state] in state.writeHanded() }
    thread.start()
  }

  deinit { if !isFinished { _ = try? finish() } }

  /// Hands `bytes` over to be written after the chunks handed before; `bytes` is then an empty
  /// buffer to fill again (one the thread has written, its capacity kept, when there is one).
  ///
  /// Waits while the chunk handed before is still queued.
  package func hand(_ bytes: inout [UInt8]) {
    precondition(!isFinished, "a chunk handed after finish()")
    let s = state
    s.condition.lock()
    while s.queued != nil { s.condition.wait() }
    // Moved: the caller's reference is replaced before the thread can take it.
    var next = s.spare
    s.spare = []
    swap(&next, &bytes)
    s.queued = next
    s.condition.broadcast()
    s.condition.unlock()
  }

  /// Waits until every chunk handed is written, closes the file and returns the SHA-256 (lowercase
  /// hex) of all the bytes handed; throws the first error met writing or closing.
  package func finish() throws -> String {
    precondition(!isFinished, "finish() called twice")
    isFinished = true
    let s = state
    s.condition.lock()
    s.closing = true
    s.condition.broadcast()
    s.condition.unlock()
    s.done.wait()
    // The thread has ended: what it wrote is read here without the lock.
    do { try s.handle.close() } catch { s.failure = s.failure ?? error }
    if let failure = s.failure { throw failure }
    return s.hasher.finalize().lowercaseHex
  }
}
