import ChargebackModel
import ChargebackStore

/// How far a period's data runs, and whether it is open.
extension ReportBuilder {
  /// How far the data of `period` runs (`--as-of`, else the store's latest usage record) and
  /// whether the period is open: its data ends before the period does.
  ///
  /// A month reported closed before (its totals are stored) stays closed, as of its end, when
  /// reported again without `--as-of`: re-reporting it after fixing an identity file must not
  /// reopen it, with a forecast, into the folder its closed outputs were handed out from. An
  /// `--as-of` before its end reports it open for that run. ``ReportKey`` keys the outputs on this
  /// state, so that a run with nothing new in its files still rebuilds an open report once the
  /// month has been closed.
  ///
  /// The month is kept closed so while the folder it was closed into (the store's
  /// ``ChargebackJob/closedOutSetting``) holds its outputs, or for a report into that folder (`out`;
  /// any folder when the store names none): a what-if `report --as-of <its end>` into a scratch
  /// folder, deleted since, closed it for the daily job's folder for good, which lost its forecast
  /// and warned of other amounts every day (a trial). Removing that folder reopens it.
  ///
  /// A month closed so while its own usage stops more than a day before its end may have been
  /// closed by a wrong clock's record (``closedEarly(_:period:store:asOf:)``: the console says so).
  static func state(of period: Period, store: any ChargebackStore, asOf: Int64?, out: String? = nil) throws -> (
    asOf: Int64?, isOpen: Bool
  ) {
    if let asOf { try AsOfError.check(asOf, period: period, store: store) }
    // Without --as-of, a month closes once a record starts at or after its end (the next month's
    // first call or bucket); a report row that only ends there may be today's partial bucket of
    // the month's last day (the APIs end it at midnight), so it leaves the month open, as of its
    // end: its forecast is what it owes (a review).
    let latest = asOf == nil ? try latestData(store) : nil
    let at = asOf ?? latest.map { min($0.end, max(period.endMillis, $0.start)) }
    let open = asOf.map { $0 < period.endMillis } ?? latest.map { $0.start < period.endMillis } ?? false
    if asOf == nil, open, try store.reportedTotals(period) != nil {
      let closedInto = try ChargebackJob.closedOut(period, store: store)
      if out == nil || closedInto.isEmpty || closedInto == out || ChargebackJob.holdsPublication(closedInto, of: period)
      {
        return (period.endMillis, false)
      }
    }
    return (at, open)
  }

  /// The folder whose closed outputs keep `period` closed for a report into `out` while its data
  /// would leave it open (``state(of:store:asOf:out:)``); nil otherwise.
  static func closedElsewhere(_ period: Period, store: any ChargebackStore, asOf: Int64?, out: String) throws
    -> String?
  {
    guard asOf == nil, try !closedByData(period, store: store),
      try state(of: period, store: store, asOf: nil, out: out).isOpen == false
    else { return nil }
    let closedInto = try ChargebackJob.closedOut(period, store: store)
    return closedInto.isEmpty || closedInto == out ? nil : closedInto
  }

  /// Whether the store's data closes `period`: a record starts at or after its end.
  static func closedByData(_ period: Period, store: any ChargebackStore) throws -> Bool {
    try latestData(store).map { $0.start >= period.endMillis } ?? false
  }

  /// What closed `context`'s period while its own usage stops more than a day before its end
  /// (``PeriodContext/closedEarly``); nil when it is open, closed by `--as-of`, or its usage runs
  /// to its last day.
  ///
  /// One call stamped a month ahead by a wrong clock closed a trial's October on its second day,
  /// without a word. The month is still closed (a quiet end of month, a pilot that stopped, is
  /// closed so too, rightly), but the console says so, and how to keep it open.
  static func closedEarly(_ context: PeriodContext, period: Period, store: any ChargebackStore, asOf: Int64?)
    throws -> PeriodContext.ClosedEarly?
  {
    guard asOf == nil, !context.isOpen, let latest = try latestData(store), latest.start >= period.endMillis else {
      return nil
    }
    // The period's own data: its latest usage record, or a usage page's last bucket within it; a
    // page that runs past its end covers it to its end.
    var own = try store.latestUsageTime(before: period.endMillis).map(\.end)
    for p in try store.exportPages() where !ExportPage.isCostFormat(p.format) {
      guard let start = p.page.start, let end = p.page.end, start < period.endMillis, end > period.startMillis
      else { continue }
      own = max(own ?? .min, min(end, period.endMillis))
    }
    guard let own, own >= period.startMillis, own < period.endMillis - Timestamp.millisPerDay else { return nil }
    return PeriodContext.ClosedEarly(laterStart: latest.start, lastOwn: own)
  }

  /// The start and end of the latest usage the store holds: its latest usage record's
  /// (``ChargebackStore/latestUsageTime()``), or a usage page's last bucket when that is later.
  ///
  /// An API page's buckets with no usage say the usage was fetched through their end: a page of
  /// October 1–14 whose last 5 buckets were empty ran "to October 10" and forecast the month from 9
  /// days instead of 14, 55 % high (a trial); a daily run would do the same after every quiet
  /// weekend. A page's last bucket starts a bucket width (its narrowest; a day when it gives none)
  /// before its end. Cost pages are the bill, not usage.
  static func latestData(_ store: any ChargebackStore) throws -> (start: Int64, end: Int64)? {
    var latest = try store.latestUsageTime()
    for p in try store.exportPages() where !ExportPage.isCostFormat(p.format) {
      guard let end = p.page.end else { continue }
      let start = end - (p.page.bucketWidth ?? UsageStore.widestBucket)
      latest = latest.map { (max($0.start, start), max($0.end, end)) } ?? (start, end)
    }
    return latest
  }
}
