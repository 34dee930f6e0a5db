import Foundation

/// Progress lines on stderr, only when stderr is a terminal (SPEC §2); silent otherwise.
package final class ProgressReporter: @unchecked Sendable {
  private let enabled: Bool
  private var lastDraw: UInt64 = 0
  private let lock = NSLock()

  /// A reporter that draws when stderr is a TTY (or when `force` says so).
  package init(force: Bool? = nil) {
    enabled = force ?? (isatty(STDERR_FILENO) == 1)
  }

  /// Redraws the status line at most ten times a second.
  package func update(_ message: @autoclosure () -> String) {
    guard enabled else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    lock.lock()
    defer { lock.unlock() }
    guard now - lastDraw > 100_000_000 else { return }
    lastDraw = now
    try? FileHandle.standardError.write(contentsOf: Data(("\r\u{1B}[K" + SafeText.terminal(message())).utf8))
  }

  /// Prints a finished step on its own line.
  package func done(_ message: @autoclosure () -> String) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    try? FileHandle.standardError.write(contentsOf: Data(("\r\u{1B}[K" + SafeText.terminal(message()) + "\n").utf8))
  }
}
