import ChargebackModel

extension AzureCostManagementExport {
  /// What a free-text Azure OpenAI `MeterName` says (docs/formats.md, "Azure Cost Management
  /// export").
  package struct Meter: Hashable, Sendable {
    /// Token direction.
    package enum Direction: String, Sendable { case input, output }

    /// Lowercase model id without the snapshot (`gpt-4o`, `o4-mini`, `gpt-5.4-mini`).
    package var model: String
    /// Snapshot as the meter writes it (`0806`), when given.
    package var version: String?
    /// Input or output tokens, when the meter says.
    package var direction: Direction?
    /// Cache reads (`cd`, `cchd`, `ccchd`, `cached`: ``isCacheWord(_:)``).
    package var cached: Bool
    /// Cache writes (`Cd Wr`: a cache word, then `Wr`).
    package var cacheWrite = false
    /// Deployment type: `global`, `data zone` or `regional`, when given.
    package var deployment: String?
    /// The processing tier: `Batch`, priority processing (`pp`, `PP`) or `Flex`; `Std` is standard.
    package var tier = Tier.standard
    /// A long-context meter (`LongCo`; `ShortCo` is the standard context).
    package var longContext = false
    /// Normalised line item: `gpt-4o-0806, input, global`, `gpt-5.4-mini, cached input, global`.
    package var lineItem: String

    /// A Batch deployment.
    package var batch: Bool { tier == .batch }

    /// The token class the meter's quantity counts.
    package var tokenClass: TokenClass? {
      if cacheWrite { return .cacheWrite5m }
      return switch direction {
      case .input?: cached ? .cachedInput : .input
      case .output?: .output
      case nil: nil
      }
    }
  }

  /// True for the words Azure's meters spell "cached" with.
  ///
  /// They are `cd`, `cchd`, `ccchd` (GPT-5 Codex), `cachd`, `cached`, and `cache`, `cch`. Any word
  /// of the letters of "cached" that starts with `c` and ends with `d` is one, so that the next
  /// abbreviation reads as a cache read too rather than as part of the model's name (where it made
  /// `gpt-5-codex-ccchd` a model of uncached input).
  static func isCacheWord(_ w: String) -> Bool {
    if w == "cache" || w == "cch" { return true }
    return (2...6).contains(w.count) && w.first == "c" && w.last == "d" && w.allSatisfy { "cahed".contains($0) }
  }

  /// Parses an Azure OpenAI `MeterName` (`gpt-4o-mini-0718-Batch-Inp-glbl Tokens`,
  /// `o4-mini 0416 Inp glbl Tokens`, `5.4 mini cd Inp Gl 1M Tokens`); nil when it names no model
  /// token meter.
  ///
  /// Words are split on spaces, hyphens and underscores. The words before the first recognised
  /// one (direction, cache flag, deployment type, `Batch`, unit, or a 4-digit snapshot) are the
  /// model, joined by hyphens; a model that starts with a digit is a GPT version (`5.4 mini` →
  /// `gpt-5.4-mini`). Unrecognised words after the model (`aud`) are kept in the line item.
  ///
  /// The Retail Prices API's newer meters (`5.6 sol ShortCo Cd Wr Std Gl 1M Tokens`,
  /// `5.4 pp inp Gl 1M Tokens`) name the context (`ShortCo`, `LongCo`), the tier (`Std`, `PP` for
  /// priority processing, `Flex`) and cache writes (`Cd Wr`): a trial's priority meter made a model
  /// `gpt-5.4-pp` at the standard tier, and a cache write one `gpt-5.6-sol-shortco` of no tokens.
  package static func parseMeterName(_ name: String) -> Meter? {
    let words = name.split { $0 == " " || $0 == "-" || $0 == "_" }.map { $0.lowercased() }
    var modelWords: [String] = []
    var extras: [String] = []
    var meter = Meter(model: "", cached: false, lineItem: "")
    var sawUnit = false
    var i = 0
    while i < words.count {
      let w = words[i]
      var recognised = true
      switch w {
      case "inp", "input", "inpt": meter.direction = .input
      // `opt` as the Retail Prices API spells GPT-5.x's output meters (`5.4 opt Gl 1M Tokens`).
      case "outp", "output", "out", "outpt", "opt": meter.direction = .output
      case _ where isCacheWord(w): meter.cached = true
      case "glbl", "gl", "global", "gbl": meter.deployment = "global"
      case "dz", "dzone", "datazone": meter.deployment = "data zone"
      case "data" where words.indices.contains(i + 1) && words[i + 1] == "zone":
        meter.deployment = "data zone"
        i += 1
      case "regnl", "regional", "rgnl", "regn": meter.deployment = "regional"
      case "batch", "btch": meter.tier = .batch
      case "pp", "priority": meter.tier = .priority
      case "flex": meter.tier = .flex
      case "std", "standard", "shortco": break
      case "longco": meter.longContext = true
      // (A `where` after several patterns guards the last one only.)
      case _ where meter.cached && ["wr", "wrt", "write"].contains(w): meter.cacheWrite = true
      case "tokens", "token", "tkns", "1k", "1m": sawUnit = true
      default:
        if w.count == 4, w.allSatisfy(\.isNumber) {
          meter.version = w
          // A full date snapshot (2024-08-06) arrives as three words.
          if i + 2 < words.count, words[i + 1].count == 2, words[i + 2].count == 2,
            (words[i + 1] + words[i + 2]).allSatisfy(\.isNumber)
          {
            meter.version = words[i...(i + 2)].joined(separator: "-")
            i += 2
          }
        } else {
          recognised = false
        }
      }
      if !recognised {
        if extras.isEmpty && meter.version == nil && meter.direction == nil && !meter.cached
          && meter.deployment == nil && meter.tier == .standard && !sawUnit
        {
          modelWords.append(w)
        } else {
          extras.append(w)
        }
      }
      i += 1
    }
    guard !modelWords.isEmpty, meter.direction != nil || sawUnit else { return nil }
    // A bare version of two digits drops its dot (`54 nano Inp Flex Gl 1M Tokens` is GPT-5.4 nano).
    if let v = modelWords.first, v.count == 2, v.allSatisfy(\.isNumber) {
      modelWords[0] = v.prefix(1) + "." + v.suffix(1)
    }
    meter.model = modelWords.joined(separator: "-")
    if meter.model.first?.isNumber == true { meter.model = "gpt-" + meter.model }
    // An embeddings meter names no direction (`text-embedding-3-large-regional Tokens`): its tokens
    // are input, the only ones an embedding bills (they were read as no token class, and lost).
    if meter.direction == nil, !meter.cached, meter.model.contains("embedding") { meter.direction = .input }
    var head = meter.model + (meter.version.map { "-" + $0 } ?? "")
    if !extras.isEmpty { head += " " + extras.joined(separator: " ") }
    var parts = [head]
    if meter.longContext { parts.append("long context") }
    switch meter.direction {
    case _ where meter.cacheWrite: parts.append("cache write")
    case .input?: parts.append(meter.cached ? "cached input" : "input")
    case .output?: parts.append("output")
    case nil: if meter.cached { parts.append("cached") }
    }
    let tier = meter.tier == .standard ? nil : meter.tier == .priority ? "priority" : meter.tier.rawValue
    let deployment = [meter.deployment, tier].compactMap { $0 }.joined(separator: " ")
    if !deployment.isEmpty { parts.append(deployment) }
    meter.lineItem = parts.joined(separator: ", ")
    return meter
  }
}
