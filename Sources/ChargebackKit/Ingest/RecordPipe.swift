import Foundation

/// Hands batches of parsed records from a parsing thread to the inserting thread, so that parsing and SQLite
/// inserts run on both cores.
///
/// Bounded: the parser waits when `capacity` batches are queued, so memory stays small whatever the file's size.
final class RecordPipe: @unchecked Sendable {
  private let condition = NSCondition()
  private var batches: [[UsageRecord]] = []
  private var finished = false
  private var cancelled = false
  private var failure: (any Error)?
  private let capacity: Int

  /// Thrown inside the parser when the consumer gave up.
  struct Cancelled: Error {}

  init(capacity: Int = 8) { self.capacity = capacity }

  /// Producer: queues a batch, waiting while the pipe is full.
  ///
  /// Throws ``Cancelled`` once the consumer has stopped.
  func put(_ batch: [UsageRecord]) throws {
    condition.lock()
    defer { condition.unlock() }
    while batches.count >= capacity && !cancelled { condition.wait() }
    if cancelled { throw Cancelled() }
    batches.append(batch)
    condition.broadcast()
  }

  /// Producer: no more batches; `error` is the parser's failure, if any.
  func finish(_ error: (any Error)?) {
    condition.lock()
    finished = true
    if !(error is Cancelled) { failure = error }
    condition.broadcast()
    condition.unlock()
  }

  /// Consumer: the next batch, or nil at the end.
  ///
  /// Rethrows the parser's failure at the end.
  func take() throws -> [UsageRecord]? {
    condition.lock()
    defer { condition.unlock() }
    while batches.isEmpty && !finished { condition.wait() }
    if !batches.isEmpty {
      let b = batches.removeFirst()
      condition.broadcast()
      return b
    }
    if let failure { throw failure }
    return nil
  }

  /// Consumer: stop the producer (after an insert failed) and wait for it to finish.
  func cancel() {
    condition.lock()
    cancelled = true
    batches.removeAll()
    condition.broadcast()
    while !finished { condition.wait() }
    condition.unlock()
  }

  /// Parses `input` with `format` on a new thread, feeding this pipe in batches of `batchSize`.
  func startParsing(_ format: any ExportFormat, _ input: InputFile, batchSize: Int = 2048) {
    let thread = Thread { [self] in
      var batch: [UsageRecord] = []
      batch.reserveCapacity(batchSize)
      do {
        try format.read(input) { r in
          batch.append(r)
          if batch.count == batchSize {
            try self.put(batch)
            batch.removeAll(keepingCapacity: true)
          }
        }
        if !batch.isEmpty { try put(batch) }
        finish(nil)
      } catch {
        finish(error)
      }
    }
    thread.stackSize = 8 << 20
    thread.start()
  }
}
