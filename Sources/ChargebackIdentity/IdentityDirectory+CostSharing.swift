import ChargebackModel
import ChargebackSupport
import Foundation

/// The optional `allocation.csv` and `commitments.csv` beside the identity files (SPEC §12), read
/// and checked like the other identity files: a bad row stops the run with exit 65 naming the
/// file, the line and the column.
extension IdentityDirectory {
  /// Reads both files when present; called once the cost centres and credentials are known.
  mutating func loadCostSharing(_ directory: String) throws {
    let allocationPath = (directory as NSString).appendingPathComponent("allocation.csv")
    if FileManager.default.fileExists(atPath: allocationPath) {
      allocationRules = try readAllocation(read(directory, "allocation.csv"))
    }
    let commitmentsPath = (directory as NSString).appendingPathComponent("commitments.csv")
    if FileManager.default.fileExists(atPath: commitmentsPath) {
      commitmentsFile = commitmentsPath
      commitments = try readCommitments(read(directory, "commitments.csv"))
    }
  }

  /// The rules of `allocation.csv`, in file order.
  func readAllocation(_ t: CSVTable) throws -> [AllocationRule] {
    try t.require(["rule_id", "source", "method", "targets"])
    var rules: [AllocationRule] = []
    var ids = Set<String>()
    for r in t.rows {
      func bad(_ field: String, _ message: String) -> InputError {
        InputError(file: t.file, line: r.line, field: field, message: message)
      }
      let id = try t.req(r, "rule_id")
      try t.unique(ids.insert(id).inserted, r, "rule_id", id)
      let sourceText = try t.req(r, "source")
      let source: AllocationRule.Source
      var sourceCentre: String?
      if sourceText == Attribution.unattributed {
        source = .unattributed
        sourceCentre = Attribution.unattributed
      } else if sourceText.hasPrefix("cost_centre:") {
        let cc = String(sourceText.dropFirst("cost_centre:".count))
        guard costCentres[cc] != nil else { throw bad("source", "\"\(cc)\" is not in cost_centres.csv") }
        source = .costCentre(cc)
        sourceCentre = cc
      } else if sourceText.hasPrefix("credential:") {
        let id = String(sourceText.dropFirst("credential:".count))
        let rows = credentials.filter { $0.id == id }
        guard !rows.isEmpty else { throw bad("source", "\"\(id)\" is not in credentials.csv") }
        guard rows.contains(where: { $0.agentID == nil }) else {
          throw bad(
            "source", "credential \"\(id)\" is bound to an agent, so it is never charged to its own cost centre")
        }
        // The rule moves what the credential's own cost centre is charged; with none, its calls are
        // UNATTRIBUTED and the rule moved nothing, without a word.
        guard let own = rows.first(where: { $0.agentID == nil && $0.costCentre != nil })?.costCentre else {
          throw bad(
            "source",
            "credential \"\(id)\" has no cost_centre in credentials.csv, so its calls that name no agent are"
              + " UNATTRIBUTED and this rule would move nothing: give it a cost_centre, or share UNATTRIBUTED")
        }
        source = .credential(id)
        sourceCentre = own
      } else if sourceText.hasPrefix("fixed:") {
        let text = String(sourceText.dropFirst("fixed:".count))
        guard let pico = DecimalText.parse(text, decimals: 12), pico > 0, pico <= Bounds.money else {
          throw bad("source", "\"\(text)\" is not a USD amount above 0 and at most 9000000")
        }
        source = .fixed(Money(pico: pico))
      } else {
        throw bad(
          "source",
          "\"\(sourceText)\" is not UNATTRIBUTED, cost_centre:<id>, credential:<id> or fixed:<usd>")
      }
      let targetsText = try t.req(r, "targets")
      var targets: [String]?
      if targetsText != "*" {
        var list: [String] = []
        for part in targetsText.split(separator: ";", omittingEmptySubsequences: false) {
          let cc = part.trimmingCharacters(in: .blanks)
          guard !cc.isEmpty else { throw bad("targets", "has an empty cost centre id") }
          try checkTarget(cc, bad)
          guard cc != sourceCentre else { throw bad("targets", "\"\(cc)\" is the rule's own source") }
          guard !list.contains(cc) else { throw bad("targets", "names \"\(cc)\" twice") }
          list.append(cc)
        }
        targets = list
      }
      let methodText = try t.req(r, "method")
      let basisText = t.value(r.fields, "basis")
      let sharesText = t.value(r.fields, "shares")
      let method: AllocationRule.Method
      switch methodText {
      case "even": method = .even
      case "proportional":
        guard let b = basisText else { throw bad("basis", "is empty (proportional needs cost, tokens or requests)") }
        guard let basis = AllocationRule.Basis(rawValue: b) else {
          throw bad("basis", "\"\(b)\" is not cost, tokens or requests")
        }
        method = .proportional(basis)
      case "fixed":
        guard let sharesText else { throw bad("shares", "is empty (fixed needs CC=percent;… adding up to 100)") }
        guard let list = targets else { throw bad("targets", "must name the cost centres of the shares, not *") }
        var shares: [String: Int128] = [:]
        var sum: Int128 = 0
        for part in sharesText.split(separator: ";") {
          // At the last `=`: the percentage never holds one, a cost-centre id may (`=cc+1=50`).
          guard let eq = part.lastIndex(of: "=") else { throw bad("shares", "\"\(part)\" is not CC=percent") }
          let pieces = [part[..<eq], part[part.index(after: eq)...]].map { $0.trimmingCharacters(in: .blanks) }
          guard !pieces[0].isEmpty else { throw bad("shares", "\"\(part)\" is not CC=percent") }
          guard let v = DecimalText.parse(pieces[1], decimals: 6), v > 0, v <= Commitment.wholePercent else {
            throw bad("shares", "\"\(pieces[1])\" is not a percentage above 0 and at most 100 (6 decimals at most)")
          }
          guard list.contains(pieces[0]) else { throw bad("shares", "\"\(pieces[0])\" is not one of the targets") }
          guard shares[pieces[0]] == nil else { throw bad("shares", "names \"\(pieces[0])\" twice") }
          shares[pieces[0]] = v
          sum += v
        }
        if let missing = list.first(where: { shares[$0] == nil }) {
          throw bad("shares", "has no share for target \"\(missing)\"")
        }
        guard sum == Commitment.wholePercent else {
          throw bad("shares", "add up to \(Money.format(units: sum, decimals: 6).trimmedDecimal), not 100")
        }
        method = .fixed(shares)
      default:
        throw bad("method", "\"\(methodText)\" is not even, fixed or proportional")
      }
      if basisText != nil, case .proportional = method {
      } else if basisText != nil {
        throw bad("basis", "is only for method proportional")
      }
      if sharesText != nil, case .fixed = method {
      } else if sharesText != nil {
        throw bad("shares", "is only for method fixed")
      }
      let from = try t.date(r, "effective_from")
      let to = try t.date(r, "effective_to")
      if let from, let to, to <= from { throw bad("effective_to", "is not after effective_from") }
      rules.append(
        AllocationRule(id: id, source: source, method: method, targets: targets, from: from, to: to, line: r.line))
    }
    return rules
  }

