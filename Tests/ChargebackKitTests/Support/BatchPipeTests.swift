import Foundation
import Testing

@testable import ChargebackSupport

/// A value shared between the test and the producer thread.
private final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func update<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }

  var current: Value { update { $0 } }
}

/// Polls `condition` for up to `seconds`; true once it holds.
private func eventually(within seconds: Double = 5, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if condition() { return true }
    Thread.sleep(forTimeInterval: 0.001)
  }
  return condition()
}

private struct Boom: Error {}
private struct Stop: Error {}

@Suite struct BatchPipeTests {
  @Test func everyElementArrivesInOrderAcrossBatches() throws {
    let pipe = BatchPipe<Int>(capacity: 2, batchSize: 3)
    pipe.start { emit in
      for i in 0..<10 { try emit(i) }
    }
    var batches: [[Int]] = []
    try pipe.drain { batches.append($0) }
    #expect(batches == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
  }

  @Test func aWholeNumberOfBatchesEndsWithoutAnEmptyOne() throws {
    let pipe = BatchPipe<Int>(capacity: 2, batchSize: 3)
    pipe.start { emit in
      for i in 0..<6 { try emit(i) }
    }
    var batches: [[Int]] = []
    try pipe.drain { batches.append($0) }
    #expect(batches == [[0, 1, 2], [3, 4, 5]])
  }

  @Test func nothingProducedMeansNoBatches() throws {
    let pipe = BatchPipe<Int>()
    pipe.start { _ in }
    var calls = 0
    try pipe.drain { _ in calls += 1 }
    #expect(calls == 0)
    #expect(try pipe.take() == nil)
  }

  @Test func manyElementsKeepTheirOrder() throws {
    let n = 100_000
    let pipe = BatchPipe<Int>(capacity: 4, batchSize: 2048)
    pipe.start { emit in
      for i in 0..<n { try emit(i) }
    }
    var all: [Int] = []
    var sizes: [Int] = []
    try pipe.drain { batch in
      all += batch
      sizes.append(batch.count)
    }
    #expect(all == Array(0..<n))
    // 48 full batches of 2048 and the rest (1696).
    #expect(sizes.count == 49)
    #expect(sizes.dropLast().allSatisfy { $0 == 2048 })
    #expect(sizes.last == 1696)
  }

  @Test func aProducerErrorReachesTheConsumerAfterTheEarlierBatches() throws {
    let pipe = BatchPipe<Int>(capacity: 4, batchSize: 3)
    pipe.start { emit in
      for i in 0..<7 { try emit(i) }
      throw Boom()
    }
    #expect(try pipe.take() == [0, 1, 2])
    #expect(try pipe.take() == [3, 4, 5])
    #expect(throws: Boom.self) { try pipe.take() }
    // It stays failed.
    #expect(throws: Boom.self) { try pipe.take() }
  }

  @Test func drainRethrowsTheProducerError() {
    let pipe = BatchPipe<Int>(capacity: 4, batchSize: 2)
    pipe.start { emit in
      try emit(1)
      try emit(2)
      throw Boom()
    }
    var seen: [Int] = []
    #expect(throws: Boom.self) { try pipe.drain { seen += $0 } }
    #expect(seen == [1, 2])
  }

  @Test func aProducerErrorBeforeAnyValue() {
    let pipe = BatchPipe<Int>()
    pipe.start { _ in throw Boom() }
    #expect(throws: Boom.self) { try pipe.take() }
  }

  @Test func aConsumerErrorStopsTheProducer() throws {
    let pipe = BatchPipe<Int>(capacity: 1, batchSize: 2)
    let emitted = Locked(0)
    let producerSaw = Locked<(any Error)?>(nil)
    pipe.start { emit in
      do {
        var i = 0
        while true {  // endless: only cancelling stops it
          emitted.update { $0 += 1 }
          try emit(i)
          i += 1
        }
      } catch {
        producerSaw.update { $0 = error }
        throw error
      }
    }
    // Drained on a thread of its own, so that a hang fails the test instead of stalling the run.
    let taken = Locked<[[Int]]>([])
    let consumerSaw = Locked<(any Error)?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread {
      do {
        try pipe.drain { batch in
          taken.update { $0.append(batch) }
          throw Stop()
        }
      } catch {
        consumerSaw.update { $0 = error }
      }
      done.signal()
    }.start()
    #expect(done.wait(timeout: .now() + 5) == .success)
    #expect(consumerSaw.current is Stop)
    #expect(taken.current == [[0, 1]])
    // `drain` returns only once the producer has finished, and the producer was told to stop.
    #expect(producerSaw.current is BatchPipe<Int>.Cancelled)
    // At most: the batch taken, one queued (capacity 1) and one being put.
    #expect(emitted.current <= 6)
    // The cancellation is not reported as a producer failure.
    #expect(try pipe.take() == nil)
  }

