import ChargebackModel
import Foundation

extension InputMissingError {
  /// Why `path` cannot be read as an input file: `missing` when there is nothing there, else what
  /// the system says (permission denied, a folder where a file was expected).
  ///
  /// An identity file the user may not read was called "no such file", and one in a folder it may
  /// not enter "identity file not found" (a trial ran as another user and went looking for files
  /// that were there).
  package static func reading(_ path: String, missing: String) -> InputMissingError {
    var st = stat()
    guard stat(path, &st) == 0 else {
      let code = errno
      return InputMissingError(path: path, reason: code == ENOENT ? missing : "cannot be read: " + describe(code))
    }
    if (st.st_mode & S_IFMT) == S_IFDIR { return InputMissingError(path: path, reason: "is a folder, not a file") }
    guard access(path, R_OK) == 0 else {
      return InputMissingError(path: path, reason: "cannot be read: " + describe(errno))
    }
    return InputMissingError(path: path, reason: "cannot be read")
  }

  private static func describe(_ code: Int32) -> String {
    String(cString: strerror(code)).lowercased() + (code == EACCES ? " (this user may not read it)" : "")
  }
}
