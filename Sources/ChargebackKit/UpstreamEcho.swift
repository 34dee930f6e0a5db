import ChargebackModel
import ChargebackStore

/// Usage report rows of one key that repeat a gateway's calls: on some UTC day, the key's tokens of
/// a model are the gateway's calls of that provider and model to the token.
///
/// A LiteLLM proxy calls OpenAI with one upstream key and logs each call under the caller's
/// virtual key; OpenAI's usage report for the upstream key holds the same calls. Loaded together,
/// every call is charged twice, and the report's key reads as an unregistered credential whose
/// registration moves the second charge onto a cost centre (a trial: 3,362 calls, +103 USD, no
/// word). docs/formats.md says not to load both; this says when it happened. Counted, not dropped:
/// the equality is a likely copy, not a proof (a key used by the proxy and directly on one day
/// matches on no day).
struct UpstreamEcho {
  private struct Cell: Hashable {
    var provider: Provider
    var day: Int64
    var model: String
  }

  private struct Totals {
    var input: Int128 = 0
    var output: Int128 = 0
    var requests: Int128 = 0

    mutating func add(_ r: UsageRecord) {
      input += Int128(r.tokens.totalInput)
      output += Int128(r.tokens.output)
      requests += Int128(r.requests)
    }
  }

  /// The gateways' request logs.
  static let gatewayFormats = Set(GatewayEcho.gateways)

  private var gateway: [Cell: Totals] = [:]
  private var reported: [Cell: [String: Totals]] = [:]

  /// Adds a charged call of a gateway's log, or a charged usage report row with a key.
  mutating func observe(_ c: ChargedRecord) {
    let r = c.record
    if r.level == .report {
      guard let key = r.credential else { return }
      reported[cell(c), default: [:]][key, default: Totals()].add(r)
    } else if r.level == .request, Self.gatewayFormats.contains(r.format) {
      gateway[cell(c), default: Totals()].add(r)
    }
  }

  private func cell(_ c: ChargedRecord) -> Cell {
    Cell(provider: c.record.provider, day: Timestamp.floorDiv(c.record.time, Timestamp.millisPerDay), model: c.model)
  }

  /// One match: the report's key, its provider, the days its rows equal the gateway's calls, and the
  /// gateway's calls on them.
  struct Match: Sendable, Hashable {
    var provider: Provider
    var key: String
    var days: Int
    var calls: Int128
  }

  /// The keys whose rows equal the gateway's calls on at least one day and model, by provider and
  /// key; and the gateway's calls on those days and models, each counted once (two keys matching
  /// one day's calls counted them twice, a review).
  func matches() -> (keys: [Match], calls: Int128) {
    var days: [String: Set<Int64>] = [:]
    var found: [String: Match] = [:]
    var matched = Set<Cell>()
    for (cell, keys) in reported {
      guard let calls = gateway[cell], calls.input + calls.output > 0 else { continue }
      // The tokens, to the token; the requests are not compared.
      for (key, totals) in keys where totals.input == calls.input && totals.output == calls.output {
        let id = cell.provider.rawValue + "\u{0}" + key
        days[id, default: []].insert(cell.day)
        found[id, default: Match(provider: cell.provider, key: key, days: 0, calls: 0)].calls += calls.requests
        matched.insert(cell)
      }
    }
    for id in found.keys { found[id]?.days = days[id]?.count ?? 0 }
    let keys = found.values.sorted { ($0.provider.rawValue, $0.key) < ($1.provider.rawValue, $1.key) }
    return (keys, matched.reduce(Int128(0)) { $0 + (gateway[$1]?.requests ?? 0) })
  }

  /// Whether a store holding `files` can have a match: a gateway's log and a usage report both.
  ///
  /// Checked before the pass, which then does no work per call for it (a review: a look-up per
  /// call of every month).
  static func possible(_ files: [StoredFile]) -> Bool {
    files.contains { gatewayFormats.contains($0.format) } && files.contains { $0.level == SourceLevel.report.rawValue }
  }
}
