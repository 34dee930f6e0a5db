/// Values numbered in the order first met (equal values, as `==` has them, are one): a key of
/// small integers in place of strings (the report's cost centres and accounts, the spike
/// detector's models, cost centres and owners).
package struct Numbering<Value: Hashable> {
  private var numbers: [Value: Int32] = [:]
  /// The values, by number.
  package private(set) var values: [Value] = []

  package init() {}

  package mutating func number(of value: Value) -> Int32 {
    if let n = numbers[value] { return n }
    let n = Int32(values.count)
    numbers[value] = n
    values.append(value)
    return n
  }

  /// The number of `value`; nil when it has none.
  package func known(_ value: Value) -> Int32? { numbers[value] }
}

extension Numbering: Sendable where Value: Sendable {}
