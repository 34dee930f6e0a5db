import ChargebackIngest
import ChargebackModel
import ChargebackStore

/// One parsed record or span on its way from the parsing thread to the inserting one.
///
/// A class, so that the pipe moves one reference: its generic code is not specialised for the
/// record's type, and copying a record there retained and released each of its strings. The record
/// is a stored property of its own (not an `IngestItem` payload), so the inserting thread lends it
/// to the sink in place: matching the enum's payload copied it, a tenth of that thread's time
/// (perf, 1 M Bedrock calls).
final class ParsedItem: Sendable {
  /// Reads `input` as `format` into items, each record checked against ``RecordBounds``: how every
  /// file is parsed, streamed (``Ingestor/ingest(file:hashed:)``) or read ahead (``ReadAhead``).
  static func read(_ input: InputFile, as format: any ExportFormat, _ emit: (ParsedItem) throws -> Void) throws {
    // The item is handed over whole into its `ParsedItem`, then checked there: binding the
    // record out of the item to check it first copied it (a retain and a release of each string).
    try format.readItems(input) { item in try emit(checked(item, file: input.path)) }
  }

  /// `item` in its box, a record checked against ``RecordBounds`` (what every reading of a file
  /// hands on, ``read(_:as:_:)`` and ``ParallelLines``).
  static func checked(_ item: consuming IngestItem, file: String) throws -> ParsedItem {
    let parsed = ParsedItem(item)
    if parsed.keys != nil { try RecordBounds.check(parsed.record, file: file) }
    return parsed
  }

  /// The record; an empty one for a span.
  let record: UsageRecord
  /// The span, for a trace span.
  let span: TraceSpan?
  /// A record's ``RecordKeys``, worked out on the parsing thread; nil for a span.
  let keys: RecordKeys?

  /// The record of a span's item (never read).
  private static let noRecord = UsageRecord(
    provider: .openai, level: .request, format: "", naturalKey: "", time: 0, model: "", tokens: TokenCounts())

  /// Hands the record or span to `sink` in place.
  ///
  /// A method, so that the record is lent from `self`, which the call keeps alive: read from
  /// outside as `parsed.record`, it was copied first (a retain and a release of each of its
  /// strings, perf).
  func insert(into sink: any UsageSink) throws {
    if let keys {
      try sink.insert(record, keys: keys)
    } else if let span {
      try sink.insert(span)
    }
  }

  init(_ item: consuming IngestItem) {
    switch consume item {
    case .record(let r):
      keys = RecordKeys(of: r)
      (record, span) = (r, nil)
    case .span(let s):
      (record, span, keys) = (Self.noRecord, s, nil)
    }
  }
}