  /// Throws unless `cc` is a registered cost centre a rule may charge.
  private func checkTarget(_ cc: String, _ bad: (String, String) -> InputError) throws {
    guard cc.uppercased() != Attribution.unattributed else {
      throw bad("targets", "\"\(cc)\" is never a target: spend nobody can be charged for is only a source")
    }
    guard costCentres[cc] != nil else {
      // `;` separates targets, so an id that holds one cannot be named: say so instead of
      // naming a piece of it.
      let split = costCentres.keys.filter { $0.contains(";") && $0.split(separator: ";").contains { $0 == cc } }
        .sorted()
      if let whole = split.first {
        throw bad(
          "targets",
          "\"\(cc)\" is not in cost_centres.csv; the cost centre \"\(whole)\" holds a \";\", which separates"
            + " targets here: give it an id without one")
      }
      throw bad("targets", "\"\(cc)\" is not in cost_centres.csv")
    }
  }

  /// The rows of `commitments.csv`, in file order.
  func readCommitments(_ t: CSVTable) throws -> [Commitment] {
    try t.require(["commitment_id", "provider", "kind", "models"])
    var rows: [Commitment] = []
    var ids = Set<String>()
    for r in t.rows {
      func bad(_ field: String, _ message: String) -> InputError {
        InputError(file: t.file, line: r.line, field: field, message: message)
      }
      let id = try t.req(r, "commitment_id")
      try t.unique(ids.insert(id).inserted, r, "commitment_id", id)
      let providerText = try t.req(r, "provider")
      guard let provider = Provider(rawValue: providerText) else {
        throw bad("provider", "\"\(providerText)\" is not openai, anthropic, bedrock, azure, vertex or other")
      }
      let kindText = try t.req(r, "kind")
      guard let kind = Commitment.Kind(rawValue: kindText) else {
        throw bad("kind", "\"\(kindText)\" is not discount or provisioned")
      }
      let models = try t.req(r, "models").split(separator: ";").map { $0.trimmingCharacters(in: .blanks) }
        .filter { !$0.isEmpty }
      guard !models.isEmpty else { throw bad("models", "names no model") }
      var c = Commitment(
        id: id, provider: provider, kind: kind, models: models.map(Glob.init), line: r.line)
      c.description = t.value(r.fields, "description")
      for column in ["effective_from", "effective_to"] {
        guard let v = try t.date(r, column) else { continue }
        guard v % Timestamp.millisPerDay == 0 else { throw bad(column, "is not a UTC date (a midnight)") }
        if column == "effective_from" { c.from = v } else { c.to = v }
      }
      if let from = c.from, let to = c.to, to <= from { throw bad("effective_to", "is not after effective_from") }
      switch kind {
      case .discount:
        guard let text = t.value(r.fields, "discount_percent") else {
          throw bad("discount_percent", "is empty (a discount needs its percentage)")
        }
        guard let v = DecimalText.parse(text, decimals: 6), v > 0, v <= Commitment.wholePercent else {
          throw bad("discount_percent", "\"\(text)\" is not a percentage above 0 and at most 100 (6 decimals at most)")
        }
        c.discount = v
      case .provisioned:
        guard let fee = try t.money(r, "amount_usd") else {
          throw bad("amount_usd", "is empty (provisioned capacity needs its monthly fee)")
        }
        guard fee.pico <= Bounds.money else { throw bad("amount_usd", "is more than 9000000") }
        c.monthlyFee = fee
        let owner = try t.req(r, "owner_cost_centre")
        guard owner.uppercased() != Attribution.unattributed else {
          throw bad("owner_cost_centre", "\"\(owner)\" is reserved; idle capacity needs a real owner")
        }
        guard costCentres[owner] != nil else {
          throw bad("owner_cost_centre", "\"\(owner)\" is not in cost_centres.csv")
        }
        c.ownerCostCentre = owner
      }
      rows.append(c)
    }
    return rows
  }

