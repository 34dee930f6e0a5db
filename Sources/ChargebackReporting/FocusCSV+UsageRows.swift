import ChargebackModel
import ChargebackSupport

extension FocusCSV {
  /// The usage rows of `focus.csv`, one per class charge, each field as the CSV writer writes it
  /// (``CSVWriter/encoded(_:json:)``).
  ///
  /// Most of a row's fields are those of its SKU, day, account, credential or cost centre and
  /// agent, which repeat over millions of rows (the `directory` month: 4.8 million rows of 58
  /// fields): each is made, made safe and quoted once, and kept; only the amounts are made per
  /// row. Made per row, the fields were half of that month's report (perf: 48 % of its samples in
  /// writing `focus.csv`). The caches grow with the directory, the SKUs and the days.
  struct UsageRows {
    private let report: ChargebackReport
    private let at = Positions()
    private var blank: [[UInt8]]
    private var parts: [Part]
    /// The parts of ``parts`` made per row (all but `fixed`), in column order.
    private var dynamic: [Part] = []
    /// The row's billed amount's text (`BilledCost`, `EffectiveCost`, and in the pricing currency).
    private var billedText: [UInt8] = []
    private var skus: [SkuKey: Sku] = [:]
    private var days = Memo<String, (start: [UInt8], end: [UInt8])>()
    private var accounts = Memo<AccountKey, Account>()
    private var credentials = Memo<CredentialKey, (id: [UInt8], name: [UInt8], type: [UInt8])>()
    private var tags = Memo<TagKey, [UInt8]>()

    init(_ report: ChargebackReport) {
      self.report = report
      blank = [[UInt8]](repeating: [], count: columns.count)
      let constants: [(Int, String)] = [
        (at.billingCurrency, "USD"), (at.billingPeriodEnd, Timestamp.iso(report.period.endMillis)),
        (at.billingPeriodStart, Timestamp.iso(report.period.startMillis)), (at.chargeCategory, "Usage"),
        (at.chargeFrequency, "Usage-Based"), (at.pricingCurrency, "USD"),
        (at.serviceCategory, "AI and Machine Learning"), (at.serviceSubcategory, "Generative AI"),
      ]
      for (i, v) in constants { blank[i] = CSVWriter.encoded(v) }
      parts = [Part](repeating: .fixed, count: columns.count)
      let made: [(Int, Part)] = [
        (at.billedCost, .billed), (at.effectiveCost, .billed), (at.pricingCurrencyEffectiveCost, .billed),
        (at.chargePeriodStart, .chargePeriodStart), (at.chargePeriodEnd, .chargePeriodEnd),
        (at.consumedQuantity, .consumedQuantity), (at.pricingQuantity, .pricingQuantity),
        (at.listCost, .listCost), (at.contractedCost, .contractedCost),
        (at.billingAccountId, .billingAccountId), (at.billingAccountName, .billingAccountName),
        (at.billingAccountType, .billingAccountType), (at.subAccountId, .subAccountId),
        (at.subAccountName, .subAccountName), (at.subAccountType, .subAccountType),
        (at.resourceId, .resourceId), (at.resourceName, .resourceName), (at.resourceType, .resourceType),
        (at.tags, .tags),
      ]
      for (i, part) in made { parts[i] = part }
      dynamic = parts.filter { $0 != .fixed }
    }

    /// What a row's SKU fields depend on.
    private struct SkuKey: Hashable {
      var provider: Provider
      var model: String
      var tier: Tier
      var tokenClass: TokenClass
      var price: AppliedPrice
      var commitmentID: String?
    }

    /// A SKU's part of a row: every column but the row's own (``dynamic``) as the bytes written,
    /// commas included, and where each of the row's own goes among them (``cuts``, in the order of
    /// ``dynamic``); and, under a discount, what of the list it keeps.
    ///
    /// Why one run of bytes: a field per column, appended one by one, was a retain, a release and
    /// an append for each of some forty columns a row (perf, the `directory` month's `focus.csv`).
    private struct Sku {
      var bytes: [UInt8] = []
      var cuts: [Int] = []
      var discountKeep: Int128?
    }

    /// Where a column's field comes from: the row's amounts, its day, account, credential or tags,
    /// or (`fixed`) its SKU's field or the constant every row has.
    private enum Part {
      case billed, listCost, contractedCost, consumedQuantity, pricingQuantity
      case chargePeriodStart, chargePeriodEnd
      case billingAccountId, billingAccountName, billingAccountType, subAccountId, subAccountName, subAccountType
      case resourceId, resourceName, resourceType, tags
      case fixed
    }

    private struct CredentialKey: Hashable {
      var id: String?
      var name: String?
    }

    private struct TagKey: Hashable {
      var costCentre: String
      var agent: String?
    }

