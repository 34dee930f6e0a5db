internal import CSQLite
import ChargebackModel
import Foundation

/// How long a process waits for the store when another process holds its lock, and where it says
/// that it is waiting.
///
/// SQLite locks the file itself: a writer holds it for one transaction (``Database/transaction(_:)``
/// is `BEGIN IMMEDIATE`; an ingest's files are committed in groups, ``Database/grouped(_:)``), a
/// report holds a shared lock for its one read snapshot. A connection that
/// finds the lock taken waits in its busy handler, says so once on stderr, and gives up after
/// ``wait`` with ``StoreLockedError`` (exit 75).
package struct StoreLock: Sendable {
  /// The environment variable that sets ``wait`` in seconds (`CHARGEBACK_LOCK_WAIT=30`).
  package static let environmentVariable = "CHARGEBACK_LOCK_WAIT"
  /// The wait when the environment does not set one: ten minutes.
  package static let defaultWait: Double = 600

  /// Seconds to wait for one lock before giving up.
  package var wait: Double
  /// Called once per connection, on the first wait that lasts longer than a moment.
  package var notice: @Sendable (String) -> Void

  package init(wait: Double = StoreLock.defaultWait, notice: @escaping @Sendable (String) -> Void = StoreLock.stderr) {
    self.wait = wait
    self.notice = notice
  }

  /// The wait from `CHARGEBACK_LOCK_WAIT` (seconds, fractions allowed), else ten minutes; notices go
  /// to stderr.
  package static var standard: StoreLock {
    seconds(ProcessInfo.processInfo.environment[environmentVariable] ?? "").map { StoreLock(wait: $0) } ?? StoreLock()
  }

  /// `text` as a wait: a number of seconds, 0 or more; nil for anything else.
  private static func seconds(_ text: String) -> Double? {
    guard let seconds = Double(text), seconds >= 0, seconds.isFinite else { return nil }
    return seconds
  }

  /// What is wrong with `CHARGEBACK_LOCK_WAIT`, when it is set to anything but a number of seconds
  /// (0 or more); nil when it is unset, empty or right.
  ///
  /// A scheduler's `2m` or `abc` waited the default ten minutes without a word (a trial).
  package static var environmentProblem: String? {
    guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else { return nil }
    if seconds(text) != nil { return nil }
    return "\(environmentVariable)=\(text) is not a number of seconds (0 or more, fractions allowed: 120, 0.5)"
  }

  /// Writes `chargeback: <message>` on stderr.
  package static let stderr: @Sendable (String) -> Void = { message in
    // `try?`: the old `write(_:)` traps on a failed write (a closed stderr, a file-size limit).
    try? FileHandle.standardError.write(contentsOf: Data(("chargeback: " + message + "\n").utf8))
  }

  /// The wait as people say it (`10 min`, `2 s`).
  var waitText: String {
    if wait >= 60, wait.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(wait / 60)) min" }
    return wait == wait.rounded() ? "\(Int(wait)) s" : "\(wait) s"
  }
}

/// The store stayed locked by another process for longer than the wait (exit 75).
package struct StoreLockedError: ChargebackFailure, Sendable {
  /// The store.
  package var path: String
  /// How long this process waited, in seconds.
  package var waited: Double
  /// What it was waiting to do (`loading a.jsonl`, `reading the store`).
  package var action: String

  package init(path: String, waited: Double, action: String) {
    self.path = path
    self.waited = waited
    self.action = action
  }

  package var description: String {
    let secs = waited.rounded(.down) == waited ? "\(Int(waited))" : String(format: "%.1f", waited)
    return
      "\(path): the store stayed locked by another process for \(secs) s (\(StoreLock.environmentVariable) sets "
      + "the wait) while \(action); gave up, and this attempt wrote nothing: run again when the other "
      + "chargeback has finished"
  }

  package var exitStatus: Int32 { ExitStatus.tempFailure }
}

/// The state of one connection's busy handler: when the current wait began, and whether the
/// notice was given.
final class BusyWaiter {
  let lock: StoreLock
  let path: String
  private var started: ContinuousClock.Instant?
  private var noticed = false
  /// Seconds the last wait lasted before giving up; nil when the last wait succeeded.
  private(set) var gaveUpAfter: Double?
  /// A wait shorter than this is not worth a notice.
  private static let quiet: Duration = .milliseconds(300)

  init(lock: StoreLock, path: String) {
    self.lock = lock
    self.path = path
  }

  /// SQLite's busy callback: true to try the lock again, false to give up (SQLITE_BUSY).
  ///
  /// `attempt` is 0 on the first call of each wait.
  func retry(attempt: Int32) -> Bool {
    let now = ContinuousClock.now
    if attempt == 0 || started == nil {
      started = now
      gaveUpAfter = nil
    }
    let elapsed = now - (started ?? now)
    let limit = Duration.milliseconds(Int64(lock.wait * 1000))
    if !noticed, elapsed >= min(Self.quiet, limit) {
      noticed = true
      lock.notice("waiting for the store lock held by another chargeback… (\(path), up to \(lock.waitText))")
    }
    guard elapsed < limit else {
      gaveUpAfter = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      return false
    }
    // SQLite's own back-off, capped at 50 ms: short waits stay short, long ones poll 20 times a second.
    let steps: [Int64] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50]
    let step = Duration.milliseconds(steps[min(Int(attempt), steps.count - 1)])
    Thread.sleep(forTimeInterval: Self.seconds(min(step, limit - elapsed)))
    return true
  }

  private static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

  /// Installs this waiter as `handle`'s busy handler; the waiter must outlive the connection.
  func install(on handle: OpaquePointer) {
    let callback: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, attempt in
      guard let context else { return 0 }
      return Unmanaged<BusyWaiter>.fromOpaque(context).takeUnretainedValue().retry(attempt: attempt) ? 1 : 0
    }
    sqlite3_busy_handler(handle, callback, Unmanaged.passUnretained(self).toOpaque())
  }
}
