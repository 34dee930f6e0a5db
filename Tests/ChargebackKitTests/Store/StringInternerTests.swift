import Foundation
import Testing

@testable import ChargebackStore
@testable import ChargebackTestSupport

/// The report pass's string interner: every value read back exactly, repeated short values shared.
@Suite struct StringInternerTests {
  /// Reads column 0 of `values` (in order) through one interner.
  func readBack(_ values: [String?]) throws -> [String?] {
    var interner = StringInterner()
    return try readBack(values, through: &interner)
  }

  /// Reads column 0 of `values` (in order) through `interner`.
  func readBack(_ values: [String?], through interner: inout StringInterner) throws -> [String?] {
    let db = try Database(path: try TestSupport.tempDir() + "/i.sqlite")
    try db.execute("CREATE TABLE t(n INTEGER PRIMARY KEY, v TEXT)")
    let insert = try db.prepare("INSERT INTO t(n, v) VALUES (?, ?)")
    try db.transaction {
      for (n, v) in values.enumerated() {
        try insert.bind(1, Int64(n))
        try insert.bind(2, v)
        try insert.run()
      }
    }
    let st = try db.prepare("SELECT v FROM t ORDER BY n")
    var out: [String?] = []
    while try st.step() { out.append(interner.text(st, 0)) }
    return out
  }

  /// The address of a string's UTF-8 storage: equal for one shared string.
  func storage(_ s: String?) -> UInt? {
    guard var s else { return nil }
    return s.withUTF8 { $0.baseAddress.map { UInt(bitPattern: $0) } }
  }

  @Test func everyValueComesBackExactly() throws {
    // 5,000 distinct values, each twice, with NULL, empty, non-ASCII (one character in two
    // spellings), and one longer than the interned length.
    var values: [String?] = [nil, "", "é", "e\u{301}", String(repeating: "x", count: StringInterner.maxLength + 1)]
    for n in 0..<5_000 { values.append("arn:aws:iam::123456789012:role/agent-\(n)") }
    values += values
    // Compared byte for byte: Swift's == would take "é" and "e" + U+0301 as equal.
    let bytes = { (list: [String?]) in list.map { $0.map { Array($0.utf8) } } }
    #expect(bytes(try readBack(values)) == bytes(values))
  }

  @Test func aRepeatedValueIsOneSharedString() throws {
    let long = "arn:aws:sts::123456789012:assumed-role/deal-desk-analyst/session-0001"
    let other = "arn:aws:sts::123456789012:assumed-role/deal-desk-analyst/session-0002"
    let out = try readBack([long, other, long, other, long])
    #expect(out == [long, other, long, other, long])
    // Longer than a small string's 15 bytes, so each distinct value has storage of its own. A value
    // is interned at its second reading: from then on it is one string.
    #expect(storage(out[2]) == storage(out[4]))
    #expect(storage(out[0]) != storage(out[2]))
    #expect(storage(out[2]) != storage(out[3]))
  }

  /// Values read once each (a session or ticket per call) are not kept: the interner does not grow
  /// with them, and values that repeat among them still are.
  @Test func valuesReadOnceAreNotKept() throws {
    let repeated = (0..<10).map { "arn:aws:iam::123456789012:role/agent-\($0)" }
    var values: [String] = []
    for n in 0..<20_000 {
      values.append("arn:aws:sts::123456789012:assumed-role/r/session-\(n)")
      values.append(repeated[n % repeated.count])
    }
    var interner = StringInterner()
    #expect(try readBack(values, through: &interner) == values)
    #expect(interner.internedCount == repeated.count)
  }
}
