import ChargebackModel
import ChargebackSupport
import Foundation

/// Analysts' labels on findings (`labels.csv` beside the identities: finding_id, label, note, who),
/// kept across re-runs because finding ids are stable.
package struct Labels: Sendable {
  package struct Entry: Sendable, Hashable {
    package var label: String
    package var note: String?
    package var who: String?
  }

  /// Labels by finding id.
  package var entries: [String: Entry] = [:]
  /// SHA-256 of the file's bytes as parsed; empty when there is no file.
  package var contentHash = ""

  /// Allowed label values.
  package static let allowed: Set<String> = ["expected", "false_positive", "confirmed"]

  package init() {}

  /// Reads `labels.csv` in `directory` when present; no file means no labels.
  package init(directory: String) throws {
    let path = directory + "/labels.csv"
    guard FileManager.default.fileExists(atPath: path) else { return }
    let t = try CSVTable(path: path)
    contentHash = t.sha256
    try t.require(["finding_id", "label"])
    // The line of each finding's label: a second label of one finding is refused, not taken
    // silently over the first (which of two analysts' verdicts holds is theirs to decide).
    var lines: [String: Int] = [:]
    for r in t.rows {
      let id = try t.req(r, "finding_id")
      if let first = lines[id] {
        throw InputError(
          file: path, line: r.line, field: "finding_id",
          message: "\"\(id)\" is labelled on line \(first) already: keep one label per finding")
      }
      lines[id] = r.line
      // In any case, as a provider is (a trial's `Expected` was refused).
      let given = try t.req(r, "label")
      let label = given.lowercased()
      guard Self.allowed.contains(label) else {
        throw InputError(
          file: path, line: r.line, field: "label",
          message: "\"\(given)\" is not a label: it must be one of expected, false_positive, confirmed")
      }
      entries[id] = Entry(label: label, note: t.value(r.fields, "note"), who: t.value(r.fields, "who"))
    }
  }

  /// The findings with their labels filled in.
  package func apply(to findings: [Finding]) -> [Finding] {
    findings.map { f in
      var f = f
      if let e = entries[f.id] {
        f.label = e.label
        f.labelNote = [e.note, e.who.map { "— " + $0 }].compactMap { $0 }.joined(separator: " ")
      }
      return f
    }
  }
}
