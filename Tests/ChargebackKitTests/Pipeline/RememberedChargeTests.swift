import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// The charge remembered by a record's store name ids (``StoreNameIDs``): a warm charger answers
/// every record as a fresh one that has never seen a name id does, across everything the memo's
/// key must tell apart.
@Suite struct RememberedChargeTests {
  typealias At = AttributorFixture.At

  /// A price table with a price change and an alias.
  ///
  /// gpt-4.1 input $2 per million until 2026-10-08, $3 from then; output $8 throughout;
  /// gpt-4o-mini input $1, output $4. An alias maps `gpt-4.1-2025-04-14` to gpt-4.1.
  static func prices() throws -> PriceTable {
    let dir = try TestSupport.tempDir("remembered-prices")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let rows = """
      provider,model,usage_type,tier,min_input_tokens,usd_per_million,effective_from,effective_to,source
      openai,gpt-4.1,input,standard,0,2,2026-01-01,2026-10-08,test
      openai,gpt-4.1,input,standard,0,3,2026-10-08,,test
      openai,gpt-4.1,output,standard,0,8,2026-01-01,,test
      openai,gpt-4o-mini,input,standard,0,1,2026-01-01,,test
      openai,gpt-4o-mini,output,standard,0,4,2026-01-01,,test
      """
    try (rows + "\n").write(toFile: dir + "/openai.csv", atomically: true, encoding: .utf8)
    try "provider,pattern,model\nopenai,gpt-4.1-2025-*,gpt-4.1\n".write(
      toFile: dir + "/aliases.csv", atomically: true, encoding: .utf8)
    return try PriceTable(directory: dir)
  }

  /// A 20 % discount on gpt-4o-mini from 2026-10-11.
  static let commitments = """
    commitment_id,provider,kind,models,discount_percent,amount_usd,owner_cost_centre,effective_from,effective_to
    D-MINI,openai,discount,gpt-4o-mini*,20,,,2026-10-11,
    """

  /// Ids as a store gives them: one per distinct text, the same text the same id.
  struct Names {
    var ids: [String: Int32] = [:]
    mutating func id(_ s: String?) -> Int32 {
      guard let s, !s.isEmpty else { return StoreNameIDs.none }
      if let known = ids[s] { return known }
      let next = Int32(ids.count)
      ids[s] = next
      return next
    }
    mutating func stored(_ r: UsageRecord) -> UsageRecord {
      var r = r
      r.storeNames = StoreNameIDs(
        credential: id(r.credential), project: id(r.project), model: id(r.model), agent: id(r.metadata.agentID))
      return r
    }
  }

  static func call(
    credential: String?, model: String = "gpt-4.1", agent: String? = nil, task: String? = nil, at time: Int64,
    alias: String? = nil
  ) -> UsageRecord {
    var r = AttributorFixture.call(.openai, credential: credential, agent: agent, task: task, at: time)
    r.model = model
    r.tokens = TokenCounts(input: 1_000_000, output: 100_000)
    r.credentialAlias = alias
    return r
  }

