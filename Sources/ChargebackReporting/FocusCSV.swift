import ChargebackModel
import ChargebackSupport
import Foundation

/// `focus.csv`: the period's priced usage as FOCUS 1.2 cost and usage rows (SPEC §7, §10).
///
/// One row per UTC day × credential × provider × model × tier × token class × price row × cost
/// centre × agent (``ChargebackReport/classCharges``); the task is not in the grain (SPEC §11: rows
/// grow with the directory and the days, not with tasks or calls; `chargeback.csv` keeps the task). The price row is part of the grain
/// because FOCUS wants ListUnitPrice × PricingQuantity = ListCost on every row, and calls above a
/// long-context threshold use another rate than the rest of the same day.
///
/// Money:
/// - `BilledCost`, `EffectiveCost` (and `PricingCurrencyEffectiveCost`) are what the cost centres are
///   charged, at 6 decimals: each cost centre's rows are apportioned by largest remainder to its
///   `summary.csv` amount, so the column adds up exactly to `summary.csv`'s TOTAL.
/// - `ListCost` and `ContractedCost` are exact (up to 12 decimals): they must equal unit price ×
///   quantity within the validator's 1e-9, which a 6-decimal rounding would miss by up to 5e-7.
/// - Unit prices are the price table's USD per million units (`PricingUnit` `1000000 Tokens`), and
///   `PricingQuantity` is units / 1,000,000; `ConsumedQuantity` is the units themselves.
/// - Numbers are written with a decimal point (`60000.0`), as the validator infers column types.
///
/// Unpriced usage has no row: a FOCUS usage row needs a list unit price and a SKU price, and SPEC
/// §10 keeps unpriced calls out of every money total (their tokens stay in `chargeback.csv`).
/// Nulls are empty fields. Columns FOCUS makes conditional on features this tool does not see
/// (commitment discounts, capacity reservations, regions, sub accounts, invoices) are present and
/// null, so the file validates with every applicability criterion on.
package enum FocusCSV {
  /// Every FOCUS 1.2 cost and usage column, in alphabetical order, then the allocation facts in
  /// `x_` columns (SPEC §12: FOCUS 1.3 has allocation columns, but only the 1.2 rules can be
  /// validated here).
  package static let columns = [
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
    "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags", "x_AllocatedFrom", "x_AllocationRuleId",
  ]

  /// Where ``write(_:to:)`` writes in `directory`.
  package static func path(in directory: String) -> String {
    (directory as NSString).appendingPathComponent("focus.csv")
  }

  /// The columns whose values are JSON documents (``CSVWriter/init(streamingTo:header:jsonColumns:)``).
  static let jsonColumns: Set<String> = ["Tags", "SkuPriceDetails"]

  /// Writes `directory/focus.csv`; returns its path.
  package static func write(_ report: ChargebackReport, to directory: String) throws -> String {
    try written(report, to: directory).path
  }

  /// Writes `directory/focus.csv`; returns its path and the SHA-256 of its bytes, hashed as they
  /// were written (``CSVWriter/sha256``).
  package static func written(_ report: ChargebackReport, to directory: String) throws -> (
    path: String, sha256: String?
  ) {
    let path = path(in: directory)
    var writer = try CSVWriter(streamingTo: path, header: columns, jsonColumns: jsonColumns)
    try rows(report, into: &writer)
    try writer.finish()
    return (path, writer.sha256)
  }

  /// The place in ``columns`` of a column; a name that is not one is a bug.
  static func position(_ name: String) -> Int {
    guard let i = columns.firstIndex(of: name) else { preconditionFailure("\(name) is not a FOCUS column here") }
    return i
  }

  /// The places in ``columns`` of the columns a usage row sets, found once a file.
  ///
  /// A row was a dictionary by column name, read back in ``columns`` order: two hashes of a name
  /// for each field, a fifth of writing the file (a trial's 20,000-credential directory: a million
  /// rows, 17 s).
  struct Positions {
    let billedCost = position("BilledCost")
    let billingAccountId = position("BillingAccountId")
    let billingAccountName = position("BillingAccountName")
    let billingAccountType = position("BillingAccountType")
    let billingCurrency = position("BillingCurrency")
    let billingPeriodEnd = position("BillingPeriodEnd")
    let billingPeriodStart = position("BillingPeriodStart")
    let chargeCategory = position("ChargeCategory")
    let chargeDescription = position("ChargeDescription")
    let chargeFrequency = position("ChargeFrequency")
    let chargePeriodEnd = position("ChargePeriodEnd")
    let chargePeriodStart = position("ChargePeriodStart")
    let consumedQuantity = position("ConsumedQuantity")
    let consumedUnit = position("ConsumedUnit")
    let contractedCost = position("ContractedCost")
    let contractedUnitPrice = position("ContractedUnitPrice")
    let effectiveCost = position("EffectiveCost")
    let invoiceIssuerName = position("InvoiceIssuerName")
    let listCost = position("ListCost")
    let listUnitPrice = position("ListUnitPrice")
    let pricingCategory = position("PricingCategory")
    let pricingCurrency = position("PricingCurrency")
    let pricingCurrencyContractedUnitPrice = position("PricingCurrencyContractedUnitPrice")
    let pricingCurrencyEffectiveCost = position("PricingCurrencyEffectiveCost")
    let pricingCurrencyListUnitPrice = position("PricingCurrencyListUnitPrice")
    let pricingQuantity = position("PricingQuantity")
    let pricingUnit = position("PricingUnit")
    let providerName = position("ProviderName")
    let publisherName = position("PublisherName")
    let resourceId = position("ResourceId")
    let resourceName = position("ResourceName")
    let resourceType = position("ResourceType")
    let serviceCategory = position("ServiceCategory")
    let serviceName = position("ServiceName")
    let serviceSubcategory = position("ServiceSubcategory")
    let skuId = position("SkuId")
    let skuMeter = position("SkuMeter")
    let skuPriceDetails = position("SkuPriceDetails")
    let skuPriceId = position("SkuPriceId")
    let subAccountId = position("SubAccountId")
    let subAccountName = position("SubAccountName")
    let subAccountType = position("SubAccountType")
    let tags = position("Tags")
  }

  /// Appends to `writer` a row per class charge, in ``columns`` order, then one per idle fee and
  /// allocated amount.
  ///
  /// The charges are read twice, as a stream (``ClassChargeSource``): once for the billed amounts'
  /// rounding and the accounts the idle rows name, once to write them.
  static func rows(_ report: ChargebackReport, into writer: inout CSVWriter) throws {
    // Found by index: `filter` copies every line to test it.
    let extraIndices = report.lines.indices.filter {
      report.lines[$0].key.source == .idle || report.lines[$0].key.source == .allocated
    }
    let extra = extraIndices.map { report.lines[$0] }
    var billing = try Billing(report, extra: extraIndices)
    var usage = UsageRows(report)
    try report.classCharges.forEachCharge { c in
      let billed = billing.next(c)
      writer.appendRow { usage.write(c, billed: billed, to: &$0) }
    }
    for (j, l) in extra.enumerated() {
      // The row once, then its fields in order (made for each column, an idle fee's row scanned
      // every class charge three times a column).
      let row = extraRow(l, billed: billing.extra(j), billing.accounts, report)
      writer.append(encoded: columns.map { CSVWriter.encoded(row[$0] ?? "", json: jsonColumns.contains($0)) })
    }
  }

  /// The commitment columns of a row under a commitment (SPEC §12: `CommitmentDiscountId` is the
  /// `commitment_id`).
  ///
  /// A `discount` is shown as one too (type `Negotiated Discount`), its discounted rate as
  /// ContractedUnitPrice and ContractedCost.
  static func commitmentColumns(_ c: Commitment, status: String) -> [String: String] {
    [
      "CommitmentDiscountCategory": "Spend",
      "CommitmentDiscountId": c.id,
      "CommitmentDiscountName": c.description ?? c.id,
      "CommitmentDiscountStatus": status,
      "CommitmentDiscountType": c.kind == .provisioned ? "Provisioned Throughput" : "Negotiated Discount",
    ]
  }

  /// A row for an idle commitment fee or an allocated amount: for the period, not a day, with no
  /// SKU, price or quantity.
  static func extraRow(
    _ l: ChargebackLine, billed: Int128, _ accounts: ChargeAccounts, _ report: ChargebackReport
  ) -> [String: String] {
    let k = l.key
    let amount = Money.format(units: billed, decimals: 6)
    let exact = decimal(l.cost.pico, scale: 12)
    var row: [String: String] = [
      "BilledCost": amount,
      "BillingCurrency": "USD",
      "BillingPeriodEnd": Timestamp.iso(report.period.endMillis),
      "BillingPeriodStart": Timestamp.iso(report.period.startMillis),
      "ChargePeriodEnd": Timestamp.iso(report.period.endMillis),
      "ChargePeriodStart": Timestamp.iso(report.period.startMillis),
      "ContractedCost": exact,
      "EffectiveCost": amount,
      "ListCost": exact,
      "PricingCurrency": "USD",
      "PricingCurrencyEffectiveCost": amount,
      "ServiceCategory": "AI and Machine Learning",
      "ServiceSubcategory": "Generative AI",
      "Tags": "{" + json("cost_centre") + ":" + json(k.costCentre) + "}",
    ]
    if k.source == .idle, let id = k.commitmentID,
      let c = report.commitments.first(where: { $0.commitment.id == id })?.commitment
    {
      let provider = providerName(k.provider)
      row.merge(commitmentColumns(c, status: "Unused")) { $1 }
      // The account the commitment's calls are billed to (a Bedrock call's AWS account), else the
      // provider's one account, else accounts.csv's: a trial's idle fee was on account `bedrock`
      // beside its own calls on 111122223333, so the provider's spend fell into two accounts.
      let used = accounts.byCommitment[id]
      let same = accounts.only(k.provider)
      if let a = used ?? same {
        row["BillingAccountId"] = a.id
        row["BillingAccountName"] = a.name
        row["BillingAccountType"] = a.type
      } else {
        let account = report.providerAccounts[k.provider.rawValue]?.billingAccountID
        row["BillingAccountId"] = account ?? k.provider.rawValue
        row["BillingAccountName"] = account ?? provider
        row["BillingAccountType"] = account == nil ? "Provider" : "Billing Account"
      }
      row["ChargeCategory"] = "Usage"
      row["ChargeDescription"] = "Idle provisioned capacity of \(id)"
      row["ChargeFrequency"] = "Recurring"
      row["InvoiceIssuerName"] = provider
      row["ProviderName"] = provider
      row["PublisherName"] = provider
      row["ServiceName"] = serviceName(k.provider)
      row["PricingCategory"] = "Committed"
    } else {
      row["BillingAccountId"] = "internal"
      row["BillingAccountName"] = "Internal allocation"
      row["BillingAccountType"] = "Allocation"
      row["ChargeCategory"] = "Adjustment"
      row["ChargeDescription"] = "Allocation \(k.ruleID ?? "") from \(l.allocatedFrom ?? "")"
      row["ChargeFrequency"] = "Recurring"
      row["InvoiceIssuerName"] = "Internal"
      row["ProviderName"] = "Internal"
      row["PublisherName"] = "Internal"
      row["ServiceName"] = "LLM shared costs"
      row["x_AllocatedFrom"] = l.allocatedFrom ?? ""
      row["x_AllocationRuleId"] = k.ruleID ?? ""
    }
    return row
  }
}
