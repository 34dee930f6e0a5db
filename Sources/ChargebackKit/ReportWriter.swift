import ChargebackModel
import ChargebackReporting
import Foundation

/// Writes every output of a report into one directory.
package struct ReportWriter {
  package let directory: String

  package init(directory: String) { self.directory = directory }

  /// Writes CSVs, workbooks and the manifest; removes outputs of an earlier run that this run does not write
  /// again (a cost centre that has no usage this time).
  ///
  /// Returns the paths written.
  package func write(_ report: ChargebackReport) throws -> [String] {
    let fm = FileManager.default
    do {
      try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw OutputError(path: directory, reason: "cannot create output directory: \(error.localizedDescription)")
    }
    let previous = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
    var outputs = try CSVReports.write(report, to: directory)
    outputs.append(try FocusCSV.write(report, to: directory))
    outputs += try WorkbookReports.write(report, to: directory)
    let names = Set(outputs.map { ($0 as NSString).lastPathComponent })
    for name in previous where name.hasSuffix(".xlsx") && !names.contains(name) {
      try? fm.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
    }
    outputs.append(try Manifest.write(report, outputs: outputs, to: directory))
    return outputs.sorted()
  }
}