  /// Before and after a revocation on one day, across a price change and a discount's start,
  /// tasks whose scopes allow or forbid the model, a claimed agent, an alias and an unregistered
  /// key: each record, charged warm and remembered, is charged as a fresh charger charges it
  /// without ids; and the figures themselves are the ones worked out by hand.
  @Test func aWarmChargerAnswersAsAFreshOne() throws {
    // The fixture's keys, and one revoked at noon: the only answer that changes within a UTC day.
    let credentials = try #require(AttributorFixture.identityFiles.first { $0.0 == "credentials.csv" }?.1)
    let identities = try AttributorFixture.directory(
      credentials: credentials + "\nkey_noon,openai,triage,,,,2026-10-12T12:00:00Z,",
      extra: [("commitments.csv", Self.commitments)])
    let prices = try Self.prices()
    let hour: Int64 = 3_600_000
    let noon = At.oct11 + 28 * hour  // 2026-10-12T12:00Z
    var records: [UsageRecord] = []
    for time in [At.oct05, At.oct10 - hour, At.oct10, At.oct10 + hour, At.oct11, noon - hour, noon, At.oct16 + hour] {
      for model in ["gpt-4.1", "gpt-4.1-2025-04-14", "gpt-4o-mini"] {
        records.append(Self.call(credential: "key_revoked", model: model, at: time))
        records.append(Self.call(credential: "key_noon", model: model, at: time))
        records.append(Self.call(credential: "key_triage", model: model, task: "T-approved", at: time))
        records.append(Self.call(credential: "key_triage", model: model, task: "T-noscope", at: time))
        records.append(Self.call(credential: "key_triage", model: model, at: time))
        records.append(Self.call(credential: "key_mover", model: model, agent: "ghost", at: time))
        records.append(Self.call(credential: "key_unknown", model: model, at: time))
        records.append(Self.call(credential: "key_unknown", model: model, at: time, alias: "key_shared"))
      }
    }
    var names = Names()
    let stored = records.map { names.stored($0) }
    let warm = Charger(identities: identities, prices: prices)
    for (record, asStored) in zip(records + records, stored + stored) {
      let fresh = Charger(identities: identities, prices: prices).charge(record)
      var charged = ChargedRecord(uncharged: asStored)
      warm.charge(&charged)
      let what = "\(record.credential ?? "-") \(record.model) \(record.metadata.taskID ?? "-") \(record.time)"
      #expect(charged.attribution == fresh.attribution, "\(what)")
      #expect(charged.cost == fresh.cost, "\(what)")
      #expect(charged.listCost == fresh.listCost, "\(what)")
      #expect(charged.model == fresh.model, "\(what)")
      #expect(charged.inScope == fresh.inScope, "\(what)")
      #expect(charged.commitmentID == fresh.commitmentID, "\(what)")
    }

    func charged(_ r: UsageRecord) -> ChargedRecord {
      var c = ChargedRecord(uncharged: names.stored(r))
      warm.charge(&c)
      return c
    }
    // By hand: 1 M input and 0.1 M output tokens. gpt-4.1 before 2026-10-08: $2 + $0.80; after:
    // $3 + $0.80. gpt-4o-mini: $1 + $0.40, less 20 % from 2026-10-11: $0.80 + $0.32.
    #expect(charged(Self.call(credential: "key_triage", at: At.oct05)).cost == Money(pico: 2_800_000_000_000))
    #expect(charged(Self.call(credential: "key_triage", at: At.oct11)).cost == Money(pico: 3_800_000_000_000))
    let mini = { (t: Int64) in charged(Self.call(credential: "key_triage", model: "gpt-4o-mini", at: t)) }
    #expect(mini(At.oct05).cost == Money(pico: 1_400_000_000_000))
    #expect(mini(At.oct11).cost == Money(pico: 1_120_000_000_000))
    #expect(mini(At.oct11).commitmentID == "D-MINI")
    // Revoked at 2026-10-10T00:00: the call an hour before is not flagged, the one at it is.
    let revoked = { (t: Int64) in charged(Self.call(credential: "key_revoked", at: t)).attribution.signals }
    #expect(!revoked(At.oct10 - hour).contains(.revokedCredential))
    #expect(revoked(At.oct10).contains(.revokedCredential))
    let atNoon = { (t: Int64) in charged(Self.call(credential: "key_noon", at: t)).attribution.signals }
    #expect(!atNoon(noon - hour).contains(.revokedCredential))
    #expect(atNoon(noon).contains(.revokedCredential))
    // scope-task allows only gpt-4o-mini; the agent's scope-agent allows gpt-4.1*.
    #expect(!charged(Self.call(credential: "key_triage", task: "T-approved", at: At.oct05)).inScope)
    #expect(charged(Self.call(credential: "key_triage", task: "T-noscope", at: At.oct05)).inScope)
    #expect(charged(Self.call(credential: "key_triage", model: "gpt-4o-mini", at: At.oct05)).inScope == false)
  }

  /// With a session name per call the memo stops remembering (most look-ups miss), and the charges
  /// stay those of a fresh charger.
  @Test func namesThatNeverRepeatStillChargeAlike() throws {
    let identities = try AttributorFixture.directory()
    let prices = try Self.prices()
    let warm = Charger(identities: identities, prices: prices)
    var names = Names()
    for i in 0..<(Charger.rememberedLimit + 2_000) {
      let r = AttributorFixture.call(.bedrock, credential: AttributorFixture.role + "s-\(i)", at: At.oct05 + Int64(i))
      var c = ChargedRecord(uncharged: names.stored(r))
      warm.charge(&c)
      if i % 4_999 == 0 || i > Charger.rememberedLimit - 10 {
        let fresh = Charger(identities: identities, prices: prices).charge(r)
        #expect(c.attribution == fresh.attribution)
        #expect(c.cost == fresh.cost)
        #expect(c.attribution.costCentre == "CC-ROLE")
      }
    }
  }
}
