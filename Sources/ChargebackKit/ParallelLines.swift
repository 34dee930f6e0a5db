import ChargebackIngest
import ChargebackModel
import Foundation

/// Parses a file of one record per line (``LineRecordFormat``) on several threads and hands its
/// records on in the file's order, chunk by chunk (``LineChunks``).
///
/// Why: one thread parsing a large file set the pace of its whole load. On the 1 M friendly bench
/// month (four files of 217 MB), the parsing thread was busy all the time and the inserting one
/// two thirds of it: 1.47 cores of two in use (perf, samples per thread).
///
/// What comes out is what ``ParsedItem/read(_:as:_:)`` gives, in the same order: the same records
/// with the same line numbers, each checked against ``RecordBounds``, and the first error in the
/// file's order (a chunk's records before its error are handed on first, as the serial reading
/// hands on the records before a bad line). Bounded: at most ``window`` chunks are read ahead of
/// the one being handed on, so memory does not grow with the file. The records die on the parsing
/// threads (the consumer hands back what it has used), as ``BatchPipe``'s do.
final class ParallelLines: @unchecked Sendable {
  private let input: InputFile
  private let format: any LineRecordFormat
  private let layout: LineLayout
  private let workers: Int
  private let chunks: LineChunks
  private let maxLine: Int
  /// Chunks read at most ahead of the one the consumer is waiting for.
  let window: Int

  private let condition = NSCondition()
  /// Chunks the parsing threads have set out to read (the read-ahead bound counts them).
  private var reserved = 0
  /// No more chunks are read (the end of the file, a failure, or the consumer gave up).
  private var doneReading = false
  /// The number of chunks, once the end of the file was reached.
  private var chunkCount: Int?
  /// Parsed chunks not yet handed on, by number.
  private var parsed: [Int: Parsed] = [:]
  /// The chunk the consumer waits for.
  private var wanted = 0
  private var running = 0
  /// Arrays the consumer is done with, emptied (their records released) by the parsing threads.
  private var spent: [[ParsedItem]] = []

  /// Held while a chunk is read: ``nextChunk``, ``readerStopped`` and `chunks` are its.
  private let reading = NSLock()
  /// The next chunk's number, to the thread that reads it.
  private var nextChunk = 0
  /// The reader reached the end of the file or failed: nothing more is read.
  private var readerStopped = false

  private struct Parsed {
    var items: [ParsedItem]
    var failure: (any Error)?
  }

  /// Reads `input`, whose layout is `layout`, in chunks of `chunkBytes` on `workers` threads.
  ///
  /// With chunks of at least ``InputFile/chunkSize`` (the default), the file is read as the serial
  /// reading reads it, a read of that size at a time, so a damaged gzip member is met after the
  /// same lines. Smaller chunks (tests) read less at a time: a fault may then be met after lines
  /// the serial reading does not parse.
  init(
    _ input: InputFile, format: any LineRecordFormat, layout: LineLayout, workers: Int,
    chunkBytes: Int = InputFile.chunkSize, maxLine: Int = InputFile.maxLine
  ) throws {
    self.input = input
    self.format = format
    self.layout = layout
    self.workers = max(workers, 1)
    self.window = self.workers + 2
    self.maxLine = maxLine
    chunks = try LineChunks(input, chunkBytes: chunkBytes, maxLine: maxLine)
  }

