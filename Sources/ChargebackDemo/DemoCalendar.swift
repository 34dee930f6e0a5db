import ChargebackModel

/// Calendar helpers shared by the demo generators (UTC).
package enum DemoCalendar {
  /// 0 = Monday … 6 = Sunday of the UTC day holding `millis` (UTC epoch ms; 1970-01-01 was a
  /// Thursday).
  package static func weekday(_ millis: Int64) -> Int {
    let days = Timestamp.floorDiv(millis, Timestamp.millisPerDay)
    return Int(((days + 3) % 7 + 7) % 7)
  }

  /// True on Saturdays and Sundays.
  package static func isWeekend(_ millis: Int64) -> Bool { weekday(millis) >= 5 }

  /// The shape of a kind of traffic over the day.
  package enum Hours {
    case business, flat, night

    /// Relative call volume by UTC hour.
    package var weights: [Int] {
      switch self {
      case .business: return [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 12, 10, 11, 12, 12, 11, 9, 6, 4, 3, 2, 1, 1]
      case .flat: return Array(repeating: 1, count: 24)
      case .night: return [0, 3, 4, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      }
    }
  }
}
