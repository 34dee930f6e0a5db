import ChargebackModel
import ChargebackSupport
import Foundation

extension ReportWriter {
  /// Refuses an `--out` that cannot become the outputs' folder, before `run` loads anything.
  ///
  /// A file, a link, a folder this user may not write, or a path under such: found only at
  /// publication, after the whole load (a trial's read-only `--out` was named once every file was
  /// in the store). The publication checks again (the folder may change in between).
  static func checkBeforeLoad(_ directory: String) throws {
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
}
