/// Bad input: names the file, the line or JSON path, and the field (SPEC §9).
///
/// Maps to exit 65.
package struct IngestError: Error, CustomStringConvertible, Sendable {
  /// The file as the user named it.
  package var file: String
  /// 1-based line, for line-oriented sources.
  package var line: Int?
  /// JSON path of the record inside a document, for document-oriented sources.
  package var path: String?
  /// The field at fault (`input.inputTokenCount`), when one is.
  package var field: String?
  /// What is wrong, as a sentence fragment.
  package var message: String

  package init(file: String, line: Int? = nil, path: String? = nil, field: String? = nil, message: String) {
    self.file = file
    self.line = line
    self.path = path
    self.field = field
    self.message = message
  }

  package var description: String {
    var s = file
    if let line { s += ":\(line)" }
    if let path { s += ": \(path)" }
    if let field { s += ": \(field)" }
    return s + ": " + message
  }
}

/// An input path that does not exist or cannot be read.
///
/// Maps to exit 66.
package struct InputMissingError: Error, CustomStringConvertible, Sendable {
  /// The path as given.
  package var path: String
  /// Why it cannot be used.
  package var reason: String

  package init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  package var description: String { "\(path): \(reason)" }
}
