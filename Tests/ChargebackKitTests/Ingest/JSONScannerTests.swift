import Testing

@testable import ChargebackIngest

/// Runs `body` over `bytes`, then requires that only whitespace is left.
func scan<T>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws -> T) throws -> T {
  try bytes.withUnsafeBufferPointer { b in
    var s = JSONScanner(b)
    let value = try body(&s)
    try s.end()
    return value
  }
}

func scan<T>(_ text: String, _ body: (inout JSONScanner) throws -> T) throws -> T {
  try scan(Array(text.utf8), body)
}

/// The scanner's failure for `text`, or nil when it scans cleanly (any other error is a test bug).
func failure(_ text: String, _ body: (inout JSONScanner) throws -> Void) -> JSONScanner.Failure? {
  failure(Array(text.utf8), body)
}

func failure(_ bytes: [UInt8], _ body: (inout JSONScanner) throws -> Void) -> JSONScanner.Failure? {
  do {
    try scan(bytes, body)
    return nil
  } catch let f as JSONScanner.Failure {
    return f
  } catch {
    Issue.record("unexpected error \(error)")
    return nil
  }
}

private func isMalformed(_ f: JSONScanner.Failure?) -> Bool {
  if case .malformed? = f?.kind { return true }
  return false
}

/// The message of a bad-text failure (invalid UTF-8, an unpaired surrogate), nil for any other outcome.
func badText(_ f: JSONScanner.Failure?) -> String? {
  if case .text(let message)? = f?.kind { return message }
  return nil
}

/// The message of an `invalid` failure, nil for any other outcome.
private func invalidMessage(_ f: JSONScanner.Failure?) -> String? {
  if case .invalid(let message)? = f?.kind { return message }
  return nil
}

/// The `expected` of a type failure, nil for any other outcome.
private func typeExpected(_ f: JSONScanner.Failure?) -> String? {
  if case .type(let expected)? = f?.kind { return expected }
  return nil
}

private func nullExpected(_ f: JSONScanner.Failure?) -> String? {
  if case .null(let expected)? = f?.kind { return expected }
  return nil
}

private func text(_ key: UnsafeBufferPointer<UInt8>) -> String { String(decoding: key, as: UTF8.self) }

@Suite struct JSONScannerTests {
  // MARK: Objects and arrays

  @Test func readsObjectMembersInOrder() throws {
    var keys: [String] = []
    var a: String?, b: Int64?, c: String? = "unset"
    try scan(#"{"a":"x","b":2,"c":null}"#) { s in
      try s.object { s, k in
        keys.append(text(k))
        if k.equals("a") { a = try s.string() }
        if k.equals("b") { b = try s.int64() }
        if k.equals("c") { c = try s.optionalString() }
      }
    }
    #expect(keys == ["a", "b", "c"])
    #expect(a == "x")
    #expect(b == 2)
    #expect(c == nil)
  }

  @Test func toleratesWhitespaceEverywhere() throws {
    var got: [String: Int64] = [:]
    try scan(" \t{ \"a\" :\n1 ,\r\n \"b\"\t:  -2 }  \r\n") { s in
      try s.object { s, k in got[text(k)] = try s.int64() }
    }
    #expect(got == ["a": 1, "b": -2])
  }

  @Test func emptyContainersCallNoBody() throws {
    var calls = 0
    try scan("{}") { s in try s.object { _, _ in calls += 1 } }
    try scan("{ \n }") { s in try s.object { _, _ in calls += 1 } }
    try scan("[]") { s in try s.array { _ in calls += 1 } }
    try scan("[ \t ]") { s in try s.array { _ in calls += 1 } }
    #expect(calls == 0)
  }

