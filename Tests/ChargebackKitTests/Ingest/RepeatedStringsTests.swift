import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackModel

/// The Bedrock reader's repeated strings (``RepeatedStrings``) and its timestamps read from their
/// bytes give the records the text-by-text reading gave.
@Suite struct RepeatedStringsTests {
  /// 600 values of 0 to 80 bytes (many sharing a slot of the 64), some alike but for one byte at
  /// the start, the middle or the end, some non-ASCII, drawn 30,000 times: every answer is the
  /// value's own text, and a value read twice in a row is the same string both times.
  @Test func everyValueComesBackAsItsOwnText() {
    var rng = SplitMix64(seed: 20_261_205)
    var values: [String] = []
    for i in 0..<600 {
      let length = Int(rng.next() % 81)
      var v = String((0..<length).map { _ in Character(UnicodeScalar(UInt8(97 + rng.next() % 26))) })
      switch i % 5 {
      case 1 where !values.isEmpty: v = "x" + values[values.count - 1].dropFirst()
      case 2 where !values.isEmpty: v = String(values[values.count - 1].dropLast()) + "é"
      case 3: v = "arn:aws:sts::123456789012:assumed-role/role-\(i)/session"
      default: break
      }
      values.append(v)
    }
    var repeats = RepeatedStrings()
    var previous: (Int, String)?
    for _ in 0..<30_000 {
      let k = Int(rng.next() % UInt64(values.count))
      var bytes = Array(values[k].utf8)
      let s = bytes.withUnsafeMutableBufferPointer { repeats.string(UnsafeBufferPointer($0)) }
      #expect(s == values[k])
      if let (p, last) = previous, p == k, values[k].utf8.count > 15 {
        // The same storage: no new string for a repeated value.
        #expect(
          s.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
            == last.utf8.withContiguousStorageIfAvailable { $0.baseAddress })
      }
      previous = (k, s)
    }
  }

  static func line(timestamp: String) -> String {
    #"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":\#(timestamp),"#
      + #""accountId":"111122223333","identity":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s"},"#
      + #""region":"us-east-1","requestId":"r-1","operation":"Converse","modelId":"anthropic.claude-3-5-haiku-20241022-v1:0","#
      + #""input":{"inputTokenCount":10},"output":{"outputTokenCount":1}}"#
  }

  static func parse(_ line: String) throws -> UsageRecord {
    var text = line
    return try text.withUTF8 { try BedrockInvocationLog().parse($0, file: "x.jsonl", line: 3) }
  }

  /// A timestamp as bytes, with an escape, with an offset; and the errors of one that is not a
  /// timestamp, or null, or missing, naming the file, the line, the field and the text as before.
  @Test func timestampsAreReadAsBefore() throws {
    let expected = Timestamp.parseMillis("2026-10-05T10:00:00.250Z")
    #expect(expected != nil)
    let record = try Self.parse(Self.line(timestamp: #""2026-10-05T10:00:00.250Z""#))
    #expect(record.time == expected)
    #expect(record.credential == "arn:aws:sts::111122223333:assumed-role/r/s")
    #expect(record.model == "anthropic.claude-3-5-haiku-20241022-v1:0")
    #expect(try Self.parse(Self.line(timestamp: #""2026-10-05T10:00:00.250\u005a""#)).time == expected)
    #expect(try Self.parse(Self.line(timestamp: #""2026-10-05T12:00:00.250+02:00""#)).time == expected)
    for (value, message) in [
      (#""yesterday""#, #""yesterday" is not an RFC 3339 timestamp"#),
      (#""2026-10-05T10:00:00\u002e250Q""#, #""2026-10-05T10:00:00.250Q" is not an RFC 3339 timestamp"#),
      (#""""#, #""" is not an RFC 3339 timestamp"#),
      (#""2026-10-05T10:00:00.250Zé""#, #""2026-10-05T10:00:00.250Zé" is not an RFC 3339 timestamp"#),
      ("null", "required field is missing"),
    ] {
      do {
        _ = try Self.parse(Self.line(timestamp: value))
        Issue.record("\(value) was read")
      } catch let error as InputError {
        #expect(error.file == "x.jsonl")
        #expect(error.line == 3)
        #expect(error.field == "timestamp")
        #expect(error.message == message)
      }
    }
  }

  /// Every form a timestamp may take gives the instant the text reader gives, read from its bytes
  /// or through its text: the two readers agree.
  @Test(arguments: [
    "2026-10-05T10:00:00Z", "2026-10-05t10:00:00z", "2026-10-05 10:00:00Z", "2026-10-05T10:00:00.123456789Z",
    "2026-10-05T10:00:00,5Z", "2026-10-05T10:00:00-07:30", "2026-10-05", "2026-10-05T10:00Z", " 2026-10-05T10:00:00Z",
    "2026-10-05T10:00:00Z ", "2026-02-30T10:00:00Z", "2026-10-05T24:00:00Z",
  ])
  func bothReadersAgree(text: String) throws {
    let json = "\"" + text + "\""
    let read: Int64?
    do {
      read = try Self.parse(Self.line(timestamp: json)).time
    } catch let error as InputError {
      #expect(error.message == "\"\(text)\" is not an RFC 3339 timestamp")
      read = nil
    }
    #expect(read == Timestamp.parseMillis(text))
  }
}
