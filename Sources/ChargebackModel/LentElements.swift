extension Array {
  /// Calls `body` with each element's position and a pointer to it where it lies: read its fields
  /// through the pointer (`l.pointee.key.costCentre`), which copies only the field read.
  ///
  /// `for l in lines` copies each element out of the array: for a ``ChargebackLine``, a retain and a
  /// release of each of its dozen strings, and with a line per call (a ticket id each) a million
  /// lines were copied so in every pass over them. A `borrowing` element handed to a closure was
  /// still copied (perf, the 1 M `tickets` report); a pointer is not. The pointer is valid only
  /// within `body`.
  @inlinable
  package func forEachLent(_ body: (Int, UnsafePointer<Element>) throws -> Void) rethrows {
    try withUnsafeBufferPointer { elements in
      guard let base = elements.baseAddress else { return }
      for i in elements.indices { try body(i, base + i) }
    }
  }
}