  @Test func theProducerWaitsWhileThePipeIsFull() throws {
    let pipe = BatchPipe<Int>(capacity: 2, batchSize: 1)
    let queued = Locked(0)
    pipe.start { emit in
      for i in 0..<10 {
        try emit(i)
        queued.update { $0 += 1 }
      }
    }
    // Two batches fit; the third put waits for the consumer.
    #expect(eventually { queued.current == 2 })
    Thread.sleep(forTimeInterval: 0.05)
    #expect(queued.current == 2)
    #expect(try pipe.take() == [0])
    #expect(eventually { queued.current == 3 })
    Thread.sleep(forTimeInterval: 0.05)
    #expect(queued.current == 3)
    var rest: [Int] = []
    while let batch = try pipe.take() { rest += batch }
    #expect(rest == Array(1..<10))
    #expect(queued.current == 10)
  }

  @Test func putTakeAndFinishByHand() throws {
    let pipe = BatchPipe<String>(capacity: 2, batchSize: 10)
    try pipe.put(["a"])
    try pipe.put(["b", "c"])
    pipe.finish(nil)
    #expect(try pipe.take() == ["a"])
    #expect(try pipe.take() == ["b", "c"])
    #expect(try pipe.take() == nil)
    #expect(try pipe.take() == nil)
  }

  @Test func finishingWithCancelledIsNoFailure() throws {
    let pipe = BatchPipe<Int>()
    pipe.finish(BatchPipe<Int>.Cancelled())
    #expect(try pipe.take() == nil)
  }

  @Test func putAfterCancelThrowsCancelled() {
    let pipe = BatchPipe<Int>(capacity: 1, batchSize: 1)
    pipe.finish(nil)  // so that cancel() does not wait for a producer
    pipe.cancel()
    #expect(throws: BatchPipe<Int>.Cancelled.self) { try pipe.put([1]) }
  }

  /// A batch handed back is the producer's next one, emptied: its memory is reused, not allocated
  /// again for every batch.
  @Test func aSpentBatchIsRefilled() throws {
    let pipe = BatchPipe<String>(capacity: 2, batchSize: 4)
    let first = try pipe.put(["a", "b", "c", "d"])
    #expect(first.isEmpty && first.capacity >= 4)
    let taken = try #require(try pipe.take())
    #expect(taken == ["a", "b", "c", "d"])
    let address = taken.withUnsafeBufferPointer { $0.baseAddress }
    pipe.giveBack(consume taken)
    let next = try pipe.put(["e"])
    #expect(next.isEmpty)
    #expect(next.withUnsafeBufferPointer { $0.baseAddress } == address)
    // Nothing handed back since: a new batch (`next` still held, so not at its address).
    try withExtendedLifetime(next) {
      let third = try pipe.put(["f"])
      #expect(third.isEmpty && third.capacity >= 4)
      #expect(third.withUnsafeBufferPointer { $0.baseAddress } != address)
    }
    #expect(pipe.batchesMade == 2)
    pipe.finish(nil)
    #expect(try pipe.take() == ["e"])
    #expect(try pipe.take() == ["f"])
  }

  /// Through `start` and `drain`, however many batches pass, at most `capacity + 2` are ever made:
  /// the ones handed back are filled again.
  @Test func theProducerRefillsTheBatchesHandedBack() throws {
    for capacity in [1, 2, 4] {
      let pipe = BatchPipe<String>(capacity: capacity, batchSize: 3)
      let count = 300
      pipe.start { emit in
        for i in 0..<count { try emit("value \(i)") }
      }
      var seen: [String] = []
      try pipe.drain { batch in
        seen += batch
        // A slow consumer now and then, so that the pipe fills up.
        if seen.count % 30 == 0 { Thread.sleep(forTimeInterval: 0.002) }
      }
      #expect(seen == (0..<count).map { "value \($0)" })
      #expect(pipe.batchesMade <= capacity + 2, "capacity \(capacity)")
    }
  }

  /// The consumer's spent batches die on the producing thread: all but the
  /// last few (those handed back after the producer's final `put`: at most the one being consumed
  /// and the `capacity` queued behind it), and every element exactly once.
  @Test func spentBatchesAreDestroyedOnTheProducer() throws {
    let deaths = Locked<[pthread_t]>([])
    let producer = Locked<pthread_t?>(nil)
    let (batches, capacity) = (20, 2)
    do {
      let pipe = BatchPipe<Tracked>(capacity: capacity, batchSize: 4)
      pipe.start { emit in
        producer.update { $0 = pthread_self() }
        for _ in 0..<batches * 4 { try emit(Tracked(deaths)) }
      }
      var seen = 0
      try pipe.drain { seen += $0.count }
      #expect(seen == batches * 4)
      // While the pipe is still held here: every batch handed back before the producer's last
      // `put` has died, on the producer (the rest die with the pipe, wherever it is let go).
      let early = deaths.current
      let thread = try #require(producer.current)
      #expect(early.count >= (batches - capacity - 1) * 4)
      #expect(early.allSatisfy { pthread_equal($0, thread) != 0 })
    }
    // The pipe itself (and the batches still handed back) may be let go by the producer thread as
    // it ends, just after drain returns.
    #expect(eventually { deaths.current.count == batches * 4 })
    #expect(deaths.current.count == batches * 4)
  }
}

/// An element that records the thread it dies on.
private final class Tracked: Sendable {
  let deaths: Locked<[pthread_t]>
  init(_ deaths: Locked<[pthread_t]>) { self.deaths = deaths }
  deinit { deaths.update { $0.append(pthread_self()) } }
}
