import ChargebackModel
import ChargebackStore
import Dispatch
import Foundation
import PostgresNIO

/// Loading one file (docs/postgres.md §4): one transaction; the file's lock; COPY of its records
/// and spans into temporary tables while it is parsed (in parallel with other processes); then,
/// under the store's writer lock, one merge that gives the rows SQLite would give, ids included.
extension PostgresStore {
  /// The usage columns a file brings (all but `id` and `file_id`), in COPY order.
  static let usageColumns = [
    "key_hash", "natural_key", "provider", "line", "json_path", "ts", "bucket_end", "request_id", "credential",
    "project", "model", "tier", "context_window", "input", "cached_input", "cache_write_5m", "cache_write_1h",
    "output", "web_search", "requests", "failed", "error_code", "agent_id", "task_id", "scope_id", "parent_id",
    "credential_provider", "trace_id", "span_id", "prompt_hash", "retries", "billed_pico", "line_item", "agent_path",
    "credential_alias", "provisioned",
  ]
  static let spanColumns = [
    "trace_hash", "span_hash", "trace_id", "span_id", "parent_span_id", "model_call", "invoked_agent", "agent_id",
    "task_id", "conversation_id", "scope_id", "credential", "res_agent_id", "res_task_id", "res_conversation_id",
    "res_scope_id", "res_credential",
  ]
  /// The columns that make a record's content (``UsageRecord/sameContent(as:)``).
  static let contentColumns = [
    "natural_key", "ts", "model", "tier", "context_window", "input", "cached_input", "cache_write_5m",
    "cache_write_1h", "output", "web_search", "requests", "failed", "billed_pico",
  ]

  package func load(
    _ file: NewFile, stream: (any UsageSink) throws -> Void, merged: (LoadedFile) throws -> Void
  ) throws -> FileLoad {
    try transaction("BEGIN") {
      try fileLock(file.sha256)
      if let known = try self.file(sha256: file.sha256) { return .known(known) }
      try c.execute(
        "CREATE TEMP TABLE chargeback_stage ON COMMIT DROP AS SELECT 0::bigint AS seq, * FROM usage WITH NO DATA")
      try c.execute(
        "CREATE TEMP TABLE chargeback_spans ON COMMIT DROP AS SELECT 0::bigint AS seq, * FROM trace_spans WITH NO DATA")
      let sink = try stage(stream)
      try c.execute("ANALYZE chargeback_stage")
      try writerLock()
      // Another process may have loaded the same bytes while this one staged them.
      if let known = try self.file(sha256: file.sha256) { return .known(known) }
      let loaded = try merge(file, sink)
      try merged(loaded)
      try c.execute(
        "UPDATE files SET records = $1, new_records = $2 WHERE id = $3",
        [.int(loaded.offered), .int(loaded.inserted), .int(loaded.fileID)])
      return .loaded(loaded)
    }
  }

  /// Runs `stream` into a sink whose rows go to the server by COPY as they come, 1 MiB at a time.
  private func stage(_ stream: (any UsageSink) throws -> Void) throws -> PGCopySink {
    let channel = CopyChannel()
    let conn = c.connection
    let log = c.logger
    let columns = ["seq"] + Self.usageColumns
    let done = DispatchSemaphore(value: 0)
    let outcome = CopyOutcome()
    Task(executorPreference: BridgeExecutor.shared) {
      do {
        try await conn.copyFrom(table: "chargeback_stage", columns: columns, logger: log) { writer in
          for try await buffer in channel.stream {
            try await writer.write(buffer)
            channel.slots.signal()
          }
        }
      } catch {
        outcome.error = error
      }
      channel.end()
      done.signal()
    }
    let sink = PGCopySink(channel: channel)
    do {
      try stream(sink)
      try sink.flush()
      channel.continuation.finish()
    } catch {
      channel.continuation.finish(throwing: error)
      done.wait()
      if error is CopyChannel.Ended, let copyError = outcome.error {
        throw PGConnection.failure(copyError, shown: c.shown)
      }
      throw error
    }
    done.wait()
    if let copyError = outcome.error { throw PGConnection.failure(copyError, shown: c.shown) }
    if !sink.spans.isEmpty {
      let spans = sink.spans
      do {
        try PGConnection.blocking {
          try await conn.copyFrom(table: "chargeback_spans", columns: ["seq"] + Self.spanColumns, logger: log) { w in
            for b in spans { try await w.write(b) }
          }
        }
      } catch {
        throw PGConnection.failure(error, shown: c.shown)
      }
    }
    return sink
  }

