/// A failure the command line reports on stderr and as a sysexits status (SPEC §2).
///
/// Every stage throws its own error types; each says here which status it means, so the CLI maps
/// them without knowing the stages.
package protocol ChargebackFailure: Error, CustomStringConvertible {
  /// The process exit status: 65 bad input, 66 input missing, 73 cannot create output, 74 I/O
  /// error, 75 store locked.
  var exitStatus: Int32 { get }
}

/// sysexits statuses (SPEC §2).
package enum ExitStatus {
  /// `--fail-on` triggered; outputs written.
  package static let findingsFailed: Int32 = 1
  package static let usage: Int32 = 64
  package static let dataError: Int32 = 65
  package static let noInput: Int32 = 66
  package static let software: Int32 = 70
  package static let cannotCreate: Int32 = 73
  package static let ioError: Int32 = 74
  package static let tempFailure: Int32 = 75
}

/// Bad input: names the file, the line, JSON path or byte offset, and the field (SPEC §9).
///
/// Maps to exit 65.
package struct InputError: ChargebackFailure, Sendable {
  /// The file as the user named it.
  package var file: String
  /// 1-based line, for line-oriented sources.
  package var line: Int?
  /// JSON path of the record inside a document, for document-oriented sources.
  package var path: String?
  /// The field at fault (`input.inputTokenCount`), when one is.
  package var field: String?
  /// Byte offset in the file as stored (the compressed offset in a gzip file), for faults found
  /// below the record level: a damaged gzip member, bytes after the last member.
  package var offset: Int64?
  /// What is wrong, as a sentence fragment.
  package var message: String
  /// True when the record's bytes end before its JSON value does (the scanner ran out of them,
  /// or a string is left open): a record cut short, not one of wrong content.
  package var endsEarly = false

  package init(
    file: String, line: Int? = nil, path: String? = nil, field: String? = nil, offset: Int64? = nil, message: String
  ) {
    self.file = file
    self.line = line
    self.path = path
    self.field = field
    self.offset = offset
    self.message = message
  }

  /// `file[:line][: json path][: byte N][: field]: message`.
  package var description: String {
    var s = file
    if let line { s += ":\(line)" }
    if let path { s += ": \(path)" }
    if let offset { s += ": byte \(offset)" }
    if let field { s += ": \(field)" }
    return s + ": " + message
  }

  package var exitStatus: Int32 { ExitStatus.dataError }
}

/// An input path that does not exist or cannot be read.
///
/// Maps to exit 66.
package struct InputMissingError: ChargebackFailure, Sendable {
  /// The path as given.
  package var path: String
  /// Why it cannot be used.
  package var reason: String

  package init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  package var description: String { "\(path): \(reason)" }

  package var exitStatus: Int32 { ExitStatus.noInput }
}

/// An output that cannot be written: exit 73 when it cannot be created (a file in `--out` the tool
/// did not write, a symbolic link, a name that cannot be used), 74 when writing it failed.
package struct OutputError: ChargebackFailure, Sendable {
  package var path: String
  package var reason: String
  /// 73 (cannot create) or 74 (I/O error).
  package var exitStatus: Int32

  /// An I/O failure while writing (exit 74).
  package init(path: String, reason: String) {
    self.path = path
    self.reason = reason
    exitStatus = ExitStatus.ioError
  }

  /// An output the tool may not create or replace (exit 73).
  package static func cannotCreate(_ path: String, _ reason: String) -> OutputError {
    var e = OutputError(path: path, reason: reason)
    e.exitStatus = ExitStatus.cannotCreate
    return e
  }

  package var description: String { "\(path): \(reason)" }
}
