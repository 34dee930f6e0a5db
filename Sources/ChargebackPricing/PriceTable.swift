import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// A model alias: raw names matching `pattern` are the canonical `model` (`aliases.csv`).
package struct ModelAlias: Sendable, Hashable {
  package var provider: Provider
  package var pattern: Glob
  package var model: String
  package var location: String
}

/// The versioned price tables of `pricing/`: one CSV per provider plus `aliases.csv`.
package struct PriceTable: Sendable {
  /// Every row, in file order.
  package private(set) var rows: [PriceRow] = []
  /// Every alias, in file order.
  package private(set) var aliases: [ModelAlias] = []
  /// SHA-256 over the files' names and bytes, for the manifest.
  package private(set) var contentHash = ""
  /// The files read, sorted.
  package private(set) var files: [String] = []
  /// Row indices by provider and canonical model.
  private var byModel: [String: [Int]] = [:]

  static let columns = [
    "provider", "model", "usage_type", "tier", "min_input_tokens", "usd_per_million", "effective_from",
    "effective_to", "source",
  ]

  /// Loads every `*.csv` in `directory`.
  ///
  /// Errors name file, line and column: an unknown provider, usage type or tier, a rate that is not a decimal
  /// with at most 6 places, a bad date, or two rows for the same model, usage type, tier and threshold whose
  /// dates overlap.
  package init(directory: String) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
      throw InputMissingError(
        path: directory,
        reason: "pricing directory not found (the folder of price tables: pass --pricing DIR; without it, ./pricing)")
    }
    let names = try fm.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".csv") }.sorted()
    var hasher = SHA256()
    for name in names {
      let path = (directory as NSString).appendingPathComponent(name)
      files.append(path)
      guard let data = fm.contents(atPath: path) else { throw InputMissingError(path: path, reason: "unreadable") }
      hasher.update(data: Data(name.utf8))
      hasher.update(data: data)
      let table = try CSVTable(file: path, bytes: [UInt8](data))
      if name == "aliases.csv" {
        try loadAliases(table)
      } else {
        try loadPrices(table)
      }
    }
    contentHash = hasher.finalize().lowercaseHex
    for (i, r) in rows.enumerated() { byModel[Self.key(r.provider, r.model), default: []].append(i) }
    try checkOverlaps()
    try checkAliasTies()
  }

  /// Builds a table from rows and aliases (tests).
  package init(rows: [PriceRow], aliases: [ModelAlias] = []) {
    self.rows = rows
    self.aliases = aliases
    for (i, r) in rows.enumerated() { byModel[Self.key(r.provider, r.model), default: []].append(i) }
  }

  /// Indices of the rows for one canonical model.
  func rowIndices(provider: Provider, model: String) -> [Int] {
    byModel[Self.key(provider, model)] ?? []
  }

  /// The canonical model id of a raw model name: itself when it has prices, else the alias whose
  /// pattern matches with the most literal characters (ties: file order); nil when none matches.
  package func canonicalModel(provider: Provider, raw: String) -> String? {
    if byModel[Self.key(provider, raw)] != nil { return raw }
    let lower = raw.lowercased()
    if byModel[Self.key(provider, lower)] != nil { return lower }
    var best: ModelAlias?
    // A model named with a price modifier (`… [inference_geo us]`, ``PriceModifiers``) is matched
    // only by a pattern written for one: `gpt-4.1-mini-2*` must not price it at the base rate.
    let modified = PriceModifiers.base(raw) != raw
    for a in aliases where a.provider == provider && a.pattern.matches(raw) {
      if modified, !a.pattern.pattern.contains(" [") { continue }
      if a.pattern.literalCount > best?.pattern.literalCount ?? -1 { best = a }
    }
    return best?.model
  }

  private static func key(_ p: Provider, _ m: String) -> String { p.rawValue + "\u{0}" + m }

  private mutating func loadAliases(_ t: CSVTable) throws {
    try t.require(["provider", "pattern", "model"])
    for r in t.rows {
      let p = try t.req(r, "provider")
      guard let provider = Provider(rawValue: p) else {
        throw InputError(file: t.file, line: r.line, field: "provider", message: "unknown provider \"\(p)\"")
      }
      aliases.append(
        ModelAlias(
          provider: provider, pattern: Glob(try t.req(r, "pattern")), model: try t.req(r, "model"),
          location: "\(t.file):\(r.line)"))
    }
  }

  private mutating func loadPrices(_ t: CSVTable) throws {
    try t.require(Self.columns)
    for r in t.rows {
      func bad(_ f: String, _ m: String) -> InputError {
        InputError(file: t.file, line: r.line, field: f, message: m)
      }
      let p = try t.req(r, "provider")
      guard let provider = Provider(rawValue: p) else { throw bad("provider", "unknown provider \"\(p)\"") }
      let u = try t.req(r, "usage_type")
      guard let usage = TokenClass(rawValue: u) else { throw bad("usage_type", "unknown usage type \"\(u)\"") }
      let tierText = t.value(r.fields, "tier") ?? "standard"
      guard let tier = Tier(rawValue: tierText) else { throw bad("tier", "unknown tier \"\(tierText)\"") }
      let minText = t.value(r.fields, "min_input_tokens") ?? "0"
      guard let minInput = Int64(minText), minInput >= 0 else {
        throw bad("min_input_tokens", "\"\(minText)\" is not a whole number")
      }
      let rateText = try t.req(r, "usd_per_million")
      guard let rate = Rate(usdPerMillion: rateText) else {
        // Which of the ways it fails: a price over the bound read as "not a decimal" (a trial).
        let units = DecimalText.parse(rateText, decimals: 6)
        throw bad(
          "usd_per_million",
          units == nil
            ? "\"\(rateText)\" is not a decimal with at most 6 places"
            : "\"\(rateText)\" is out of bounds (0 to \(Bounds.rate / 1_000_000) USD per million)")
      }
      guard let from = try t.date(r, "effective_from") else { throw bad("effective_from", "is empty") }
      let to = try t.date(r, "effective_to")
      // A rate is in effect for whole UTC days (pricing/README.md): a record is priced by its day,
      // and the pricer resolves each model's rates once per day, which is exact only when no row
      // starts or ends within a day.
      for (field, instant) in [("effective_from", from), ("effective_to", to)] {
        if let instant, instant % Timestamp.millisPerDay != 0 {
          throw bad(field, "\"\(t.value(r.fields, field) ?? "")\" is not a UTC date (rates change at midnight UTC)")
        }
      }
      if let to, to <= from { throw bad("effective_to", "is not after effective_from") }
      rows.append(
        PriceRow(
          provider: provider, model: try t.req(r, "model"), usageType: usage, tier: tier,
          minInputTokens: minInput, rate: rate, from: from, to: to, source: t.value(r.fields, "source") ?? "",
          location: "\(t.file):\(r.line)"))
    }
  }

  /// Two rows for the same model, usage type, tier and threshold must not be in effect at once.
  private func checkOverlaps() throws {
    for indices in byModel.values {
      var groups: [String: [PriceRow]] = [:]
      for i in indices {
        let r = rows[i]
        groups["\(r.usageType.rawValue)|\(r.tier.rawValue)|\(r.minInputTokens)", default: []].append(r)
      }
      for group in groups.values where group.count > 1 {
        let sorted = group.sorted { $0.from < $1.from }
        for (a, b) in zip(sorted, sorted.dropFirst()) where (a.to ?? .max) > b.from {
          let (file, line) = Self.split(b.location)
          throw InputError(
            file: file, line: line, field: "effective_from",
            message:
              "overlaps \(a.location) for \(b.model) \(b.usageType.rawValue) \(b.tier.rawValue); end the old row with effective_to"
          )
        }
      }
    }
  }

  /// Two aliases of a provider that can match one raw name with as many literal characters each
  /// (a tie, which file order would settle in silence) must name the same model.
  ///
  /// Patterns are compared as they match: case-insensitively and character by character, so `é`
  /// precomposed and decomposed are one pattern. O(aliases² × pattern length²) per provider, once
  /// per load (377 bundled aliases: a few milliseconds).
  private func checkAliasTies() throws {
    let byProvider = Dictionary(grouping: aliases, by: \.provider)
    for provider in byProvider.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
      let list = byProvider[provider] ?? []
      for (i, a) in list.enumerated() {
        for b in list[(i + 1)...]
        where a.model != b.model && a.pattern.literalCount == b.pattern.literalCount && a.pattern.overlaps(b.pattern) {
          let (file, line) = Self.split(b.location)
          throw InputError(
            file: file, line: line, field: "pattern",
            message:
              "\"\(b.pattern.pattern)\" ties with \"\(a.pattern.pattern)\" (\(a.location)) for some \(provider.rawValue) model names but maps them to \(b.model), not \(a.model); make one pattern more specific"
          )
        }
      }
    }
  }

  static func split(_ location: String) -> (String, Int?) {
    guard let colon = location.lastIndex(of: ":") else { return (location, nil) }
    return (String(location[..<colon]), Int(location[location.index(after: colon)...]))
  }
}
