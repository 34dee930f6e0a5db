extension ClassChargeLedger {
  /// A run of charges as it is made: each charge's record (its key's bytes, then its values), one
  /// after the other, and where each starts and where its key ends.
  ///
  /// Handed whole to the thread that sorts and writes it (``ClassChargeLedger/endRun()``), and
  /// back, emptied, for its room.
  struct Run: Sendable {
    var bytes = SpillWriter(nil)
    var starts: [Int] = []
    var keyEnds: [Int] = []
    /// Once ``write(to:)`` is done: where in the file the run went, or why it did not.
    private var outcome: Result<Range<Int>, any Error>?

    /// Sorts the run and writes it at the end of `file`, noting where (or the error).
    mutating func write(to file: SpillFile) {
      outcome = Result {
        let start = file.bytes
        var out = SpillWriter(file)
        try writeSorted(into: &out)
        try out.flush()
        return start..<file.bytes
      }
    }

    /// Where ``write(to:)`` put the run, or its error; the run is emptied, its room kept.
    mutating func emptied() throws -> Range<Int> {
      defer {
        bytes.clear()
        starts.removeAll(keepingCapacity: true)
        keyEnds.removeAll(keepingCapacity: true)
        outcome = nil
      }
      guard let outcome else { preconditionFailure("a run emptied before it was written") }
      return try outcome.get()
    }

    /// Writes the run into `out`, its records sorted by key, each as its key's length and bytes,
    /// then its values: straight to the file for a run that goes to disk (a sorted copy in memory
    /// beside the run was 140 MB of the `directory` month's peak).
    func writeSorted(into out: inout SpillWriter) throws {
      var order = Array(starts.indices)
      try bytes.bytes.withUnsafeBufferPointer { b in
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
  }
}
