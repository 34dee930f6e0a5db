import ChargebackModel
import Foundation

/// The pages of LiteLLM's `/spend/logs/v2`: `{"data": […], "total": 21, "page": 1, "page_size": 10,
/// "total_pages": 3}` (litellm PR 22989), numbered, with no cursor and no bucket times.
extension LiteLLMSpendLogs {
  /// The page a file holds, when it is one of `/spend/logs/v2` (``NumberedPage``); none for any
  /// other file of rows.
  ///
  /// A file of page 1 of 3 loaded alone charged its 10 calls and said nothing of the 11 others (a
  /// trial): the API pages by number, and only the envelope says more follow. Read from the file's
  /// whole document, when it is one of at most ``pageBytes`` (a page holds at most a few hundred
  /// rows: larger files are the other shapes, rows as an array or one a line).
  func pages(_ file: InputFile) -> [ExportPage] {
    guard let bytes = try? file.head(limit: Self.pageBytes), bytes.count < Self.pageBytes,
      bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{"),
      let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
      let number = Self.whole(object["page"]), let count = Self.whole(object["total_pages"]), number >= 1, count >= 1
    else { return [] }
    let rows = object["data"] as? [[String: Any]] ?? []
    let times = rows.compactMap { ($0["startTime"] as? String).flatMap(Self.millis) }
    let page = NumberedPage(
      number: number, count: count, rows: Self.whole(object["total"]), size: Self.whole(object["page_size"]))
    return [
      ExportPage(index: 0, start: times.min(), end: times.max(), hasMore: number < count, nextPage: page.text)
    ]
  }

  var comesInPages: Bool { true }

  /// The largest file read for its page envelope.
  static let pageBytes = 16 << 20

  /// A whole number of a JSON value (an integer, not a fraction or a string).
  private static func whole(_ value: Any?) -> Int? {
    guard let d = (value as? NSNumber)?.doubleValue, d == d.rounded(), abs(d) < 1e15 else { return nil }
    return Int(d)
  }
}
