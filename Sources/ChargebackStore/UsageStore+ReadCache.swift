/// The page cache of a pass over a period in time order (``UsageStore/forEachRecord(from:to:_:)``).
///
/// The pass reads rows through the time index, each from its place in the table. A month whose
/// rows were stored in time order (each file in it, the files in turn) reads its pages one after
/// the other, and a small cache (``Database/readCacheKiB``) is best: a large one is memory the
/// kernel faults in and clears for nothing (the tenth pass). One whose rows were stored out of
/// time order (random within each day: a log written by many workers, files of the same hours
/// side by side) reads its pages at random over the stretch of the table that a moment's rows
/// come from: with the small cache each row was a page read from the kernel's cache (the 10 M
/// `unsorted` month's `report`: 25 s of system time in 80 s). For such a month the cache holds
/// that stretch, within ``largestReadCacheKiB`` (4.5 s of system time, 61 s).
extension UsageStore {
  /// The most the cache is given (KiB): a month stored at random within each day holds a day's
  /// rows in it up to some 40 M calls a month; it is memory beside the report's own (a peak of
  /// 230 MB on the 10 M `unsorted` month), within the 1 GiB bound.
  static let largestReadCacheKiB: Int64 = 131_072

  /// Rows read to tell whether the period's rows are stored in time order.
  static let orderProbeRows = 4_096

  /// What ``orderProbeRows`` consecutive rows in time order (from the middle of `[from, to)`) say
  /// of the table's order.
  struct OrderProbe {
    /// The fraction of them whose row id is below the one before: 0 for a month stored in time
    /// order, about ½ for one stored at random; 0 when there are too few to tell.
    var outOfOrderShare: Double
    /// The row ids they span (largest less smallest, and one): the stretch of the table a
    /// moment's rows come from.
    var spanRows: Int64
  }

  func orderProbe(from: Int64, to: Int64) throws -> OrderProbe {
    let mid = from / 2 + to / 2
    let st = try db.prepare("SELECT id FROM usage WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?")
    try st.bind(1, mid)
    try st.bind(2, to)
    try st.bind(3, Int64(Self.orderProbeRows))
    var (previous, rows, descents) = (Int64.min, 0, 0)
    var (low, high) = (Int64.max, Int64.min)
    while try st.step() {
      let id = st.int64(0)
      if id < previous { descents += 1 }
      (previous, rows, low, high) = (id, rows + 1, min(low, id), max(high, id))
    }
    guard rows >= 64 else { return OrderProbe(outOfOrderShare: 0, spanRows: Int64(rows)) }
    return OrderProbe(outOfOrderShare: Double(descents) / Double(rows - 1), spanRows: high - low + 1)
  }

  /// The page cache (KiB) for a pass over `[from, to)`: the small one unless the rows are out of
  /// time order, then the stretch of the table the probe's rows span (``spanCacheKiB``).
  func readCacheKiB(from: Int64, to: Int64) throws -> Int64 {
    let probe = try orderProbe(from: from, to: to)
    guard probe.outOfOrderShare >= 0.05, let rows = try db.scalarInt("SELECT max(id) FROM usage"),
      let pages = try db.scalarInt("PRAGMA page_count"), let pageSize = try db.scalarInt("PRAGMA page_size")
    else { return Int64(Database.readCacheKiB) }
    return Self.spanCacheKiB(storeBytes: pages * pageSize, rows: rows, spanRows: probe.spanRows)
  }

  /// The bytes of `spanRows` of the store's `rows` (its `storeBytes` shared out evenly), and a
  /// half, in KiB, within [``Database/readCacheKiB``, ``largestReadCacheKiB``].
  static func spanCacheKiB(storeBytes: Int64, rows: Int64, spanRows: Int64) -> Int64 {
    guard rows > 0 else { return Int64(Database.readCacheKiB) }
    // In doubles: bytes × rows can pass Int64 (a 100 GB store of 10^9 rows).
    let kib = Double(storeBytes) * Double(min(spanRows, rows)) / Double(rows) / 1024 * 1.5
    return max(Int64(Database.readCacheKiB), Int64(min(kib, Double(largestReadCacheKiB))))
  }
}
