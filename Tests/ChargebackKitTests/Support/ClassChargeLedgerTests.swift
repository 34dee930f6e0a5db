import Foundation
import Testing

@testable import ChargebackModel
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// `ClassChargeLedger` must give each FOCUS charge (group, token class, price row) once, its
/// amounts summed over every run it came in, in the same order whether the charges stayed in one
/// run in memory or went to disk in runs, and merged in rounds when the runs are many.
@Suite struct ClassChargeLedgerTests {
  /// What a charge is told apart by, as the test has it.
  struct Key: Hashable {
    var day: String
    var credential: String?
    var model: String
    var tier: Tier
    var tokenClass: TokenClass
    var rate: Int64
    var costCentre: String
    var agent: String?
    var account: String?
  }

  struct Sums: Equatable {
    var units: Int128 = 0
    var cost: Int128 = 0
    var listCost: Int128 = 0
  }

  /// One append: a group, its token class and price row, and its amounts.
  struct Charge {
    var group: ClassChargeGroup
    var tokenClass: TokenClass
    var row: Int
    var units: Int128
    var cost: Int128
    var listCost: Int128
  }

  static let prices = [
    AppliedPrice(rate: Rate(microPerMillion: 3_000_000), from: 0, minInputTokens: 0),
    AppliedPrice(rate: Rate(microPerMillion: 6_000_000), from: 0, minInputTokens: 200_000),
  ]

  /// `count` charges of 400 groups over four days, with texts that sort differently as bytes and
  /// as Swift strings and now and then an amount past 64 bits.
  static func charges(_ count: Int, seed: UInt64) -> [Charge] {
    var rng = SplitMix64(seed: seed)
    let firstDay: Int64 = 20_362  // 2025-10-01
    return (0..<count).map { _ in
      let g = rng.below(400)
      let credential: String? = g % 7 == 0 ? nil : ["cred-\(g % 41)", "é-\(g % 3)", "e\u{301}-\(g % 3)"][g % 3]
      let group = ClassChargeGroup(
        day: firstDay + Int64(g % 4), credentialID: credential, provider: .openai, model: ["gpt-4o", "o3"][g % 2],
        tier: g % 5 == 0 ? .batch : .standard, costCentre: "CC-\(g % 9)", agentID: g % 3 == 0 ? nil : "agent-\(g % 13)",
        account: g % 4 == 0 ? nil : "acct-\(g % 6)", commitmentID: nil)
      let big = rng.below(60) == 0
      return Charge(
        group: group, tokenClass: [TokenClass.input, .output, .cachedInput][rng.below(3)], row: rng.below(2),
        units: Int128(rng.below(1_000_000)), cost: big ? Int128(1) << 90 : Int128(rng.below(1_000_000_000)),
        listCost: Int128(rng.below(2_000_000_000)))
    }
  }

