import ChargebackStore
import ChargebackTestSupport
import Crypto
import Foundation
import Testing

/// A deterministic, seeded mutation fuzzer over every format reader, run through the built
/// `chargeback ingest` in a child process, so that a trap is seen as a signal instead of killing the
/// test run.
///
/// The seeds are the sample exports (`Fixtures/samples`, `Fixtures/formats`) and the regression
/// inputs of `Fixtures/fuzz-crashers`. Each input is mutated (truncation, byte flips, numbers
/// replaced by huge, negative, fractional and exponent values, fields swapped, a BOM, CRLF,
/// invalid UTF-8, unpaired surrogates, duplicated keys and lines, lines of another file, gzip) and
/// ingested into a copy of a store that already holds a month. Every input must be accepted (exit 0)
/// or rejected with exit 65 naming the file, and a rejected file must leave the store as it was.
///
/// `make test` runs a bounded number of inputs (about 40 s). `make fuzz` runs for `FUZZ_SECONDS`
/// (`FUZZ_SECONDS=3600 make fuzz`); `FUZZ_SEED` picks another sequence and `FUZZ_OUT` is where
/// crashing inputs are saved (default: a `chargeback-fuzz-crashes` folder in the temporary
/// directory). A saved crasher belongs in `Fixtures/fuzz-crashers/` with its fix.
@Suite(.serialized) struct FuzzTests {
  /// How long and how many: `FUZZ_SECONDS` runs for that long with no count limit; otherwise 250
  /// inputs or 40 seconds, whichever comes first.
  static var budget: (seconds: Double, iterations: Int) {
    let env = ProcessInfo.processInfo.environment
    if let s = env["FUZZ_SECONDS"].flatMap(Double.init) { return (s, Int.max) }
    return (40, Int(env["FUZZ_ITERATIONS"] ?? "") ?? 250)
  }

  @Test func mutatedExportsAreAcceptedOrRejectedNeverTrap() throws {
    let env = ProcessInfo.processInfo.environment
    let seed = UInt64(env["FUZZ_SEED"] ?? "") ?? 20_261_001
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let crashes =
      env["FUZZ_OUT"]
      ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "chargeback-fuzz-crashes"
      ).path
    let seeds = try Self.seeds()
    #expect(seeds.count >= 20)
    let pristine = dir + "/pristine.sqlite"
    try Self.loadMonth(into: pristine)
    let before = try StoreDigest(path: pristine)
    #expect(before.usage > 0)

