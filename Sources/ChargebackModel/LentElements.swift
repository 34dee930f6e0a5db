extension Array {
  /// Calls `body` with each element's position and the element where it lies, lent, not copied.
  ///
  /// `for l in lines` copies each element out of the array: for a ``ChargebackLine``, a retain and a
  /// release of each of its dozen strings, and with a line per call (a ticket id each) a million
  /// lines were copied so in every pass over them (perf, the 1 M `tickets` report: a seventh of the
  /// workbooks' thread).
  @inlinable
  package func forEachLent(_ body: (Int, borrowing Element) throws -> Void) rethrows {
    try withUnsafeBufferPointer { elements in
      for i in elements.indices { try body(i, elements[i]) }
    }
  }
}