  /// The merge, under the writer lock: the file's row, its new records with SQLite's ids, the
  /// conflicting duplicates, its spans.
  private func merge(_ file: NewFile, _ sink: PGCopySink) throws -> LoadedFile {
    guard
      let fileID = try c.scalarInt(
        """
        INSERT INTO files (id, sha256, path, format, level, bytes, records, new_records)
        SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, 0, 0 FROM files RETURNING id
        """,
        [.text(file.sha256), .text(file.path), .text(file.format), .text(file.level.rawValue), .int(file.bytes)])
    else { throw PostgresStoreError(store: c.shown, message: "the file's row vanished", sqlState: nil, exitStatus: 70) }
    // The first of each key in the file whose key is not stored; ids max + 1, … in file order.
    try c.execute(
      """
      CREATE TEMP TABLE chargeback_new ON COMMIT DROP AS
      SELECT f.seq, (SELECT coalesce(max(id), 0) FROM usage) + row_number() OVER (ORDER BY f.seq) AS id
      FROM (SELECT DISTINCT ON (key_hash) seq, key_hash FROM chargeback_stage ORDER BY key_hash, seq) f
      WHERE NOT EXISTS (SELECT 1 FROM usage u WHERE u.key_hash = f.key_hash)
      """)
    let expected = try c.scalarInt("SELECT count(*) FROM chargeback_new") ?? 0
    let columns = Self.usageColumns.joined(separator: ", ")
    let counted = try c.rows(
      """
      WITH ins AS (
        INSERT INTO usage (id, file_id, \(columns))
        SELECT n.id, $1, \(Self.usageColumns.map { "s." + $0 }.joined(separator: ", "))
        FROM chargeback_new n JOIN chargeback_stage s USING (seq) ORDER BY s.key_hash
        ON CONFLICT (key_hash) DO NOTHING RETURNING ts)
      SELECT count(*), string_agg(DISTINCT to_char(to_timestamp(ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM'), ',')
      FROM ins
      """, [.int(fileID)])
    let inserted = counted.first?.int64(0) ?? 0
    let newMonths = Set((counted.first?.text(1) ?? "").split(separator: ",").compactMap { Period(String($0)) })
    guard inserted == expected else {
      throw PostgresStoreError(
        store: c.shown, message: "\(expected - inserted) new records met a stored key under the writer lock",
        sqlState: nil, exitStatus: ExitStatus.software)
    }
    // Every staged record became a new row: none is a duplicate, so none can conflict (this skips a
    // join of the whole file with `usage`, a tenth of a new file's load).
    let conflicts = inserted < sink.offered ? try recordConflicts(fileID: fileID) : 0
    let spanColumns = Self.spanColumns.joined(separator: ", ")
    try c.execute(
      """
      INSERT INTO trace_spans (\(spanColumns), file_id)
      SELECT DISTINCT ON (trace_hash, span_hash) \(spanColumns), $1 FROM chargeback_spans
      ORDER BY trace_hash, span_hash, seq
      ON CONFLICT (trace_hash, span_hash) DO NOTHING
      """, [.int(fileID)])
    return LoadedFile(
      fileID: fileID, offered: sink.offered, inserted: inserted, conflicts: conflicts,
      touchedTraces: sink.touchedTraces,
      newMonths: newMonths)
  }

