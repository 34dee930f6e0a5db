import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// Azure Cost Management exports and Cost Details downloads (docs/formats.md, "Azure Cost
/// Management export"): a daily CSV, one row per day × meter × resource; cost level, used to
/// reconcile and never charged.
///
/// Columns are found by name, case-insensitively (`MeterName` and `meterName` alike). The amount is
/// `CostInBillingCurrency` (MCA), else `Cost` (EA) or `PreTaxCost`, read exactly from its text into
/// pico-USD; a billing currency other than USD falls back to `CostInUsd` when the export has it and
/// is an error otherwise. `Date` is `MM/DD/YYYY` (or `DD/MM/YYYY` when a day above 12 shows the file
/// is day-first) or ISO 8601. Only Azure OpenAI / Foundry model rows are kept (see
/// ``isModelRow(_:)``); other services' rows are skipped. Model, direction, cache and deployment
/// type come from the free-text `MeterName` (``parseMeterName(_:)``), and a token meter's
/// `Quantity` × `UnitOfMeasure` (`1K`, `1M`) becomes that class's token count. The export has no
/// row id, so the natural key is the date, the meter and a SHA-256 of every non-money column, and,
/// without a `ChargeType` column, whether the amount is a credit (below zero).
struct AzureCostManagementExport: ExportFormat {
  let id = "azure-cost-export"
  let level = SourceLevel.cost

