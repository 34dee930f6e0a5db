import Foundation
import Testing

@testable import ChargebackStore
@testable import ChargebackStorePostgres

/// The PostgreSQL server the tests use.
///
/// `CHARGEBACK_TEST_POSTGRES_URL` (`make test` starts one
/// with `scripts/postgres.sh` and sets it). Without it the PostgreSQL tests fail, so that a run
/// cannot pass by skipping them, unless `CHARGEBACK_SKIP_POSTGRES=1` says so explicitly.
enum PostgresTestServer {
  static let environment = ProcessInfo.processInfo.environment

  /// False only when `CHARGEBACK_SKIP_POSTGRES=1`.
  static var enabled: Bool { environment["CHARGEBACK_SKIP_POSTGRES"] != "1" }

  /// The server's URL.
  static func url() throws -> String {
    try #require(
      environment["CHARGEBACK_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 },
      "CHARGEBACK_TEST_POSTGRES_URL is not set: run `make test` (it starts a server), or set it to a server's URL, or set CHARGEBACK_SKIP_POSTGRES=1 to skip the PostgreSQL tests"
    )
  }

  /// A store URL of its own for one test: a new schema, dropped by ``drop(_:)``.
  static func freshStore(_ extra: [String: String] = [:]) throws -> String {
    let base = try url()
    let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    var params = ["schema": schema]
    params.merge(extra) { _, b in b }
    let query = params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    return base + (base.contains("?") ? "&" : "?") + query
  }

  /// A plain connection to the store's database (checks and creates nothing).
  static func connect(_ store: String) throws -> PGConnection {
    try PGConnection.connect(try PostgresURL(store))
  }

  /// Drops the test's schema.
  static func drop(_ store: String) {
    guard let url = try? PostgresURL(store), let c = try? PGConnection.connect(url) else { return }
    try? c.execute("DROP SCHEMA IF EXISTS " + PostgresSchema.quoted(url.schema) + " CASCADE")
    c.close()
  }
}
