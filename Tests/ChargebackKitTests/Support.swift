import Foundation
import Testing

@testable import ChargebackKit

/// Paths and helpers shared by the tests.
enum TestSupport {
  /// The fixtures folder copied into the test bundle.
  static var fixtures: String {
    Bundle.module.resourcePath! + "/Fixtures"
  }

  /// The hand-computed month.
  static var month: String { fixtures + "/month" }

  /// The package root (for shipped `pricing/` and the built executable).
  static var packageRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .path
  }

  /// `../shared/samples` beside the project, when present.
  static var samples: String { packageRoot + "/../shared/samples" }

  /// A new empty temporary directory.
  static func tempDir(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tc-\(safe)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// USD text (`"1.1406"`) as exact Money.
  static func usd(_ text: String) -> Money {
    Money(pico: DecimalText.parse(text, decimals: 12)!)
  }

  /// Runs the built `chargeback` executable; returns exit status, stdout and stderr.
  static func runCLI(_ args: [String], cwd: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let exe = try #require(executable(), "build the executable first (make test does)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  /// The `chargeback` binary next to the test bundle.
  static func executable() -> String? {
    var dir = URL(fileURLWithPath: Bundle.module.bundlePath).deletingLastPathComponent()
    for _ in 0..<3 {
      let candidate = dir.appendingPathComponent("chargeback").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  /// Reads a CSV output into dictionaries by header.
  static func readCSV(_ path: String) throws -> [[String: String]] {
    let t = try CSVTable(path: path)
    return t.rows.map { r in
      var d: [String: String] = [:]
      for (i, h) in t.header.enumerated() where i < r.fields.count { d[h] = r.fields[i] }
      return d
    }
  }
}
