import ChargebackModel

/// A report or cost row decoded as its reader knows it, with every string and boolean member it
/// has at the top level, by name, whether the reader knows the member or not.
///
/// Why: a bucket holds one row per combination of its query's `group_by` values, and a provider
/// adds groupings (OpenAI's `api_source`) before the reader knows them. Two rows of one bucket that
/// differ only by such a member had the same natural key: the second was refused as a conflicting
/// duplicate, and its usage was never charged (a trial: $3.50 charged of $11.50).
/// ``ReportRowMembers/distinguish(_:)`` tells them apart by these members.
struct WithMembers<Row: MeasuredRow>: Decodable {
  let row: Row
  /// Each top-level member whose value is a string (as it is) or a boolean (`true`, `false`), but
  /// the row's ``MeasuredRow/measures``.
  let members: [String: String]

  private struct Name: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: any Decoder) throws {
    row = try Row(from: decoder)
    var members: [String: String] = [:]
    if let c = try? decoder.container(keyedBy: Name.self) {
      for name in c.allKeys where !Row.measures.contains(name.stringValue) {
        if let text = try? c.decode(String.self, forKey: name) {
          members[name.stringValue] = text
        } else if let flag = try? c.decode(Bool.self, forKey: name) {
          members[name.stringValue] = flag ? "true" : "false"
        }
      }
    }
    self.members = members
  }
}

/// A report or cost row, with the members it reads as amounts or counts.
protocol MeasuredRow: Decodable {
  /// Members that are figures, not groupings, though their values may be strings (an Anthropic cost
  /// row's `amount`, a decimal string of cents): two rows that differ only by them are one row
  /// fetched twice, a conflicting duplicate, never two rows.
  static var measures: Set<String> { get }
}

extension MeasuredRow {
  static var measures: Set<String> { [] }
}

/// Makes the natural keys of one bucket's rows tell apart rows the reader's key does not.
enum ReportRowMembers {
  /// The records of one bucket's rows, in their order, with `members` (``WithMembers/members``) of
  /// each; the records whose natural keys are the same get, after their key, every member whose
  /// value is not the same across them (missing counts as a value), sorted by name, as `|name|value` (`-` when missing).
  ///
  /// Only members that differ, and only among rows whose keys meet: a member every row has alike
  /// (OpenAI's undocumented `organization_id`, a `project_name` renamed between two fetches) never
  /// enters a key, so a bucket fetched again keys its rows as before. Rows alike in every string
  /// and boolean member keep one key (the same row twice: a conflicting duplicate, as before). A
  /// bucket of rows with distinct keys, the API's usual, is returned as it came.
  static func distinguish(_ rows: [(record: UsageRecord, members: [String: String])]) -> [UsageRecord] {
    var records = rows.map(\.record)
    guard records.count > 1 else { return records }
    var byKey: [String: [Int]] = [:]
    for (i, r) in records.enumerated() { byKey[r.naturalKey, default: []].append(i) }
    for (_, places) in byKey where places.count > 1 {
      let names = Set(places.flatMap { rows[$0].members.keys })
      let differing = names.filter { name in Set(places.map { rows[$0].members[name] }).count > 1 }.sorted()
      guard !differing.isEmpty else { continue }
      for i in places {
        records[i].naturalKey += "|" + KeyParts.join(differing.flatMap { [$0, rows[i].members[$0]] })
      }
    }
    return records
  }
}