    var rng = SplitMix64(seed: seed)
    let (seconds, iterations) = Self.budget
    let deadline = Date().addingTimeInterval(seconds)
    var runs = 0
    var accepted = 0
    var rejected = 0
    var failures: [String] = []
    while runs < iterations, Date() < deadline {
      runs += 1
      let base = seeds[Int(rng.next() % UInt64(seeds.count))]
      var m = Mutator(bytes: base.bytes, rng: rng)
      let donor = seeds[Int(rng.next() % UInt64(seeds.count))].bytes
      let steps = m.mutate(donor: donor)
      rng = m.rng
      let name = "input-\(runs)" + (steps.contains("gzip") ? ".gz" : base.ext)
      let path = dir + "/" + name
      try Data(m.bytes).write(to: URL(fileURLWithPath: path))
      let db = dir + "/work.sqlite"
      try? FileManager.default.removeItem(atPath: db)
      try FileManager.default.copyItem(atPath: pristine, toPath: db)
      let run = try Self.ingest(path, db: db)
      var problem: String?
      switch run.status {
      case 0: accepted += 1
      case 65:
        rejected += 1
        if !run.err.contains(path) {
          problem = "exit 65 without naming the file: \(run.err.prefix(300))"
        } else if try StoreDigest(path: db) != before {
          problem = "a rejected file changed the store: \(run.err.prefix(300))"
        }
      default:
        problem = "\(run.signalled ? "signal" : "exit") \(run.status): \(run.err.suffix(600))"
      }
      if let problem {
        try FileManager.default.createDirectory(atPath: crashes, withIntermediateDirectories: true)
        let digest = SHA256.hash(data: m.bytes).prefix(5).map { String(format: "%02x", $0) }.joined()
        let saved = crashes + "/\(digest)-" + steps.joined(separator: "_") + (steps.contains("gzip") ? ".gz" : base.ext)
        try Data(m.bytes).write(to: URL(fileURLWithPath: saved))
        failures.append("\(saved) (from \(base.name), \(steps.joined(separator: "+"))): \(problem)")
      }
      try? FileManager.default.removeItem(atPath: path)
    }
    print("fuzz: seed \(seed), \(runs) inputs, \(accepted) accepted, \(rejected) rejected, \(failures.count) failures")
    #expect(runs > 0)
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// The regression inputs fuzzers found (`Fixtures/fuzz-crashers`), one test each.
  static let crashers =
    ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.root + "/fuzz-crashers")) ?? []).filter {
      $0 != "README.md"
    }.sorted()

  @Test func thereAreCrashers() {
    #expect(Self.crashers.count >= 15)
  }

  /// Each must be rejected with exit 65 naming the file, with the line or JSON path and the field,
  /// and leave the store unchanged.
  @Test(arguments: crashers)
  func crasherIsRejectedWithFileLineAndField(name: String) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/store.sqlite"
    try Self.loadMonth(into: db)
    let before = try StoreDigest(path: db)
    let path = Fixtures.root + "/fuzz-crashers/" + name
    let run = try Self.ingest(path, db: db)
    #expect(run.status == 65, "\(run.err)")
    // `file:line: field: …`, or `file:line: $.path: field: …` in a document.
    let parts = run.err.components(separatedBy: path + ":").last?.split(separator: ":") ?? []
    #expect(Int(parts.first ?? "") != nil, "no line: \(run.err)")
    #expect(parts.count >= 3, "no field: \(run.err)")
    #expect(try StoreDigest(path: db) == before, "\(name) changed the store")
  }

  // MARK: Harness

  /// A seed input: its bytes (decompressed), its name and its extension.
  struct Seed {
    var name: String
    var ext: String
    var bytes: [UInt8]
  }

  static func seeds() throws -> [Seed] {
    var out: [Seed] = []
    for folder in ["samples", "formats", "fuzz-crashers"] {
      let root = Fixtures.root + "/" + folder
      guard let e = FileManager.default.enumerator(atPath: root) else { continue }
      var names: [String] = []
      while let rel = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue,
          !rel.hasSuffix("README.md")
        {
          names.append(rel)
        }
      }
      for rel in names.sorted() {
        var name = rel
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + rel)))
        if rel.hasSuffix(".gz") {
          bytes = try gunzip(bytes)
          name = String(rel.dropLast(3))
        }
        let ext = "." + ((name as NSString).pathExtension.isEmpty ? "json" : (name as NSString).pathExtension)
        out.append(Seed(name: folder + "/" + rel, ext: ext, bytes: bytes))
      }
    }
    return out
  }

  /// A store holding a month of several formats, as a user's would be.
  static func loadMonth(into db: String) throws {
    let samples = Fixtures.samples
    let run = try ingest(
      samples + "/bedrock/model-invocation-logs.jsonl", samples + "/openai/usage-completions-1h.json",
      samples + "/litellm/spend-logs.json", samples + "/otel/genai-traces.jsonl", db: db)
    #expect(run.status == 0, "\(run.err)")
  }

  /// The result of a child process.
  struct Run {
    var status: Int32
    var signalled: Bool
    var err: String
  }

  /// Runs `chargeback ingest PATHS --db DB` with a 60-second watchdog (a hang counts as a failure).
  static func ingest(_ paths: String..., db: String) throws -> Run {
    guard let exe = TestSupport.executable() else { throw TestSupport.NoExecutable() }
    let errPath = db + ".stderr"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    guard let err = FileHandle(forWritingAtPath: errPath), let null = FileHandle(forWritingAtPath: "/dev/null") else {
      throw TestSupport.NoExecutable()
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = ["ingest"] + paths + ["--db", db]
    p.standardOutput = null
    p.standardError = err
    try p.run()
    let deadline = Date().addingTimeInterval(60)
    while p.isRunning {
      if Date() > deadline {
        p.terminate()
        p.waitUntilExit()
        try err.close()
        return Run(status: -1, signalled: true, err: "hang: killed after 60 s")
      }
      usleep(1000)
    }
    try err.close()
    try null.close()
    let text = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
    try? FileManager.default.removeItem(atPath: errPath)
    return Run(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal, err: text)
  }

  static func gzip(_ bytes: [UInt8]) throws -> [UInt8] { try filter("/usr/bin/gzip", ["-c", "-n"], bytes) }
  static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] { try filter("/usr/bin/gzip", ["-d", "-c"], bytes) }

  /// Pipes `bytes` through a program (via files: Foundation's pipe reader traps on EINTR).
  static func filter(_ exe: String, _ args: [String], _ bytes: [UInt8]) throws -> [UInt8] {
    let dir = try TestSupport.tempDir("filter")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in"))
    _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
    guard let input = FileHandle(forReadingAtPath: dir + "/in"), let output = FileHandle(forWritingAtPath: dir + "/out")
    else { throw TestSupport.NoExecutable() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    p.waitUntilExit()
    try output.close()
    return [UInt8](FileManager.default.contents(atPath: dir + "/out") ?? Data())
  }
}

