import ChargebackModel
import ChargebackSupport
import Foundation

extension ReportWriter {
  /// Refuses an `--out` that cannot become the outputs' folder, before `run` loads anything.
  ///
  /// A file, a link, a folder this user may not write, or a path under such: found only at
  /// publication, after the whole load (a trial's read-only `--out` was named once every file was
  /// in the store). The publication checks again (the folder may change in between). An `--out`
  /// that is one of `usage`'s folders is refused too (``checkNotAnInput(_:usage:)``).
  static func checkBeforeLoad(_ out: String, usage: [String] = []) throws {
    try checkNotAnInput(out, usage: usage)
    let directory = PathText.trimmingTrailingSlashes(out)
    let fm = FileManager.default
    switch fileType(directory) {
    case .typeDirectory?:
      guard access(directory, W_OK) == 0 else {
        throw OutputError.cannotCreate(directory, "the output directory is not writable by this user")
      }
    case .typeSymbolicLink?:
      throw OutputError.cannotCreate(directory, "is a symbolic link; give the real directory as --out")
    case nil:
      // The nearest folder that exists is where the output directory will be made.
      var parent = PathText.parent(of: directory)
      while fileType(parent) == nil, parent != PathText.parent(of: parent) { parent = PathText.parent(of: parent) }
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw OutputError.cannotCreate(directory, "cannot create the output directory: \(parent) is not a directory")
      }
      guard access(parent, W_OK) == 0 else {
        throw OutputError.cannotCreate(
          directory, "cannot create the output directory: \(parent) is not writable by this user")
      }
    default:
      throw OutputError.cannotCreate(directory, "exists and is not a directory")
    }
  }

  /// Refuses an `--out` that is one of the `--usage` folders.
  ///
  /// Its outputs would be read as exports by the next run: a trial's daily job wrote its
  /// workbooks into `usage/` on the first day and stopped on them, as unrecognised files, on the
  /// second. An `--out` inside a usage folder is skipped by the walk; this one is the folder itself.
  private static func checkNotAnInput(_ out: String, usage: [String]) throws {
    guard let outIdentity = FileIdentity(path: out) else { return }
    for folder in usage where FileIdentity(path: folder) == outIdentity {
      throw OutputError.cannotCreate(
        out,
        "is the --usage folder \(folder): the next run would read its outputs as exports; give --out a folder"
          + " of its own (a folder inside a --usage folder is skipped)")
    }
  }
}
