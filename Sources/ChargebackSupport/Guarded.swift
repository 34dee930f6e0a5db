import Synchronization

/// A value shared between threads behind a lock: a detector that the report pass feeds on its
/// reading thread and reads on the main one when the pass is over.
package final class Guarded<Value: Sendable>: Sendable {
  private let mutex: Mutex<Value>

  package init(_ value: Value) { mutex = Mutex(value) }

  /// Changes the value under the lock.
  package func update(_ body: (inout Value) -> Void) {
    mutex.withLock { body(&$0) }
  }

  /// Takes the value out, leaving `replacement` in its place (no second copy stays alive).
  package func exchange(_ replacement: Value) -> Value {
    mutex.withLock { value in
      let taken = value
      value = replacement
      return taken
    }
  }
}
