import ChargebackModel

extension PolicyFindings {
  /// Raises one `conflicting_duplicate` finding for a natural key stored with different content in
  /// other sources: it names the key, the kept copy (charged) and each refused copy with file and
  /// line, and the fields that differ; its cost is the kept copy's.
  ///
  /// `kept` is the first stored copy, charged; `conflicts` are the refused copies of its key.
  /// A kept copy under a provisioned commitment is at its effective price (`fees`).
  package mutating func noteConflict(
    _ kept: ChargedRecord, conflicts: [DuplicateConflict], fees: ProvisionedFees = ProvisionedFees()
  ) {
    guard let first = conflicts.first else { return }
    let r = kept.record
    // A provider's bill (cost level) is never charged: its billed amount is what is at stake.
    let cost =
      r.level == .cost
      ? r.billed : kept.cost.map { c in kept.feeCommitment.map { fees.effective(c, commitment: $0) } ?? c }
    let name = first.requestID.map { "request \($0) (\(first.naturalKey))" } ?? "record \(first.naturalKey)"
    // A file fetched again to the same name (a usage page of a day not yet over, fetched again
    // once it is): when any two sources share a path, the paths alone would not tell them apart.
    let paths = [first.kept.path] + conflicts.map(\.other.path)
    let samePath = Set(paths).count < paths.count
    let refused = conflicts.map { c in
      let fields = c.differences.map { "\($0.field) \(Self.shown($0.other)) instead of \(Self.shown($0.kept))" }
      return "\(samePath ? c.other.withVersion : c.other.description) with \(fields.joined(separator: ", "))"
    }
    let keptSource = samePath ? first.kept.withVersion : first.kept.description
    let costText = cost.map { "\($0.formatted(decimals: 6)) USD" } ?? "unpriced"
    // A bucket fetched before it ended (a daily pull of the month to date, up to now) and again
    // once it had: the later copy has more of every count that differs (a trial's pulls were
    // charged 2 % under, the grown copies refused, with advice that did not fit a daily folder).
    let grown =
      r.level == .report
      && conflicts.allSatisfy { c in
        !c.differences.isEmpty
          && c.differences.allSatisfy { d in
            guard let k = Int64(d.kept.isEmpty ? "0" : d.kept), let o = Int64(d.other.isEmpty ? "0" : d.other) else {
              return false
            }
            return o >= k
          }
      }
    let advice =
      grown
      ? "the later copies have more of every count that differs, as a bucket fetched before it ended and again"
        + " once it had: take the earlier pages out of the usage folder and load it into a new store, and fetch"
        + " each bucket only once it has ended"
      : "find out which export is right, and if it is not the kept one, ingest the right one into a new store"
    // A bill's row is never charged: it is billed, and compared with the computed cost (a trial:
    // "charged" on a bill's row sent an analyst looking for the charge).
    let (verb, notKept, totals) =
      r.level == .cost
      ? ("billed", "not in the reconciliation", "The reconciliation follows")
      : ("charged", "not charged", "Totals follow")
    note(
      .conflictingDuplicate, subject: first.naturalKey, record: r, attribution: kept.attribution, cost: cost,
      detail:
        "\(name) is stored with different content in \(conflicts.count + 1) sources: kept \(keptSource) (first "
        + "stored, \(verb) \(costText)); \(notKept) \(refused.joined(separator: "; ")). \(totals) the kept "
        + "copy: " + advice)
  }

  /// A value as the text shows it: empty as `none`.
  private static func shown(_ value: String) -> String { value.isEmpty ? "none" : value }
}
