import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// An identity file that is there but cannot be read is said to be, not "not found" (a trial ran as another user and
/// went looking for files that were there): a folder under its name, and a file this user may not read.
@Suite struct UnreadableIdentityTests {
  static func directory() throws -> String {
    let dir = try TestSupport.tempDir()
    for (name, text) in AttributorFixture.identityFiles {
      try (text + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    #expect(throws: Never.self) { try IdentityDirectory(directory: dir) }
    return dir
  }

  @Test func aFolderUnderAnIdentityFilesNameIsNamedSo() throws {
    let dir = try Self.directory()
    try FileManager.default.removeItem(atPath: dir + "/agents.csv")
    try FileManager.default.createDirectory(atPath: dir + "/agents.csv", withIntermediateDirectories: false)
    let error = try #require(throws: InputMissingError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.path == dir + "/agents.csv" && error.reason == "is a folder, not a file")
    try FileManager.default.removeItem(atPath: dir + "/agents.csv")
    let missing = try #require(throws: InputMissingError.self) { try IdentityDirectory(directory: dir) }
    // It says what to write: the header row alone will do (and it does).
    #expect(
      missing.reason
        == "identity file not found (every one of the six is needed, even empty: a header row alone, "
        + "`agent_id,owner,cost_centre`, will do)")
    try "agent_id,owner,cost_centre\n".write(toFile: dir + "/agents.csv", atomically: true, encoding: .utf8)
    #expect(throws: Never.self) { try IdentityDirectory(directory: dir) }
    // A file given for the folder is named so.
    let file = try #require(throws: InputMissingError.self) { try IdentityDirectory(directory: dir + "/agents.csv") }
    #expect(file.reason.hasPrefix("is a file, not the identity folder: pass the folder that holds people.csv"))
  }

  /// Root reads any file: the refusal is only seen by another user.
  @Test(.enabled(if: getuid() != 0)) func aFileThisUserMayNotReadIsNamedSo() throws {
    let dir = try Self.directory()
    #expect(chmod(dir + "/agents.csv", 0) == 0)
    defer { chmod(dir + "/agents.csv", 0o644) }
    let error = try #require(throws: InputMissingError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.reason.hasPrefix("cannot be read: permission denied"), "\(error.reason)")
  }
}
