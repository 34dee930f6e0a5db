/// A calendar month in UTC, the unit of a chargeback (`2026-10`).
package struct Period: Hashable, Sendable, CustomStringConvertible {
  /// The year, such as 2026.
  package let year: Int
  /// The month, 1–12.
  package let month: Int

  /// Parses `YYYY-MM` of the years records can have (2000 to 2099, ``Bounds``); nil for anything
  /// else (`0226-10` wrote workbooks no spreadsheet program opens, a trial).
  package init?(_ text: String) {
    let parts = text.split(separator: "-")
    guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
      let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), (2000...2099).contains(y)
    else { return nil }
    year = y
    month = m
  }

  /// The month `month` (1–12) of `year`; a month out of range is a programming error.
  package init(year: Int, month: Int) {
    precondition((1...12).contains(month), "month out of range")
    self.year = year
    self.month = month
  }

  /// The period that contains a UTC epoch-millisecond instant.
  package init(containing millis: Int64) {
    let (y, m, _) = Timestamp.civil(fromDays: Timestamp.floorDiv(millis, Timestamp.millisPerDay))
    year = Int(y)
    month = Int(m)
  }

  /// First instant of the month, UTC epoch milliseconds (inclusive).
  package var startMillis: Int64 {
    Timestamp.daysFromCivil(year: Int64(year), month: Int64(month), day: 1) * Timestamp.millisPerDay
  }

  /// First instant of the next month, UTC epoch milliseconds (exclusive end).
  package var endMillis: Int64 { next.startMillis }

  /// The following month.
  package var next: Period {
    month == 12 ? Period(uncheckedYear: year + 1, month: 1) : Period(uncheckedYear: year, month: month + 1)
  }

  /// The preceding month.
  package var previous: Period {
    month == 1 ? Period(uncheckedYear: year - 1, month: 12) : Period(uncheckedYear: year, month: month - 1)
  }

  /// Number of days in the month.
  package var dayCount: Int { Int((endMillis - startMillis) / Timestamp.millisPerDay) }

  private init(uncheckedYear: Int, month: Int) {
    self.year = uncheckedYear
    self.month = month
  }

  package var description: String { month < 10 ? "\(year)-0\(month)" : "\(year)-\(month)" }
}
