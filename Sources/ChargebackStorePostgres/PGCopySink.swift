import ChargebackModel
import ChargebackStore
import PostgresNIO

/// Encodes one file's records and spans in COPY's text format.
///
/// (docs/postgres.md §4): fields split by
/// a tab, rows ended by a newline, null as `\N`; text through ``PGText`` with backslash, tab,
/// newline and carriage return escaped; `bytea` as `\\x` and hex. Records go to the COPY 1 MiB at a
/// time; spans are kept until the records' COPY has ended (one COPY at a time on a connection).
final class PGCopySink: UsageSink {
  private let channel: CopyChannel
  private let allocator = ByteBufferAllocator()
  private var buffer: ByteBuffer
  private var spanBuffer: ByteBuffer
  /// Encoded spans, in order.
  private(set) var spans: [ByteBuffer] = []
  private var seq: Int64 = 0
  private(set) var offered: Int64 = 0
  private(set) var touchedTraces = Set<String>()
  private static let limit = 1 << 20

  init(channel: CopyChannel) {
    self.channel = channel
    buffer = allocator.buffer(capacity: Self.limit + 4096)
    spanBuffer = allocator.buffer(capacity: 0)
  }

  func insert(_ r: UsageRecord, keys: RecordKeys) throws {
    seq += 1
    offered += 1
    Self.int(&buffer, seq)
    Self.bytes(&buffer, keys.keyHash)
    Self.text(&buffer, r.naturalKey)
    Self.text(&buffer, r.provider.rawValue)
    Self.int(&buffer, r.line.map(Int64.init))
    Self.text(&buffer, r.jsonPath)
    Self.int(&buffer, r.time)
    Self.int(&buffer, r.bucketEnd)
    Self.text(&buffer, r.requestID)
    Self.text(&buffer, r.credential)
    Self.text(&buffer, r.project)
    Self.text(&buffer, r.model)
    Self.text(&buffer, r.tier.rawValue)
    Self.text(&buffer, r.contextWindow)
    Self.int(&buffer, r.tokens.input)
    Self.int(&buffer, r.tokens.cachedInput)
    Self.int(&buffer, r.tokens.cacheWrite5m)
    Self.int(&buffer, r.tokens.cacheWrite1h)
    Self.int(&buffer, r.tokens.output)
    Self.int(&buffer, r.tokens.webSearch)
    Self.int(&buffer, r.requests)
    Self.int(&buffer, r.failed ? 1 : 0)
    Self.text(&buffer, r.errorCode)
    Self.text(&buffer, r.metadata.agentID)
    Self.text(&buffer, r.metadata.taskID)
    Self.text(&buffer, r.metadata.scopeID)
    Self.text(&buffer, r.metadata.parentID)
    Self.text(&buffer, r.credentialProvider)
    Self.text(&buffer, r.traceID)
    Self.text(&buffer, r.spanID)
    Self.text(&buffer, r.promptHash)
    Self.int(&buffer, r.retries)
    // Ingest keeps billed within ±Bounds.money (9 × 10^18 pico-USD), which a bigint holds.
    Self.int(&buffer, r.billed.map { Int64(clamping: $0.pico) })
    Self.text(&buffer, r.lineItem)
    Self.text(&buffer, r.agentPath)
    Self.text(&buffer, r.credentialAlias)
    Self.int(&buffer, r.provisioned ? 1 : nil, last: true)
    if buffer.readableBytes >= Self.limit {
      try channel.send(buffer)
      buffer = allocator.buffer(capacity: Self.limit + 4096)
    }
  }

  func insert(_ span: TraceSpan) throws {
    seq += 1
    Self.int(&spanBuffer, seq)
    Self.bytes(&spanBuffer, KeyHash.of(span.traceID))
    Self.bytes(&spanBuffer, KeyHash.of(span.spanID))
    Self.text(&spanBuffer, span.traceID)
    Self.text(&spanBuffer, span.spanID)
    Self.text(&spanBuffer, span.parentSpanID)
    Self.int(&spanBuffer, span.isModelCall ? 1 : 0)
    Self.text(&spanBuffer, span.invokedAgent)
    for (k, c) in [span.own, span.resource].enumerated() {
      Self.text(&spanBuffer, c.agentID)
      Self.text(&spanBuffer, c.taskID)
      Self.text(&spanBuffer, c.conversationID)
      Self.text(&spanBuffer, c.scopeID)
      Self.text(&spanBuffer, c.credential, last: k == 1)
    }
    touchedTraces.insert(span.traceID)
    if spanBuffer.readableBytes >= Self.limit {
      spans.append(spanBuffer)
      spanBuffer = allocator.buffer(capacity: 0)
    }
  }

  /// Sends what is left.
  func flush() throws {
    if buffer.readableBytes > 0 { try channel.send(buffer) }
    buffer = allocator.buffer(capacity: 0)
    if spanBuffer.readableBytes > 0 { spans.append(spanBuffer) }
    spanBuffer = allocator.buffer(capacity: 0)
  }

  private static func end(_ b: inout ByteBuffer, _ last: Bool) {
    b.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t"))
  }

  static func int(_ b: inout ByteBuffer, _ v: Int64?, last: Bool = false) {
    if let v { b.writeString(String(v)) } else { b.writeStaticString("\\N") }
    end(&b, last)
  }

  static func text(_ b: inout ByteBuffer, _ s: String?, last: Bool = false) {
    guard let s else {
      b.writeStaticString("\\N")
      end(&b, last)
      return
    }
    let plain = !s.utf8.contains { $0 <= 13 || $0 == UInt8(ascii: "\\") }
    if plain {
      b.writeString(s)
    } else {
      for byte in s.utf8 {
        switch byte {
        case 0: b.writeBytes([1, 1])
        case 1: b.writeBytes([1, 2])
        case UInt8(ascii: "\\"): b.writeStaticString("\\\\")
        case UInt8(ascii: "\t"): b.writeStaticString("\\t")
        case UInt8(ascii: "\n"): b.writeStaticString("\\n")
        case UInt8(ascii: "\r"): b.writeStaticString("\\r")
        default: b.writeInteger(byte)
        }
      }
    }
    end(&b, last)
  }

  private static let hex = Array("0123456789abcdef".utf8)

  static func bytes(_ b: inout ByteBuffer, _ v: [UInt8], last: Bool = false) {
    b.writeStaticString("\\\\x")
    for byte in v {
      b.writeInteger(hex[Int(byte >> 4)])
      b.writeInteger(hex[Int(byte & 15)])
    }
    end(&b, last)
  }
}