  /// The day's name, worked out with Foundation's calendar.
  static func dayName(_ day: Int64) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd"
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(day) * 86_400))
  }

  /// Feeds `charges` to a ledger, ending a run after `runLength` charges and whenever a charge
  /// would come twice in one run; returns what it reads back, in its order.
  static func readBack(_ charges: [Charge], runLength: Int?, directory: String) throws -> (
    charges: [ClassCharge], runs: Int
  ) {
    let ledger = try filled(charges, runLength: runLength, directory: directory)
    var out: [ClassCharge] = []
    try ledger.forEachCharge { out.append($0) }
    return (out, ledger.spilledRuns)
  }

  /// A ledger fed `charges`, finished, as ``readBack(_:runLength:directory:)`` feeds it.
  static func filled(_ charges: [Charge], runLength: Int?, directory: String) throws -> ClassChargeLedger {
    let ledger = ClassChargeLedger(directory: directory)
    var numbers = Numbers()
    var inRun = Set<[AnyHashable]>()
    for c in charges {
      let id: [AnyHashable] = [c.group, c.tokenClass, c.row]
      if inRun.contains(id) || (runLength.map { inRun.count >= $0 } ?? false) {
        try ledger.endRun()
        inRun = []
      }
      inRun.insert(id)
      numbers.append(c, to: ledger)
    }
    try ledger.finish(credentialNames: ["cred-1": "the first"])
    return ledger
  }

  /// The ledger's numbers of the groups (without their day and account) and accounts the test
  /// has given it.
  struct Numbers {
    var groups: [ClassChargeGroup: Int32] = [:]
    var accounts: [String?: Int32] = [:]

    /// Appends `c` to `ledger`, numbering its group and account first when new.
    mutating func append(_ c: Charge, to ledger: ClassChargeLedger) {
      var bare = c.group
      (bare.day, bare.account) = (0, nil)
      let g = c.group
      let group =
        groups[bare]
        ?? ledger.addGroup(
          provider: g.provider, credentialID: g.credentialID, model: g.model, tier: g.tier, costCentre: g.costCentre,
          agentID: g.agentID, commitmentID: g.commitmentID)
      groups[bare] = group
      let account = accounts[g.account] ?? ledger.addAccount(g.account)
      accounts[g.account] = account
      ledger.append(
        group: group, account: account, day: g.day, tokenClass: c.tokenClass, price: prices[c.row], row: c.row,
        units: c.units, cost: Money(pico: c.cost), listCost: Money(pico: c.listCost))
    }
  }

  @Test(arguments: [1, 5, 64, 1_000, nil])
  func eachChargeOnceSummedOverItsRunsInOneOrder(runLength: Int?) throws {
    let dir = try TestSupport.tempDir("class-ledger")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let charges = Self.charges(6_000, seed: 11)
    var expected: [Key: Sums] = [:]
    for c in charges {
      let g = c.group
      let key = Key(
        day: Self.dayName(g.day), credential: g.credentialID, model: g.model, tier: g.tier, tokenClass: c.tokenClass,
        rate: Self.prices[c.row].rate.microPerMillion, costCentre: g.costCentre, agent: g.agentID, account: g.account)
      expected[key, default: Sums()].units += c.units
      expected[key, default: Sums()].cost += c.cost
      expected[key, default: Sums()].listCost += c.listCost
    }
    let (read, runs) = try Self.readBack(charges, runLength: runLength, directory: dir)
    // Each repeat of a group's class and row in a run ends it: many runs even without a length.
    #expect(runs > (runLength == 1 ? 5_000 : 1))
    var got: [Key: Sums] = [:]
    for c in read {
      let key = Key(
        day: c.day, credential: c.credentialID, model: c.model, tier: c.tier, tokenClass: c.tokenClass,
        rate: c.price.rate.microPerMillion, costCentre: c.costCentre, agent: c.agentID, account: c.account)
      #expect(got[key] == nil, "\(key) read twice")
      got[key] = Sums(units: c.units, cost: c.cost.pico, listCost: c.listCost.pico)
      #expect(c.credentialName == (c.credentialID == "cred-1" ? "the first" : nil))
    }
    // Compared key by key, so that a failure names a few charges rather than printing thousands.
    #expect(got.count == expected.count)
    let wrong = expected.filter { got[$0.key] != $0.value }
    #expect(wrong.isEmpty, "\(wrong.count) charges differ, among them \(wrong.prefix(2))")
    // The same order as the charges summed in memory (one run, sorted once).
    let single = try Self.readBack(Self.sumsAsCharges(charges), runLength: nil, directory: dir)
    #expect(single.runs == 0)
    #expect(read == single.charges)
    // Nothing is left in the folder: the runs' file was unlinked when made.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }

  /// `charges` summed per charge by the test, each once: a single run held in memory.
  static func sumsAsCharges(_ charges: [Charge]) -> [Charge] {
    var order: [[AnyHashable]] = []
    var sums: [[AnyHashable]: Charge] = [:]
    for c in charges {
      let id: [AnyHashable] = [c.group, c.tokenClass, c.row]
      if var s = sums[id] {
        (s.units, s.cost, s.listCost) = (s.units + c.units, s.cost + c.cost, s.listCost + c.listCost)
        sums[id] = s
      } else {
        sums[id] = c
        order.append(id)
      }
    }
    return order.compactMap { sums[$0] }
  }

  /// The amounts read alone are those of the whole charges, in their order, with texts that hold
  /// a 0 byte (written escaped in the key) before, in and after the fields read, and commitments.
  @Test(arguments: [5, nil])
  func amountsReadAloneAreThoseOfTheCharges(runLength: Int?) throws {
    let dir = try TestSupport.tempDir("class-ledger-amounts")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let charges = Self.charges(3_000, seed: 23).map { c in
      var c = c
      // Functions of the group's fields, so that a group stays one group.
      if c.group.model == "o3" { c.group.model = "o3\u{0}mini" }
      if c.group.costCentre == "CC-3" { c.group.costCentre = "CC\u{0}3" }
      if c.group.credentialID == "é-1" { c.group.credentialID = "\u{0}é" }
      if c.group.agentID == "agent-4" { c.group.agentID = "agent\u{0}" }
      if c.group.account == "acct-2" { c.group.account = "acct\u{0}\u{0}2" }
      if c.group.costCentre == "CC-2" || c.group.costCentre == "CC\u{0}3" {
        c.group.commitmentID = c.group.tier == .batch ? "commit\u{0}B" : "commit-A"
      }
      return c
    }
    let ledger = try Self.filled(charges, runLength: runLength, directory: dir)
    var whole: [ClassCharge] = []
    try ledger.forEachCharge { whole.append($0) }
    var amounts: [ClassChargeAmount] = []
    try ledger.forEachChargeAmount { amounts.append($0) }
    // The escaped texts came back whole, and there are charges under each commitment.
    #expect(whole.contains { $0.costCentre == "CC\u{0}3" && $0.commitmentID == "commit\u{0}B" })
    #expect(whole.contains { $0.account == "acct\u{0}\u{0}2" && $0.agentID == "agent\u{0}" })
    #expect(whole.contains { $0.model == "o3\u{0}mini" && $0.commitmentID != nil })
    #expect(whole.contains { $0.credentialID == "\u{0}é" && $0.agentID == "agent\u{0}" })
    #expect(whole.contains { $0.commitmentID == "commit-A" })
    try #require(amounts.count == whole.count)
    let first = amounts.indices.first { amounts[$0] != ClassChargeAmount(whole[$0]) }
    #expect(first == nil, "charge \(first ?? 0) differs: \(first.map { "\(amounts[$0]) for \(whole[$0])" } ?? "")")
  }

  @Test func aRunThatCannotBeWrittenIsAnErrorNamingTheFolder() throws {
    let ledger = ClassChargeLedger(directory: "/nonexistent-chargeback-folder")
    var numbers = Numbers()
    for c in Self.charges(3, seed: 5) { numbers.append(c, to: ledger) }
    #expect {
      try ledger.endRun()
    } throws: { error in
      "\(error)".contains("/nonexistent-chargeback-folder") && "\(error)".contains("TMPDIR")
    }
  }
}
