/// Parsing and formatting of UTC timestamps without Foundation formatters.
///
/// `ISO8601DateFormatter` manages ~28 k dates/s here, far too slow for millions of records, so the
/// known shapes (RFC 3339 with optional fraction and offset, bare dates) are parsed from bytes.
package enum Timestamp {
  /// Milliseconds in one UTC day.
  package static let millisPerDay: Int64 = 86_400_000

  /// Days since 1970-01-01 for a proleptic Gregorian civil date (Howard Hinnant's algorithm).
  package static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// The civil date of a day number (days since 1970-01-01).
  package static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
    switch month {
    case 2:
      let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
      return leap ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff…]]` with `Z`, `±HH:MM` or no zone (UTC), and a space in
  /// place of `T`.
  ///
  /// Returns UTC epoch milliseconds, or nil when the text is not one of those shapes or names an impossible date.
  package static func parseMillis(_ text: some StringProtocol) -> Int64? {
    var s = String(text)
    return s.withUTF8 { parseMillis(bytes: $0) }
  }

  /// Byte-level form of ``parseMillis(_:)``.
  package static func parseMillis(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
    var i = 0
    func digits(_ n: Int) -> Int64? {
      guard i + n <= b.count else { return nil }
      var v: Int64 = 0
      for k in 0..<n {
        let c = b[i + k]
        guard c >= 48, c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
      }
      i += n
      return v
    }
    func expect(_ c: UInt8) -> Bool {
      guard i < b.count, b[i] == c else { return false }
      i += 1
      return true
    }
    guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2)
    else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return nil }
    var millis = daysFromCivil(year: year, month: month, day: day) * millisPerDay
    if i == b.count { return millis }
    guard b[i] == 84 || b[i] == 32 || b[i] == 116 else { return nil }  // 'T', ' ', 't'
    i += 1
    guard let hour = digits(2), expect(58), let minute = digits(2), hour < 24, minute < 60 else {
      return nil
    }
    var second: Int64 = 0
    if i < b.count, b[i] == 58 {
      i += 1
      guard let s = digits(2), s <= 60 else { return nil }
      second = min(s, 59)
    }
    var fractionMillis: Int64 = 0
    if i < b.count, b[i] == 46 || b[i] == 44 {
      i += 1
      var scale: Int64 = 100
      var any = false
      while i < b.count, b[i] >= 48, b[i] <= 57 {
        fractionMillis += Int64(b[i] - 48) * scale
        scale /= 10
        i += 1
        any = true
      }
      guard any else { return nil }
    }
    millis += ((hour * 60 + minute) * 60 + second) * 1000 + fractionMillis
    if i == b.count { return millis }
    switch b[i] {
    case 90, 122:  // 'Z', 'z'
      i += 1
    case 43, 45:  // '+', '-'
      let sign: Int64 = b[i] == 43 ? 1 : -1
      i += 1
      guard let oh = digits(2) else { return nil }
      _ = expect(58)
      guard let om = digits(2), oh < 24, om < 60 else { return nil }
      millis -= sign * (oh * 60 + om) * 60_000
    default:
      return nil
    }
    return i == b.count ? millis : nil
  }

  /// `YYYY-MM-DD` of a UTC epoch-millisecond instant.
  package static func day(_ millis: Int64) -> String {
    let days = floorDiv(millis, millisPerDay)
    let (y, m, d) = civil(fromDays: days)
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
  }

  /// `YYYY-MM-DDTHH:MM:SSZ` (with `.fff` when the instant has milliseconds), UTC.
  package static func iso(_ millis: Int64) -> String {
    let days = floorDiv(millis, millisPerDay)
    let rest = millis - days * millisPerDay
    let secs = rest / 1000
    let ms = rest % 1000
    let base = "\(day(millis))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
    return ms == 0 ? base + "Z" : base + ".\(pad(ms, 3))Z"
  }

  /// Floor division for possibly negative instants.
  package static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  private static func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }
}
