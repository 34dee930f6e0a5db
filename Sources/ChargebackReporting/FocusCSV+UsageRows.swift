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
    private var skus: [SkuKey: Sku] = [:]
    private var days: [String: (start: [UInt8], end: [UInt8])] = [:]
    private var accounts: [AccountKey: Account] = [:]
    private var credentials: [CredentialKey: (id: [UInt8], name: [UInt8], type: [UInt8])] = [:]
    private var tags: [TagKey: [UInt8]] = [:]

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

    /// A SKU's fields, each at its column; and, under a discount, what of the list it keeps.
    private struct Sku {
      var fields: [(Int, [UInt8])] = []
      var discountKeep: Int128?
    }

    private struct CredentialKey: Hashable {
      var id: String?
      var name: String?
    }

    private struct TagKey: Hashable {
      var costCentre: String
      var agent: String?
    }

    /// The row of `c`, billed `billed` millionths of a dollar.
    mutating func row(_ c: ClassCharge, billed: Int128) -> [[UInt8]] {
      var row = blank
      let sku = self.sku(c)
      for (i, v) in sku.fields { row[i] = v }
      let billedText = CSVWriter.encoded(Money.format(units: billed, decimals: 6))
      row[at.billedCost] = billedText
      row[at.effectiveCost] = billedText
      row[at.pricingCurrencyEffectiveCost] = billedText
      let day = self.day(c.day)
      row[at.chargePeriodStart] = day.start
      row[at.chargePeriodEnd] = day.end
      row[at.consumedQuantity] = CSVWriter.encoded(decimal(Int128(c.units), scale: 0))
      row[at.pricingQuantity] = CSVWriter.encoded(decimal(Int128(c.units), scale: 6))
      let exact = CSVWriter.encoded(decimal(c.listCost.pico, scale: 12))
      row[at.listCost] = exact
      row[at.contractedCost] =
        sku.discountKeep.map { CSVWriter.encoded(decimal(c.listCost.pico * $0, scale: 20)) } ?? exact
      let account = self.account(c)
      row[at.billingAccountId] = account.id
      row[at.billingAccountName] = account.name
      row[at.billingAccountType] = account.type
      row[at.subAccountId] = account.subID
      row[at.subAccountName] = account.subName
      row[at.subAccountType] = account.subType
      let credential = self.credential(c)
      row[at.resourceId] = credential.id
      row[at.resourceName] = credential.name
      row[at.resourceType] = credential.type
      row[at.tags] = tags(c)
      return row
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
      out.fields = text.map { ($0.0, CSVWriter.encoded($0.1)) }
      let details =
        "{\"x_ServiceTier\":\(json(c.tier.rawValue)),\"x_MinInputTokens\":\(c.price.minInputTokens),"
        + "\"x_EffectiveFrom\":\(json(from))}"
      out.fields.append((at.skuPriceDetails, CSVWriter.encoded(details, json: true)))
      skus[key] = out
      return out
    }

    private mutating func day(_ name: String) -> (start: [UInt8], end: [UInt8]) {
      if let known = days[name] { return known }
      let start = Timestamp.parseMillis(name) ?? report.period.startMillis
      let made = (
        CSVWriter.encoded(Timestamp.iso(start)), CSVWriter.encoded(Timestamp.iso(start + Timestamp.millisPerDay))
      )
      days[name] = made
      return made
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
      if let known = accounts[key] { return known }
      let a = billingAccount(c, report)
      let made = Account(
        id: CSVWriter.encoded(a.id), name: CSVWriter.encoded(a.name), type: CSVWriter.encoded(a.type),
        subID: CSVWriter.encoded(a.subID ?? ""), subName: CSVWriter.encoded(a.subID ?? ""),
        subType: CSVWriter.encoded(a.subID == nil ? "" : a.subType))
      accounts[key] = made
      return made
    }

    private mutating func credential(_ c: ClassCharge) -> (id: [UInt8], name: [UInt8], type: [UInt8]) {
      let key = CredentialKey(id: c.credentialID, name: c.credentialName)
      if let known = credentials[key] { return known }
      let name = c.credentialID == nil || c.credentialName == c.credentialID ? "" : c.credentialName ?? ""
      let made = (
        CSVWriter.encoded(c.credentialID ?? ""), CSVWriter.encoded(name),
        CSVWriter.encoded(c.credentialID == nil ? "" : "Credential")
      )
      credentials[key] = made
      return made
    }

    private mutating func tags(_ c: ClassCharge) -> [UInt8] {
      let key = TagKey(costCentre: c.costCentre, agent: c.agentID)
      if let known = tags[key] { return known }
      var pairs: [(String, String)] = [("cost_centre", c.costCentre)]
      if let a = c.agentID { pairs.append(("agent", a)) }
      let made = CSVWriter.encoded(
        "{" + pairs.map { json($0.0) + ":" + json($0.1) }.joined(separator: ",") + "}", json: true)
      tags[key] = made
      return made
    }
  }
}