  /// Throws when two commitment rows of one provider and kind overlap (SPEC §12).
  ///
  /// They overlap when their dates
  /// overlap within `period` and a raw model id seen in the period (`models`, by provider) matches
  /// both. The error names the later row.
  package func checkCommitmentOverlaps(period: Period, models: (Provider) throws -> [String]) throws {
    var seen: [Provider: [String]] = [:]
    for (i, b) in commitments.enumerated() {
      for a in commitments[..<i] where a.provider == b.provider && a.kind == b.kind {
        let start = max(a.from ?? .min, b.from ?? .min, period.startMillis)
        let end = min(a.to ?? .max, b.to ?? .max, period.endMillis)
        guard start < end else { continue }
        if seen[b.provider] == nil { seen[b.provider] = try models(b.provider) }
        guard let m = seen[b.provider]?.first(where: { a.matches(model: $0) && b.matches(model: $0) }) else { continue }
        throw InputError(
          file: commitmentsFile ?? "commitments.csv", line: b.line, field: "models",
          message:
            "commitment \(b.id) overlaps \(a.id) (line \(a.line)): both cover model \"\(m)\" from \(Timestamp.day(start))"
        )
      }
    }
  }
}

extension String {
  /// A decimal without trailing fraction zeros (`40.500000` → `40.5`, `99.000000` → `99`).
  fileprivate var trimmedDecimal: String {
    guard contains(".") else { return self }
    var s = self
    while s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }
}
