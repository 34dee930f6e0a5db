/// Path arithmetic on text, where Foundation's cannot be trusted.
///
/// Why by hand: `NSString.deletingLastPathComponent` of swift-corelibs-foundation (Swift 6 on
/// Linux) traps on a one-character path (`o`, `.`, `é`, `o/`): `--out o` crashed the tool with
/// an illegal instruction.
package enum PathText {
  /// The folder that holds `path`.
  ///
  /// `.` for a name without a folder, `/` for a name in the root. Trailing slashes are not a
  /// component (`a/b/` is `b` in `a`).
  package static func parent(of path: String) -> String {
    var p = Substring(path)
    while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
    guard let slash = p.lastIndex(of: "/") else { return "." }
    var folder = p[..<slash]
    while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
    return folder.isEmpty ? "/" : String(folder)
  }

  /// `path` without its trailing slashes and trailing `.` components (`/` stays `/`, `.` stays `.`).
  ///
  /// `out/` and `out/.` name the folder `out` leads to when `out` is a symbolic link: `stat` and
  /// Foundation follow the link through them. A trial's `--out linkout/`, and a review's
  /// `--out linkout/.`, wrote through the link the tool refuses as `--out linkout`.
  package static func trimmingTrailingSlashes(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1 {
      if p.hasSuffix("/") {
        p = p.dropLast()
      } else if p.hasSuffix("/.") {
        p = p.dropLast(2)
        if p.isEmpty { p = "/" }
      } else {
        break
      }
    }
    return String(p)
  }
}