  /// Every staged record that did not become a row and whose content differs from the stored copy
  /// of its key (the file's own first copy, or one stored before), in file order; each counted,
  /// and kept once per key and refused content, as `UsageWriter.compareWithStored` does.
  private func recordConflicts(fileID: Int64) throws -> Int64 {
    let content = Self.contentColumns.dropFirst()
    let rows = try c.rows(
      """
      SELECT s.key_hash, s.line, s.json_path, u.id, \(Self.contentColumns.map { "s." + $0 }.joined(separator: ", ")),
        \(Self.contentColumns.map { "u." + $0 }.joined(separator: ", "))
      FROM chargeback_stage s JOIN usage u ON u.key_hash = s.key_hash
      LEFT JOIN chargeback_new n ON n.seq = s.seq
      WHERE n.seq IS NULL
        AND (\(content.map { "s." + $0 }.joined(separator: ", ")))
          IS DISTINCT FROM (\(content.map { "u." + $0 }.joined(separator: ", ")))
      ORDER BY s.seq
      """)
    var count: Int64 = 0
    for r in rows {
      let offered = Self.contentRecord(r, at: 4)
      let stored = Self.contentRecord(r, at: 4 + Self.contentColumns.count)
      guard stored.naturalKey == offered.naturalKey, !stored.sameContent(as: offered) else { continue }
      let differences = zip(stored.contentFields, offered.contentFields).compactMap { a, b in
        a.value == b.value ? nil : DuplicateConflict.Difference(field: a.field, kept: a.value, other: b.value)
      }
      guard !differences.isEmpty else { continue }
      let text = ConflictText.encode(differences)
      try c.execute(
        """
        INSERT INTO conflicts (id, key_hash, natural_key, kept_id, file_id, line, json_path, differences, differences_hash)
        SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8 FROM conflicts
        ON CONFLICT (key_hash, differences_hash) DO NOTHING
        """,
        [
          // key_hash (bytes) and line (an int) go back as read; json_path is decoded text, since
          // the bindings apply the U+0000/U+0001 escape (``PGText``) again.
          r.values[0], .text(offered.naturalKey), .int(r.int64(3)), .int(fileID), r.values[1],
          r.text(2).map(PGValue.text) ?? .null, .text(text), Self.hash(text),
        ])
      count += 1
    }
    return count
  }

  /// The content fields of a record from the columns ``contentColumns`` starting at `i`.
  static func contentRecord(_ r: PGRow, at i: Int) -> UsageRecord {
    var record = UsageRecord(
      provider: .openai, level: .request, format: "", naturalKey: r.text(i) ?? "", time: r.int64(i + 1),
      model: r.text(i + 2) ?? "", tier: Tier(rawValue: r.text(i + 3) ?? "") ?? .standard,
      contextWindow: r.text(i + 4),
      tokens: TokenCounts(
        input: r.int64(i + 5), cachedInput: r.int64(i + 6), cacheWrite5m: r.int64(i + 7),
        cacheWrite1h: r.int64(i + 8), output: r.int64(i + 9), webSearch: r.int64(i + 10)),
      requests: r.int64(i + 11), failed: r.int64(i + 12) != 0)
    record.billed = r.optionalInt64(i + 13).map { Money(pico: Int128($0)) }
    return record
  }
}

/// The result of the COPY task, read by the waiting thread after the task signalled.
private final class CopyOutcome: @unchecked Sendable {
  var error: (any Error)?
}

/// Buffers from the parsing thread to the task running COPY: at most 4 in flight, so memory stays
/// bounded while parsing, encoding and the server's COPY overlap.
final class CopyChannel: @unchecked Sendable {
  struct Ended: Error {}
  let stream: AsyncThrowingStream<ByteBuffer, any Error>
  let continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
  let slots = DispatchSemaphore(value: 4)
  private let lock = NSLock()
  private var ended = false

  init() { (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self) }

  func end() { lock.withLock { ended = true } }
  var isEnded: Bool { lock.withLock { ended } }

  /// Hands one buffer to the COPY, waiting while 4 are in flight; throws ``Ended`` when the COPY stopped.
  func send(_ buffer: ByteBuffer) throws {
    while slots.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
      if isEnded { throw Ended() }
    }
    if isEnded { throw Ended() }
    continuation.yield(buffer)
  }
}
