/// The page cache of the report's pass over its period (``UsageStore/forEachRecord(from:to:mainPass:_:)``).
///
/// The pass reads rows through the time index, each from its place in the table. Rows stored in
/// time order, or as a few time-ordered streams side by side (one file after another of the same
/// days: two providers, two regions), are read from a few pages at a time, and the small cache
/// (``Database/readCacheKiB``) is best: a large one is memory the kernel faults in and clears for
/// nothing (the tenth pass). Rows stored out of time order (random within each day: a log written
/// by many workers) are read from pages at random over the stretch of the table a moment's rows
/// come from: with the small cache each row was a page read from the kernel's cache (the 10 M
/// `unsorted` month's `report`: 25 s of system time in 80 s). For such a month the cache holds
/// that stretch, within ``largestReadCacheKiB`` (4.5 s of system time, 61 s).
extension UsageStore {
  /// The most the cache is given (KiB): a month stored at random within each day of 180-byte rows
  /// holds a day's rows in it up to some 15 M calls a month; it is memory beside the report's own
  /// (a peak of 218 MB on the 10 M `unsorted` month, 260 MB with it).
  static let largestReadCacheKiB: Int64 = 131_072

  /// Rows read to tell how the period's rows are stored.
  static let orderProbeRows = 4_096

  /// What ``orderProbeRows`` consecutive rows in time order, from the middle of the period's own
  /// rows, say of the table's order.
  struct OrderProbe: Equatable {
    /// Rows read (fewer when the period has fewer from its middle on).
    var rows: Int
    /// The table pages they are on (a row id over the store's rows a page, the store's rows over
    /// its pages): a few dozen for rows in time order or a few streams of it, about one a row for
    /// rows stored at random.
    var distinctPages: Int
    /// The row ids they span (largest less smallest, and one): the stretch of the table a
    /// moment's rows come from.
    var spanRows: Int64
    /// The store's rows (its largest row id) and pages, which the probe's pages are counted by.
    var storeRows: Int64
    var storePages: Int64
  }

  /// The probe of `[from, to)`; nil when it has no row.
  func orderProbe(from: Int64, to: Int64) throws -> OrderProbe? {
    // The middle of the period's own rows: a month reported on its 10th has none past its middle.
    guard let first = try db.scalarInt("SELECT min(ts) FROM usage WHERE ts >= ? AND ts < ?", [.int(from), .int(to)]),
      let last = try db.scalarInt("SELECT max(ts) FROM usage WHERE ts >= ? AND ts < ?", [.int(from), .int(to)]),
      let rows = try db.scalarInt("SELECT max(id) FROM usage"), let pages = try db.scalarInt("PRAGMA page_count")
    else { return nil }
    let rowsPerPage = max(1, rows / max(1, pages))
    let st = try db.prepare("SELECT id FROM usage WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?")
    try st.bind(1, first / 2 + last / 2)
    try st.bind(2, to)
    try st.bind(3, Int64(Self.orderProbeRows))
    var (count, low, high) = (0, Int64.max, Int64.min)
    var onPages = Set<Int64>()
    while try st.step() {
      let id = st.int64(0)
      (count, low, high) = (count + 1, min(low, id), max(high, id))
      onPages.insert(id / rowsPerPage)
    }
    guard count > 0 else { return nil }
    return OrderProbe(
      rows: count, distinctPages: onPages.count, spanRows: high - low + 1, storeRows: rows, storePages: pages)
  }

  /// The page cache (KiB) for the pass over `[from, to)`: the small one unless the probe's rows are
  /// on more pages than it holds (rows stored out of time order), then the bytes of the stretch they
  /// span (``spanCacheKiB(storeBytes:rows:spanRows:)``).
  func readCacheKiB(from: Int64, to: Int64) throws -> Int64 {
    let small = Int64(Database.readCacheKiB)
    guard let probe = try orderProbe(from: from, to: to), let pageSize = try db.scalarInt("PRAGMA page_size"),
      Int64(probe.distinctPages) * pageSize > small * 1024
    else { return small }
    return Self.spanCacheKiB(storeBytes: probe.storePages * pageSize, rows: probe.storeRows, spanRows: probe.spanRows)
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
