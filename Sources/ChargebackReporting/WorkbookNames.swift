import ChargebackModel
import Crypto

/// File names of the cost-centre workbooks (SPEC §11): safe, case-insensitively distinct slugs of
/// the cost-centre ids, recorded in `manifest.json`.
///
/// A cost centre id is used as it is when it is a safe name on every file system (ASCII letters,
/// digits, `-`, `_`, `.`, not starting with `.` or `-`, at most 64 characters), not reserved and not equal
/// to another id but for case. Otherwise the name is the id's safe characters (`_` for the others,
/// at most 48) and `-` + 8 hex digits of the id's SHA-256: `a/b` and `a_b` stay apart, `company`
/// never overwrites the company workbook, and a 40,000-character id still gets a usable name.
package enum WorkbookNames {
  /// Names no cost-centre workbook may take: the other outputs and the names Windows reserves.
  static let reserved: Set<String> = {
    var names: Set<String> = [
      "company", "summary", "chargeback", "findings", "focus", "manifest", "reconciliation", "journal",
      "new_findings", "con", "prn", "aux", "nul",
    ]
    for k in 1...9 {
      names.insert("com\(k)")
      names.insert("lpt\(k)")
    }
    return names
  }()

  /// The most characters of an id used as a name as it is.
  static let maxPlain = 64

  /// The file name (with `.xlsx`) of each cost centre id.
  package static func assign(_ ids: [String]) -> [String: String] {
    var plainCount: [String: Int] = [:]
    for id in ids where isPlain(id) { plainCount[id.lowercased(), default: 0] += 1 }
    var out: [String: String] = [:]
    for id in ids {
      let name =
        isPlain(id) && plainCount[id.lowercased()] == 1 && !reserved.contains(id.lowercased())
        ? id : hashed(id)
      out[id] = name + ".xlsx"
    }
    return out
  }

  private static func isPlain(_ id: String) -> Bool {
    // Not starting with `.` (a hidden file) or `-` (read as an option by `rm`, `ls *`, `cp`).
    guard !id.isEmpty, id.utf8.count <= maxPlain, id.utf8.first != UInt8(ascii: "."), id.utf8.first != UInt8(ascii: "-")
    else { return false }
    return id.utf8.allSatisfy(isSafe)
  }

  private static func isSafe(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
      || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
      || c == UInt8(ascii: ".")
  }

  private static func hashed(_ id: String) -> String {
    var slug = String(decoding: id.utf8.prefix(48).map { isSafe($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
    if slug.hasPrefix(".") || slug.hasPrefix("-") { slug = "_" + slug.dropFirst() }
    let digest = SHA256.hash(data: Array(id.utf8)).prefix(4).map { byte in
      let hex = String(byte, radix: 16)
      return hex.count == 1 ? "0" + hex : hex
    }.joined()
    return (slug.isEmpty ? "cost-centre" : slug) + "-" + digest
  }
}
