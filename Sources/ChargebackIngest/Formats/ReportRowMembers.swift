import ChargebackModel
import ChargebackSupport

/// A report or cost row decoded as its reader knows it, with every string and boolean member it
/// has at the top level, by name, whether the reader knows the member or not.
///
/// Why: a bucket holds one row per combination of its query's `group_by` values, and a provider
/// adds groupings before the reader knows them. Two rows of one bucket that differ only by such a
/// member had the same natural key: the second was refused as a conflicting duplicate, and its
/// usage was never charged (a trial: $3.50 charged of $11.50). ``ReportRowMembers/checked(_:file:)``
/// refuses such a bucket, naming the member.
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
  /// row's `amount`, a decimal string of cents): two rows of one bucket that differ only by them
  /// are one row of their sums (``ReportRowMembers/checked(_:file:)``), never refused.
  static var measures: Set<String> { get }
}

extension MeasuredRow {
  static var measures: Set<String> { [] }
}

/// Refuses a bucket whose rows the reader's key cannot tell apart.
enum ReportRowMembers {
  /// The records of one bucket's rows, in their order, with `members` (``WithMembers/members``) of
  /// each; throws when two rows have the same natural key and differ by a string or boolean
  /// member (missing counts as a value): a grouping the reader does not read, such as a new
  /// `group_by` value of the API's.
  ///
  /// Why refuse, not store both under longer keys: a row's key must not depend on the rows beside
  /// it. Keyed apart only when they met, a bucket fetched early with one row and again with two
  /// counted the first row twice (a review); and kept under one key, the second row was refused as
  /// a conflicting duplicate and its usage lost (a trial: $3.50 charged of $11.50). The error names
  /// the row, the member and what to do.
  ///
  /// Rows alike in every such member are one row of their sums: the API returns such rows in one
  /// bucket (a public project's OpenAI page had two `gpt-5` rows of one project, key, batch and
  /// tier, 8 requests and 1, its cost report matching both), and the second was refused as a
  /// conflicting duplicate, its usage lost, with no way for the user to act. The sum is the same
  /// however often the bucket is fetched, so its key stays the row's.
  static func checked(_ rows: [(record: UsageRecord, members: [String: String])], file: String) throws
    -> [UsageRecord]
  {
    let records = rows.map(\.record)
    guard records.count > 1 else { return records }
    var first: [String: Int] = [:]
    for (i, r) in records.enumerated() {
      guard let j = first[r.naturalKey] else {
        first[r.naturalKey] = i
        continue
      }
      let names = Set(rows[i].members.keys).union(rows[j].members.keys)
      let differing = names.filter { rows[i].members[$0] != rows[j].members[$0] }.sorted()
      guard let name = differing.first else { continue }
      let values = differing.map { n in
        "\(n) \(rows[j].members[n].map(JSONText.quoted) ?? "missing") and \(rows[i].members[n].map(JSONText.quoted) ?? "missing")"
      }
      throw InputError(
        file: file, line: r.line, path: r.jsonPath, field: name,
        message: "this row and \(records[j].jsonPath ?? "an earlier row") of the same bucket have the same grouping"
          + " values the tool reads and differ by \(values.joined(separator: ", ")): a grouping the tool does not"
          + " read (a group_by value it does not know); charged as one row, one of them would be lost. Fetch the"
          + " pages without that grouping (docs/formats.md lists the group_by values read)")
    }
    guard first.count < records.count else { return records }
    var merged: [UsageRecord] = []
    var at: [String: Int] = [:]
    for r in records {
      guard let k = at[r.naturalKey] else {
        at[r.naturalKey] = merged.count
        merged.append(r)
        continue
      }
      // A sum past Bounds is refused where every record is checked; one past Int64 (a hostile
      // bucket of a million rows at the bound) is held at Int64.max, refused there too.
      func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
      }
      for c in TokenClass.allCases { merged[k].tokens[c] = add(merged[k].tokens[c], r.tokens[c]) }
      merged[k].requests = add(merged[k].requests, r.requests)
      if let b = r.billed { merged[k].billed = (merged[k].billed ?? .zero) + b }
    }
    return merged
  }
}
