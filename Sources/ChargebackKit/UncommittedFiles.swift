import ChargebackModel

/// The commit of a group of loaded files failed (``Ingestor/ingest(paths:onFile:)``): none of
/// them is in the store.
package struct UncommittedFiles: ChargebackFailure {
  /// The files loaded since the last commit, in order.
  package var paths: [String]
  /// Why the commit failed.
  package var failure: any Error
  /// The failure the commit followed, if any (a file that could not be loaded).
  package var cause: (any Error)?

  package var description: String {
    var text = "could not commit the files loaded since the last commit (\(failure))"
    if !paths.isEmpty {
      text += "; not in the store, run again to load them: " + paths.joined(separator: ", ")
    }
    if let cause { text += "; after: \(cause)" }
    return text
  }

  package var exitStatus: Int32 { (failure as? any ChargebackFailure)?.exitStatus ?? ExitStatus.ioError }
}
