import ChargebackModel
import Crypto
import Foundation

/// File names of the cost-centre workbooks (SPEC §11): safe, case-insensitively distinct slugs of
/// the cost-centre ids, recorded in `manifest.json`.
///
/// A cost centre id is used as it is when it is a safe name on every file system (ASCII letters,
/// digits, `-`, `_`, `.`, not starting with `.` or `-`, at most 64 characters), not reserved and not equal
/// to another id but for case. Otherwise the name is the id's safe characters (`_` for the others,
/// at most 48, accents dropped) and `-` + 8 hex digits of the id's SHA-256: `a/b` and `a_b` stay apart, `company`
/// never overwrites the company workbook, and a 40,000-character id still gets a usable name.
package enum WorkbookNames {
  /// Names no cost-centre workbook may take: the other outputs.
  static let reserved: Set<String> = [
    "company", "summary", "chargeback", "findings", "focus", "manifest", "reconciliation", "journal", "new_findings",
  ]

  /// The device names Windows reserves, whatever follows them after a `.` (`NUL.txt.xlsx` cannot
  /// be created on a Windows share, or opens the device): `con`, `prn`, `aux`, `nul`, `com0`–`com9`
  /// and `lpt0`–`lpt9`.
  static let devices: Set<String> = {
    var names: Set<String> = ["con", "prn", "aux", "nul"]
    for k in 0...9 {
      names.insert("com\(k)")
      names.insert("lpt\(k)")
    }
    return names
  }()

  /// Whether Windows takes a file named `name` (and an extension) for a device: its part before
  /// the first `.`, without trailing spaces, is one of ``devices`` in any case.
  static func isDevice(_ name: String) -> Bool {
    var stem = name.prefix { $0 != "." }
    while stem.last == " " { stem = stem.dropLast() }
    return devices.contains(stem.lowercased())
  }

  /// The most characters of an id used as a name as it is.
  static let maxPlain = 64

  /// The file name (with `.xlsx`) of each cost centre id.
  ///
  /// Distinct whatever the ids are: a plain id that equals (but for case) the hashed name of
  /// another id (`a_b-c14cddc0` beside `a/b`) is hashed too, again until none does; and hashed names
  /// that still meet (two long ids alike in their first 48 characters and their 8 hex digits) take
  /// the whole digest.
  package static func assign(_ ids: [String]) -> [String: String] {
    var plainCount: [String: Int] = [:]
    for id in ids where isPlain(id) { plainCount[id.lowercased(), default: 0] += 1 }
    var name: [String: String] = [:]
    var hashedIDs = Set<String>()
    for id in Set(ids) {
      if isPlain(id) && plainCount[id.lowercased()] == 1 && !reserved.contains(id.lowercased()) && !isDevice(id) {
        name[id] = id
      } else {
        name[id] = hashed(id)
        hashedIDs.insert(id)
      }
    }
    while true {
      let taken = Set(hashedIDs.compactMap { name[$0]?.lowercased() })
      let clashing = name.keys.filter { !hashedIDs.contains($0) && taken.contains($0.lowercased()) }
      if clashing.isEmpty { break }
      for id in clashing {
        name[id] = hashed(id)
        hashedIDs.insert(id)
      }
    }
    var byName: [String: [String]] = [:]
    for (id, n) in name { byName[n.lowercased(), default: []].append(id) }
    for (_, same) in byName where same.count > 1 {
      for id in same { name[id] = hashed(id, digits: 64) }
    }
    return name.mapValues { $0 + ".xlsx" }
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

  private static func hashed(_ id: String, digits: Int = 8) -> String {
    // Accents dropped first, and one `_` a character, not a byte: `Ünïcødé` was `__n__c__d__`, a
    // name no one could tell for the cost centre's (a trial); it is `Unic_de` now.
    let folded = id.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
    var slug = String(
      decoding: folded.unicodeScalars.prefix(48).map { s in
        s.isASCII && isSafe(UInt8(s.value)) ? UInt8(s.value) : UInt8(ascii: "_")
      }, as: UTF8.self)
    if slug.hasPrefix(".") || slug.hasPrefix("-") { slug = "_" + slug.dropFirst() }
    if isDevice(slug) { slug = "_" + slug }
    let digest = SHA256.hash(data: Array(id.utf8)).prefix(digits / 2).map { byte in
      let hex = String(byte, radix: 16)
      return hex.count == 1 ? "0" + hex : hex
    }.joined()
    return (slug.isEmpty ? "cost-centre" : slug) + "-" + digest
  }
}