  /// Threads parsing a large file's lines: one per core, at most four (a third thread inserts).
  static var threads: Int { min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4) }

  /// Hands each chunk's records to `body` on this thread, in the file's order.
  ///
  /// Throws the first error in that order, once the records before it were handed on. The parsing
  /// threads have stopped when it returns or throws.
  func drain(_ body: (inout [ParsedItem]) throws -> Void) throws {
    condition.lock()
    running = workers
    condition.unlock()
    for _ in 0..<workers {
      let thread = Thread { [self] in parse() }
      thread.stackSize = 8 << 20
      thread.start()
    }
    do {
      while var next = try take() {
        try body(&next)
        giveBack(consume next)
      }
      stop()
    } catch {
      stop()
      throw error
    }
  }

  /// Hands `items` back, held once (moved, not copied), so that a parsing thread empties them in
  /// place and the records die there.
  private func giveBack(_ items: consuming [ParsedItem]) {
    condition.lock()
    spent.append(items)
    condition.unlock()
  }

  /// The failure of the chunk last taken, thrown at the next ``take()``.
  private var pendingFailure: (any Error)?

  /// The next chunk's records; nil after the last.
  ///
  /// Throws a chunk's failure after its records were taken.
  private func take() throws -> [ParsedItem]? {
    if let failure = pendingFailure { throw failure }
    condition.lock()
    defer { condition.unlock() }
    while parsed[wanted] == nil, chunkCount.map({ wanted < $0 }) ?? true { condition.wait() }
    guard let chunk = parsed.removeValue(forKey: wanted) else { return nil }
    wanted += 1
    condition.broadcast()
    pendingFailure = chunk.failure
    if chunk.items.isEmpty, let failure = chunk.failure { throw failure }
    return chunk.items
  }

  /// Stops the parsing threads and waits for them.
  private func stop() {
    condition.lock()
    doneReading = true
    condition.broadcast()
    while running > 0 { condition.wait() }
    parsed.removeAll()
    condition.unlock()
  }

  /// One parsing thread: takes the next chunk, parses it, hands it on; until the end or a stop.
  private func parse() {
    var repeats = RepeatedStrings()
    var reuse: [ParsedItem] = []
    while true {
      condition.lock()
      while !doneReading, reserved >= wanted + window { condition.wait() }
      if doneReading {
        running -= 1
        condition.broadcast()
        condition.unlock()
        return
      }
      reserved += 1
      var handedBack: [[ParsedItem]] = []
      swap(&handedBack, &spent)
      condition.unlock()
      // Their records die here, outside the locks.
      for i in handedBack.indices { handedBack[i].removeAll(keepingCapacity: true) }
      if reuse.capacity == 0, let recycled = handedBack.popLast() { reuse = recycled }
      // One thread reads at a time, under a lock of its own: the inserting thread, which takes
      // chunks under `condition`, is not held up while a chunk is read (and decompressed).
      reading.lock()
      let number = nextChunk
      nextChunk += 1
      let read: Result<LineChunks.Chunk?, any Error> = readerStopped ? .success(nil) : Result { try chunks.next() }
      switch read {
      case .success(.some): break
      case .success(.none), .failure: readerStopped = true
      }
      reading.unlock()
      condition.lock()
      switch read {
      case .success(nil):
        doneReading = true
        chunkCount = min(chunkCount ?? number, number)
      case .failure(let error):
        doneReading = true
        chunkCount = min(chunkCount ?? number + 1, number + 1)
        parsed[number] = Parsed(items: [], failure: error)
      case .success:
        break
      }
      condition.broadcast()
      condition.unlock()
      guard case .success(let chunk?) = read else { continue }
      var items = reuse
      reuse = []
      var failure: (any Error)?
      do {
        try chunk.bytes.withUnsafeBufferPointer { bytes in
          try LineChunks.forEachLine(in: bytes, firstLine: chunk.firstLine, path: input.path, maxLine: maxLine) {
            line, text in
            let record = try format.record(layout.record(in: text), file: input.path, line: line, repeats: &repeats)
            items.append(try ParsedItem.checked(.record(record), file: input.path))
          }
        }
      } catch {
        failure = error
      }
      condition.lock()
      parsed[number] = Parsed(items: items, failure: failure)
      // Nothing after a bad line is handed on: no more chunks are read.
      if failure != nil { doneReading = true }
      condition.broadcast()
      condition.unlock()
    }
  }
}