    /// Appends the row of `c`, billed `billed` millionths of a dollar, to `out` (no line end).
    ///
    /// Field by field into the document's bytes: an array of fields per row (58 of them, five made
    /// new) was a third of writing the file.
    mutating func write(_ c: ClassCharge, billed: Int128, to out: inout [UInt8]) {
      let sku = self.sku(c)
      let day = self.day(c.day)
      let account = self.account(c)
      let credential = self.credential(c)
      let tags = self.tags(c)
      // Made once, written three times (a slice of `out` appended to it would copy the document).
      billedText.removeAll(keepingCapacity: true)
      appendDecimal(billed, scale: 6, trimmed: false, to: &billedText)
      let billedText = self.billedText
      sku.bytes.withUnsafeBufferPointer { fixed in
        var from = 0
        // The row's own fields written here, not by a function called per field: the arrays passed
        // to it were retained and released at each call (thirteen of them, nineteen calls a row).
        for (j, part) in dynamic.enumerated() {
          out.append(contentsOf: UnsafeBufferPointer(rebasing: fixed[from..<sku.cuts[j]]))
          from = sku.cuts[j]
          switch part {
          case .billed: out.append(contentsOf: billedText)
          case .listCost: appendDecimal(c.listCost.pico, scale: 12, to: &out)
          case .contractedCost:
            appendDecimal(
              c.listCost.pico * (sku.discountKeep ?? 1), scale: sku.discountKeep == nil ? 12 : 20, to: &out)
          case .consumedQuantity: appendDecimal(c.units, scale: 0, to: &out)
          case .pricingQuantity: appendDecimal(c.units, scale: 6, to: &out)
          case .chargePeriodStart: out.append(contentsOf: day.start)
          case .chargePeriodEnd: out.append(contentsOf: day.end)
          case .billingAccountId: out.append(contentsOf: account.id)
          case .billingAccountName: out.append(contentsOf: account.name)
          case .billingAccountType: out.append(contentsOf: account.type)
          case .subAccountId: out.append(contentsOf: account.subID)
          case .subAccountName: out.append(contentsOf: account.subName)
          case .subAccountType: out.append(contentsOf: account.subType)
          case .resourceId: out.append(contentsOf: credential.id)
          case .resourceName: out.append(contentsOf: credential.name)
          case .resourceType: out.append(contentsOf: credential.type)
          case .tags: out.append(contentsOf: tags)
          case .fixed: break  // in the SKU's bytes
          }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: fixed[from...]))
      }
    }

    private mutating func sku(_ c: ClassCharge) -> Sku {
      let key = SkuKey(
        provider: c.provider, model: c.model, tier: c.tier, tokenClass: c.tokenClass, price: c.price,
        commitmentID: c.commitmentID)
      if let known = skus[key] { return known }
      let provider = providerName(c.provider)
      let unitName = c.tokenClass == .webSearch ? "Requests" : "Tokens"
      let rate = decimal(Int128(c.price.rate.microPerMillion), scale: 6)
      let sku = "\(c.provider.rawValue)/\(c.model)/\(c.tokenClass.rawValue)"
      let from = Timestamp.day(c.price.from)
      var description = "\(c.model) \(meter(c.tokenClass).lowercased()), \(c.tier.rawValue) tier"
      if c.price.minInputTokens > 0 { description += ", calls of at least \(c.price.minInputTokens) input tokens" }
      var text: [(Int, String)] = [
        (at.chargeDescription, description), (at.consumedUnit, unitName), (at.contractedUnitPrice, rate),
        (at.invoiceIssuerName, provider), (at.listUnitPrice, rate), (at.pricingCategory, "Standard"),
        (at.pricingCurrencyContractedUnitPrice, rate), (at.pricingCurrencyListUnitPrice, rate),
        (at.pricingUnit, "1000000 " + unitName), (at.providerName, provider),
        (at.publisherName, publisherName(model: c.model, provider: c.provider)),
        (at.serviceName, serviceName(c.provider)), (at.skuId, sku), (at.skuMeter, meter(c.tokenClass)),
        (at.skuPriceId, "\(sku)/\(c.tier.rawValue)/\(c.price.minInputTokens)/\(from)"),
      ]
      var fields = [[UInt8]?](repeating: nil, count: columns.count)
      var out = Sku()
      if let id = c.commitmentID, let commitment = report.commitments.first(where: { $0.commitment.id == id }) {
        for (name, value) in commitmentColumns(commitment.commitment, status: "Used") {
          text.append((position(name), value))
        }
        // FOCUS 1.2 PricingCategory-C-009-C: a row with a commitment discount is `Committed`.
        text.append((at.pricingCategory, "Committed"))
        if commitment.commitment.kind == .discount {
          // A negotiated discount's rate is the contracted one, list × (1 − d) (FOCUS: the unit
          // price "inclusive of negotiated discounts"); a trial read the list price there.
          let keep = Int128(100_000_000) - commitment.commitment.discount
          let contracted = decimal(Int128(c.price.rate.microPerMillion) * keep, scale: 14)
          text.append((at.contractedUnitPrice, contracted))
          text.append((at.pricingCurrencyContractedUnitPrice, contracted))
          out.discountKeep = keep
        }
      }
      for (i, v) in text { fields[i] = CSVWriter.encoded(v) }
      let details =
        "{\"x_ServiceTier\":\(json(c.tier.rawValue)),\"x_MinInputTokens\":\(c.price.minInputTokens),"
        + "\"x_EffectiveFrom\":\(json(from))}"
      fields[at.skuPriceDetails] = CSVWriter.encoded(details, json: true)
      for (i, part) in parts.enumerated() {
        if i > 0 { out.bytes.append(44) }
        if part == .fixed {
          out.bytes.append(contentsOf: fields[i] ?? blank[i])
        } else {
          out.cuts.append(out.bytes.count)
        }
      }
      skus[key] = out
      return out
    }

