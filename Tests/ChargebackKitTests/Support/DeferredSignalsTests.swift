import Foundation
import Synchronization
import Testing

@testable import ChargebackSupport

/// SIGUSR2s the handler below took.
private let usr2Taken = Atomic<Int>(0)

/// A signal that comes during ``DeferredSignals/run(_:_:)`` reaches the handler that was there
/// before only once the work is done; none that came, none delivered. (SIGUSR2, which nothing else
/// in the tests uses: the publications of other tests hold SIGINT, SIGTERM and SIGHUP meanwhile.)
///
/// Sent to the process, as a scheduler's stop comes: a thread that does not block it takes it, a
/// moment later, so the checks wait for it (a test thread of the pool blocks signals).
@Suite(.serialized) struct DeferredSignalsTests {
  static func withCountingHandler(_ body: () throws -> Void) rethrows {
    let previous = signal(SIGUSR2) { _ in usr2Taken.add(1, ordering: .relaxed) }
    defer { signal(SIGUSR2, previous) }
    usr2Taken.store(0, ordering: .relaxed)
    try body()
  }

  static func send() {
    kill(getpid(), SIGUSR2)
    // Long enough for a thread to take it (it is taken as soon as one returns from the kernel).
    usleep(100_000)
  }

  /// The count of signals taken once it has stopped changing (a second at most).
  static func settledCount(expecting n: Int) -> Int {
    for _ in 0..<100 where usr2Taken.load(ordering: .relaxed) < n { usleep(10_000) }
    usleep(50_000)
    return usr2Taken.load(ordering: .relaxed)
  }

  @Test func aSignalDuringTheWorkIsDeliveredAfterIt() {
    Self.withCountingHandler {
      var seenInside = -1
      let result = DeferredSignals.run([SIGUSR2]) {
        Self.send()
        seenInside = usr2Taken.load(ordering: .relaxed)
        return 7
      }
      #expect(result == 7)
      #expect(seenInside == 0)
      #expect(Self.settledCount(expecting: 1) == 1)
      // The counting handler is back: a signal now is taken at once.
      Self.send()
      #expect(Self.settledCount(expecting: 2) == 2)
    }
  }

  @Test func nestedHoldsDeliverWhenTheOuterEndsAndAThrowStillDelivers() {
    struct Stop: Error {}
    Self.withCountingHandler {
      #expect(throws: Stop.self) {
        try DeferredSignals.run([SIGUSR2]) {
          DeferredSignals.run([SIGUSR2]) { Self.send() }
          usleep(100_000)
          #expect(usr2Taken.load(ordering: .relaxed) == 0)
          throw Stop()
        }
      }
      #expect(Self.settledCount(expecting: 1) == 1)
    }
  }

  @Test func noSignalNoDelivery() {
    Self.withCountingHandler {
      DeferredSignals.run([SIGUSR2]) {}
      #expect(Self.settledCount(expecting: 1) == 0)
    }
  }
}
