import ChargebackModel

/// The page cache of a pass over a period in time order (``UsageStore/forEachRecord(from:to:_:)``).
///
/// The pass reads rows through the time index, each from its place in the table. A month whose
/// rows were stored in time order (each file in it, the files in turn) reads its pages one after
/// the other, and a small cache (``Database/readCacheKiB``) is best: a large one is memory the
/// kernel faults in and clears for nothing (the tenth pass). One whose rows were stored out of
/// time order (random within each day: a log written by many workers, files of the same hours
/// side by side) reads the pages of a day's rows at random: with the small cache each row was a
/// page read from the kernel's cache (the 10 M `unsorted` month's `report`: 30 s of system time
/// in 182 s). For such a month the cache holds a day's rows, within ``largestKiB``: 1.7 s of
/// system time and 141 s (the same machine, measured back to back).
extension UsageStore {
  /// The most the cache is given (KiB): a month stored at random within each day holds a day's
  /// rows in it up to some 40 M calls a month; it is memory beside the report's own (a peak of
  /// 230 MB on that month), within the 1 GiB bound.
  static let largestReadCacheKiB: Int64 = 131_072

  /// Rows read to tell whether the period's rows are stored in time order.
  static let orderProbeRows = 4_096

  /// The fraction of `orderProbeRows` consecutive rows (in time order, from the middle of
  /// `[from, to)`) whose row id is below the one before (0 when there are too few to tell): 0 for a
  /// month stored in time order, about ½ for one stored at random.
  func outOfOrderShare(from: Int64, to: Int64) throws -> Double {
    let mid = from / 2 + to / 2
    let st = try db.prepare("SELECT id FROM usage WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?")
    try st.bind(1, mid)
    try st.bind(2, to)
    try st.bind(3, Int64(Self.orderProbeRows))
    var (previous, rows, descents) = (Int64.min, 0, 0)
    while try st.step() {
      let id = st.int64(0)
      if id < previous { descents += 1 }
      (previous, rows) = (id, rows + 1)
    }
    return rows < 64 ? 0 : Double(descents) / Double(rows - 1)
  }

  /// The page cache (KiB) for a pass over `[from, to)`: the small one unless the rows are out of
  /// time order, then a day's share of the store's bytes and a half, within
  /// [``Database/readCacheKiB``, ``largestReadCacheKiB``].
  func readCacheKiB(from: Int64, to: Int64) throws -> Int64 {
    guard try outOfOrderShare(from: from, to: to) >= 0.05,
      let first = try db.scalarInt("SELECT min(ts) FROM usage"),
      let last = try db.scalarInt("SELECT max(ts) FROM usage"),
      let pages = try db.scalarInt("PRAGMA page_count"), let pageSize = try db.scalarInt("PRAGMA page_size")
    else { return Int64(Database.readCacheKiB) }
    return Self.dayCacheKiB(storeBytes: pages * pageSize, spanMillis: last - first)
  }

  /// A day's share of `storeBytes` over `spanMillis` (at least a day), and a half, in KiB, within
  /// [``Database/readCacheKiB``, ``largestReadCacheKiB``].
  static func dayCacheKiB(storeBytes: Int64, spanMillis: Int64) -> Int64 {
    let days = max(1, spanMillis / Int64(Timestamp.millisPerDay))
    let kib = storeBytes / days / 1024 * 3 / 2
    return min(largestReadCacheKiB, max(Int64(Database.readCacheKiB), kib))
  }
}