/// Row counts and a content hash of a store's tables, to show that a rejected file changed nothing.
struct StoreDigest: Equatable {
  var usage: Int64
  var files: Int64
  var hash: String

  init(path: String) throws {
    let db = try Database(path: path)
    defer { try? db.close() }
    var hasher = SHA256()
    var counts: [String: Int64] = [:]
    for table in ["usage", "files", "skipped_files", "trace_spans"] {
      let columns = try db.scalarInt("SELECT count(*) FROM pragma_table_info('\(table)')") ?? 0
      let st = try db.prepare("SELECT * FROM \(table) ORDER BY 1, 2")
      defer { st.close() }
      var rows: Int64 = 0
      while try st.step() {
        rows += 1
        for c in 0..<Int32(columns) {
          hasher.update(data: Data((st.text(c) ?? "\u{0}NULL").utf8))
          hasher.update(data: Data([0x1F]))
        }
        hasher.update(data: Data([0x1E]))
      }
      counts[table] = rows
    }
    usage = counts["usage"] ?? 0
    files = counts["files"] ?? 0
    hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }
}

/// SplitMix64: a small deterministic generator, so a seed always gives the same inputs.
struct SplitMix64 {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<n` (n > 0).
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// Applies one to three mutations to an input; `mutate` returns their names.
struct Mutator {
  var bytes: [UInt8]
  var rng: SplitMix64

  /// Values that stand in for a number: huge, negative, fractional, exponent, malformed.
  static let numbers = [
    "5000000000000000000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "99999999999999999999999999", "-1000", "-1", "12.5", "12.", "1.e5", "1e", "-01", "007", "01", "1e30",
    "0.00331e30", "1e999999", "1E-7", "-0", "0.5", "10000000000001", "4102444800", "946684799", "1e400",
    "123456789012345678901234567890123456789012345", "\"12\"", "\"-5\"", "\"1e3\"", "null", "true", "[]", "{}",
  ]

  mutating func mutate(donor: [UInt8]) -> [String] {
    var steps: [String] = []
    let count = 1 + rng.below(3)
    for _ in 0..<count {
      let kinds = [
        "truncate", "bitflip", "number", "number", "number", "swap", "bom", "crlf", "utf8", "surrogate",
        "dupkey", "dupline", "dropline", "insert", "escape", "quote", "gzip",
      ]
      let kind = kinds[rng.below(kinds.count)]
      if kind == "gzip" && steps.contains("gzip") { continue }
      apply(kind, donor: donor)
      steps.append(kind)
      if kind == "gzip" { break }  // nothing after the compression
    }
    return steps
  }

  private mutating func apply(_ kind: String, donor: [UInt8]) {
    switch kind {
    case "truncate":
      bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
    case "bitflip":
      guard !bytes.isEmpty else { return }
      for _ in 0..<(1 + rng.below(3)) { bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8)) }
    case "number":
      let runs = digitRuns()
      guard !runs.isEmpty else { return }
      let r = runs[rng.below(runs.count)]
      bytes.replaceSubrange(r, with: Array(Self.numbers[rng.below(Self.numbers.count)].utf8))
    case "swap":
      let strings = quotedStrings()
      guard strings.count >= 2 else { return }
      var a = strings[rng.below(strings.count)]
      var b = strings[rng.below(strings.count)]
      if a.lowerBound > b.lowerBound { swap(&a, &b) }
      guard a.upperBound <= b.lowerBound else { return }
      let (x, y) = (Array(bytes[a]), Array(bytes[b]))
      bytes.replaceSubrange(b, with: x)
      bytes.replaceSubrange(a, with: y)
    case "bom":
      bytes = [0xEF, 0xBB, 0xBF] + bytes
    case "crlf":
      var out: [UInt8] = []
      for c in bytes {
        if c == 10 { out.append(13) }
        out.append(c)
      }
      bytes = out
    case "utf8":
      let bad: [[UInt8]] = [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
      ]
      insertInString(bad[rng.below(bad.count)])
    case "surrogate":
      let bad = [#"\uD83D"#, #"\uDE00"#, #"\uD83Dx"#, #"\uD83D\u0041"#]
      insertInString(Array(bad[rng.below(bad.count)].utf8))
    case "escape":
      let bad = [#"\q"#, #"\u12"#, #"\x41"#, #"\"#]
      insertInString(Array(bad[rng.below(bad.count)].utf8))
    case "dupkey":
      // `{"k":v,` → `{"k":v,"k":v,`: the object's first member again.
      let opens = bytes.indices.filter { bytes[$0] == UInt8(ascii: "{") && $0 + 1 < bytes.count }
      guard !opens.isEmpty else { return }
      let o = opens[rng.below(opens.count)]
      guard let comma = bytes[(o + 1)...].prefix(400).firstIndex(of: UInt8(ascii: ",")) else { return }
      bytes.insert(contentsOf: bytes[(o + 1)...comma], at: comma + 1)
    case "dupline", "dropline", "insert":
      var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
      guard !lines.isEmpty else { return }
      let at = rng.below(lines.count)
      if kind == "dupline" {
        lines.insert(lines[at], at: at)
      } else if kind == "dropline" {
        lines.remove(at: at)
      } else {
        let other = donor.split(separator: 10).map(Array.init)
        guard !other.isEmpty else { return }
        lines.insert(other[rng.below(other.count)], at: at)
      }
      bytes = Array(lines.joined(separator: [10]))
    case "quote":
      guard !bytes.isEmpty else { return }
      let marks: [UInt8] = [34, 44, 92, 123, 125, 91, 93, 10, 0]
      bytes.insert(marks[rng.below(marks.count)], at: rng.below(bytes.count))
    case "gzip":
      guard var z = try? FuzzTests.gzip(bytes) else { return }
      if rng.below(3) == 0, z.count > 12 { z = Array(z.prefix(10 + rng.below(z.count - 10))) }  // truncated gzip
      bytes = z
    default:
      break
    }
  }

  private func digitRuns() -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    while i < bytes.count {
      guard bytes[i] >= 48, bytes[i] <= 57 else {
        i += 1
        continue
      }
      var j = i
      while j < bytes.count, (bytes[j] >= 48 && bytes[j] <= 57) || bytes[j] == 46 { j += 1 }
      out.append(i..<j)
      i = j
    }
    return out
  }

  private func quotedStrings() -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    while i < bytes.count {
      guard bytes[i] == 34 else {
        i += 1
        continue
      }
      var j = i + 1
      while j < bytes.count, bytes[j] != 34 { j += bytes[j] == 92 ? 2 : 1 }
      if j < bytes.count { out.append(i..<(j + 1)) }
      i = j + 1
    }
    return out
  }

  private mutating func insertInString(_ junk: [UInt8]) {
    let strings = quotedStrings()
    guard !strings.isEmpty else {
      bytes.insert(contentsOf: junk, at: rng.below(bytes.count + 1))
      return
    }
    let s = strings[rng.below(strings.count)]
    bytes.insert(contentsOf: junk, at: s.lowerBound + 1)
  }
}
