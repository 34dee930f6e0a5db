import Foundation
import Testing

@testable import ChargebackDemo
@testable import ChargebackStore
@testable import ChargebackTestSupport

/// Rows bound with `Statement.bindRow` are stored exactly as given.
///
/// A parameter equal to the row before's is not bound again, and texts are bound from the
/// statement's own memory: whatever the sequence of values, every row must come back as given.
@Suite struct RowBindingTests {
  typealias Row = (n: Int64?, t: String?, b: [UInt8], u: String?)

  func storeAndReadBack(_ rows: [Row], name: String = #function) throws -> [Row] {
    let db = try Database(path: try TestSupport.tempDir(name) + "/r.sqlite")
    try db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, n INTEGER, t TEXT, b BLOB, u TEXT)")
    let insert = try db.prepare("INSERT INTO t(n, t, b, u) VALUES (?, ?, ?, ?)", persistent: true)
    try db.transaction {
      for r in rows {
        insert.beginRow()
        try insert.bindRow(1, r.n)
        try insert.bindRow(2, text: r.t)
        try insert.bindRow(3, blob: r.b)
        try insert.bindRow(4, text: r.u)
        try insert.runKeepingBindings()
      }
    }
    let st = try db.prepare("SELECT n, t, b, u, typeof(t), typeof(u) FROM t ORDER BY k")
    var out: [Row] = []
    while try st.step() {
      // Empty text must come back as text, never NULL.
      #expect((st.text(4) == "null") == (st.text(1) == nil) && (st.text(5) == "null") == (st.text(3) == nil))
      let blob = st.bytes(2).map(Array.init) ?? []
      out.append((st.optionalInt64(0), st.text(1), blob, st.text(3)))
    }
    return out
  }

  func same(_ a: [Row], _ b: [Row]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy {
        $0.n == $1.n && $0.t.map { Array($0.utf8) } == $1.t.map { Array($0.utf8) } && $0.b == $1.b
          && $0.u.map { Array($0.utf8) } == $1.u.map { Array($0.utf8) }
      }
  }

  @Test func everySequenceOfValuesIsStoredAsGiven() throws {
    let long = String(repeating: "x", count: 9_000)  // past a chunk: a second one within the row
    let huge = String(repeating: "é", count: 700_000)  // past the size a statement keeps between rows
    var rows: [Row] = [
      (1, "a", [1], nil), (1, "a", [1], nil), (nil, nil, [], ""), (nil, "", [2], ""), (2, long, [3], long),
      (2, long + "y", [3], "z"), (0, huge, [], huge), (0, "after", [9, 9], nil), (Int64.min, nil, [0], "end"),
    ]
    var generator = DemoRandom(seed: 20_261_204)  // seeded: a failure can be run again
    let texts: [String?] = [nil, "", "a", "b", long, "naïve\u{0}nul"]
    for _ in 0..<2_000 {
      rows.append(
        (
          [nil, 0, 1, Int64.max].randomElement(using: &generator)!, texts.randomElement(using: &generator)!,
          Array(repeating: UInt8.random(in: 0...255, using: &generator), count: Int.random(in: 0...3)),
          texts.randomElement(using: &generator)!
        ))
    }
    let back = try storeAndReadBack(rows)
    #expect(same(back, rows))
  }
}
