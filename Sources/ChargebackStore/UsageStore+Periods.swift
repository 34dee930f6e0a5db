import ChargebackModel

extension UsageStore {
  /// The totals the last report of `period` charged, or nil when it was never reported.
  package func reportedTotals(_ period: Period) throws -> PeriodContext.Totals? {
    let st = try db.prepare(
      "SELECT dimension, cost_centre, item, cost_pico FROM period_totals WHERE period = ? ORDER BY 1, 2, 3")
    try st.bind(1, period.description)
    var totals = PeriodContext.Totals()
    var any = false
    while try st.step() {
      any = true
      let cc = st.text(1) ?? ""
      let item = PeriodContext.Item(costCentre: cc, item: st.text(2) ?? "")
      let cost = Money(pico: Int128(st.text(3) ?? "") ?? 0)
      switch st.text(0) {
      case "cost_centre": totals.costCentres[cc] = cost
      case "agent": totals.agents[item] = cost
      case "model": totals.models[item] = cost
      // The cost_pico column holds the cents the outputs printed.
      case "cost_centre_cents": totals.printedCostCentres[cc] = cost.pico
      default: break
      }
    }
    return any ? totals : nil
  }

  /// Replaces the remembered totals of `period` with what its report just charged.
  package func setReportedTotals(_ period: Period, _ totals: PeriodContext.Totals) throws {
    try db.transaction {
      let delete = try db.prepare("DELETE FROM period_totals WHERE period = ?")
      try delete.bind(1, period.description)
      try delete.run()
      let insert = try db.prepare(
        "INSERT INTO period_totals(period, dimension, cost_centre, item, cost_pico) VALUES (?, ?, ?, ?, ?)")
      func put(_ dimension: String, _ cc: String, _ item: String, _ cost: Money) throws {
        try insert.bind(1, period.description)
        try insert.bind(2, dimension)
        try insert.bind(3, cc)
        try insert.bind(4, item)
        try insert.bind(5, String(cost.pico))
        try insert.run()
      }
      for (cc, cost) in totals.costCentres { try put("cost_centre", cc, "", cost) }
      for (k, cost) in totals.agents { try put("agent", k.costCentre, k.item, cost) }
      for (k, cost) in totals.models { try put("model", k.costCentre, k.item, cost) }
      for (cc, cents) in totals.printedCostCentres { try put("cost_centre_cents", cc, "", Money(pico: cents)) }
    }
  }

  /// True when the store holds usage (request or report level) in `[from, to)`, UTC epoch ms.
  package func hasUsage(from: Int64, to: Int64) throws -> Bool {
    let st = try db.prepare(
      """
      SELECT 1 FROM usage u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= ? AND u.ts < ? AND f.level <> 'cost' LIMIT 1
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    return try st.step()
  }

  /// - Complexity: one scan of the range of the time index (no row read).
  package func recordCount(from: Int64, to: Int64) throws -> Int64 {
    let st = try db.prepare("SELECT count(*) FROM usage WHERE ts >= ? AND ts < ?")
    try st.bind(1, from)
    try st.bind(2, to)
    return try st.step() ? st.int64(0) : 0
  }

  /// The distinct raw model ids of `provider`'s usage (request and report level) in `[from, to)`,
  /// UTC epoch ms, sorted; for the commitment overlap check (SPEC §12).
  /// - Complexity: one scan of the range through the time index.
  package func distinctModels(provider: String, from: Int64, to: Int64) throws -> [String] {
    let st = try db.prepare(
      """
      SELECT DISTINCT u.model FROM usage_text u JOIN files f ON f.id = u.file_id
      WHERE u.ts >= ? AND u.ts < ? AND u.provider = ? AND f.level <> 'cost' ORDER BY u.model
      """)
    try st.bind(1, from)
    try st.bind(2, to)
    try st.bind(3, provider)
    var models: [String] = []
    while try st.step() { models.append(st.text(0) ?? "") }
    return models
  }

  /// How far the store's usage (request or report level) runs, UTC epoch ms; nil when it holds none.
  ///
  /// `start` is the latest record's time (a report row's bucket start); `end` the latest a record
  /// covers, a report row to its bucket's end: a month of daily buckets whose last ends at the
  /// month's end runs to it (taken from the bucket's start, a trial's forecast extrapolated the whole
  /// month from 29 days). Buckets are at most a day wide, so only the last day's rows are read for
  /// `end`, through the time index.
  package func latestUsageTime(before: Int64) throws -> (start: Int64, end: Int64)? {
    let st = try db.prepare(
      """
      WITH latest(t) AS (
        SELECT max(u.ts) FROM usage u JOIN files f ON f.id = u.file_id WHERE f.level <> 'cost' AND u.ts < ?1)
      SELECT (SELECT t FROM latest), max(coalesce(u.bucket_end, u.ts)) FROM usage u JOIN files f ON f.id = u.file_id
      WHERE f.level <> 'cost' AND u.ts >= (SELECT t FROM latest) - ?2 AND u.ts < ?1
      """)
    try st.bind(1, before)
    try st.bind(2, Self.widestBucket)
    guard try st.step(), let start = st.optionalInt64(0) else { return nil }
    return (start, max(start, st.optionalInt64(1) ?? start))
  }

  /// The widest bucket of a report row (a day), UTC ms.
  package static let widestBucket: Int64 = 86_400_000
}
