import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// Prefix rows are matched on bytes where the bytes settle it (`Attributor.PrefixRow`); the answer
/// must be `hasPrefix`'s (characters up to canonical equivalence) for every name, ASCII or not.
@Suite struct PrefixMatchTests {
  /// Prefixes (each a row `<prefix>*` of provider `bedrock`, cost centre `CC-<n>`), ASCII and not,
  /// of several lengths. (None ends in a carriage return: an id holding a control character is
  /// refused when the directory loads.)
  static let prefixes = [
    "arn:aws:sts::1:assumed-role/a/", "arn:aws:sts::1:assumed-role/ab/", "arn:aws:sts::1:assumed-role/",
    "caf\u{E9}-", "K-", "x", "\u{212A}z-", ";-", "`-",
  ]

  /// Names around each prefix: equal, longer, shorter, one byte off, a combining mark right after
  /// it or inside it, the Kelvin sign for a `K`, NFD for an NFC prefix, empty.
  static var names: [String] {
    var out = [
      "", "a", "arn", "cr\r\n1", "cr\r1", "cr\r", "cr\r\n\u{E9}", "x1\u{E9}", "\u{37E}-1", "\u{1FEF}-1",
      "cafe\u{301}-1", "caf\u{E9}-1", "\u{212A}-1", "K-1", "Kz-1", "k-1",
      "x\u{301}", "xy",
    ]
    for p in prefixes {
      out += [
        p, p + "1", p + "sess-42", String(p.dropLast()), p + "\u{301}", p + "\u{301}tail", String(p.dropLast()) + "?",
      ]
      out.append(p.replacingOccurrences(of: "K", with: "\u{212A}") + "1")
      out.append(p.decomposedStringWithCanonicalMapping + "1")
      out.append(p.precomposedStringWithCanonicalMapping + "1")
    }
    return out
  }

  /// With `padding` more rows (that no name starts with), a provider has more than 16 prefix rows
  /// and the answers are cached per name: each name is asked twice.
  @Test(arguments: [0, 12])
  func prefixRowsMatchAsHasPrefixDoes(padding: Int) throws {
    let rows = Self.prefixes + (0..<padding).map { "zz-filler-\($0)-" }
    let csv =
      "credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description\n"
      + rows.enumerated().map { "\"\($1)*\",bedrock,,CC-\($0),,,," }.joined(separator: "\n")
    let attributor = try AttributorFixture.attributor(credentials: csv)
    // The rule, written without the attributor: the longest prefix `hasPrefix` accepts (ties in
    // directory order).
    func expected(_ name: String) -> String? {
      let hits = Self.prefixes.enumerated().filter { name.hasPrefix($0.element) }
      let best = hits.max { ($0.element.count, $1.offset) < ($1.element.count, $0.offset) }
      return best.map { "CC-\($0.offset)" }
    }
    var checked = 0
    for name in Self.names + Self.names {
      let got = attributor.credential(provider: "bedrock", id: name, project: nil)?.costCentre
      #expect(got == expected(name), "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
      checked += 1
    }
    #expect(checked > 140)
    // The canonical cases are really exercised: a combining mark after a prefix ends the match,
    // and the NFD spelling of an NFC prefix matches it.
    #expect(expected("x\u{301}") == nil)
    #expect(expected("cafe\u{301}-1") == "CC-3")
  }

  /// More than 16 role rows and a session name per call: the match is the role's, cached once per
  /// role while no row reaches past a role into session names; with one that does, the sessions
  /// it names match it and the others their role's, each tried against its role's few rows.
  @Test(arguments: [false, true])
  func sessionsOfOneRoleShareTheirRolesMatch(oneRowReachesPastItsRole: Bool) throws {
    let role = { (k: Int) in "arn:aws:sts::1:assumed-role/role-\(k)/" }
    var rows = (0..<20).map { role($0) }
    if oneRowReachesPastItsRole { rows.append(role(3) + "nightly-") }
    let csv =
      "credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description\n"
      + rows.enumerated().map { "\"\($1)*\",bedrock,,CC-\($0),,,," }.joined(separator: "\n")
    let attributor = try AttributorFixture.attributor(credentials: csv)
    for call in 0..<2_000 {
      let k = call % 20
      let session = call % 7 == 0 ? "nightly-\(call)" : "i-\(call)"
      // Expected: the role's row, but `…/role-3/nightly-…` the longer row when there is one.
      let expected = oneRowReachesPastItsRole && k == 3 && session.hasPrefix("nightly-") ? "CC-20" : "CC-\(k)"
      let got = attributor.credential(provider: "bedrock", id: role(k) + session, project: nil)?.costCentre
      #expect(got == expected, "\(role(k) + session)")
    }
    // One entry a role either way: with a row past a role, the role's candidate rows (a trial's
    // session per call had been a scan of every row).
    #expect(attributor.cachedPrefixMatches == 20)
  }

  /// A role's candidate rows, found on bytes, are the rows `hasPrefix` keeps: those the role's ARN
  /// starts with and those that start with it, ASCII or not, in order.
  @Test func aRolesCandidatesAreThoseHasPrefixKeeps() throws {
    let role = "arn:aws:sts::1:assumed-role/role-1/"
    let prefixes = [
      "arn:aws:sts::1:assumed-role/role-1/ci-", "arn:aws:sts::1:assumed-role/role-12/", "arn:aws:sts::1:assumed-role/",
      "arn:aws:sts::1:assumed-role/role-1/", "arn:aws:sts::2:assumed-role/role-1/", "arn:aws:sts::1:assumed-role/rôle",
      "arn:aws:sts::1:assumed-role/role-1/café-", "arn:aws:sts::1:assumed-role/role-",
    ]
    let csv =
      "credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description\n"
      + prefixes.enumerated().map { "\"\($1)*\",bedrock,,CC-\($0),,,," }.joined(separator: "\n")
    let attributor = try AttributorFixture.attributor(credentials: csv)
    let rows = try #require(attributor.prefixes["bedrock"])
    let expected = rows.filter { role.hasPrefix($0.prefix) || $0.prefix.hasPrefix(role) }.map(\.prefix)
    #expect(Attributor.candidates(rows, role: role).map(\.prefix) == expected)
    // …/role-1/ci-, …/assumed-role/, …/role-1/, …/role-1/café- and …/role-.
    #expect(expected.count == 5)
  }
}
