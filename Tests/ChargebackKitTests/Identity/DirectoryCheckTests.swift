import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// A Bedrock row of `credentials.csv` that no call can match (a role's IAM path in a session ARN,
/// a `*` in an IAM role ARN) stops the report at load, naming file, line and field, with the row
/// to write instead; every form that can match is accepted as before.
@Suite struct UnmatchableRowTests {
  /// Rows that match nothing, and what the message must offer instead.
  static let unmatchable: [(id: String, offers: [String])] = [
    (
      "arn:aws:sts::123456789012:assumed-role/team/invoice-bot/*",
      ["arn:aws:sts::123456789012:assumed-role/invoice-bot/*", "arn:aws:iam::123456789012:role/team/invoice-bot"]
    ),
    (
      "arn:aws-us-gov:sts::210987654321:assumed-role/a/b/c/*",
      ["arn:aws-us-gov:sts::210987654321:assumed-role/c/*", "arn:aws-us-gov:iam::210987654321:role/a/b/c"]
    ),
    (
      "arn:aws:sts::123456789012:assumed-role/team/invoice-bot/session-1",
      [
        "write arn:aws:sts::123456789012:assumed-role/invoice-bot/session-1 ",
        "arn:aws:sts::123456789012:assumed-role/invoice-bot/*", "arn:aws:iam::123456789012:role/team/invoice-bot",
      ]
    ),
    (
      "arn:aws-cn:sts::123456789012:assumed-role/team/invoice-bot/",
      ["arn:aws-cn:sts::123456789012:assumed-role/invoice-bot/*", "arn:aws-cn:iam::123456789012:role/team/invoice-bot"]
    ),
  ]

  /// Rows some call can match: left alone.
  static let matchable = [
    "arn:aws:sts::123456789012:assumed-role/invoice-bot/*",
    "arn:aws:sts::123456789012:assumed-role/invoice-bot/nightly-*",
    "arn:aws:sts::123456789012:assumed-role/invoice-bot/i-0abc",
    "arn:aws:sts::123456789012:assumed-role/invoice-*",
    "arn:aws:sts::123456789012:assumed-role/*",
    "arn:aws:iam::123456789012:role/team/invoice-bot",
    "arn:aws:iam::123456789012:role/invoice-bot",
    "arn:aws:iam::123456789012:user/alice",
    // IAM ARNs, prefixes included: an OTel span's credential id may carry one.
    "arn:aws:iam::123456789012:role/ops-*",
    "arn:aws:iam::123456789012:role/team/*",
    "arn:aws:iam::123456789012:role/*",
    "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/user@example.com",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
    "sk-proj-abc",
    "*",
  ]

