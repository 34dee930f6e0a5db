import Foundation

/// Hands batches of values from a producing thread to a consuming one, so that two stages run on both cores
/// (parse | insert during ingest; read rows | attribute and price during a report).
///
/// Bounded: the producer waits when `capacity` batches are queued, so memory stays small.
package final class BatchPipe<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var batches: [[Element]] = []
  private var finished = false
  private var cancelled = false
  private var failure: (any Error)?
  private let capacity: Int
  /// Values per batch.
  package let batchSize: Int

  /// Thrown inside the producer when the consumer gave up.
  package struct Cancelled: Error {}

  package init(capacity: Int = 8, batchSize: Int = 2048) {
    self.capacity = capacity
    self.batchSize = batchSize
  }

  /// Producer: queues a batch, waiting while the pipe is full.
  ///
  /// Throws ``Cancelled`` once the consumer has stopped.
  package func put(_ batch: [Element]) throws {
    condition.lock()
    defer { condition.unlock() }
    while batches.count >= capacity && !cancelled { condition.wait() }
    if cancelled { throw Cancelled() }
    batches.append(batch)
    condition.broadcast()
  }

  /// Producer: no more batches; `error` is the producer's failure, if any.
  package func finish(_ error: (any Error)?) {
    condition.lock()
    finished = true
    if !(error is Cancelled) { failure = error }
    condition.broadcast()
    condition.unlock()
  }

  /// Consumer: the next batch, or nil at the end.
  ///
  /// Rethrows the producer's failure at the end.
  package func take() throws -> [Element]? {
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

  /// Consumer: stops the producer (after a failure) and waits for it to finish.
  package func cancel() {
    condition.lock()
    cancelled = true
    batches.removeAll()
    condition.broadcast()
    while !finished { condition.wait() }
    condition.unlock()
  }

  /// Runs `produce` on a new thread; it hands values to `emit`, which batches them into the pipe.
  package func start(_ produce: @escaping @Sendable (_ emit: (Element) throws -> Void) throws -> Void) {
    let thread = Thread { [self] in
      var batch: [Element] = []
      batch.reserveCapacity(batchSize)
      do {
        try produce { value in
          batch.append(value)
          if batch.count == self.batchSize {
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

  /// Consumes every value with `body` on this thread; on any failure the producer is stopped.
  package func drain(_ body: ([Element]) throws -> Void) throws {
    do {
      while let batch = try take() { try body(batch) }
    } catch {
      cancel()
      throw error
    }
  }
}
