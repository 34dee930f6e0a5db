import Foundation

/// A throwing computation run on a thread of its own while the caller does something else;
/// ``value()`` waits for it and returns its result or rethrows its error.
///
/// For work that shares nothing mutable with the caller (the second thread of ``SharedJobs``, which
/// takes the report's output files in turn with the calling thread).
package final class BackgroundWork<T: Sendable>: @unchecked Sendable {
  // @unchecked: `result` is written once on the work's thread before `done` is signalled, and read
  // only after waiting on `done`, which orders the two.
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<T, any Error>?

  /// Starts `work` on a new thread.
  package init(_ work: @escaping @Sendable () throws -> T) {
    let thread = Thread { [self] in
      result = Result { try work() }
      done.signal()
    }
    thread.stackSize = 8 << 20  // as the main thread's; a secondary thread may get 512 KiB
    thread.start()
  }

  /// The work's result, once it is done (waits for it); rethrows its error.
  ///
  /// May be called again.
  package func value() throws -> T {
    done.wait()
    done.signal()
    guard let result else { preconditionFailure("BackgroundWork signalled before its result was set") }
    return try result.get()
  }
}