  @Test func rowsThatMatchNothingAreNamedWithTheRowToWrite() {
    for (id, offers) in Self.unmatchable {
      let why = Attributor.unmatchableAWSRow(id)
      #expect(why != nil, "\(id) was accepted")
      for offer in offers { #expect(why?.contains(offer) == true, "\(id): \(why ?? "nil") lacks \(offer)") }
    }
    for id in Self.matchable { #expect(Attributor.unmatchableAWSRow(id) == nil, "\(id) was refused") }
  }

  /// What each suggestion says is what the attributor does: the row offered matches a session of
  /// the role the refused row meant.
  @Test func theRowOfferedMatchesTheRolesSessions() throws {
    let session = "arn:aws:sts::123456789012:assumed-role/invoice-bot/lambda-7f3a"
    for offered in [
      "arn:aws:sts::123456789012:assumed-role/invoice-bot/*", "arn:aws:iam::123456789012:role/team/invoice-bot",
    ] {
      let a = try AttributorFixture.attributor(
        credentials: """
          credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
          \(offered),bedrock,triage,,,,,
          """)
      let call = UsageRecord(
        provider: .bedrock, level: .request, format: "bedrock-invocation-log", naturalKey: "bedrock:r1",
        requestID: "r1", time: AttributorFixture.At.oct05, credential: session, model: "m", tier: .standard,
        tokens: TokenCounts(input: 1))
      #expect(a.attribute(call).credentialID == offered, "\(offered)")
    }
  }

  @Test func loadingStopsAtTheRowNamingFileLineAndField() throws {
    let (id, offers) = Self.unmatchable[0]
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in AttributorFixture.identityFiles {
      let body =
        name == "credentials.csv"
        ? """
        credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
        key_ok,openai,triage,,,,,
        \(id),bedrock,triage,,,,,
        """ : text
      try (body + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.file.hasSuffix("credentials.csv"))
    #expect(error.line == 3)
    #expect(error.field == "credential_id")
    for offer in offers { #expect(error.description.contains(offer)) }
    #expect(error.exitStatus == 65)
  }

  /// The same id under another provider is not an AWS name to check.
  @Test func otherProvidersRowsAreNotChecked() throws {
    let (id, _) = Self.unmatchable[0]
    _ = try AttributorFixture.attributor(
      credentials: """
        credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description
        \(id),openai,triage,,,,,
        """)
  }
}

/// An agent's owner missing from people.csv (an HR export that drops leavers) stops the load: the
/// agent's calls after its owner left would otherwise pass without `offboarded_owner`.
@Suite struct MissingOwnerTests {
  @Test func anOwnerNotInPeopleIsNamedWithFileLineAndField() throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in AttributorFixture.identityFiles {
      // bob (offboarded, owner of `orphan` on agents.csv line 5) is dropped from people.csv.
      let body =
        name == "people.csv"
        ? text.split(separator: "\n").filter { !$0.hasPrefix("bob,") }.joined(separator: "\n") : text
      try (body + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.file.hasSuffix("agents.csv"))
    #expect(error.line == 5)
    #expect(error.field == "owner")
    #expect(error.description.contains("\"bob\" is not in people.csv"))
    #expect(error.exitStatus == 65)
    // With bob back, the same directory loads.
    _ = try AttributorFixture.attributor()
  }
}

/// Every reference to a cost centre or a scope must name one the directory has: a typo made a
/// cost centre of its own (a workbook, no budget, no share of `*` allocations), or turned a scope's
/// checks off, without a word (a helper's trial).
@Suite struct DirectoryReferenceTests {
  @Test(arguments: [
    ("credentials.csv", ",CC-SHARED,", ",CC-Shared,", "cost_centre", "\"CC-Shared\" is not in cost_centres.csv"),
    ("people.csv", ",CC-ALICE,", ",Finance Dept,", "cost_centre", "\"Finance Dept\" is not in cost_centres.csv"),
    ("agents.csv", ",scope-agent,", ",scope-agnt,", "scope_id", "\"scope-agnt\" is not in scopes.csv"),
    // Values outside a closed set: a gateway's name as a provider would deny every call of the scope.
    ("scopes.csv", ",openai; Anthropic,", ",openai; litellm,", "allowed_providers", "\"litellm\" is not a provider"),
    ("scopes.csv", ",bedrock,", ",aws,", "allowed_providers", "\"aws\" is not a provider"),
    ("agents.csv", ",agent,alice,", ",assistant,alice,", "kind", "\"assistant\" is not agent, service_account"),
  ])
  func aReferenceToNothingIsNamed(file: String, from: String, to: String, field: String, message: String) throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var changedLine = 0
    for (name, text) in AttributorFixture.identityFiles {
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if name == file, let k = lines.firstIndex(where: { $0.contains(from) }) {
        lines[k] = lines[k].replacingOccurrences(of: from, with: to)
        changedLine = k + 1
      }
      try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    try #require(changedLine > 0)
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.file.hasSuffix(file))
    #expect(error.line == changedLine)
    #expect(error.field == field)
    #expect(error.description.contains(message), "\(error)")
    #expect(error.exitStatus == 65)
  }

  /// An optional column whose header differs in case is read (`Revoked_At`), and a CR-only file
  /// (Excel for Mac) loads its rows.
  @Test func headerCaseAndCarriageReturnsAreRead() throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in AttributorFixture.identityFiles {
      var body = text + "\n"
      if name == "credentials.csv" { body = body.replacingOccurrences(of: "revoked_at", with: "Revoked_At") }
      if name == "people.csv" { body = body.replacingOccurrences(of: "\n", with: "\r") }
      try body.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    let d = try IdentityDirectory(directory: dir)
    #expect(d.people.count == 3)
    #expect(d.people["bob"]?.offboardedAt != nil)
    #expect(d.credentials.contains { $0.revokedAt != nil })
  }
}

/// Budgets are set and shown in cents: a fraction of a cent would show a budget (rounded) beside a
/// remaining budget worked out from the unrounded one.
@Suite struct BudgetCentsTests {
  @Test(arguments: [
    ("cost_centres.csv", "CC-PLATFORM,Platform,alice,1000", "CC-PLATFORM,Platform,alice,1000.005", 4),
    ("scopes.csv", "scope-any,,,,", "scope-any,,,,12.3456", 4),
  ])
  func aBudgetWithAFractionOfACentIsRefused(file: String, row: String, bad: String, line: Int) throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in AttributorFixture.identityFiles {
      let body = name == file ? text.replacingOccurrences(of: row, with: bad) : text
      #expect(name != file || body != text, "the row to change is in the fixture")
      try (body + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir) }
    #expect(error.file.hasSuffix(file))
    #expect(error.line == line)
    #expect(error.field == "monthly_budget_usd")
    #expect(error.exitStatus == 65)
  }
}

/// A credential row's provider must be one a call can have.
///
/// `aws` for `bedrock` matched no call, and its role's calls were reported as "not in
/// credentials.csv". Case does not matter.
@Suite struct CredentialProviderTests {
  @Test(arguments: [("aws", false), ("Bedrock", true), ("OPENAI", true), ("litellm", true), ("gcp", false)])
  func aCredentialsProviderIsOneACallCanHave(provider: String, accepted: Bool) throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (name, text) in AttributorFixture.identityFiles {
      let body =
        name == "credentials.csv"
        ? "credential_id,provider,agent_id,cost_centre,issued_at,expires_at,revoked_at,description\n"
          + "key_ok,openai,triage,,,,,\narn:aws:iam::1:role/r,\(provider),triage,,,,,"
        : text
      try (body + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }
    if accepted {
      let d = try IdentityDirectory(directory: dir)
      #expect(d.credentials.last?.provider == provider.lowercased())
    } else {
      let error = try #require(throws: InputError.self) { try IdentityDirectory(directory: dir) }
      #expect(error.file.hasSuffix("credentials.csv"))
      #expect(error.line == 3)
      #expect(error.field == "provider")
      #expect(error.message.hasPrefix("\"\(provider)\" is not a provider: one of openai, anthropic, bedrock"))
      #expect(error.exitStatus == 65)
    }
  }
}

/// A message that quotes a huge value is cut in its middle on the terminal, keeping the file, line
/// and field it starts with and the advice it ends with (a 40,000-character cost centre made one
/// stderr line of 40 KB).
@Suite struct HugeValueMessageTests {
  @Test func aHugeValueIsCutInTheMessageNotInItsNaming() throws {
    let huge = "CC-" + String(repeating: "9", count: 40_000)
    let message = "credentials.csv:4: cost_centre: \"\(huge)\" is not in cost_centres.csv"
    let shown = SafeText.message(message)
    #expect(shown.count <= SafeText.messageCharacters + 40)
    #expect(shown.hasPrefix("credentials.csv:4: cost_centre: \"CC-999"))
    #expect(shown.hasSuffix("999\" is not in cost_centres.csv"))
    #expect(shown.contains("…[\(message.count - 1_800) characters cut]…"))
    // Short messages are only escaped.
    #expect(SafeText.message("a\u{7}b") == "a\\u0007b")
  }

  /// Through the CLI: `report` over that directory exits 65 with one short stderr line that names
  /// the file, line and field.
  @Test func theCLIPrintsItCut() throws {
    let dir = try TestSupport.tempDir("identity")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/ids", withIntermediateDirectories: true)
    for (name, text) in AttributorFixture.identityFiles {
      let body =
        name == "credentials.csv"
        ? text.replacingOccurrences(of: ",CC-SHARED,", with: ",CC-\(String(repeating: "9", count: 40_000)),") : text
      try (body + "\n").write(toFile: dir + "/ids/" + name, atomically: true, encoding: .utf8)
    }
    let r = try TestSupport.runCLI([
      "report", "--period", "2026-10", "--identities", dir + "/ids", "--pricing", TestSupport.packageRoot + "/pricing",
      "--out", dir + "/out", "--db", dir + "/s.sqlite",
    ])
    #expect(r.status == 65)
    #expect(r.err.utf8.count < 2_500, "\(r.err.prefix(300))")
    #expect(r.err.contains("credentials.csv"))
    #expect(r.err.contains("cost_centre"))
    #expect(r.err.contains("characters cut"))
  }
}
