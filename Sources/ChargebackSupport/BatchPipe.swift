import Foundation

/// Hands batches of values from a producing thread to a consuming one, so that two stages run on both cores
/// (parse | insert during ingest; read rows | attribute and price during a report).
///
/// Bounded: the producer waits when `capacity` batches are queued, so memory stays small: at most
/// `capacity + 2` batches are ever made (queued, one being consumed, one being filled, and the
/// emptied ones waiting to be filled again).
///
/// Batches are recycled: the consumer hands each one back once it is done with it, and the
/// producer empties the handed-back batches at its next `put` and fills them again. So the
/// elements are destroyed on the producing thread (all but those of the batches handed back after
/// its last `put`, which die with the pipe), and the batches' memory is allocated once. Both
/// measured (perf):
/// - for ingest, whose inserting thread sets the pace while the parsing one has time to spare,
///   releasing each record's strings took a tenth of the inserting thread's time;
/// - a batch of a thousand report records is hundreds of kilobytes: a new one per `put`, allocated
///   on one thread and freed on the other, was handed back to the system by glibc and faulted in
///   again page by page (6 % of a report's time, in the kernel clearing pages).
package final class BatchPipe<Element: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var batches: [[Element]] = []
  /// Batches the consumer is done with, not yet taken back by the producer.
  private var spent: [[Element]] = []
  /// Emptied batches waiting to be filled again; the producer's alone (no lock).
  private var empties: [[Element]] = []
  /// Batches made so far (by the producer; read it once the pipe has finished).
  private(set) var batchesMade = 0
  private var finished = false
  private var cancelled = false
  private var failure: (any Error)?
  /// Batches queued at most before the producer waits.
  package let capacity: Int
  /// Values per batch.
  package let batchSize: Int

  /// Thrown inside the producer when the consumer gave up.
  package struct Cancelled: Error {}

  package init(capacity: Int = 8, batchSize: Int = 2048) {
    self.capacity = capacity
    self.batchSize = batchSize
  }

  /// Producer: queues a batch, waiting while the pipe is full, and returns an empty one to fill
  /// next (a batch the consumer handed back, emptied here on this thread, when there is one).
  ///
  /// Throws ``Cancelled`` once the consumer has stopped.
  /// - Parameter another: false for the last batch: nothing is returned (or made) to fill.
  @discardableResult
  package func put(_ batch: consuming [Element], another: Bool = true) throws -> [Element] {
    var handedBack: [[Element]] = []
    condition.lock()
    while batches.count >= capacity && !cancelled { condition.wait() }
    if cancelled {
      condition.unlock()
      throw Cancelled()
    }
    batches.append(batch)
    swap(&handedBack, &spent)
    condition.broadcast()
    condition.unlock()
    // Their elements die here, on this thread, outside the lock. Taken out of `spent`, each batch
    // is held once, so emptying it keeps its memory.
    for i in handedBack.indices { handedBack[i].removeAll(keepingCapacity: true) }
    empties += handedBack
    guard another else { return [] }
    if let next = empties.popLast() { return next }
    batchesMade += 1
    var fresh: [Element] = []
    fresh.reserveCapacity(batchSize)
    return fresh
  }

  /// Batches queued and not yet taken.
  ///
  /// Near ``capacity`` when the consumer sets the pace, near 0 when the producer does. Takes the lock: read it once per batch, not per value.
  package var backlog: Int {
    condition.lock()
    defer { condition.unlock() }
    return batches.count
  }

  /// Consumer: hands back a batch it is done with (and should hold no other reference to).
  func giveBack(_ batch: consuming [Element]) {
    condition.lock()
    spent.append(batch)
    condition.unlock()
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
  ///
  /// `emit` takes its value (`consuming`), so a value made for it is moved into the batch; a
  /// borrowed one would be copied there and the original destroyed, a retain and a release of each
  /// of its references.
  package func start(_ produce: @escaping @Sendable (_ emit: (consuming Element) throws -> Void) throws -> Void) {
    let thread = Thread { [self] in
      var batch: [Element] = []
      batch.reserveCapacity(batchSize)
      batchesMade += 1
      do {
        try produce { (value: consuming Element) in
          batch.append(value)
          if batch.count == self.batchSize {
            // Moved into the pipe, not copied: the consumer must hold the batch alone to hand it back
            // for reuse.
            var full: [Element] = []
            swap(&full, &batch)
            batch = try self.put(consume full)
          }
        }
        if !batch.isEmpty {
          var last: [Element] = []
          swap(&last, &batch)
          try put(consume last, another: false)
        }
        finish(nil)
      } catch {
        finish(error)
      }
    }
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// Consumes every value with `body` on this thread; on any failure the producer is stopped.
  ///
  /// The batch is lent `inout` (it is held once: the pipe has let it go), so that `body` can hand
  /// its elements on in place.
  package func drain(_ body: (inout [Element]) throws -> Void) throws {
    do {
      while var batch = try take() {
        try body(&batch)
        giveBack(consume batch)
      }
    } catch {
      cancel()
      throw error
    }
  }
}
