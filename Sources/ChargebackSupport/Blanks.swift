import Foundation

extension CharacterSet {
  /// What `trimmingCharacters(in:)` trims from a value: a tab and the Unicode space separators
  /// (category Zs), as Apple documents `whitespaces`.
  ///
  /// swift-corelibs-foundation's `whitespaces` also holds U+200B ZERO WIDTH SPACE (measured here:
  /// the only scalar of U+0000–U+30FF where it differs from tab + Zs), which is no space: an agent
  /// id logged with one in front was trimmed to a registered agent's, silently, where the docs say
  /// only blanks are trimmed and an invisible character is kept and shown escaped (a trial).
  package static let blanks = CharacterSet.whitespaces.subtracting(CharacterSet(charactersIn: "\u{200B}"))
  /// ``blanks`` and the line breaks of `whitespacesAndNewlines`, without U+200B either.
  package static let blanksAndNewlines = CharacterSet.whitespacesAndNewlines.subtracting(
    CharacterSet(charactersIn: "\u{200B}"))
}