    private mutating func day(_ name: String) -> (start: [UInt8], end: [UInt8]) {
      let period = report.period
      return days.value(name) {
        let start = Timestamp.parseMillis(name) ?? period.startMillis
        return (
          CSVWriter.encoded(Timestamp.iso(start)), CSVWriter.encoded(Timestamp.iso(start + Timestamp.millisPerDay))
        )
      }
    }

    private struct Account {
      var id: [UInt8]
      var name: [UInt8]
      var type: [UInt8]
      var subID: [UInt8]
      var subName: [UInt8]
      var subType: [UInt8]
    }

    private mutating func account(_ c: ClassCharge) -> Account {
      let key = AccountKey(provider: c.provider, account: c.account)
      // Looked up before it is made: a closure that made it from `report` needed a copy of the
      // report (the struct, a retain and a release of each of its fields) for every row (perf, the
      // `directory` month: a twentieth of writing `focus.csv`).
      if let known = accounts.known(key) { return known }
      let a = billingAccount(c.provider, account: c.account, report)
      let made = Account(
        id: CSVWriter.encoded(a.id), name: CSVWriter.encoded(a.name), type: CSVWriter.encoded(a.type),
        subID: CSVWriter.encoded(a.subID ?? ""), subName: CSVWriter.encoded(a.subID ?? ""),
        subType: CSVWriter.encoded(a.subID == nil ? "" : a.subType))
      return accounts.value(key) { made }
    }

    private mutating func credential(_ c: ClassCharge) -> (id: [UInt8], name: [UInt8], type: [UInt8]) {
      credentials.value(CredentialKey(id: c.credentialID, name: c.credentialName)) {
        let name = c.credentialID == nil || c.credentialName == c.credentialID ? "" : c.credentialName ?? ""
        return (
          CSVWriter.encoded(c.credentialID ?? ""), CSVWriter.encoded(name),
          CSVWriter.encoded(c.credentialID == nil ? "" : "Credential")
        )
      }
    }

    private mutating func tags(_ c: ClassCharge) -> [UInt8] {
      tags.value(TagKey(costCentre: c.costCentre, agent: c.agentID)) {
        var pairs: [(String, String)] = [("cost_centre", c.costCentre)]
        if let a = c.agentID { pairs.append(("agent", a)) }
        return CSVWriter.encoded(
          "{" + pairs.map { json($0.0) + ":" + json($0.1) }.joined(separator: ",") + "}", json: true)
      }
    }
  }

  /// Values made once per key, and the last key's kept apart.
  ///
  /// The rows come sorted by day, credential, model, class, cost centre and agent, so most rows
  /// repeat the row before's day, account, credential, tags and cost centre, and one comparison of
  /// strings that are the same storage (a read-back row shares its texts with the row before)
  /// settles them without hashing any. The usage rows' fields and the billing's accounts and
  /// cost-centre groups are kept in one.
  struct Memo<Key: Hashable, Value> {
    /// Every value made, by its key.
    private(set) var all: [Key: Value] = [:]
    private var last: (key: Key, value: Value)?

    /// The value of `key`, made by `make` the first time.
    mutating func value(_ key: Key, make: () -> Value) -> Value {
      if let known = known(key) { return known }
      let value = make()
      all[key] = value
      last = (key, value)
      return value
    }

    /// The value made for `key`; nil when none was.
    mutating func known(_ key: Key) -> Value? {
      if let last, last.key == key { return last.value }
      guard let value = all[key] else { return nil }
      last = (key, value)
      return value
    }
  }
}