  func matches(head: String) -> Bool {
    var bytes = Array(head.utf8.prefix { $0 != 10 && $0 != 13 })
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    let names = Set(
      String(decoding: bytes, as: UTF8.self).split(separator: ",").map {
        $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"")).lowercased()
      })
    return names.contains("metername") && !names.isDisjoint(with: ["date", "usagedatetime", "usagedate"])
      && !names.isDisjoint(with: Columns.costNames)
  }

  func read(_ file: InputFile, emit: (consuming UsageRecord) throws -> Void) throws {
    let data = try file.readAll()
    let table = try CSVTable(file: file.path, bytes: [UInt8](data))
    let cols = try Columns(table)
    let dayFirst = try dayFirstDates(table, cols)
    for row in table.rows {
      let cells = Cells(fields: row.fields, cols: cols)
      guard let record = try record(cells, line: row.line, file: file.path, dayFirst: dayFirst) else { continue }
      try emit(record)
    }
  }

  private func record(_ cells: Cells, line: Int, file: String, dayFirst: Bool) throws -> UsageRecord? {
    let cols = cells.cols
    func bad(_ column: String, _ message: String) -> InputError {
      InputError(file: file, line: line, field: column, message: message)
    }
    let meterName = cells[cols.meterName] ?? ""
    guard isModelRow(cells) else { return nil }
    let dateText = try cells[cols.date] ?? { throw bad(cols.date.name, "is empty") }()
    guard let time = Self.parseDate(dateText, dayFirst: dayFirst) else {
      throw bad(cols.date.name, "\"\(dateText)\" is not a date (MM/DD/YYYY or YYYY-MM-DD)")
    }
    var costColumn = cols.cost
    if let currencyColumn = cols.currency, let currency = cells[currencyColumn], currency.uppercased() != "USD" {
      guard let usd = cols.costInUSD else {
        throw bad(currencyColumn.name, "\"\(currency)\" is not USD and the export has no CostInUsd column")
      }
      costColumn = usd
    }
    let costText = try cells[costColumn] ?? { throw bad(costColumn.name, "is empty") }()
    let billed = try DecimalJSON(text: costText).money { bad(costColumn.name, $0) }
    let meter = Self.parseMeterName(meterName)
    var tokens = TokenCounts()
    if let quantityColumn = cols.quantity, let text = cells[quantityColumn] {
      guard let micro = DecimalJSON(text: text).scaled(decimals: 6) else {
        throw bad(quantityColumn.name, "\"\(text)\" is not a decimal quantity")
      }
      let unit = cols.unit.flatMap { cells[$0] }
      if let c = meter?.tokenClass, let perUnit = Self.tokensPerUnit(unit) {
        let (product, overflow) = micro.multipliedReportingOverflow(by: perUnit)
        let count = overflow ? Int128(Bounds.tokens) + 1 : Money.roundDiv(product, 1_000_000)
        guard count <= Int128(Bounds.tokens), count >= -Int128(Bounds.tokens) else {
          throw bad(
            quantityColumn.name, "is out of bounds (\"\(text)\" \(unit ?? "") is more than \(Bounds.tokens) tokens)")
        }
        // A negative quantity (a refund) gives no tokens; cost rows' counts are for reference only.
        if count >= 0 { tokens[c] = Int64(count) }
      }
    }
    // A credit (a refund, a correction) is a row of its own even where every other column is the
    // charge's: an export without `ChargeType` gives the two rows one key, and the refund was
    // refused as a conflicting copy of the charge (a trial: −1.00 USD gone from the bill). Only
    // there: with `ChargeType` (in the key) they differ already, and a store loaded before keeps
    // its refunds' keys (a review: a new key stored each again); a charge's key is unchanged.
    let credit = billed.pico < 0 && !cols.hasChargeType ? "|credit" : ""
    var record = UsageRecord(
      provider: .azure, level: .cost, format: id,
      naturalKey: "azure|cost|\(time)|\(meterName)|\(cells.keyDigest())\(credit)", time: time,
      bucketEnd: time + Timestamp.millisPerDay,
      project: cols.resourceID.flatMap { cells[$0] } ?? cols.subscriptionID.flatMap { cells[$0] },
      model: meter?.model ?? "", tier: meter?.tier ?? .standard, tokens: tokens, requests: 0,
      line: line)
    record.billed = billed
    record.lineItem = meter?.lineItem ?? meterName
    return record
  }

  /// True for Azure OpenAI / Foundry model rows.
  ///
  /// That is `MeterSubCategory` or `MeterCategory` naming OpenAI or Foundry, or a Cognitive
  /// Services token meter. An export without any of the service columns holds model rows only.
  private func isModelRow(_ cells: Cells) -> Bool {
    let c = cells.cols
    guard c.meterCategory != nil || c.meterSubCategory != nil || c.consumedService != nil else { return true }
    let category = c.meterCategory.flatMap { cells[$0] }?.lowercased() ?? ""
    let sub = c.meterSubCategory.flatMap { cells[$0] }?.lowercased() ?? ""
    let service = c.consumedService.flatMap { cells[$0] }?.lowercased() ?? ""
    if [category, sub].contains(where: { $0.contains("openai") || $0.contains("foundry") }) { return true }
    let tokenMeter = (cells[c.meterName] ?? "").lowercased().contains("token")
    return tokenMeter && (service.contains("cognitiveservices") || category.contains("cognitive services"))
  }

  /// Whether the file writes dates day first: true when some `D/M/Y` date has a first part above
  /// 12, false when some has a second part above 12 or none says; both is an error.
  private func dayFirstDates(_ table: CSVTable, _ cols: Columns) throws -> Bool {
    var dayFirstLine: Int?
    var monthFirstLine: Int?
    for row in table.rows {
      guard let text = Cells(fields: row.fields, cols: cols)[cols.date], let parts = Self.slashParts(text) else {
        continue
      }
      if parts.0 > 12, dayFirstLine == nil { dayFirstLine = row.line }
      if parts.1 > 12, monthFirstLine == nil { monthFirstLine = row.line }
      if let d = dayFirstLine, let m = monthFirstLine {
        throw InputError(
          file: table.file, line: max(d, m), field: cols.date.name,
          message: "dates mix MM/DD/YYYY (line \(m)) and DD/MM/YYYY (line \(d))")
      }
    }
    return dayFirstLine != nil
  }

  /// The three numbers of `A/B/YYYY` (a time after a space is ignored), or nil.
  private static func slashParts(_ text: String) -> (Int, Int, Int)? {
    let date = text.split(separator: " ").first ?? ""
    let parts = date.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[2].count == 4, let a = Int(parts[0]), let b = Int(parts[1]), let y = Int(parts[2])
    else { return nil }
    return (a, b, y)
  }

  /// A cost-export date as UTC epoch milliseconds (the start of that UTC day for slash dates).
  static func parseDate(_ text: String, dayFirst: Bool) -> Int64? {
    guard text.contains("/") else { return Timestamp.parseMillis(text) }
    guard let (a, b, year) = slashParts(text), a > 0, b > 0 else { return nil }
    let (month, day) = dayFirst ? (b, a) : (a, b)
    guard (1000...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return Timestamp.parseMillis("\(year)-\(two(month))-\(two(day))")  // rejects 31 September
  }

  /// Tokens in one `UnitOfMeasure` (`1K` → 1,000, `1M Tokens` → 1,000,000, empty → 1); nil for
  /// units that are not token counts (`1 Hour`).
  static func tokensPerUnit(_ unit: String?) -> Int128? {
    var u = (unit ?? "").lowercased().replacingOccurrences(of: "tokens", with: "")
      .replacingOccurrences(of: "token", with: "").trimmingCharacters(in: .blanks)
    if u.isEmpty { return 1 }
    var scale: Int128 = 1
    if u.hasSuffix("k") {
      scale = 1000
      u.removeLast()
    } else if u.hasSuffix("m") {
      scale = 1_000_000
      u.removeLast()
    }
    guard let n = Int64(u.trimmingCharacters(in: .blanks)), n > 0 else { return nil }
    return Int128(n) * scale
  }

  /// One column: its index and its name as the header spells it (for errors).
  struct Column: Hashable {
    var index: Int
    var name: String
  }

  /// The columns this format reads, found case-insensitively.
  struct Columns {
    static let costNames = ["costinbillingcurrency", "cost", "pretaxcost", "costinusd"]
    var header: [String]
    var date: Column
    var meterName: Column
    var cost: Column
    var costInUSD: Column?
    var currency: Column?
    var quantity: Column?
    var unit: Column?
    var meterCategory: Column?
    var meterSubCategory: Column?
    var consumedService: Column?
    var resourceID: Column?
    var subscriptionID: Column?
    /// Columns that identify a row (all but amounts, prices, quantities and exchange rates).
    var keyColumns: [Int]
    /// Whether the export has `ChargeType` (`Usage`, `Refund`, …), which tells a refund from its charge.
    var hasChargeType: Bool

    init(_ table: CSVTable) throws {
      header = table.header
      var index: [String: Column] = [:]
      for (i, h) in table.header.enumerated() where index[h.lowercased()] == nil {
        index[h.lowercased()] = Column(index: i, name: h)
      }
      func find(_ names: [String]) -> Column? { names.lazy.compactMap { index[$0] }.first }
      func require(_ names: [String]) throws -> Column {
        guard let c = find(names) else {
          throw InputError(file: table.file, line: 1, field: names[0], message: "required column is missing")
        }
        return c
      }
      date = try require(["date", "usagedatetime", "usagedate"])
      meterName = try require(["metername"])
      cost = try require(Self.costNames)
      costInUSD = find(["costinusd"])
      currency = find(["billingcurrency", "billingcurrencycode", "currency"])
      quantity = find(["quantity", "usagequantity"])
      unit = find(["unitofmeasure"])
      meterCategory = find(["metercategory"])
      meterSubCategory = find(["metersubcategory"])
      consumedService = find(["consumedservice"])
      resourceID = find(["resourceid", "instanceid"])
      subscriptionID = find(["subscriptionid", "subscriptionguid"])
      hasChargeType = find(["chargetype"]) != nil
      keyColumns = table.header.indices.filter { i in
        let h = table.header[i].lowercased()
        let money = h.contains("price") || h.contains("quantity") || h.contains("exchangerate")
        return !money && !(h.contains("cost") && !h.hasPrefix("costcent") && !h.hasPrefix("costallocation"))
      }.sorted { table.header[$0].lowercased() < table.header[$1].lowercased() }
    }
  }

  /// One row's cells, looked up by ``Column``.
  struct Cells {
    var fields: [String]
    var cols: Columns

    /// The trimmed cell, nil when absent or empty.
    subscript(_ c: Column) -> String? {
      guard c.index < fields.count else { return nil }
      let v = fields[c.index].trimmingCharacters(in: .blanks)
      return v.isEmpty ? nil : v
    }

    /// SHA-256 (hex, first 32 digits) of the identifying columns as `name=value` lines.
    func keyDigest() -> String {
      var text = ""
      for i in cols.keyColumns {
        text += cols.header[i].lowercased() + "=" + (i < fields.count ? fields[i] : "") + "\n"
      }
      return SHA256.hash(data: Data(text.utf8)).prefix(16).lowercaseHex
    }
  }
}
