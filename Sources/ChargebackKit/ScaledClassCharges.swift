import ChargebackModel

/// The class charges with the calls of each provisioned commitment whose list passed its fee at
/// their share of it (``Commitments``): a cost centre's share of the fee split over its cells of
/// the commitment by their list cost (largest remainder, to the pico-dollar), in the charges'
/// order.
///
/// The charges are a stream (``ClassChargeSource``): the cells' parts are worked out in one reading
/// and kept, 16 bytes a cell of such a commitment, and put on the cells as each reading passes them.
struct ScaledClassCharges: ClassChargeSource {
  /// A commitment's cells of one cost centre.
  struct Cells: Hashable {
    var commitmentID: String
    var costCentre: String
  }

  let base: any ClassChargeSource
  private let scaled: Set<Cells>
  /// The effective cost of each cell of ``scaled``, in the order they are read.
  private let parts: [Int128]

  /// `base`'s charges, each group of `shares` split its share (pico-USD).
  init(_ base: any ClassChargeSource, shares: [Cells: Int128]) throws {
    var groups: [Cells: Int] = [:]
    var weights: [[Int128]] = []
    var order: [Int32] = []
    try base.forEachChargeAmount { c in
      guard let id = c.commitmentID else { return }
      let cells = Cells(commitmentID: id, costCentre: c.costCentre)
      guard shares[cells] != nil else { return }
      let g: Int
      if let known = groups[cells] {
        g = known
      } else {
        g = weights.count
        groups[cells] = g
        weights.append([])
      }
      weights[g].append(c.listCost.pico)
      order.append(Int32(g))
    }
    var split = Array(repeating: [Int128](), count: weights.count)
    for (cells, g) in groups { split[g] = Apportion.split(shares[cells] ?? 0, weights: weights[g]) }
    var next = Array(repeating: 0, count: split.count)
    parts = order.map { g in
      defer { next[Int(g)] += 1 }
      return split[Int(g)][next[Int(g)]]
    }
    self.base = base
    scaled = Set(groups.keys)
  }

  func forEachCharge(_ body: (ClassCharge) throws -> Void) throws { try scaling(base.forEachCharge, body) }

  func forEachChargeAmount(_ body: (ClassChargeAmount) throws -> Void) throws {
    try scaling(base.forEachChargeAmount, body)
  }

  /// Reads `base`'s charges through `read`, each of a scaled cell at its part of the fee.
  private func scaling<C: CellCharge>(_ read: ((C) throws -> Void) throws -> Void, _ body: (C) throws -> Void) throws {
    var k = 0
    // `body` is called only while `read` runs: it does not escape.
    try withoutActuallyEscaping(body) { body in
      try read { c in
        guard let id = c.commitmentID, scaled.contains(Cells(commitmentID: id, costCentre: c.costCentre)) else {
          return try body(c)
        }
        var c = c
        c.cost = Money(pico: parts[k])
        k += 1
        try body(c)
      }
    }
  }

  var chargeCount: Int { base.chargeCount }

  var chargeProviders: Set<Provider> { base.chargeProviders }
}

/// A charge as ``ScaledClassCharges`` scales it, whole or its amounts only.
protocol CellCharge {
  var commitmentID: String? { get }
  var costCentre: String { get }
  var cost: Money { get set }
}

extension ClassCharge: CellCharge {}
extension ClassChargeAmount: CellCharge {}
