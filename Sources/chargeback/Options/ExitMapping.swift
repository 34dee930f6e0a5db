import ArgumentParser
import ChargebackKit
import Foundation

/// Runs a command body, printing errors to stderr and mapping them to sysexits codes.
func runMapped(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let e as IngestError {
    fail(e.description, code: 65)
  } catch let e as InputMissingError {
    fail(e.description, code: 66)
  } catch let e as OutputError {
    fail(e.description, code: 74)
  } catch let e as SQLiteError {
    fail(e.description, code: 74)
  } catch let e as StoreError {
    fail(e.description, code: 65)
  } catch let e as ValidationError {
    throw e
  } catch let e as ExitCode {
    throw e
  } catch {
    fail("internal error: \(error)", code: 70)
  }
}

private func fail(_ message: String, code: Int32) -> Never {
  FileHandle.standardError.write(Data(("chargeback: " + message + "\n").utf8))
  exit(code)
}

/// Parses `--period`.
func parsePeriod(_ text: String) throws -> Period {
  guard let p = Period(text) else { throw ValidationError("--period must be YYYY-MM, got \"\(text)\"") }
  return p
}

/// Options every store-reading command shares.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The SQLite store.")
  var db: String = "chargeback.sqlite"
}

/// Options of the commands that write a report.
struct ReportOptions: ParsableArguments {
  @Option(name: .long, help: "The month to charge back, YYYY-MM (UTC).")
  var period: String

  @Option(
    name: .long,
    help:
      "Directory with people.csv, cost_centres.csv, agents.csv, credentials.csv, tasks.csv, scopes.csv (and labels.csv)."
  )
  var identities: String

  @Option(name: .long, help: "Directory of price tables.")
  var pricing: String = "pricing"

  @Option(name: .long, help: "Output directory (default: reports/<period>/).")
  var out: String?
}

/// Prints a short table of cost centres to stdout.
func printSummary(_ report: ChargebackReport) {
  let rounding = ReportRounding(report, decimals: 2)
  func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
    s.count >= n
      ? s : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
  }
  print(
    "\(pad("cost centre", 16)) \(pad("name", 24)) \(pad("requests", 10, right: true)) \(pad("cost USD", 14, right: true)) \(pad("findings", 9, right: true))"
  )
  for cc in report.costCentres {
    print(
      "\(pad(cc.id, 16)) \(pad(String(cc.name.prefix(24)), 24)) \(pad(String(cc.requests), 10, right: true)) \(pad(rounding.text(rounding.costCentres[cc.id] ?? 0), 14, right: true)) \(pad(String(cc.findings), 9, right: true))"
    )
  }
  print(
    "\(pad("TOTAL", 16)) \(pad("", 24)) \(pad(String(report.costCentres.reduce(0) { $0 + $1.requests }), 10, right: true)) \(pad(rounding.text(rounding.total), 14, right: true)) \(pad(String(report.findings.count), 9, right: true))"
  )
  if report.unpricedRecords > 0 {
    print("\(report.unpricedRecords) records could not be priced (see findings: unpriced_model)")
  }
}
