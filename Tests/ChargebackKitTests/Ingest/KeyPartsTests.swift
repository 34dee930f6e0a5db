import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackKit
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// Report and cost rows' natural keys: their grouping values joined with `|`, each escaped so that
/// no two rows share a key, and unchanged for the values stores already hold.
@Suite struct KeyPartsTests {
  @Test func valuesAreEscapedAndMissingOnesAreADash() {
    #expect(KeyParts.join(["a", nil, "-", "x|y", #"c\d"#, ""]) == #"a|-|\-|x\|y|c\\d|"#)
    #expect(KeyParts.join(["openai", "usage", "1", "2", "proj_1", nil]) == "openai|usage|1|2|proj_1|-")
    #expect(KeyParts.escaped("k=v;w", also: [";", "="]) == #"k\=v\;w"#)
  }

  /// Every pair of part lists built from values that hold the separators, a lone dash or nothing
  /// gets two keys: the escaping loses nothing.
  @Test func differentPartsNeverShareAKey() {
    let values: [String?] = [nil, "-", "|", "\\", "-|", "|-", "\\|", "a", "a|-", "-|a", "", "\\-"]
    var lists: [[String?]] = []
    for a in values { for b in values { for c in values { lists.append([a, b, c]) } } }
    var seen: [String: [String?]] = [:]
    var clashes: [String] = []
    for list in lists {
      let key = KeyParts.join(list)
      if let other = seen[key], other != list { clashes.append("\(other) and \(list): \(key)") }
      seen[key] = list
    }
    #expect(clashes.count == 0, "first clashes: \(clashes.prefix(5))")
    // And each key reads back as its parts.
    #expect(lists.filter { KeyParts.split(KeyParts.join($0)) != $0 }.isEmpty)
  }

  /// The OpenAI rows that shared a key before (a project `P|-|K` with no user, and a project `P`
  /// with user `-|K|-`) are both stored, with their requests; an ordinary row's key is as before.
  @Test func openAIRowsThatSharedAKeyAreBothStored() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func result(project: String, user: String?, requests: Int) -> String {
      """
      {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 10,
       "num_model_requests": \(requests), "project_id": \(JSONText.quoted(project)),
       "user_id": \(user.map(JSONText.quoted) ?? "null"), "api_key_id": "key_1", "model": "gpt-4o-2024-08-06"}
      """
    }
    let page = """
      {"object": "page", "data": [{"object": "bucket", "start_time": 1790812800, "end_time": 1790899200,
        "results": [\(result(project: "P|-|K", user: nil, requests: 2)),
                    \(result(project: "P", user: "-|K|-", requests: 3)),
                    \(result(project: "proj_1", user: "user_1", requests: 5))]}]}
      """
    try page.write(toFile: dir + "/usage.json", atomically: true, encoding: .utf8)
    let store = try UsageStore(path: dir + "/s.sqlite")
    let ingestor = Ingestor(store: store, progress: ProgressReporter(force: false))
    let results = try ingestor.ingest(paths: [dir + "/usage.json"])
    #expect(results.first?.newRecords == 3)
    #expect(results.first?.conflicts == 0)
    var keys: [String: Int64] = [:]
    try store.forEachRecord(from: .min, to: .max) { keys[$0.record.naturalKey] = $0.record.requests }
    #expect(
      keys == [
        #"openai|usage|1790812800|1790899200|P\|-\|K|-|key_1|gpt-4o-2024-08-06|-|-"#: 2,
        #"openai|usage|1790812800|1790899200|P|-\|K\|-|key_1|gpt-4o-2024-08-06|-|-"#: 3,
        "openai|usage|1790812800|1790899200|proj_1|user_1|key_1|gpt-4o-2024-08-06|-|-": 5,
      ])
  }
}
