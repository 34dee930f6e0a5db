/// The `limit` largest of a stream of items by rank (ties: the earlier in the stream), kept in a
/// heap while the stream goes by: a sheet of 5,000 rows out of millions holds 5,000.
struct Largest<Item> {
  let limit: Int
  /// A min-heap: its top is the item the next larger one pushes out.
  private var heap: [(rank: Int128, order: Int, item: Item)] = []

  init(limit: Int) { self.limit = max(limit, 0) }

  /// Offers `item` of rank `rank`, the `order`th of the stream (ascending); returns the item left
  /// out for it (the one pushed out, or `item` itself), nil while fewer than `limit` are held.
  mutating func offer(_ item: Item, rank: Int128, order: Int) -> Item? {
    if heap.count < limit {
      heap.append((rank, order, item))
      var i = heap.count - 1
      while i > 0 {
        let parent = (i - 1) / 2
        guard smaller(i, than: parent) else { break }
        heap.swapAt(i, parent)
        i = parent
      }
      return nil
    }
    guard let top = heap.first, rank > top.rank || (rank == top.rank && order < top.order) else { return item }
    heap[0] = (rank, order, item)
    var i = 0
    while true {
      let (l, r) = (2 * i + 1, 2 * i + 2)
      var m = i
      if l < heap.count && smaller(l, than: m) { m = l }
      if r < heap.count && smaller(r, than: m) { m = r }
      if m == i { break }
      heap.swapAt(i, m)
      i = m
    }
    return top.item
  }

  /// Whether the item at `a` goes before the one at `b`: a lower rank, or the same rank later.
  private func smaller(_ a: Int, than b: Int) -> Bool {
    heap[a].rank != heap[b].rank ? heap[a].rank < heap[b].rank : heap[a].order > heap[b].order
  }

  /// The items kept, in stream order.
  func inStreamOrder() -> [Item] { heap.sorted { $0.order < $1.order }.map(\.item) }

  /// The items kept, largest first (ties: stream order).
  func largestFirst() -> [Item] {
    heap.sorted { $0.rank != $1.rank ? $0.rank > $1.rank : $0.order < $1.order }.map(\.item)
  }
}
