import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Files are loaded each whole or not at all, and committed together every
/// `Ingestor.recordsPerCommit` records (SQLite): what another connection sees, and what a run killed
/// in the middle of a group leaves.
@Suite struct GroupedCommitTests {
  /// The files of the fixture month, in the order ingest takes them, with their record counts.
  static let files = [
    (Fixtures.month + "/usage/bedrock/month.jsonl", 7),
    (Fixtures.month + "/usage/openai/usage-2026-10-07.json", 3),
  ]

  /// Files in the store, as another process sees it (a connection of its own, reading only).
  static func committedFiles(_ db: String) throws -> Int64 {
    let reader = try Database(path: db, lock: StoreLock(wait: 5, notice: { _ in }))
    defer { try? reader.close() }
    return try reader.scalarInt("SELECT count(*) FROM files") ?? -1
  }

  /// Runs an ingest of the fixture month with `recordsPerCommit`, returning what another
  /// connection saw after each file was loaded, and at the end (the file loaded before, when the
  /// store is not `empty`, left out).
  ///
  /// Not `empty`: one call (the fixture's first, under another request id) is loaded and
  /// committed first, so the month is not a first load (``DeferredKeys``).
  static func seenByAnother(
    recordsPerCommit: Int64, empty: Bool = false
  ) throws -> (afterEach: [Int64], atEnd: Int64, keyIndex: Bool) {
    let dir = try TestSupport.tempDir("grouped-\(recordsPerCommit)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/s.sqlite"
    let store = try UsageStore(path: db)
    let before: Int64 = empty ? 0 : 1
    if !empty {
      let first = try String(contentsOfFile: files[0].0, encoding: .utf8).prefix { $0 != "\n" }
      let seed = dir + "/seed.jsonl"
      try (first.replacingOccurrences(of: #""requestId":"req-1""#, with: #""requestId":"seed-1""#) + "\n")
        .write(toFile: seed, atomically: true, encoding: .utf8)
      #expect(
        try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [seed]).first?.newRecords
          == 1)
    }
    var ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    ingestor.recordsPerCommit = recordsPerCommit
    var seen: [Int64] = []
    var failure: (any Error)?
    let results = try ingestor.ingest(paths: files.map(\.0)) { r in
      guard r.loaded else { return }
      do { seen.append(try committedFiles(db)) } catch { failure = error }
    }
    if let failure { throw failure }
    #expect(results.map(\.newRecords) == files.map { Int64($0.1) })
    let keyIndex = try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_key'") == 1
    try store.close()
    return (seen.map { $0 - before }, try committedFiles(db) - before, keyIndex)
  }

  @Test func filesAreCommittedTogetherUntilTheLimit() throws {
    // The limit above the month: nothing is visible to another process until the end.
    let together = try Self.seenByAnother(recordsPerCommit: 1_000)
    #expect(together.afterEach == [0, 0])
    #expect(together.atEnd == 2)
    // One record above the first file's 7: still one group.
    let byEight = try Self.seenByAnother(recordsPerCommit: 8)
    #expect(byEight.afterEach == [0, 0])
    #expect(byEight.atEnd == 2)
    // The first file reaches a limit of 7: it is committed before the second is read (after its
    // line was reported, so another process sees it from the second file on).
    let bySeven = try Self.seenByAnother(recordsPerCommit: 7)
    #expect(bySeven.afterEach == [0, 1])
    #expect(bySeven.atEnd == 2)
    #expect(together.keyIndex && byEight.keyIndex && bySeven.keyIndex)
  }

  /// A first load (into an empty store) is one group whatever the limit: its key index is built
  /// once, when it commits (``DeferredKeys``), and the store has it afterwards.
  @Test func aFirstLoadIsCommittedOnceWithItsKeyIndex() throws {
    let first = try Self.seenByAnother(recordsPerCommit: 7, empty: true)
    #expect(first.afterEach == [0, 0])
    #expect(first.atEnd == 2)
    #expect(first.keyIndex)
  }

  /// Writes `a.jsonl` (two calls), `b.jsonl` (one) and `c.jsonl` (`c`, of the fixture's lines)
  /// into `dir/exports`; returns the folder and the fixture's lines.
  static func threeFiles(in dir: String, c: ([Substring]) -> String) throws -> (String, [Substring]) {
    let folder = dir + "/exports"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let lines = try String(contentsOfFile: Self.files[0].0, encoding: .utf8).split(separator: "\n")
    try (lines[0...1].joined(separator: "\n") + "\n").write(
      toFile: folder + "/a.jsonl", atomically: true, encoding: .utf8)
    try (lines[2] + "\n").write(toFile: folder + "/b.jsonl", atomically: true, encoding: .utf8)
    try c(lines).write(toFile: folder + "/c.jsonl", atomically: true, encoding: .utf8)
    return (folder, lines)
  }

  @Test func aBadFileKeepsTheFilesOfItsGroupBeforeIt() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // c: a good line, then a cut one; its first line must not stay.
    let (folder, _) = try Self.threeFiles(in: dir) { lines in lines[3] + "\n" + lines[4].dropLast(5) + "\n" }
    let store = try UsageStore(path: dir + "/s.sqlite")
    var ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    ingestor.recordsPerCommit = 1_000_000  // a, b and c in one group
    var loaded: [String] = []
    #expect(throws: (any Error).self) {
      _ = try ingestor.ingest(paths: [folder]) { r in if r.loaded { loaded.append(r.path) } }
    }
    #expect(loaded == [folder + "/a.jsonl", folder + "/b.jsonl"])
    #expect(try store.files().map(\.path) == loaded)
    #expect(try store.recordCount() == 3)
    #expect(try Self.committedFiles(dir + "/s.sqlite") == 2)
    // A first load rolled back and loaded again: the key index is there, and holds (a's two
    // calls in another order, another file by its hash, add nothing).
    #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'usage_key'") == 1)
    let a = try String(contentsOfFile: folder + "/a.jsonl", encoding: .utf8).split(separator: "\n")
    try (a.reversed().joined(separator: "\n") + "\n").write(
      toFile: dir + "/again.jsonl", atomically: true, encoding: .utf8)
    let again = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      dir + "/again.jsonl"
    ])
    #expect(again.map(\.newRecords) == [0])
    #expect(try store.recordCount() == 3)
  }

  /// A bad file rolls back its whole group (no savepoints: ``Database/transaction(_:)``), and the
  /// files before it are loaded again; when one of them no longer loads (changed meanwhile, here
  /// as the failure is reported), none of them is in the store, and the error names them.
  @Test func aGroupThatCannotBeLoadedAgainIsNamed() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (folder, lines) = try Self.threeFiles(in: dir) { lines in lines[3].dropLast(5) + "\n" }
    let store = try UsageStore(path: dir + "/s.sqlite")
    var ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    ingestor.recordsPerCommit = 1_000_000  // a, b and c in one group
    let error = try #require(throws: UncommittedFiles.self) {
      _ = try ingestor.ingest(paths: [folder]) { r in
        // b is cut too once c has failed: it cannot be loaded again.
        if r.failed {
          try? (lines[2].dropLast(5) + "\n").write(toFile: folder + "/b.jsonl", atomically: true, encoding: .utf8)
        }
      }
    }
    #expect(error.paths == [folder + "/a.jsonl", folder + "/b.jsonl"])
    #expect(error.description.contains("(\(folder)/b.jsonl:2: "))
    #expect(error.description.contains("; after: \(folder)/c.jsonl:2: "))
    #expect(try store.files().isEmpty)
    #expect(try store.recordCount() == 0)
  }

  /// When SQLite rolls the group back itself (a full disk, an I/O error: simulated here by a
  /// `ROLLBACK` behind the ingest's back), the files of the group are not reported as kept.
  @Test func aGroupSQLiteRolledBackIsNotReportedAsKept() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try UsageStore(path: dir + "/s.sqlite")
    var stopped: IngestStopped?
    do {
      _ = try ChargebackJob.load(Self.files.map(\.0), into: store, progress: ProgressReporter(force: false)) { r in
        if r.loaded { try? store.db.execute("ROLLBACK") }
      }
    } catch let e as IngestStopped {
      stopped = e
    }
    let e = try #require(stopped)
    #expect(e.path == Self.files[1].0)
    #expect(e.loadedBefore.isEmpty)
    let lost = try #require(e.failure as? UncommittedFiles)
    #expect(lost.paths == [Self.files[0].0])
    #expect(try store.files().isEmpty)
    #expect(try store.recordCount() == 0)
  }

  /// A file that is only stamped (its bytes were loaded before under another name) is committed
  /// as the run goes when nothing was loaded before it, so a run that loads nothing does not keep
  /// the write lock while it reads the rest: `quietFilesPerCommit` such files at a time (one here;
  /// 256 by default, or a second's), and the rest at the end.
  @Test(arguments: [1, 256])
  func aRunThatLoadsNothingCommitsAsItGoes(perCommit: Int) throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/s.sqlite"
    let store = try UsageStore(path: db)
    var ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    ingestor.quietFilesPerCommit = perCommit
    _ = try ingestor.ingest(paths: Self.files.map(\.0))
    // The same bytes under other names: each is "already ingested", and stamped.
    let copies = try Self.files.enumerated().map { i, f in
      let copy = dir + "/copy-\(i)-" + (f.0 as NSString).lastPathComponent
      try FileManager.default.copyItem(atPath: f.0, toPath: copy)
      return copy
    }
    var stampsSeen: [Int64] = []
    let reader = try Database(path: db, lock: StoreLock(wait: 5, notice: { _ in }))
    defer { try? reader.close() }
    let results = try ingestor.ingest(paths: copies) { _ in
      stampsSeen.append((try? reader.scalarInt("SELECT count(*) FROM file_stamps") ?? -1) ?? -1)
    }
    #expect(results.map(\.alreadyIngested) == [true, true])
    // Two stamps from the first run; one at a time, the first copy's is committed before the
    // second copy's line (256 at a time, at the end, or after a second on a slow machine).
    #expect(stampsSeen.first == 2)
    if perCommit == 1 { #expect(stampsSeen == [2, 3]) }
    #expect(try reader.scalarInt("SELECT count(*) FROM file_stamps") == 4)
  }

  /// A run killed while it loads the second file of a group leaves neither file of the group in the
  /// store (and the store whole); the next run loads both.
  @Test func aKilledRunLosesItsOpenGroupWhole() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let db = dir + "/s.sqlite"
    let first = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage/openai", "--db", db])
    try #require(first.status == 0)
    let layout = try DemoGenerator(period: Period("2026-10")!).writeBenchmark(
      to: dir + "/big", records: 200_000, perFile: 200_000)
    var killedMidGroup = false
    for delay in [0.6, 0.3, 1.2] {
      // The fixture Bedrock file (7 records) first, then the large one, in one group.
      let run = try TestSupport.runKilled(["ingest", Self.files[0].0, layout.files[0], "--db", db], after: delay)
      // Killed after it reported the small file loaded and before the large one: the small file
      // was in the open group.
      if run.killed, run.out.contains("month.jsonl: loaded"), !run.out.contains(layout.files[0] + ": loaded") {
        killedMidGroup = true
        break
      }
      try? FileManager.default.removeItem(atPath: db)  // not killed mid-group: start over
      _ = try TestSupport.runCLI(["ingest", Fixtures.month + "/usage/openai", "--db", db])
    }
    try #require(killedMidGroup, "the run was not killed while it loaded the second file")
    let store = try UsageStore(path: db)
    #expect(try store.recordCount() == 3)
    #expect(try store.files().count == 1)
    let integrity = try store.db.prepare("PRAGMA integrity_check")
    #expect(try integrity.step())
    #expect(integrity.text(0) == "ok")
    // The next run loads both.
    let again = try Ingestor(store: store, progress: ProgressReporter(force: false)).ingest(paths: [
      Self.files[0].0, layout.files[0],
    ])
    #expect(again.map(\.newRecords) == [7, 200_000])
  }
}
