import ChargebackModel
import ChargebackSupport
import Foundation

/// Helpers the tests share: temporary folders, exact money from text, CSV outputs read back and the
/// built `chargeback` executable run as a user would.
package enum TestSupport {
  /// The package root (for the shipped `pricing/` and the built executable).
  package static var packageRoot: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }

  /// The shipped price tables.
  package static var pricing: String { packageRoot + "/pricing" }

  /// A new empty temporary directory, named after the calling test, inside this test process's
  /// own folder (`testRoot`), which is removed when the process exits.
  package static func tempDir(_ name: String = #function) throws -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = testRoot + "/tc-\(safe)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The folder that holds every `tempDir` of this test process, removed at exit.
  ///
  /// Why: most tests do not remove their folders (a failing one must leave its
  /// files to look at while it runs), and each `make test` left some 400 MB of stores and outputs in
  /// `/tmp` for good (16 GB after a few days of work here).
  package static let testRoot: String = {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("chargeback-tests-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    // CHARGEBACK_KEEP_TEST_FILES=1 keeps them, to look at what a failing test left.
    if ProcessInfo.processInfo.environment["CHARGEBACK_KEEP_TEST_FILES"] == nil {
      atexit { try? FileManager.default.removeItem(atPath: TestSupport.testRoot) }
    }
    return root
  }()

  /// USD text (`"1.1406"`, at most 12 decimals) as exact Money; a malformed literal is a test bug.
  package static func usd(_ text: String) -> Money {
    guard let pico = DecimalText.parse(text, decimals: 12) else { preconditionFailure("not a USD amount: \(text)") }
    return Money(pico: pico)
  }

  /// Reads a CSV output into dictionaries by header.
  package static func readCSV(_ path: String) throws -> [[String: String]] {
    let t = try CSVTable(path: path)
    return t.rows.map { r in
      var d: [String: String] = [:]
      for (i, h) in t.header.enumerated() where i < r.fields.count { d[h] = r.fields[i] }
      return d
    }
  }

  /// The `chargeback` binary built beside the test bundle, if any.
  package static func executable() -> String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
    for _ in 0..<3 {
      let candidate = dir.appendingPathComponent("chargeback").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    let debug = packageRoot + "/.build/debug/chargeback"
    return FileManager.default.isExecutableFile(atPath: debug) ? debug : nil
  }

  /// Failure to find or start the executable.
  package struct NoExecutable: Error, CustomStringConvertible {
    package init() {}
    package var description: String { "the chargeback executable is not built (make test builds it)" }
  }

  /// How many files a `run` or `ingest` said it skipped as already ingested under their own path:
  /// the count of its `N files already ingested, skipped` line (0 without one).
  package static func alreadyIngested(_ out: String) -> Int {
    for line in out.split(separator: "\n") where line.contains(" already ingested, skipped") {
      if let n = Int(line.prefix { $0.isNumber }) { return n }
    }
    return 0
  }

  /// Runs the built `chargeback` executable; returns exit status, stdout and stderr.
  package static func runCLI(_ args: [String], cwd: String? = nil, environment: [String: String]? = nil) throws
    -> (status: Int32, out: String, err: String)
  {
    guard let exe = executable() else { throw NoExecutable() }
    return try run(exe, args, cwd: cwd, environment: environment)
  }

  /// Runs a program; returns exit status, stdout and stderr.
  ///
  /// Output goes through files, not pipes: Foundation's pipe reader traps on EINTR.
  package static func run(
    _ exe: String, _ args: [String], cwd: String? = nil, environment: [String: String]? = nil
  ) throws -> (status: Int32, out: String, err: String) {
    try Running(exe, args, cwd: cwd, environment: environment).wait()
  }

  /// Starts the built `chargeback` executable without waiting for it (for several processes at once).
  package static func startCLI(_ args: [String], environment: [String: String] = [:]) throws -> Running {
    guard let exe = executable() else { throw NoExecutable() }
    let env = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
    return try Running(exe, args, cwd: nil, environment: env)
  }

  /// Starts `chargeback args` and kills it (SIGKILL, as a crash or `kill -9` would) after `delay`
  /// seconds; returns whether it was killed (false when it ended first) and what it printed.
  package static func runKilled(_ args: [String], after delay: Double) throws -> (killed: Bool, out: String) {
    let running = try startCLI(args)
    Thread.sleep(forTimeInterval: delay)
    running.kill()
    let r = try running.wait()
    return (r.status == SIGKILL, r.out)
  }

  /// A started program whose stdout and stderr go to files.
  package final class Running {
    private let process = Process()
    private let dir: String
    private let out: FileHandle
    private let err: FileHandle

    init(_ exe: String, _ args: [String], cwd: String?, environment: [String: String]?) throws {
      dir = try tempDir("run")
      let outPath = dir + "/stdout", errPath = dir + "/stderr"
      _ = FileManager.default.createFile(atPath: outPath, contents: nil)
      _ = FileManager.default.createFile(atPath: errPath, contents: nil)
      guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
        throw NoExecutable()
      }
      self.out = out
      self.err = err
      process.executableURL = URL(fileURLWithPath: exe)
      process.arguments = args
      if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
      if let environment { process.environment = environment }
      process.standardOutput = out
      process.standardError = err
      try process.run()
    }

    /// Kills the program at once (SIGKILL), as a crash or `kill -9` would.
    package func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// The stderr written so far.
    package var errorsSoFar: String {
      String(decoding: FileManager.default.contents(atPath: dir + "/stderr") ?? Data(), as: UTF8.self)
    }

    /// Waits for the program to end; returns exit status, stdout and stderr.
    package func wait() throws -> (status: Int32, out: String, err: String) {
      process.waitUntilExit()
      try out.close()
      try err.close()
      defer { try? FileManager.default.removeItem(atPath: dir) }
      let o = FileManager.default.contents(atPath: dir + "/stdout") ?? Data()
      let e = FileManager.default.contents(atPath: dir + "/stderr") ?? Data()
      return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
  }
}
