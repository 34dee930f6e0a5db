import Testing

@testable import ChargebackDemo
@testable import ChargebackDetect

/// The spike detector sorts its cells by ranks (``UsageSpikes/SortKey``) in place of comparing
/// their strings: the order must be ``UsageSpikes/precedes(_:_:)``'s, with missing ids beside empty
/// ones, ids that differ only in how an accent is spelled, non-ASCII ids, and equal cells.
@Suite struct SpikeCellOrderTests {
  @Test(arguments: 1...20)
  func theRanksSortAsTheStringsDo(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let ids: [String?] = [nil, "", "a", "b", "ab", "é", "e\u{301}", "Z", "日本", "a\u{0}b", "-1"]
    let models = ["m", "m-2", "M", "é", "e\u{301}x"]
    let cells = (0..<400).map { _ in
      UsageSpikes.Cell(
        agent: ids[rng.below(ids.count)], credential: ids[rng.below(ids.count)], day: Int64(rng.below(4)),
        model: models[rng.below(models.count)])
    }
    let keys = UsageSpikes.SortKey.keys(of: cells)
    let order = cells.indices.sorted { keys[$0] < keys[$1] }
    for (i, j) in zip(order, order.dropFirst()) {
      #expect(!UsageSpikes.precedes(cells[j], cells[i]), "\(cells[j]) sorts before \(cells[i])")
      // Equal keys only for cells `precedes` holds equal.
      if !(keys[i] < keys[j]) { #expect(!UsageSpikes.precedes(cells[i], cells[j])) }
    }
  }
}
