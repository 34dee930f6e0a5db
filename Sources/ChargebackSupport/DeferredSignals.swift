import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The signals that came while ``DeferredSignals/run(_:_:)`` held them back, a bit each.
private let heldSignals = Atomic<UInt64>(0)

/// Per signal held back: how many ``DeferredSignals/run(_:_:)`` hold it in this process (tests
/// publish on several threads at once), and the handler the first found, which the last puts back.
private let holders = Mutex<[Int32: (count: Int, previous: sighandler_t?)]>([:])

/// Runs a short piece of work that must not be cut in two by Ctrl-C or a scheduler's stop.
///
/// Why: moving a run's outputs into `--out` is a few hundred renames; a trial's SIGTERM in the
/// middle left three new workbooks beside the old `company.xlsx`, `summary.csv` and journal, whose
/// amounts disagreed with them (`kill -9`, which nothing can catch, is put back by the next run).
/// While the work runs, SIGINT, SIGTERM and SIGHUP are caught (by a handler that only notes the
/// signal, whichever thread takes it); after, the previous handlers are put back and a signal that
/// came is sent to the process again, so it ends as that signal would have ended it, the set whole.
package enum DeferredSignals {
  /// The signals held back: those a terminal and a scheduler stop a job with.
  package static let stopping: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// Runs `body` with `signals` (below 64) held back, then delivers those that came (to the
  /// handlers that were there before: by default, the end of the process).
  package static func run<T>(_ signals: [Int32] = stopping, _ body: () throws -> T) rethrows -> T {
    holders.withLock { h in
      for sig in signals {
        if let held = h[sig] {
          h[sig] = (held.count + 1, held.previous)
          continue
        }
        heldSignals.bitwiseAnd(~(1 << UInt64(sig)), ordering: .relaxed)
        let previous = signal(sig) { caught in
          // Only an atomic operation: all a signal handler may safely do.
          heldSignals.bitwiseOr(1 << UInt64(caught), ordering: .relaxed)
        }
        h[sig] = (1, previous)
      }
    }
    defer {
      var caught: [Int32] = []
      holders.withLock { h in
        for sig in signals {
          guard let held = h[sig] else { continue }
          if held.count > 1 {
            h[sig] = (held.count - 1, held.previous)
            continue
          }
          h[sig] = nil
          signal(sig, held.previous)
          let bit = UInt64(1) << UInt64(sig)
          if heldSignals.bitwiseAnd(~bit, ordering: .relaxed).oldValue & bit != 0 { caught.append(sig) }
        }
      }
      // To the process, not this thread (`raise`), which may block it (a worker thread's mask).
      for sig in caught { kill(getpid(), sig) }
    }
    return try body()
  }
}
