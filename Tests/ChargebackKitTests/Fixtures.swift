import Foundation

/// The test fixtures, copied into the test bundle (`Fixtures/`).
enum Fixtures {
  /// The fixtures folder in the test bundle.
  static var root: String {
    guard let path = Bundle.module.resourcePath else { preconditionFailure("test bundle has no resources") }
    return path + "/Fixtures"
  }

  /// The hand-computed month.
  static var month: String { root + "/month" }

  /// Small exports in each provider's published format (ids and numbers made up).
  static var samples: String { root + "/samples" }
}