  @Test func keysAreHandedOverRawWithEscapesLeftAsWritten() throws {
    var keys: [String] = []
    try scan(#"{"a\"b":1,"\u0041":2}"#) { s in try s.object { _, k in keys.append(text(k)) } }
    #expect(keys == [#"a\"b"#, #"\u0041"#])
  }

  @Test func readsArrayElements() throws {
    var ints: [Int64] = []
    try scan("[1, 22 ,-333]") { s in try s.array { s in ints.append(try s.int64()) } }
    #expect(ints == [1, 22, -333])

    var strings: [String?] = []
    try scan(#"[ "a" , null,"b" ]"#) { s in try s.array { s in strings.append(try s.optionalString()) } }
    #expect(strings == ["a", nil, "b"])
  }

  @Test func readsNestedValues() throws {
    var first: Int64?, n: Int64?, tail: String?, deepFlags = 0
    try scan(#"{"outer":{"inner":[1,{"deep":[true,false,null]}],"n":-5},"tail":"t"}"#) { s in
      try s.object { s, k in
        if k.equals("outer") {
          try s.object { s, k in
            if k.equals("inner") {
              var index = 0
              try s.array { s in
                if index == 0 { first = try s.int64() }
                if index == 1 {
                  try s.object { s, k in
                    #expect(text(k) == "deep")
                    try s.array { s in
                      deepFlags += 1
                      try s.skipValue()
                    }
                  }
                }
                index += 1
              }
            } else if k.equals("n") {
              n = try s.int64()
            }
          }
        } else if k.equals("tail") {
          tail = try s.string()
        }
      }
    }
    #expect(first == 1)
    #expect(n == -5)
    #expect(tail == "t")
    #expect(deepFlags == 3)
  }

  @Test func skipsUnreadValuesOfEveryKind() throws {
    let doc = #"""
      {"s":"x\"y}","o":{"a":[1,2,{"b":null}],"c":"]"},"a":[[],{},[[]]],"t":true,"f":false,"n":null,
      "num":-1.5e+10,"e":2E-3,"z":0,"want":7,"after":{"x":[1]}}
      """#
    var want: Int64?
    var seen: [String] = []
    try scan(doc) { s in
      try s.object { s, k in
        seen.append(text(k))
        if k.equals("want") { want = try s.int64() }
      }
    }
    #expect(want == 7)
    #expect(seen == ["s", "o", "a", "t", "f", "n", "num", "e", "z", "want", "after"])
  }

  @Test func skipValueCoversAWholeDocument() throws {
    for doc in ["true", "false", "null", "0", "-12.5e-3", #""a\u00e9""#, "[1,[2,[3]]]", #"{"a":{"b":{}}}"#] {
      #expect(throws: Never.self, "\(doc)") { try scan(doc) { s in try s.skipValue() } }
    }
  }

  @Test func nestingIsLimitedTo127Levels() throws {
    let ok = String(repeating: "[", count: 127) + String(repeating: "]", count: 127)
    #expect(throws: Never.self) { try scan(ok) { s in try s.skipValue() } }

    let deep = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
    let f = failure(deep) { s in try s.skipValue() }
    #expect(isMalformed(f))
    #expect(f?.message == "nesting too deep")

    // Hostile input fails on the limit rather than exhausting the stack.
    let hostile = String(repeating: #"{"a":["#, count: 50_000)
    #expect(isMalformed(failure(hostile) { s in try s.skipValue() }))
  }

  @Test func nextPeeksWithoutConsuming() throws {
    try scan("  [1]") { s in
      #expect(s.next() == UInt8(ascii: "["))
      #expect(s.next() == UInt8(ascii: "["))
      try s.array { s in
        let v = try s.int64()
        #expect(v == 1)
      }
      #expect(s.next() == nil)
    }
  }

  /// A value the body only peeks at with `next()` is skipped like one the body leaves alone.
  ///
  /// The formats do this (`guard s.next() == "\"" else { return }`), and real exports put blanks
  /// before values (`json.dumps` writes `": "`, consoles pretty-print).
  @Test func valueLeftUnreadAfterPeekingIsSkipped() throws {
    let compact = failure(#"{"a":1,"b":"x"}"#) { s in try s.object { s, _ in _ = s.next() } }
    #expect(compact == nil)
    try scan(#"{"a": 1, "b": "x"}"#) { s in try s.object { s, _ in _ = s.next() } }
    try scan("[1, 2]") { s in try s.array { s in _ = s.next() } }
    try scan("{\n  \"a\" :\t{\"b\": [1, 2]},\n  \"c\": null\n}") { s in try s.object { s, _ in _ = s.next() } }
  }

  // MARK: Strings

  @Test func decodesSimpleEscapes() throws {
    let s = try scan(#""q\"b\\s\/b\bf\fn\nr\rt\t""#) { s in try s.string() }
    #expect(s == "q\"b\\s/b\u{08}f\u{0C}n\nr\rt\t")
  }

  @Test(arguments: [
    (#""\u0041""#, "A"),
    (#""\u00e9\u00E9""#, "éé"),
    (#""\u20AC1""#, "€1"),
    (#""x\u0000y""#, "x\u{0}y"),
    (#""\uD83D\uDE00""#, "😀"),
    (#""\ud83d\ude00!""#, "😀!"),
    (#""a\uD834\uDD1Eb""#, "a𝄞b"),
  ])
  func decodesUnicodeEscapes(json: String, expected: String) throws {
    #expect(try scan(json) { s in try s.string() } == expected)
  }

  /// An unpaired surrogate is not a character; `JSONDecoder` refused it ("expected low-surrogate code
  /// point") and SPEC §10 never replaces bad text: it is bad input, decoded or skipped.
  @Test(arguments: [#""\uD83Dx""#, #""\uDE00""#, #""\uD83D\u0041""#, #""\uD83D""#])
  func rejectsUnpairedSurrogates(json: String) {
    let f = failure(json) { s in _ = try s.string() }
    #expect(badText(f)?.contains("unpaired surrogate") == true, "\(json)")
    #expect(badText(failure(json) { s in try s.skipValue() }) != nil, "\(json)")
  }

  @Test func passesRawUTF8Through() throws {
    #expect(try scan(#""héllo, 😀 — ok""#) { s in try s.string() } == "héllo, 😀 — ok")
    #expect(try scan(#""mixed é\n😀""#) { s in try s.string() } == "mixed é\n😀")
    #expect(try scan(#""""#) { s in try s.string() } == "")
  }

  @Test(arguments: [
    "\"a\nb\"",  // raw line feed
    "\"a\u{01}b\"",  // raw control character
    "\"tab\there\"",  // raw tab
    "\"abc",  // unterminated
    "\"abc\\",  // ends inside an escape
    #""abc\""#,  // the closing quote is escaped
  ])
  func rejectsBadStrings(json: String) {
    #expect(isMalformed(failure(json) { s in _ = try s.string() }), "\(json)")
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  @Test(arguments: [
    #""\x""#,  // unknown escape
    #""\u12""#,  // too few hex digits
    #""\u12G4""#,  // not hex
    #""\uD83D\uZZZZ""#,  // bad low half
  ])
  func rejectsBadEscapes(json: String) {
    #expect(isMalformed(failure(json) { s in _ = try s.string() }), "\(json)")
  }

  /// A skipped string (or any member name) is checked like a decoded one: a line whose unread
  /// fields hold a bad escape is not JSON.
  @Test(arguments: [#"{"skipped":"\x"}"#, #"{"skipped":"\u12"}"#, #"{"bad\q":1}"#, #"{"x":"\q"}"#])
  func rejectsBadEscapesInSkippedStrings(json: String) {
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  /// SPEC §10: invalid UTF-8 in any field is bad input and never replaced, whether the string is
  /// decoded, skipped or a member name.
  @Test(
    arguments: [
      [0x61, 0xFF, 0x62], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
      [0x80], [0xE2, 0x82, 0x61], [0xF5, 0x80, 0x80, 0x80],
    ] as [[UInt8]])
  func rejectsInvalidUTF8(inner: [UInt8]) {
    let bytes: [UInt8] = [34] + inner + [34]
    #expect(badText(failure(bytes) { s in _ = try s.string() })?.contains("invalid UTF-8") == true, "\(inner)")
    #expect(badText(failure(bytes) { s in try s.skipValue() }) != nil, "\(inner)")
    let key: [UInt8] = [123, 34] + inner + [34, 58, 49, 125]  // {"…":1}
    #expect(badText(failure(key) { s in try s.skipValue() }) != nil, "\(inner)")
  }

  @Test func acceptsEveryValidUTF8Length() throws {
    let text = "a é € 😀 \u{10FFFF} \u{E000} \u{FFFF}"
    #expect(try scan(Array(("\"" + text + "\"").utf8)) { s in try s.string() } == text)
  }

  // MARK: Duplicate keys

  @Test(arguments: [
    #"{"a":1,"a":2}"#, #"{"a":1,"b":2,"a":3}"#, #"{"x":{"k":1,"k":1}}"#, #"[{"":1,"":2}]"#,
    #"{"a":1,"\u0061":2}"#,
  ])
  func rejectsDuplicateKeys(json: String) {
    let f = failure(json) { s in try s.skipValue() }
    #expect(isMalformed(f), "\(json)")
    #expect(f?.message.hasPrefix("duplicate key") == true, "\(json)")
  }

  @Test func sameKeyInDifferentObjectsIsFine() throws {
    try scan(#"{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":0}}}"#) { s in try s.skipValue() }
  }

  /// A large object is checked in linear time; a duplicate among many keys is still found.
  @Test func duplicateAmongManyKeys() throws {
    let keys = (0..<5000).map { #""k\#($0)":\#($0)"# }
    try scan("{" + keys.joined(separator: ",") + "}") { s in try s.skipValue() }
    let dup = failure("{" + (keys + [#""k42":0"#]).joined(separator: ",") + "}") { s in try s.skipValue() }
    #expect(dup?.message.contains("k42") == true)
  }

  // MARK: Numbers

  @Test(arguments: [
    ("0", Int64(0)), ("7", 7), ("-7", -7), ("-0", 0), ("5230", 5230), ("9223372036854775807", Int64.max),
    ("-9223372036854775807", -Int64.max), ("12.0", 12), ("12.000", 12), ("-3.0", -3), (" 42 ", 42),
  ])
  func readsWholeNumbers(json: String, expected: Int64) throws {
    #expect(try scan(json) { s in try s.int64() } == expected)
  }

  @Test(arguments: ["12.5", "0.1", "12.05", "12.50", "1e3", "1E3", "12.0e1", "-2.000001"])
  func refusesFractionsAndExponentsAsIntegers(json: String) {
    let f = failure(json) { s in _ = try s.int64() }
    #expect(invalidMessage(f)?.hasPrefix("is not a whole number") == true, "\(json)")
    #expect(invalidMessage(f)?.contains(json) == true, "\(json)")
  }

  @Test func refusesIntegersBeyond64Bits() {
    #expect(
      invalidMessage(failure("9223372036854775808") { s in _ = try s.int64() })?.hasPrefix("is out of bounds") == true)
    #expect(
      invalidMessage(failure("99999999999999999999") { s in _ = try s.int64() })?.hasPrefix("is out of bounds") == true)
    #expect(
      invalidMessage(failure("-9223372036854775809") { s in _ = try s.int64() })?.hasPrefix("is out of bounds") == true)
  }

  /// -2^63 fits in Int64 (and `JSONDecoder` read it): the digits are accumulated as a negative value.
  @Test func readsInt64Min() throws {
    let v = try scan("-9223372036854775808") { s in try s.int64() }
    #expect(v == Int64.min)
  }

  /// A count: a whole number from 0 to the bound, never negative, a fraction or a string.
  @Test func countsAreBounded() throws {
    #expect(try scan("0") { s in try s.optionalCount() } == 0)
    #expect(try scan("10000000000000") { s in try s.optionalCount() } == 10_000_000_000_000)
    #expect(try scan("null") { s in try s.optionalCount() } == nil)
    #expect(invalidMessage(failure("-1000") { s in _ = try s.optionalCount() }) == "is negative (-1000)")
    #expect(
      invalidMessage(failure("10000000000001") { s in _ = try s.optionalCount() })?.hasPrefix("is out of bounds")
        == true)
    #expect(
      invalidMessage(failure("5000000000000000000") { s in _ = try s.optionalCount() })?.hasPrefix("is out of bounds")
        == true)
    #expect(invalidMessage(failure("12.5") { s in _ = try s.optionalCount() }) == "is not a whole number (12.5)")
    #expect(typeExpected(failure(#""12""#) { s in _ = try s.optionalCount() }) == "an integer")
  }

  @Test func nullableNumbers() throws {
    #expect(try scan("null") { s in try s.optionalInt64() } == nil)
    #expect(try scan("-4") { s in try s.optionalInt64() } == -4)
  }

  @Test(arguments: ["-", "-a", "--1"])
  func rejectsMalformedNumbers(json: String) {
    #expect(isMalformed(failure(json) { s in _ = try s.int64() }), "\(json)")
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  @Test(arguments: ["+1", ".5"])
  func rejectsNumbersJSONDoesNotAllowWhenSkipping(json: String) {
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  /// RFC 8259 numbers have no leading zeros and need digits after `.` and after `e`; the scanner
  /// promises to reject a malformed line exactly as `JSONDecoder` did, and `JSONDecoder` refuses these.
  @Test(arguments: ["01", "-01", "1.", "1.e5", "1e", "1e+", "007", "12.", "-", "00", "0x1", "1e-"])
  func rejectsNumbersWithMissingOrLeadingDigits(json: String) {
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  @Test(arguments: ["01", "-01", "1.", "007", "12.", "1.e5", "1e"])
  func int64RefusesNonJSONNumbers(json: String) {
    #expect(isMalformed(failure(json) { s in _ = try s.int64() }), "\(json)")
  }

  @Test(arguments: ["0", "-0", "0.5", "10", "1e5", "1E+5", "1.5e-3", "-0.0", "123456789012345678901234567890"])
  func acceptsJSONNumbersWhenSkipping(json: String) {
    #expect(failure(json) { s in try s.skipValue() } == nil, "\(json)")
  }

  // MARK: Types

  @Test func reportsTheExpectedType() {
    #expect(typeExpected(failure("5") { s in _ = try s.string() }) == "a string")
    #expect(typeExpected(failure(#""5""#) { s in _ = try s.int64() }) == "an integer")
    #expect(typeExpected(failure("true") { s in _ = try s.int64() }) == "an integer")
    #expect(typeExpected(failure("[]") { s in try s.object { _, _ in } }) == "an object")
    #expect(typeExpected(failure("{}") { s in try s.array { _ in } }) == "an array")
    #expect(nullExpected(failure("null") { s in _ = try s.string() }) == "a string")
    #expect(nullExpected(failure("null") { s in _ = try s.int64() }) == "an integer")
    #expect(nullExpected(failure("null") { s in try s.object { _, _ in } }) == "an object")
  }

  @Test func literals() throws {
    #expect(try scan("null") { s in try s.consumeNull() })
    let stringIsNotNull = try scan(#""n""#) { s in
      let wasNull = try s.consumeNull()
      _ = try s.string()
      return wasNull
    }
    #expect(!stringIsNotNull)
    #expect(isMalformed(failure("nul") { s in _ = try s.consumeNull() }))
    #expect(isMalformed(failure("nulx") { s in _ = try s.consumeNull() }))
    #expect(isMalformed(failure("tru") { s in try s.skipValue() }))
    #expect(isMalformed(failure("fals") { s in try s.skipValue() }))
    #expect(isMalformed(failure("True") { s in try s.skipValue() }))
    #expect(isMalformed(failure("nan") { s in try s.skipValue() }))
  }

  // MARK: Malformed documents

  @Test(arguments: [
    "",  // nothing
    "   ",  // only whitespace
    "{",  // no member
    #"{"a""#,  // no colon
    #"{"a":"#,  // no value
    #"{"a":1"#,  // not closed
    #"{"a":1,"#,  // dangling comma
    #"{"a":1,}"#,  // trailing comma
    #"{a:1}"#,  // unquoted key
    #"{"a" 1}"#,  // missing colon
    #"{"a":1 "b":2}"#,  // missing comma
    #"{"a":1]"#,  // wrong closer
    "[1,",  // dangling comma
    "[1,]",  // trailing comma
    "[1 2]",  // missing comma
    "[1}",  // wrong closer
    #"{"a":'x'}"#,  // single quotes
    "}",  // closer first
  ])
  func rejectsMalformedDocuments(json: String) {
    #expect(isMalformed(failure(json) { s in try s.skipValue() }), "\(json)")
  }

  @Test(arguments: [#"{"a":1} x"#, #"{"a":1}}"#, "[1,2]]", "1 2", #""a""b""#, "null,"])
  func rejectsTrailingGarbage(json: String) {
    let f = failure(json) { s in try s.skipValue() }
    #expect(isMalformed(f), "\(json)")
    #expect(f?.message.hasPrefix("unexpected data after the JSON value") == true, "\(json)")
  }

  @Test func trailingGarbageNamesItsByte() {
    let f = failure("{\"a\":1} \t x") { s in try s.skipValue() }
    #expect(f?.offset == 10)
    #expect(f?.message == "unexpected data after the JSON value at byte 11")
  }

  /// Every strict prefix of a document is truncated JSON: each must fail as malformed, never trap.
  @Test func everyTruncationFails() {
    let doc = #"{"a":[1,-2.5e3,"x\u00e9\"\uD83D\uDE00",true,false,null,{}],"b":{"c":"d"}}"#
    let bytes = Array(doc.utf8)
    #expect(failure(bytes) { s in try s.skipValue() } == nil)
    for n in 0..<bytes.count {
      let f = failure(Array(bytes[..<n])) { s in try s.skipValue() }
      #expect(isMalformed(f), "prefix of \(n) bytes")
    }
  }

  @Test func errorsCarryTheOffsetOfTheFault() {
    let f = failure(#"{"a":1,"b":x}"#) { s in try s.skipValue() }
    #expect(f?.offset == 11)
    #expect(f?.message == "unexpected character 'x' at byte 12")
  }
}
