import ArgumentParser
import ChargebackKit
import ChargebackModel
import ChargebackSupport
import Foundation

/// Runs a command's body and turns its failures into what the user sees: the message on stderr
/// and the sysexits status of SPEC §2, thrown as `ExitCode`.
///
/// A failure a stage throws says its own status (``ChargebackFailure``); anything else is a bug
/// (exit 70). swift-argument-parser's own errors pass through.
func reportingFailures(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let e as IngestStopped {
    // The file's own failure, then what the store holds of this run.
    printError(e.failure.description)
    // Our own words and the paths of every file kept: never cut (it is what the line is for).
    printError(e.summary, cut: false)
    throw ExitCode(e.exitStatus)
  } catch let e as any ChargebackFailure {
    printError(e.description)
    throw ExitCode(e.exitStatus)
  } catch let e as ExitCode {
    throw e
  } catch let e as ValidationError {
    throw e
  } catch let e as CleanExit {
    throw e
  } catch {
    printError("internal error: \(error)")
    throw ExitCode(ExitStatus.software)
  }
}

/// Writes `chargeback: message` on stderr, control characters escaped and a huge message cut in its
/// middle (a message quotes values from the inputs; ``SafeText/message(_:)``).
func printError(_ message: String, cut: Bool = true) {
  let shown = cut ? SafeText.message(message) : SafeText.terminal(message)
  try? FileHandle.standardError.write(contentsOf: Data(("chargeback: " + shown + "\n").utf8))
}

/// Prints a line on stdout with control characters escaped: values from logs never reach the
/// terminal raw (SPEC §11).
///
/// Written at once, not buffered: ingest's line for a file then shows as the file is loaded also
/// when stdout is a pipe or a log (`chargeback run … | tee`, a scheduler's log), where `print`
/// would hold it until the process ends. A failed write (a closed pipe: SIGPIPE is ignored,
/// `Chargeback.main()`) is ignored.
func printLine(_ line: String) {
  try? FileHandle.standardOutput.write(contentsOf: Data((SafeText.terminal(line) + "\n").utf8))
}

/// Prints a warning (a line that begins `warning: `) on stderr, control characters escaped, at once.
///
/// On stderr, apart from what a run did: a scheduler's daily run prints a line per new file on
/// stdout, and a warning among them (a closed month changed, a file gone) was missed (a trial).
func printWarning(_ line: String) {
  // Cut as an error message is (``SafeText/message(_:)``): a warning quotes values from the inputs,
  // and a 40,000-character cost centre made one stderr line of 40 KB (a trial).
  try? FileHandle.standardError.write(contentsOf: Data((SafeText.message(line) + "\n").utf8))
}

/// Prints a warning escaped for the terminal already (one a report printed, kept in its manifest)
/// on stderr as it is: escaped again only if it holds a control or hidden character (a manifest
/// edited by hand), which would double its backslashes.
func printEscapedWarning(_ line: String) {
  try? FileHandle.standardError.write(contentsOf: Data((SafeText.cut(SafeText.terminalIfHidden(line)) + "\n").utf8))
}

/// Prints text whose values were already made safe (``SafeText/terminal(_:)`` on each, as
/// `RecordExplanation` does) on stdout, at once, with a final newline.
func printSafeText(_ text: String) {
  try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
}
