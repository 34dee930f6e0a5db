import ChargebackModel
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The FOCUS class charges of a report (``ClassChargeSource``), kept as sorted runs of bytes: the
/// report pass numbers its groups and accounts here (``addGroup(provider:credentialID:model:tier:costCentre:agentID:commitmentID:)``,
/// ``addAccount(_:)``), sums its groups' days in memory up to a limit and hands them here as a run
/// (``append(group:account:day:tokenClass:price:row:units:cost:listCost:)``, then ``endRun()``, or
/// ``finish(credentialNames:)`` for the last); unless one run holds them all they go to disk and
/// ``finish(credentialNames:)`` merges them into one file, a charge whose group came back after
/// its run was written summed across the runs.
///
/// Why: with a large directory the charges outnumber the calls (a month of 20,000 credentials and a
/// million calls: 4.8 million rows of `focus.csv`), and a list of them in memory, beside the groups
/// it was made of, was the report's peak (1.5 GB). Here memory holds one run of at most the
/// report's limit of groups (about 40 MB), and the charges are read back as a stream, in order,
/// as often as a writer needs (each read has its own buffer and reads with `pread`).
///
/// Each charge is a key whose bytes sort as the charges do (``ClassChargeKeys``), then its rate,
/// units, cost and list cost as variable-length integers. Written by hand for the reason
/// ``TaskLedger`` is: no library here sorts and merges runs of records on disk, and SQLite's
/// integers are 64-bit where these sums are `Int128`.
///
/// Built on one thread; after ``finish(credentialNames:)`` read only, from any thread.
package final class ClassChargeLedger: ClassChargeSource, @unchecked Sendable {
  /// The most FOCUS groups a report pass holds in memory before they go to a run.
  package static let defaultGroupLimit = 1 << 16

  /// The folder the files are made in.
  package let directory: String
  /// The run being made: each charge's record, one after the other, and where each starts and
  /// where its key ends.
  private var pending = Run()
  /// The groups' and accounts' key bytes, by number.
  private var keys = ClassChargeKeys()
  /// The providers of the groups, by number.
  private var groupProviders: [Provider] = []
  /// The runs written, ranges of ``spillFile``.
  private var runs: [Range<Int>] = []
  private var spillFile: SpillFile?
  /// The charges, once finished.
  private var stored: Stored?
  private var names: [String: String] = [:]
  private var providers: Set<Provider> = []
  private var lastProvider: Provider?
  private var count = 0

  private enum Stored {
    case memory([UInt8])
    case file(SpillFile, Range<Int>)
  }

  /// The most runs merged at once: each is read through a buffer of 64 KiB.
  package static let mergeWidth = 64

  /// A ledger whose files are made in `directory` (default: `$TMPDIR`, else `/tmp`).
  package init(directory: String? = nil) {
    self.directory = SpillFile.folder(directory)
  }

  /// How many runs went to disk (0: the charges stayed in memory).
  package private(set) var spilledRuns = 0

  package var chargeCount: Int { count }

  package var chargeProviders: Set<Provider> { providers }

  /// Numbers a FOCUS group without its day and account: 0, 1, 2… in the order they are added.
  ///
  /// For ``append(group:account:day:tokenClass:price:row:units:cost:listCost:)``. A group added
  /// twice has two numbers, whose charges are one.
  package func addGroup(
    provider: Provider, credentialID: String?, model: String, tier: Tier, costCentre: String, agentID: String?,
    commitmentID: String?
  ) -> Int32 {
    groupProviders.append(provider)
    return keys.addGroup(
      provider: provider, credentialID: credentialID, model: model, tier: tier, costCentre: costCentre,
      agentID: agentID, commitmentID: commitmentID)
  }

  /// Numbers an account, as ``addGroup(provider:credentialID:model:tier:costCentre:agentID:commitmentID:)``
  /// numbers groups.
  package func addAccount(_ account: String?) -> Int32 { keys.addAccount(account) }

  /// Adds a charge of group number `group` and account number `account` on `day` (days since the
  /// epoch, UTC) to the run being made; a group's day, account, token class and price row at most
  /// once a run.
  package func append(
    group: Int32, account: Int32, day: Int64, tokenClass: TokenClass, price: AppliedPrice, row: Int, units: Int128,
    cost: Money, listCost: Money
  ) {
    precondition(stored == nil, "a finished ledger is read only")
    pending.starts.append(pending.bytes.count)
    keys.append(
      day: day, group: group, account: account, tokenClass: tokenClass, price: price, row: row, to: &pending.bytes)
    pending.keyEnds.append(pending.bytes.count)
    SpillWriter.put(Int128(price.rate.microPerMillion), into: &pending.bytes)
    SpillWriter.put(units, into: &pending.bytes)
    SpillWriter.put(cost.pico, into: &pending.bytes)
    SpillWriter.put(listCost.pico, into: &pending.bytes)
    let provider = groupProviders[Int(group)]
    if provider != lastProvider {  // most groups are of the provider before
      providers.insert(provider)
      lastProvider = provider
    }
  }

  /// Ends the run being made at the report's limit: sorts it and writes it to disk.
  ///
  /// (Sorted and written on a thread of its own while the next run was summed, the 1 M `directory`
  /// `report` was 2–3 % faster, within noise, and its peak 50–70 MB higher, two runs in memory:
  /// the 10 M month's came to 981 MiB, too near the 1 GiB bound.)
  package func endRun() throws {
    guard !pending.starts.isEmpty else { return }
    let file = try spillFile ?? SpillFile(directory: directory, name: "focus", holding: "the FOCUS rows")
    spillFile = file
    let start = file.bytes
    var out = SpillWriter(file)
    try Self.writeSorted(pending, into: &out)
    try out.flush()
    runs.append(start..<file.bytes)
    spilledRuns += 1
    // The room is kept for the next run (it grows to the same size again).
    pending.clear()
  }

  /// Ends the building with the last run.
  ///
  /// The last run is kept in memory when it is the only one (a month whose groups fit in one run
  /// never touches the disk), else written and merged with the others. `credentialNames` are the credentials' descriptions, by id, for the charges' `credentialName`.
  package func finish(credentialNames: [String: String]) throws {
    precondition(stored == nil, "finished twice")
    names = credentialNames
    if spillFile == nil {
      var out = SpillWriter(nil)
      out.reserve(pending.bytes.count + 2 * pending.starts.count)
      try Self.writeSorted(pending, into: &out)
      // One run holds each charge once.
      count = pending.starts.count
      stored = .memory(out.bytes)
    } else {
      try endRun()
      stored = try merge()
    }
    (pending, keys, groupProviders) = (Run(), ClassChargeKeys(), [])
  }

  package func forEachCharge(_ body: (ClassCharge) throws -> Void) throws {
    var reader = storedReader()
    var record = ClassChargeRecord()
    var days: [Int64: String] = [:]
    var texts = ClassChargeRecord.LastTexts()
    while try record.read(&reader) {
      try body(record.charge(names: names, days: &days, texts: &texts))
    }
  }

  package func forEachChargeAmount(_ body: (ClassChargeAmount) throws -> Void) throws {
    var reader = storedReader()
    var record = ClassChargeRecord()
    var texts = ClassChargeRecord.LastTexts()
    while try record.read(&reader) { try body(record.amount(texts: &texts)) }
  }

  /// A reader of the finished charges.
  private func storedReader() -> SpillReader {
    switch stored {
    case .none: preconditionFailure("read before finish(credentialNames:)")
    case .memory(let bytes): SpillReader(memory: bytes)
    case .file(let file, let range): SpillReader(file: file, range: range)
    }
  }

  // MARK: Runs

  /// A run's records, one after the other, and where each starts and where its key ends.
  private struct Run {
    var bytes: [UInt8] = []
    var starts: [Int] = []
    var keyEnds: [Int] = []

    /// Forgets the records, keeping the room.
    mutating func clear() {
      bytes.removeAll(keepingCapacity: true)
      starts.removeAll(keepingCapacity: true)
      keyEnds.removeAll(keepingCapacity: true)
    }
  }

  /// Writes `run` into `out`, its records sorted by key, each as its key's length and bytes, then
  /// its values: straight to the file for a run that goes to disk (a sorted copy in memory beside
  /// the run was 140 MB of the `directory` month's peak).
  private static func writeSorted(_ run: Run, into out: inout SpillWriter) throws {
    let (bytes, starts, keyEnds) = (run.bytes, run.starts, run.keyEnds)
    var order = Array(starts.indices)
    try bytes.withUnsafeBufferPointer { b in
      order.sort { i, j in
        let x = UnsafeBufferPointer(rebasing: b[starts[i]..<keyEnds[i]])
        let y = UnsafeBufferPointer(rebasing: b[starts[j]..<keyEnds[j]])
        return TaskLedger.compare(x, y) < 0
      }
      for i in order {
        let end = i + 1 < starts.count ? starts[i + 1] : b.count
        out.put(Int128(keyEnds[i] - starts[i]))
        out.append(UnsafeBufferPointer(rebasing: b[starts[i]..<end]))
        try out.flushIfFull()
      }
    }
  }

  /// Merges the runs into one, each key once (its values summed), at most ``mergeWidth`` runs at a
  /// time: each pass writes into a new file and frees the one before.
  private func merge() throws -> Stored {
    guard var from = spillFile else { preconditionFailure("merging without runs") }
    while runs.count > Self.mergeWidth {
      let into = try SpillFile(directory: directory, name: "focus", holding: "the FOCUS rows")
      var next: [Range<Int>] = []
      for start in stride(from: 0, to: runs.count, by: Self.mergeWidth) {
        let begin = into.bytes
        _ = try Self.merge(Array(runs[start..<min(start + Self.mergeWidth, runs.count)]), of: from, into: into)
        next.append(begin..<into.bytes)
      }
      (runs, from) = (next, into)
      spillFile = into
    }
    let into = try SpillFile(directory: directory, name: "focus", holding: "the FOCUS rows")
    count = try Self.merge(runs, of: from, into: into)
    spillFile = nil
    return .file(into, 0..<into.bytes)
  }

  /// Merges the runs `inputs` of `file` into the end of `out`; returns how many records it wrote.
  private static func merge(_ inputs: [Range<Int>], of file: SpillFile, into out: SpillFile) throws -> Int {
    var readers = inputs.map { SpillReader(file: file, range: $0) }
    var heads = Array(repeating: ClassChargeRecord(), count: readers.count)
    // The runs whose next record is read, as a binary heap on (key bytes, run).
    var started: [Int] = []
    for r in readers.indices where try heads[r].read(&readers[r]) { started.append(r) }
    func less(_ a: Int, _ b: Int) -> Bool {
      let c = TaskLedger.compare(heads[a].key, heads[b].key)
      return c != 0 ? c < 0 : a < b
    }
    var heap = RunHeap(started, less: less)
    var w = SpillWriter(out)
    var current: ClassChargeRecord?
    var written = 0
    while let top = heap.top {
      if current?.key == heads[top].key {
        current?.add(heads[top])
      } else {
        if let c = current {
          c.write(&w)
          written += 1
          try w.flushIfFull()
        }
        current = heads[top]
      }
      if try heads[top].read(&readers[top]) {
        heap.topMoved(less: less)
      } else {
        heap.removeTop(less: less)
      }
    }
    if let c = current {
      c.write(&w)
      written += 1
    }
    try w.flush()
    return written
  }
}
