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

/// A value changed on a thread of its own while the caller does something else; ``finished()``
/// waits for the change and hands the value back.
///
/// The value is moved in and out, never copied: its storage stays referenced once and is changed in
/// place (a copy left with the caller would make the change copy every collection it touches).
package final class BackgroundChange<T: Sendable>: @unchecked Sendable {
  // @unchecked: `value` is changed only on the work's thread until `work` is done, and read only
  // after waiting for it, which orders the two.
  private var value: T?
  private var work: BackgroundWork<Void>?

  /// Starts `change` on `value` on a new thread.
  package init(_ value: consuming T, _ change: @escaping @Sendable (inout T) -> Void) {
    self.value = value
    work = BackgroundWork { [self] in
      // Taken out, so that `changing` is its storage's only reference; put back once changed.
      guard var changing = self.value else { return }
      self.value = nil
      change(&changing)
      self.value = changing
    }
  }

  /// The changed value, once the change is done (waits for it).
  ///
  /// Call it once.
  package func finished() throws -> T {
    try work?.value()
    work = nil
    guard let changed = value else { preconditionFailure("BackgroundChange.finished() called twice") }
    value = nil
    return changed
  }
}
