import ChargebackModel
import ChargebackSupport
import Foundation

/// `manifest.json`: what went in and what came out, so a chargeback can be audited and re-run.
///
/// Everything but `generated_at` is a function of the inputs.
package enum Manifest {
  /// Tool version written into manifests.
  package static let toolVersion = "0.1.0"

  /// Writes the manifest to `directory/manifest.json`.
  ///
  /// `outputs` are the files of the run (names or paths); `workbooks` maps each cost centre to its
  /// workbook's file name; `outputHashes` the SHA-256 of every output but the per-run ones, and
  /// `reportKey` what the report was built from, so that a run with nothing new can keep them.
  package static func write(
    _ report: ChargebackReport, outputs: [String], workbooks: [String: String] = [:], to directory: String,
    generatedAt: Date = Date(), reportKey: String? = nil, outputHashes: [String: String] = [:]
  ) throws -> String {
    let rounding = ReportRounding(report, decimals: 6, lines: false)
    let iso = ISO8601DateFormatter()
    var object: [String: Any] = [
      "tool": ["name": "chargeback", "version": toolVersion],
      "period": report.period.description,
      "generated_at": iso.string(from: generatedAt),
      "inputs": report.inputs.map {
        ["path": $0.path, "sha256": $0.sha256, "format": $0.format, "level": $0.level, "records": $0.records]
          as [String: Any]
      },
      "skipped_inputs": report.skippedInputs.sorted { $0.path < $1.path }.map {
        ["path": $0.path, "sha256": $0.sha256, "reason": $0.reason]
      },
      "missing_pages": report.missingPages.map {
        [
          "path": $0.after.path, "page": $0.after.page.index + 1, "format": $0.after.format,
          "missing_from": Timestamp.iso($0.from), "next_page": $0.after.page.nextPage ?? "",
        ] as [String: Any]
      },
      "pricing_sha256": report.pricingHash,
      "identities_sha256": report.identityHash,
      "counts": [
        "records": report.recordCount, "unpriced_records": report.unpricedRecords,
        "duplicate_records_skipped": report.duplicateRecords, "report_rows_superseded": report.supersededReportRows,
        "report_rows_without_credential_beside_logs": report.unmatchableReportRows,
        "report_buckets_grouped_twice": report.reportBucketsGroupedTwice,
        "report_buckets_misaligned": report.reportBucketsMisaligned,
        "gateway_calls_in_provider_logs": report.gatewayEchoes,
        "gateway_calls_in_usage_reports": report.gatewayCallsInUsageReports,
        "report_rows_past_long_context_at_base_rate": report.longContextReportRows,
        "conflicting_duplicates": report.conflictingDuplicates, "lines": report.taskRowCount,
        "cost_centres": report.costCentres.count, "findings": report.findings.count,
      ],
      "totals": [
        "cost_usd": rounding.text(rounding.total),
        "cost_usd_exact": report.totalCost.formatted(decimals: 12),
        "cost_centres": Dictionary(
          uniqueKeysWithValues: report.costCentres.map { ($0.id, rounding.text(rounding.costCentres[$0.id] ?? 0)) }),
      ],
      "context": [
        "previous_period": report.period.previous.description,
        "previous_source": report.context.previousSource ?? "none",
        "as_of": report.context.asOf.map(Timestamp.iso) ?? "",
        "period_open": report.context.isOpen,
        "forecast_usd": rounding.forecast.map { rounding.text($0.total) } ?? "",
      ] as [String: Any],
      "outputs": Set(outputs.map { ($0 as NSString).lastPathComponent }).sorted(),
      "workbooks": workbooks,
      "output_sha256": outputHashes,
      // Per provider with a cost report, the days of computed cost no cost page covers (left out
      // of reconciliation.csv: no bill loaded for them).
      "unbilled_days": Dictionary(uniqueKeysWithValues: report.unbilledDays.map { ($0.key.rawValue, $0.value) }),
      // The console's warnings on the report, as printed (escaped for a terminal): a run with
      // nothing new prints them again, so that a daily job's log says every day what is still
      // wrong (pages missing), not only on the day it was first seen.
      "warnings": ConsoleSummary.warnings(report),
    ]
    if let reportKey { object["report_key"] = reportKey }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    // JSONSerialization escapes controls but not the invisible and bidirectional characters that
    // every other output escapes (a trial's input path `invoice\u{202E}lsx.jsonl` and a page's cursor
    // reached the file raw): they can only be inside strings, where `\uXXXX` is JSON's own escape.
    var text = ""
    for u in String(decoding: data, as: UTF8.self).unicodeScalars {
      // Not below DEL: JSONSerialization escaped those in strings, and its line ends are the layout's.
      if u.value >= 0x7F, SafeText.isHidden(u) {
        text += SafeText.escapeSequence(u)
      } else {
        text.unicodeScalars.append(u)
      }
    }
    let path = (directory as NSString).appendingPathComponent("manifest.json")
    try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
  }
}
